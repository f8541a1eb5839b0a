// npm run bundle [-- OUTDIR]: src/ into dist/ (or OUTDIR), as the runner executes it (see ncc-build.js).
// Every file gets a source map, so a stack trace points at src/ once the action turns them on (it does
// in debug runs). The maps keep only positions in src/: no sources, no names, nothing of node_modules,
// which would more than double dist/ for frames nobody here can fix.
import { decode, encode } from '@jridgewell/sourcemap-codec'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { nccBuild } from './ncc-build.js'

const out = process.argv[2] ?? 'dist'
await nccBuild(resolve('src/index.ts'), out, { license: 'licenses.txt' })
for (const name of readdirSync(out).filter(name => name.endsWith('.js.map'))) {
  const path = join(out, name)
  writeFileSync(path, JSON.stringify(srcOnly(JSON.parse(readFileSync(path, 'utf8')))))
}

/**
 * The map with its segments into node_modules made unmapped (a bare column), so code there is not
 * attributed to the src/ line before it: minified code is one long line, and a mapping lasts until the next.
 */
function srcOnly(map) {
  const sources = []
  const index = map.sources.map(source => (source.startsWith('../src/') ? sources.push(source) - 1 : -1))
  const mappings = decode(map.mappings).map(line => {
    const kept = []
    for (const [column, source, sourceLine, sourceColumn] of line) {
      const mapped = source !== undefined && index[source] !== -1
      if (mapped) kept.push([column, index[source], sourceLine, sourceColumn])
      else if (kept.length === 0 || kept.at(-1).length > 1) kept.push([column])
    }
    return kept
  })
  return { version: 3, file: map.file, sources, mappings: encode(mappings) }
}
