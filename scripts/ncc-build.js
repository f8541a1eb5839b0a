// The build both `npm run bundle` and the benchmark's SDK floor use: ncc, with packages read as ES modules,
// and every chunk minified. `node scripts/ncc-build.js ENTRY OUTDIR [LICENSE-FILE]` runs it alone.
// Start-up tricks of the build (src/start-up/README.md), each with what it buys at it: packages' ES builds
// (mainFields, and the exports condition of module-condition.js), the chunks minified with terser, and no
// source-map-support registered. Breaks when: ncc's options, chunk names or output change; then the build
// or __tests__/start-up/start-up-layer.test.ts fails. Measured with `npm run bench -- --dist DIR` (docs/performance.md).
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
    // sourceMapRegister: false is for correctness: ncc's register would install source-map-support on every
    // run, where the action turns Node's own source maps on in debug runs only; it also saves 8 ms of a bad
    // input (quartiles -9 to 21 ms; CPU 9 ± 3 ms), nothing of a full refresh, measured 2026-12-07.
    // mainFields: packages' "module" builds before "main". Buys 80 ms of a full refresh on node24 (median;
    // quartiles 47-110 ms; CPU 76 ± 12 ms), measured 2026-12-07 against ncc's default.
    // minify (the entry only) is kept for correctness: it buys nothing measurable of a full refresh and 4 ms of
    // a bad input (quartiles -8 to 30 ms; CPU 5 ± 3 ms), 2026-12-07, but without it ncc's map names the sources
    // `.././src/...`, which bundle.js's srcOnly() drops, so a debug run's stack traces would lose the entry.
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
  // The chunks minified: ncc leaves them as webpack writes them, and their size is parse time on every run.
  // Buys 16 ms of a full refresh on node24 (median; quartiles -20 to 86 ms; CPU 23 ± 10 ms), measured 2026-12-07.
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
