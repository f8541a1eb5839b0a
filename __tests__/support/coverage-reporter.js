// @ts-check
// Coverage of src/ that counts what runs: the unit tests' V8 coverage (jest's, through ts-jest's source
// maps) and the end-to-end runs of dist/ (each child writes Node's V8 coverage to ACTION_COVERAGE_DIR,
// mapped back through the source maps dist/ ships). monocart-coverage-reports measures each kind on its own
// (an HTML report each, coverage/unit/ and coverage/end-to-end/), and coverage-merge.js merges them: a line
// either kind ran counts once. The floors apply to the merged numbers, printed and kept in coverage/merged.txt.
// Active only when jest collects coverage (npm test, npm run coverage).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CoverageReport } from 'monocart-coverage-reports'
import { formatMerged, linesInMap, mergeCoverage, percent } from './coverage-merge.js'

/**
 * The merged floors, each just under what was measured when it was set (98.07% of lines, 93.13% of branches,
 * 98.29% of functions; the unit tests alone 92.02%, 89.44% and 93.99%; the end-to-end runs alone 80.37%,
 * 81.38% and 94.05%), to catch a drop, not noise.
 */
export const FLOORS = { lines: 97.5, branches: 92, functions: 97.5 }

/** @type {Map<string, boolean>} */
const chunkFromSrc = new Map()

/**
 * A chunk of dist/ that holds code of src/, by its source map (the others are dependencies only).
 * @param {string} url
 * @returns {boolean}
 */
function fromSrc(url) {
  const match = /\/dist\/([^/]+\.js)$/.exec(url)
  if (!match) return false
  if (!chunkFromSrc.has(url)) {
    /** @type {string[]} */
    let sources = []
    try {
      sources = JSON.parse(readFileSync(new URL(`${url}.map`), 'utf8')).sources
    } catch {
      // no map: nothing to map back to src/
    }
    chunkFromSrc.set(
      url,
      sources.some(source => source.startsWith('../src/'))
    )
  }
  return chunkFromSrc.get(url) === true
}

/** @param {string} sourcePath */
const reportPath = sourcePath => sourcePath.slice(sourcePath.lastIndexOf('src/'))

/**
 * The lines of src/ that dist/'s chunks hold code from, by their source maps.
 * @param {string} root
 */
function linesInDist(root) {
  /** @type {Map<string, Set<number>>} */
  const lines = new Map()
  const dist = path.join(root, 'dist')
  for (const name of readdirSync(dist).filter(name => name.endsWith('.js.map'))) {
    linesInMap(JSON.parse(readFileSync(path.join(dist, name), 'utf8')), reportPath, lines)
  }
  return lines
}

export default class CoverageReporter {
  /** @param {import('@jest/reporters').Config.GlobalConfig} globalConfig */
  constructor(globalConfig) {
    this.active = globalConfig.collectCoverage
    /** @type {Error | undefined} */
    this.failure = undefined
    if (!this.active) return
    this.root = globalConfig.rootDir
    // The end-to-end harness passes this to every run of dist/ as NODE_V8_COVERAGE; the workers inherit it.
    this.e2eDir = process.env.ACTION_COVERAGE_DIR ?? path.join(tmpdir(), `action-coverage-${process.pid}`)
    process.env.ACTION_COVERAGE_DIR = this.e2eDir
    rmSync(this.e2eDir, { recursive: true, force: true })
    mkdirSync(this.e2eDir, { recursive: true })
    this.outputDir = path.join(this.root, 'coverage')
    rmSync(this.outputDir, { recursive: true, force: true })
    /** @param {string} kind */
    const measure = kind =>
      new CoverageReport({
        name: `src/: ${kind}`,
        outputDir: path.join(/** @type {string} */ (this.outputDir), kind),
        reports: [['html']],
        // dist/'s chunks built from src/ (end-to-end) and src/ as ts-jest compiled it (unit); of both, only src/ counts.
        entryFilter: entry => entry.url.includes('/src/') || fromSrc(entry.url),
        sourceFilter: sourcePath => /(^|\/)src\/.+\.ts$/.test(sourcePath) && !sourcePath.endsWith('.d.ts'),
        sourcePath: reportPath,
        // Every file of src/, run or not, so both kinds count the same lines.
        all: { dir: [path.join(/** @type {string} */ (this.root), 'src')], filter: { '**/*.d.ts': false, '**/*.ts': true } },
        cleanCache: true
      })
    this.unit = measure('unit')
    this.endToEnd = measure('end-to-end')
    /** @type {Promise<unknown>[]} */
    this.adding = []
  }

  /**
   * @param {unknown} _test
   * @param {import('@jest/test-result').TestResult} result
   */
  onTestResult(_test, result) {
    if (!this.active || !result.v8Coverage) return
    const entries = result.v8Coverage.flatMap(({ codeTransformResult, result: script }) => {
      if (!codeTransformResult || !script.url.includes('/src/')) return []
      const { code, sourceMapPath } = codeTransformResult
      const sourceMap = sourceMapPath ? JSON.parse(readFileSync(sourceMapPath, 'utf8')) : undefined
      return [{ ...script, source: code, sourceMap }]
    })
    if (entries.length > 0 && this.unit) this.adding.push(this.unit.add(/** @type {any} */ (entries)))
  }

  async onRunComplete() {
    if (!this.active || !this.unit || !this.endToEnd) return
    const started = Date.now()
    await Promise.all(this.adding)
    await this.endToEnd.addFromDir(/** @type {string} */ (this.e2eDir))
    // One after the other: two reports generated at once lose one's results.
    const unit = await this.unit.generate()
    const endToEnd = await this.endToEnd.generate()
    rmSync(/** @type {string} */ (this.e2eDir), { recursive: true, force: true })
    if (!unit?.files || !endToEnd?.files) {
      this.failure = new Error('Coverage: no coverage data came back from the tests.')
      return
    }
    const merged = mergeCoverage(
      { unit: /** @type {any} */ (unit.files), 'end-to-end': /** @type {any} */ (endToEnd.files) },
      { 'end-to-end': linesInDist(/** @type {string} */ (this.root)) }
    )
    /** @param {any} summary */
    const alone = summary => `lines ${summary.lines.pct}%, branches ${summary.branches.pct}%, functions ${summary.functions.pct}%`
    const table = `${formatMerged(merged)}\n(unit tests alone: ${alone(unit.summary)}; end-to-end runs alone: ${alone(endToEnd.summary)})`
    console.log(`Coverage of src/, unit tests and end-to-end runs of dist/ merged (branches and functions: the kind that covered more):\n${table}`)
    mkdirSync(/** @type {string} */ (this.outputDir), { recursive: true })
    writeFileSync(path.join(/** @type {string} */ (this.outputDir), 'merged.txt'), `${table}\n`)
    console.log(
      `Merged in ${((Date.now() - started) / 1000).toFixed(1)} s; coverage/merged.txt has this table, coverage/unit/ and coverage/end-to-end/ each kind's HTML report.`
    )
    const low = /** @type {Array<[keyof typeof FLOORS, number]>} */ (Object.entries(FLOORS)).filter(([metric, floor]) => percent(merged.total[metric]) < floor)
    if (low.length > 0) {
      const lines = low.map(([metric, floor]) => `${metric} ${percent(merged.total[metric])}% < ${floor}%`)
      this.failure = new Error(`Coverage of src/ below its floor: ${lines.join(', ')} (coverage/merged.txt lists the uncovered lines).`)
      console.error(this.failure.message)
    }
  }

  getLastError() {
    return this.failure
  }
}
