// npm run bundle [-- OUTDIR]: src/ into dist/ (or OUTDIR), as the runner executes it (see ncc-build.js), and
// the command-line tool into dist/cli/ and the Lambda handler into dist/lambda/ (their own chunks: ncc builds
// one entry at a time). The CLI's flags
// and --help come from action.yml, written into src/hosts/generated/ first (scripts/action-inputs.js).
// Every file gets a source map, so a stack trace points at src/ once the action turns them on (it does
// in debug runs). The maps keep only positions in src/: no sources, no names, nothing of node_modules,
// which would more than double dist/ for frames nobody here can fix.
import { decode, encode } from '@jridgewell/sourcemap-codec'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { GENERATED, generatedText } from './action-inputs.js'
import { nccBuild } from './ncc-build.js'

const out = process.argv[2] ?? 'dist'
// Written only when it changed: the test command lints and type-checks src/ while this build runs.
const generated = await generatedText()
if (!existsSync(GENERATED) || readFileSync(GENERATED, 'utf8') !== generated) writeFileSync(GENERATED, generated)
await nccBuild(resolve('src/index.ts'), out, { license: 'licenses.txt' })
// The CLI bundles the same packages, so dist/licenses.txt covers it too. A process of its own: a second ncc
// build in one process reads no package.json (its resolver caches them), which ncc-build.js refuses.
execFileSync(process.execPath, [resolve('scripts/ncc-build.js'), resolve('src/cli.ts'), join(out, 'cli')], { stdio: 'inherit' })
// The Lambda handler likewise, with its own licenses.txt: it alone bundles the Secrets Manager client, and
// its deployment zip (npm run lambda:zip) is dist/lambda/ alone.
execFileSync(process.execPath, [resolve('scripts/ncc-build.js'), resolve('src/lambda.ts'), join(out, 'lambda'), 'licenses.txt'], { stdio: 'inherit' })
// ncc names sources relative to the folder it thinks it writes to, one level below the repository, so a
// map in dist/cli/ needs one more step up to reach src/.
for (const [dir, up] of [
  [out, ''],
  [join(out, 'cli'), '../'],
  [join(out, 'lambda'), '../']
]) {
  for (const name of readdirSync(dir).filter(name => name.endsWith('.js.map'))) {
    const path = join(dir, name)
    writeFileSync(path, JSON.stringify(srcOnly(JSON.parse(readFileSync(path, 'utf8')), up)))
  }
}

/**
 * The map with its segments into node_modules made unmapped (a bare column), so code there is not
 * attributed to the src/ line before it: minified code is one long line, and a mapping lasts until the next.
 */
function srcOnly(map, up) {
  const sources = []
  const index = map.sources.map(source => (source.startsWith('../src/') ? sources.push(up + source) - 1 : -1))
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
