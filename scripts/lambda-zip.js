// npm run lambda:zip [-- OUTFILE]: the Lambda deployment package, from dist/lambda/ as built (npm run bundle),
// into build/lambda.zip (or OUTFILE). The handler setting is `index.handler`; the package.json with
// "type": "module" beside index.js (ncc writes it) makes Node read the bundle as the ES module it is. The same dist/ gives
// the same bytes: entries sorted, each with one fixed timestamp, so a zip can be compared with a release's.
import { Buffer } from 'node:buffer'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { zipSync } from 'fflate'

/**
 * Every entry gets this time, so the bytes do not depend on when or where the zip was built: zip stores local
 * date and time fields (from 1980 on), which a Date made from local fields gives the same in every time zone.
 */
const FIXED_TIME = new Date(2000, 0, 1)
export const PACKAGE_JSON = `${JSON.stringify({ type: 'module' })}\n`

/** The zip's entries, by name: dist/lambda/'s files, with a package.json that makes index.js an ES module. */
export function lambdaZipEntries(dir) {
  if (!statSync(join(dir, 'index.js'), { throwIfNoEntry: false })) {
    throw new Error(`lambda:zip: ${join(dir, 'index.js')} is missing: run 'npm run bundle' first`)
  }
  const files = readdirSync(dir, { recursive: true })
    .map(name => String(name))
    .filter(name => statSync(join(dir, name)).isFile())
  const entries = {}
  for (const name of files) entries[name.split('\\').join('/')] = readFileSync(join(dir, name))
  // ncc writes one for an ES module entry; the zip has it either way.
  const packageJson = entries['package.json'] ? JSON.parse(Buffer.from(entries['package.json']).toString('utf8')) : {}
  if (packageJson.type !== 'module') entries['package.json'] = Buffer.from(PACKAGE_JSON)
  return Object.fromEntries(
    Object.keys(entries)
      .sort()
      .map(name => [name, entries[name]])
  )
}

export function buildLambdaZip(dir, outFile) {
  const entries = lambdaZipEntries(dir)
  const zip = zipSync(Object.fromEntries(Object.entries(entries).map(([name, data]) => [name, [data, { mtime: FIXED_TIME }]])), { level: 9 })
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(outFile, zip)
  return { outFile, entries: Object.keys(entries), bytes: zip.length }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const built = buildLambdaZip(resolve('dist/lambda'), resolve(process.argv[2] ?? 'build/lambda.zip'))
  console.log(`${relative(process.cwd(), built.outFile)}: ${built.entries.length} files, ${built.bytes} bytes; handler index.handler`)
}
