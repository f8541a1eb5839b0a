#!/usr/bin/env node
// A record of the last check that found dist/ exactly what the build makes: a hash of everything the build
// reads, and a hash of dist/ as it was. While both still match, dist/ is still what the build would make, so
// `npm run release:check` can say so without building again (a build takes half a minute or more).
// The record lives in node_modules/.cache, outside the repository; delete it to force a build.
// `node scripts/dist-record.js inputs [--root DIR]` prints the hash of the build's inputs.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

/** What `npm run bundle` reads, besides the installed packages (named by the lockfiles). */
const BUILD_FILES = [
  'package-lock.json',
  'node_modules/.package-lock.json',
  'tsconfig.json',
  'scripts/bundle.js',
  'scripts/ncc-build.js',
  'scripts/module-condition.js'
]
const BUILD_DIRS = ['src']

export const recordPath = root => path.join(root, 'node_modules', '.cache', 'pipecat-ecr-pull-secret', 'dist-check.json')

function filesUnder(root, dir) {
  const where = path.join(root, dir)
  if (!existsSync(where)) return []
  return readdirSync(where, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}

function hashFiles(root, files) {
  const hash = createHash('sha256')
  for (const file of files) {
    const where = path.join(root, file)
    hash.update(`${file}\0`)
    hash.update(existsSync(where) ? readFileSync(where) : '(absent)')
    hash.update('\0')
  }
  return hash.digest('hex')
}

/** The build's inputs: src/, the build scripts, tsconfig, the lockfiles, and package.json without its version. */
export function inputsHash(root) {
  const hash = createHash('sha256')
  hash.update(hashFiles(root, [...BUILD_FILES, ...BUILD_DIRS.flatMap(dir => filesUnder(root, dir))]))
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
  delete pkg.version
  hash.update(JSON.stringify(pkg))
  return hash.digest('hex')
}

export function distHash(root) {
  return hashFiles(root, filesUnder(root, 'dist'))
}

/** Records that dist/ under root, as it is now, was found equal to a build of the inputs hashed as `inputs`. */
export function recordCheckedBuild(root, inputs) {
  const file = recordPath(root)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify({ inputs, dist: distHash(root) }) + '\n')
}

/** True when a check recorded dist/ as built from these very inputs, and dist/ has not changed since. */
export function checkedBuildIsCurrent(root) {
  const file = recordPath(root)
  if (!existsSync(file)) return false
  let record
  try {
    record = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return false
  }
  return record?.inputs === inputsHash(root) && record?.dist === distHash(root)
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { root: { type: 'string' } } })
  if (positionals[0] !== 'inputs') {
    console.error('usage: node scripts/dist-record.js inputs [--root DIR]')
    process.exit(2)
  }
  console.log(inputsHash(path.resolve(values.root ?? '.')))
}
