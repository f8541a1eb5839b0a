// npm run bundle [-- OUTDIR]: src/ into dist/ (or OUTDIR), as the runner executes it.
// ncc splits every dynamic import into a chunk, so a run loads only what it needs, but it minifies only
// the entry file; the chunks are minified here, since their size is parse time on every run.
// Every file gets a source map, so a stack trace points at src/ once the action turns them on (it does
// in debug runs). The maps keep only positions in src/: no sources, no names, nothing of node_modules,
// which would more than double dist/ for frames nobody here can fix.
import { decode, encode } from '@jridgewell/sourcemap-codec'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { minify } from 'terser'
import { preferModuleCondition } from './module-condition.js'

const out = process.argv[2] ?? 'dist'
// Packages that ship both builds are read as ES modules (for "main" and "module" fields, and for the
// "module" condition of exports): webpack can then keep their unused modules out, and their dynamic
// import()s (the AWS SDK's credential sources a run with keys in the environment never reaches) become
// chunks loaded only when called. The CLI has options for neither.
const moduleCondition = preferModuleCondition()
const { default: ncc } = await import('@vercel/ncc')
const { code, map, assets } = await ncc(resolve('src/index.ts'), {
  minify: true,
  sourceMap: true,
  sourceMapRegister: false,
  license: 'licenses.txt',
  quiet: true,
  mainFields: ['module', 'main']
})
moduleCondition.restore()
if (!moduleCondition.changed().includes('@smithy/core')) {
  throw new Error('bundle: ncc no longer reads package.json with fs.readFile, so the AWS SDK would be bundled from its CommonJS build; update scripts/module-condition.js')
}
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'index.js'), code)
writeFileSync(join(out, 'index.js.map'), map)
for (const [name, { source }] of Object.entries(assets)) {
  mkdirSync(dirname(join(out, name)), { recursive: true })
  writeFileSync(join(out, name), source)
}
for (const name of readdirSync(out).filter(name => /^\d+\.index\.js$/.test(name))) {
  const path = join(out, name)
  const { code, map } = await minify(readFileSync(path, 'utf8'), {
    module: true,
    compress: { passes: 1 },
    mangle: true,
    format: { comments: false },
    sourceMap: { content: readFileSync(`${path}.map`, 'utf8'), url: `${name}.map` }
  })
  writeFileSync(path, code)
  writeFileSync(`${path}.map`, map)
}
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
