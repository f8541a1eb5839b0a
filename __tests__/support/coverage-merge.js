// @ts-check
// The coverage of src/ from two kinds of test, each measured by monocart-coverage-reports on its own: the
// unit tests (src/ as ts-jest compiled it) and the end-to-end runs (dist/, as ncc and terser built it, mapped
// back through its source maps). Both kinds number the same source lines, so lines are merged exactly: a line
// either kind ran counts as run. Branches and functions are not: ts-jest keeps the source's shape while the
// minifier rewrites and inlines it, so the two kinds' branches do not line up one to one (not one range in
// common in summary.ts). For those, each file counts the kind that covered the larger share, which can only
// understate what the two ran together. (monocart's own merge of two compilations keeps a range unrun when
// either kind left it unrun, and adds up both kinds' branches.)
// V8 counts as run whatever lies outside a block it saw skipped, so a line whose code the bundler dropped (an
// export nothing in dist/ uses, say) would count as run by every end-to-end run. A kind given `mappedLines`
// is therefore believed only on the lines its compiled code holds, by the source maps.

import { decode } from '@jridgewell/sourcemap-codec'

/**
 * @typedef {{ covered: number, total: number }} Count
 * @typedef {{ sourcePath: string, summary: { branches: Count, functions: Count }, data?: { lines?: Record<string, number | string> } }} FileResult
 * @typedef {{ path: string, lines: Count, branches: Count & { from?: string }, functions: Count & { from?: string }, uncoveredLines: number[] }} MergedFile
 * @typedef {{ files: MergedFile[], total: { lines: Count, branches: Count, functions: Count } }} Merged
 */

/** @param {Count} count */
const share = count => (count.total === 0 ? -1 : count.covered / count.total)

/**
 * The kind whose count of one metric covers the larger share (on a tie, the one that counts more).
 * @param {Map<string, FileResult>} byKind
 * @param {'branches' | 'functions'} metric
 * @returns {Count & { from?: string }}
 */
function bestKind(byKind, metric) {
  /** @type {Count & { from?: string }} */
  let best = { covered: 0, total: 0 }
  for (const [kind, file] of byKind) {
    const { covered, total } = file.summary[metric]
    const candidate = { covered, total }
    if (share(candidate) > share(best) || (share(candidate) === share(best) && total > best.total)) best = { ...candidate, from: kind }
  }
  return best
}

/**
 * Merges each kind's per-file results (monocart's `generate()` files) into one count per file and in all.
 * @param {Record<string, FileResult[]>} kinds e.g. { unit: [...], 'end-to-end': [...] }
 * @param {Record<string, Map<string, Set<number>>>} [mappedLines] per kind, the source lines its compiled code holds, by source path
 * @returns {Merged}
 */
export function mergeCoverage(kinds, mappedLines = {}) {
  /** @type {Map<string, Map<string, FileResult>>} */
  const byPath = new Map()
  for (const [kind, files] of Object.entries(kinds)) {
    for (const file of files) {
      const entry = byPath.get(file.sourcePath) ?? new Map()
      entry.set(kind, file)
      byPath.set(file.sourcePath, entry)
    }
  }
  /** @type {MergedFile[]} */
  const files = []
  for (const [path, byKind] of [...byPath].sort(([a], [b]) => a.localeCompare(b))) {
    /** @type {Map<number, boolean>} */
    const run = new Map()
    for (const [kind, file] of byKind) {
      const mapped = mappedLines[kind] && (mappedLines[kind].get(path) ?? new Set())
      // monocart's line hits: a count, 0 for a line not run, or a string for a line partly run (which it counts as run).
      for (const [key, hits] of Object.entries(file.data?.lines ?? {})) {
        const line = Number(key)
        run.set(line, run.get(line) === true || (hits !== 0 && (!mapped || mapped.has(line))))
      }
    }
    const uncoveredLines = [...run].filter(([, ran]) => !ran).map(([line]) => line)
    uncoveredLines.sort((a, b) => a - b)
    files.push({
      path,
      lines: { covered: run.size - uncoveredLines.length, total: run.size },
      branches: bestKind(byKind, 'branches'),
      functions: bestKind(byKind, 'functions'),
      uncoveredLines
    })
  }
  /** @param {'lines' | 'branches' | 'functions'} metric */
  const sum = metric =>
    files.reduce((all, file) => ({ covered: all.covered + file[metric].covered, total: all.total + file[metric].total }), { covered: 0, total: 0 })
  return { files, total: { lines: sum('lines'), branches: sum('branches'), functions: sum('functions') } }
}

/**
 * A count as a percentage with two decimals, rounded down so a floor is never met by rounding.
 * @param {Count} count
 */
export function percent(count) {
  return count.total === 0 ? 100 : Math.floor((count.covered / count.total) * 10000) / 100
}

/**
 * Line numbers as ranges: [1, 2, 3, 7] -> '1-3,7'.
 * @param {number[]} lines sorted
 */
export function lineRanges(lines) {
  /** @type {string[]} */
  const ranges = []
  for (let i = 0; i < lines.length; i++) {
    let j = i
    while (j + 1 < lines.length && lines[j + 1] === lines[j] + 1) j++
    ranges.push(j === i ? `${lines[i]}` : `${lines[i]}-${lines[j]}`)
    i = j
  }
  return ranges.join(',')
}

/**
 * The merged table: every file not fully covered, then the total.
 * @param {Merged} merged
 */
export function formatMerged(merged) {
  /** @param {Count & { from?: string }} count */
  const cell = count => `${percent(count).toFixed(2)}% (${count.covered}/${count.total}${count.from ? `, ${count.from}` : ''})`
  const rows = merged.files
    .filter(file => [file.lines, file.branches, file.functions].some(count => count.covered < count.total))
    .map(
      file =>
        `${file.path}\n  lines ${cell(file.lines)}  branches ${cell(file.branches)}  functions ${cell(file.functions)}\n  uncovered lines: ${lineRanges(file.uncoveredLines) || 'none'}`
    )
  const { lines, branches, functions } = merged.total
  return [...rows, `All of src/: lines ${cell(lines)}  branches ${cell(branches)}  functions ${cell(functions)}`].join('\n')
}

/**
 * The source lines a source map's generated code holds, by source path (`sourcePath` turns the map's names into the report's).
 * @param {{ sources: string[], mappings: string }} map
 * @param {(source: string) => string} sourcePath
 * @param {Map<string, Set<number>>} [into]
 */
export function linesInMap(map, sourcePath, into = new Map()) {
  const paths = map.sources.map(sourcePath)
  for (const line of decode(map.mappings)) {
    for (const segment of line) {
      if (segment.length < 4) continue
      const path = paths[/** @type {number} */ (segment[1])]
      const lines = into.get(path) ?? new Set()
      lines.add(/** @type {number} */ (segment[2]) + 1)
      into.set(path, lines)
    }
  }
  return into
}
