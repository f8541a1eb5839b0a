// The build both `npm run bundle` and the benchmark's SDK floor use: ncc, with packages read as ES modules,
// and every chunk minified. `node scripts/ncc-build.js ENTRY OUTDIR [LICENSE-FILE]` runs it alone.
// ncc splits every dynamic import into a chunk, so a run loads only what it needs, but it minifies only
// the entry file; the chunks are minified here, since their size is parse time on every run.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { minify } from 'terser'
import { preferModuleCondition } from './module-condition.js'

/** Bundles entry (an absolute path) into out as index.js, its chunks and their source maps. */
export async function nccBuild(entry, out, { license } = {}) {
  // Packages that ship both builds are read as ES modules (for "main" and "module" fields, and for the
  // "module" condition of exports): webpack can then keep their unused modules out, and their dynamic
  // import()s (the AWS SDK's credential sources a run with keys in the environment never reaches) become
  // chunks loaded only when called. The CLI has options for neither.
  const moduleCondition = preferModuleCondition()
  // No cache: ncc keeps webpack's cache under ~/.cache/ncc, and a build served from it reads no package.json,
  // so the check below failed on every second build, and a cache from before the shim would bundle CommonJS.
  let built
  try {
    const { default: ncc } = await import('@vercel/ncc')
    built = await ncc(entry, { cache: false, minify: true, sourceMap: true, sourceMapRegister: false, license, quiet: true, mainFields: ['module', 'main'] })
  } finally {
    moduleCondition.restore()
  }
  if (!moduleCondition.changed().includes('@smithy/core')) {
    throw new Error(
      'bundle: ncc no longer reads package.json with fs.readFile, so the AWS SDK would be bundled from its CommonJS build; update scripts/module-condition.js'
    )
  }
  const { code, map, assets } = built
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
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await nccBuild(resolve(process.argv[2]), process.argv[3], { license: process.argv[4] })
}
