// npm run bundle [-- OUTDIR]: src/ into dist/ (or OUTDIR), as the runner executes it.
// ncc splits every dynamic import into a chunk, so a run loads only what it needs, but it minifies only
// the entry file; the chunks are minified here, since their size is parse time on every run.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { minify } from 'terser'

const out = process.argv[2] ?? 'dist'
rmSync(out, { recursive: true, force: true })
execFileSync('npx', ['ncc', 'build', 'src/index.ts', '-o', out, '--minify', '--license', 'licenses.txt', '--quiet'], { stdio: 'inherit' })
for (const name of readdirSync(out).filter(name => /^\d+\.index\.js$/.test(name))) {
  const path = join(out, name)
  const { code } = await minify(readFileSync(path, 'utf8'), { module: true, compress: { passes: 1 }, mangle: true, format: { comments: false } })
  writeFileSync(path, code)
}
