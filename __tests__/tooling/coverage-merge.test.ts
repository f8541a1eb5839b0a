import { encode } from '@jridgewell/sourcemap-codec'
import { formatMerged, lineRanges, linesInMap, mergeCoverage, percent } from '../support/coverage-merge.js'

// The merge the coverage floors are held to: lines exactly (a line either kind of test ran counts once),
// branches and functions by the kind that covered the larger share of the file's.

/** One file's result as monocart's generate() gives it; lines: hits per line number. */
function file(sourcePath: string, lines: Record<number, number | string>, branches: [number, number], functions: [number, number]) {
  return {
    sourcePath,
    summary: { branches: { covered: branches[0], total: branches[1] }, functions: { covered: functions[0], total: functions[1] } },
    data: { lines: Object.fromEntries(Object.entries(lines).map(([line, hits]) => [String(line), hits])) }
  }
}

test('a line either kind ran counts once; one neither ran stays uncovered', () => {
  const merged = mergeCoverage({
    unit: [file('src/a.ts', { 1: 3, 2: 0, 3: 0, 4: 0 }, [0, 0], [1, 1])],
    'end-to-end': [file('src/a.ts', { 1: 1, 2: 5, 3: 0, 4: 0 }, [0, 0], [1, 1])]
  })
  expect(merged.files).toEqual([expect.objectContaining({ path: 'src/a.ts', lines: { covered: 2, total: 4 }, uncoveredLines: [3, 4] })])
  expect(merged.total.lines).toEqual({ covered: 2, total: 4 })
})

test('a kind with mapped lines is believed only on lines its compiled code holds', () => {
  // Line 3 (say, an export the bundler dropped) lies outside every block the end-to-end runs saw skipped.
  const kinds = {
    unit: [file('src/a.ts', { 1: 1, 2: 0, 3: 0 }, [0, 0], [0, 0])],
    'end-to-end': [file('src/a.ts', { 1: 1, 2: 1, 3: 1 }, [0, 0], [0, 0])]
  }
  const merged = mergeCoverage(kinds, { 'end-to-end': new Map([['src/a.ts', new Set([1, 2])]]) })
  expect(merged.files[0].lines).toEqual({ covered: 2, total: 3 })
  expect(merged.files[0].uncoveredLines).toEqual([3])
  expect(mergeCoverage(kinds).files[0].lines).toEqual({ covered: 3, total: 3 })
})

test('a kind with mapped lines but none in a file is believed on none of its lines', () => {
  const merged = mergeCoverage({ 'end-to-end': [file('src/b.ts', { 1: 1, 2: 1 }, [0, 0], [0, 0])] }, { 'end-to-end': new Map() })
  expect(merged.files[0].lines).toEqual({ covered: 0, total: 2 })
})

test('the lines a source map holds code from, by source, numbered from 1', () => {
  // Generated line 1: two segments from a.ts lines 0 and 4 (0-based), one from b.ts line 2; line 2: a column-only segment.
  const map = {
    sources: ['../src/a.ts', '../src/b.ts'],
    mappings: encode([
      [
        [0, 0, 0, 0],
        [10, 0, 4, 2],
        [20, 1, 2, 0]
      ],
      [[5]]
    ])
  }
  const lines = linesInMap(map, source => source.replace('../', ''))
  expect([...lines].map(([path, set]) => [path, [...set].sort((a, b) => a - b)])).toEqual([
    ['src/a.ts', [1, 5]],
    ['src/b.ts', [3]]
  ])
})

test('a line partly run (monocart gives a string) counts as run, as monocart counts it', () => {
  const merged = mergeCoverage({ unit: [file('src/a.ts', { 1: '1/2', 2: 0 }, [0, 0], [0, 0])] })
  expect(merged.files[0].lines).toEqual({ covered: 1, total: 2 })
  expect(merged.files[0].uncoveredLines).toEqual([2])
})

test('a file only one kind loaded is counted from that kind alone', () => {
  const merged = mergeCoverage({
    unit: [file('src/a.ts', { 1: 1 }, [1, 2], [1, 1])],
    'end-to-end': [file('src/b.ts', { 1: 0, 2: 1 }, [3, 4], [2, 3])]
  })
  expect(merged.files.map(f => [f.path, f.lines, f.branches, f.functions])).toEqual([
    ['src/a.ts', { covered: 1, total: 1 }, { covered: 1, total: 2, from: 'unit' }, { covered: 1, total: 1, from: 'unit' }],
    ['src/b.ts', { covered: 1, total: 2 }, { covered: 3, total: 4, from: 'end-to-end' }, { covered: 2, total: 3, from: 'end-to-end' }]
  ])
  expect(merged.total).toEqual({ lines: { covered: 2, total: 3 }, branches: { covered: 4, total: 6 }, functions: { covered: 3, total: 4 } })
})

test('branches and functions come from the kind that covered the larger share, not the sum of both', () => {
  const merged = mergeCoverage({
    unit: [file('src/a.ts', { 1: 1 }, [90, 100], [4, 10])],
    'end-to-end': [file('src/a.ts', { 1: 1 }, [40, 50], [9, 10])]
  })
  expect(merged.files[0].branches).toEqual({ covered: 90, total: 100, from: 'unit' })
  expect(merged.files[0].functions).toEqual({ covered: 9, total: 10, from: 'end-to-end' })
})

test('a kind that counts no branches in a file does not win over one that counts some, even uncovered', () => {
  const merged = mergeCoverage({
    unit: [file('src/a.ts', { 1: 1 }, [0, 6], [0, 0])],
    'end-to-end': [file('src/a.ts', { 1: 1 }, [0, 0], [0, 0])]
  })
  expect(merged.files[0].branches).toEqual({ covered: 0, total: 6, from: 'unit' })
  expect(merged.total.branches).toEqual({ covered: 0, total: 6 })
})

test('on an equal share, the kind that counts more branches is the one counted', () => {
  const merged = mergeCoverage({
    unit: [file('src/a.ts', { 1: 1 }, [1, 2], [1, 1])],
    'end-to-end': [file('src/a.ts', { 1: 1 }, [5, 10], [1, 1])]
  })
  expect(merged.files[0].branches).toEqual({ covered: 5, total: 10, from: 'end-to-end' })
})

test('percent rounds down, so a floor is never met by rounding up', () => {
  expect(percent({ covered: 8999, total: 10000 })).toBe(89.99)
  expect(percent({ covered: 89999, total: 100000 })).toBe(89.99)
  expect(percent({ covered: 9, total: 10 })).toBe(90)
  expect(percent({ covered: 0, total: 0 })).toBe(100)
})

test('line ranges', () => {
  expect(lineRanges([])).toBe('')
  expect(lineRanges([7])).toBe('7')
  expect(lineRanges([1, 2, 3, 7, 9, 10])).toBe('1-3,7,9-10')
})

test('the table lists each file not fully covered, with its uncovered lines, then the total', () => {
  const merged = mergeCoverage({
    unit: [file('src/full.ts', { 1: 1, 2: 1 }, [2, 2], [1, 1]), file('src/part.ts', { 1: 1, 2: 0, 3: 0, 5: 1 }, [1, 4], [1, 2])]
  })
  expect(formatMerged(merged)).toBe(
    [
      'src/part.ts',
      '  lines 50.00% (2/4)  branches 25.00% (1/4, unit)  functions 50.00% (1/2, unit)',
      '  uncovered lines: 2-3',
      'All of src/: lines 66.66% (4/6)  branches 50.00% (3/6)  functions 66.66% (2/3)'
    ].join('\n')
  )
})
