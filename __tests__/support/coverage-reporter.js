// @ts-check
// Coverage of src/ that counts what runs: the unit tests' V8 coverage (jest's, through ts-jest's source
// maps) and the end-to-end runs of dist/ (each child writes Node's V8 coverage to ACTION_COVERAGE_DIR,
// mapped back through the source maps dist/ ships), merged by monocart-coverage-reports on the source
// itself, so a line either kind of test ran counts once. The floors apply to the merged numbers.
// Active only when jest collects coverage (npm test, npm run coverage).
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { CoverageReport } from 'monocart-coverage-reports'

/**
 * The merged floors; each sits just under what was measured when it was set (89.7% of lines, 79.5% of
 * branches, 91.0% of functions, with the Lambda handler's scenarios run against src/ too), to catch a drop,
 * not noise. The merged numbers are a lower bound: where
 * terser inlined one function into another (summary.ts's helpers into writeSummary) the bundle's ranges
 * map back to the wrong lines, and a block one kind of test skipped can hide a line the other ran (the
 * end-to-end runs alone measured 92.0% of lines and 81.3% of branches; the unit tests alone 77.0% and 73.2%).
 */
export const FLOORS = { lines: 89.3, branches: 78.5, functions: 90 }

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
    this.report = new CoverageReport({
      name: 'src/: unit tests and end-to-end runs of dist/',
      outputDir: path.join(this.root, 'coverage'),
      reports: [['console-summary'], ['console-details', { skipPercent: 100 }], ['html'], ['json-summary']],
      // dist/'s chunks built from src/ (end-to-end) and src/ as ts-jest compiled it (unit); of both, only src/ counts.
      entryFilter: entry => entry.url.includes('/src/') || fromSrc(entry.url),
      sourceFilter: sourcePath => /(^|\/)src\/.+\.ts$/.test(sourcePath) && !sourcePath.endsWith('.d.ts'),
      sourcePath: sourcePath => sourcePath.slice(sourcePath.lastIndexOf('src/')),
      all: { dir: [path.join(this.root, 'src')], filter: { '**/*.d.ts': false, '**/*.ts': true } },
      cleanCache: true
    })
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
    if (entries.length > 0 && this.report) this.adding.push(this.report.add(/** @type {any} */ (entries)))
  }

  async onRunComplete() {
    if (!this.active || !this.report) return
    const started = Date.now()
    await Promise.all(this.adding)
    await this.report.addFromDir(/** @type {string} */ (this.e2eDir))
    const results = await this.report.generate()
    console.log(`Coverage merged in ${((Date.now() - started) / 1000).toFixed(1)} s; the report is coverage/index.html.`)
    rmSync(/** @type {string} */ (this.e2eDir), { recursive: true, force: true })
    const summary = results?.summary
    if (!summary) {
      this.failure = new Error('Coverage: no coverage data came back from the tests.')
      return
    }
    const pct = (/** @type {keyof typeof FLOORS} */ metric) => Number(summary[metric].pct)
    const low = /** @type {Array<[keyof typeof FLOORS, number]>} */ (Object.entries(FLOORS)).filter(([metric, floor]) => pct(metric) < floor)
    if (low.length > 0) {
      const lines = low.map(([metric, floor]) => `${metric} ${pct(metric)}% < ${floor}%`)
      this.failure = new Error(`Coverage of src/ below its floor: ${lines.join(', ')} (coverage/index.html shows what is uncovered).`)
      console.error(this.failure.message)
    }
  }

  getLastError() {
    return this.failure
  }
}
