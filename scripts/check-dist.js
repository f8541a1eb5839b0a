#!/usr/bin/env node
// dist/ is what runs when a workflow uses this action: GitHub builds nothing. So the committed dist/ must be
// exactly what the build makes from src/, byte for byte, with no file missing and none left over.
// Usage: node scripts/check-dist.js   (used by npm run release:check, which npm test runs)
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

export const STALE_FIX = "run 'npm run bundle' and commit dist/"

/** Builds src/ under root the way `npm run bundle` does, into a new temporary directory; returns its dist/ and a cleanup. */
export function buildFresh(root) {
  const dir = mkdtempSync(path.join(tmpdir(), 'fresh-dist-'))
  const dist = path.join(dir, 'dist')
  execFileSync(process.execPath, [path.join(root, 'scripts/bundle.js'), dist], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  return { dist, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(entry => entry.isFile())
    .map(entry => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

/** What differs between the committed dist and a fresh build, one phrase per file; empty when they are the same. */
export function compareDist(committed, fresh) {
  const have = new Set(filesUnder(committed))
  const want = new Set(filesUnder(fresh))
  const problems = []
  for (const file of want) {
    if (!have.has(file)) problems.push(`dist/${file} is missing`)
    else if (!readFileSync(path.join(committed, file)).equals(readFileSync(path.join(fresh, file)))) problems.push(`dist/${file} differs`)
  }
  for (const file of have) if (!want.has(file)) problems.push(`dist/${file} is not built from src/`)
  return problems
}

/** One line for the user: what is stale and how to fix it; undefined when dist/ is up to date. */
export function distProblem(committed, fresh) {
  const problems = compareDist(committed, fresh)
  if (problems.length === 0) return undefined
  const shown = problems.slice(0, 3).join(', ') + (problems.length > 3 ? ` and ${problems.length - 3} more` : '')
  return `dist/ is not what the build makes from src/ (${shown}): ${STALE_FIX}`
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const root = process.cwd()
  const fresh = buildFresh(root)
  try {
    const problem = distProblem(path.join(root, 'dist'), fresh.dist)
    if (problem) {
      console.error(problem)
      process.exitCode = 1
    } else console.log('dist/ is up to date')
  } finally {
    fresh.remove()
  }
}
