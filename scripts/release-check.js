#!/usr/bin/env node
// npm run release:check -- X.Y.Z: proves, without pushing or writing anything, what the release workflow
// needs before it tags X.Y.Z: a well-formed version, package.json at that version, a dated CHANGELOG.md
// entry, action.yml running dist/index.js on node24, dist/ exactly what the build makes from src/, and
// `npm pack` publishing the action and the command-line tool (dist/, action.yml) and nothing else.
// --root DIR checks another copy of the repository; --built DIR compares with a dist/ built before, and with
// --built-from HASH (what `node scripts/dist-record.js inputs` printed before that build) records the result.
// When the test command (or an earlier release:check) found dist/ current and neither dist/ nor anything the
// build reads has changed since, dist/ is not built again (scripts/dist-record.js).
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { parse as parseYaml } from 'yaml'
import { changelogEntry } from './changelog.js'
import { buildFresh, distProblem } from './check-dist.js'
import { checkedBuildIsCurrent, inputsHash, recordCheckedBuild } from './dist-record.js'

const RUNTIME = { using: 'node24', main: 'dist/index.js' }

/** The version without the tag's leading v, or the problem with it. A release is X.Y.Z as semver writes it. */
export function parseVersion(given) {
  const version = given.replace(/^v/, '')
  const example = 'e.g. npm run release:check -- 1.2.3'
  if (given === '') return { problem: `no version given: name the release as X.Y.Z, ${example}` }
  if (/^\d+$/.test(version)) {
    return { problem: `'${given}' is a major version, not a release: give all of X.Y.Z (the release moves v${version} itself), ${example}` }
  }
  if (/^\d+\.\d+$/.test(version)) return { problem: `'${given}' has two numbers, a release has three: give X.Y.Z, ${example}` }
  if (/^\d+\.\d+\.\d+$/.test(version) && /(^|\.)0\d/.test(version)) {
    return { problem: `'${given}' has a leading zero, which semver forbids: write ${version.split('.').map(Number).join('.')}` }
  }
  if (/^\d+\.\d+\.\d+[-+]/.test(version)) {
    return { problem: `'${given}' is a pre-release or build version; only X.Y.Z releases are made here (they move the major tag): drop the suffix` }
  }
  if (!/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(version)) return { problem: `'${given}' is not a version X.Y.Z: ${example}` }
  return { version }
}

function readText(root, file) {
  const where = path.join(root, file)
  return existsSync(where) ? readFileSync(where, 'utf8') : undefined
}

/** Every check but dist/: [passed message, or problem] per check. */
export function checkSources(root, given) {
  const results = []
  const parsed = parseVersion(given)
  results.push('problem' in parsed ? { problem: parsed.problem } : { ok: `version ${parsed.version} is X.Y.Z` })

  const version = parsed.version
  const packageVersion = JSON.parse(readText(root, 'package.json') ?? '{}').version
  if (version !== undefined) {
    results.push(
      packageVersion === version
        ? { ok: `package.json is at ${version}` }
        : { problem: `package.json is at ${packageVersion}, not ${version}: set "version": "${version}" (npm version ${version} --no-git-tag-version)` }
    )
    const changelog = readText(root, 'CHANGELOG.md')
    const entry = changelog === undefined ? { problem: 'CHANGELOG.md is missing: add one (Keep a Changelog)' } : changelogEntry(changelog, version)
    results.push('problem' in entry ? { problem: entry.problem } : { ok: `CHANGELOG.md has ${version}, dated ${entry.date}` })
  }

  const runs = parseYaml(readText(root, 'action.yml') ?? '')?.runs ?? {}
  results.push(
    runs.using === RUNTIME.using && runs.main === RUNTIME.main
      ? { ok: `action.yml runs ${RUNTIME.main} on ${RUNTIME.using}` }
      : {
          problem: `action.yml runs ${runs.main ?? 'nothing'} on ${runs.using ?? 'nothing'}, not ${RUNTIME.main} on ${RUNTIME.using}: set runs.using: ${RUNTIME.using} and runs.main: ${RUNTIME.main}`
        }
  )
  return results
}

// npm adds package.json, the README and the license to every package; "files" adds dist/ and action.yml.
const PACKAGE_FILES = ['package.json', 'README.md', 'LICENSE', 'action.yml']

/** What `npm pack` would publish from root: dist/ with the action and the bin, the package files, nothing else. */
export function checkPackage(root) {
  const manifest = JSON.parse(readText(root, 'package.json') ?? '{}')
  let files
  try {
    const [report] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    )
    files = report.files.map(file => file.path)
  } catch (error) {
    return [
      {
        problem: `npm pack --dry-run failed (${
          String(error.stderr ?? error.message)
            .trim()
            .split('\n')[0]
        }): fix package.json until it packs`
      }
    ]
  }
  const results = []
  const stray = files.filter(file => !file.startsWith('dist/') && !PACKAGE_FILES.includes(file))
  if (stray.length) {
    const shown = stray.slice(0, 3).join(', ') + (stray.length > 3 ? ` and ${stray.length - 3} more` : '')
    results.push({
      problem: `npm pack would publish ${shown}, which neither the action nor the command line runs: keep "files" in package.json to dist/ and action.yml`
    })
  }
  const needed = ['dist/index.js', 'action.yml', ...Object.values(manifest.bin ?? {}).map(bin => path.posix.normalize(bin))]
  const missing = needed.filter(file => !files.includes(file))
  if (missing.length) results.push({ problem: `npm pack would not publish ${missing.join(', ')}: add it to "files" in package.json, and run npm run bundle` })
  const installed = ['dependencies', 'optionalDependencies', 'peerDependencies'].filter(field => Object.keys(manifest[field] ?? {}).length)
  if (installed.length) {
    results.push({
      problem: `package.json has ${installed.join(' and ')}, which every install of the package would download although dist/ bundles what it runs: make them devDependencies`
    })
  }
  if (manifest.private) results.push({ problem: 'package.json is private, so npm publish refuses it: remove "private"' })
  return results.length
    ? results
    : [{ ok: `npm pack publishes dist/ (the action and ${Object.values(manifest.bin ?? {}).join(', ')}) and action.yml, ${files.length} files, nothing else` }]
}

export function checkDist(root, built, builtFrom) {
  if (!built && checkedBuildIsCurrent(root)) {
    return { ok: 'dist/ is exactly what the build makes from src/ (as checked before: nothing the build reads, and nothing in dist/, changed since)' }
  }
  const inputs = built ? builtFrom : inputsHash(root)
  const fresh = built ? { dist: built, remove: () => {} } : buildFresh(root)
  try {
    const problem = distProblem(path.join(root, 'dist'), fresh.dist)
    if (problem) return { problem }
    if (inputs) recordCheckedBuild(root, inputs)
    return { ok: 'dist/ is exactly what the build makes from src/' }
  } finally {
    fresh.remove()
  }
}

function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { root: { type: 'string' }, built: { type: 'string' }, 'built-from': { type: 'string' } }
  })
  const root = path.resolve(values.root ?? '.')
  const results = [
    ...checkSources(root, positionals[0] ?? ''),
    ...checkPackage(root),
    checkDist(root, values.built && path.resolve(values.built), values['built-from'])
  ]
  for (const result of results) {
    if ('ok' in result) console.log(`ok: ${result.ok}`)
    else console.error(`release:check: ${result.problem}`)
  }
  const failed = results.filter(result => 'problem' in result).length
  if (failed > 0) {
    console.error(`release:check: ${failed} problem(s); nothing was tagged or pushed`)
    process.exitCode = 1
  } else console.log(`release:check: ready to tag v${positionals[0].replace(/^v/, '')}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main()
