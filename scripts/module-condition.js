// Start-up trick of the build (src/start-up/README.md), used by ncc-build.js.
// Buys: 34 ms of a full refresh on node24 (median; quartiles 8-71 ms; CPU 39 ± 9 ms), measured 2026-12-07
// against a build without it. Breaks when: ncc reads package.json another way (the build fails, naming this
// file), or the SDK's packages stop listing "module" first (__tests__/tooling/module-condition.test.ts fails), or
// dist/ holds a CommonJS build of the SDK's core again (__tests__/start-up/start-up-layer.test.ts fails).
// ncc resolves package exports with the conditions import/require, node and production only, where
// webpack itself also sets "module". Packages such as @smithy/core and @aws-sdk/core list "module" (their ES
// build) before "node" (their CommonJS build), so under ncc every import of them pulls in a whole
// CommonJS submodule that webpack cannot trim: about half of the AWS SDK's chunk for one call.
// ncc has no option for conditions, so its reads of package.json files are shown the exports as webpack's
// own conditions would resolve them: where "module" is the first condition to match, it is the target.
import fs from 'node:fs'

// Every condition that may match under ncc, and "module", which it leaves out.
const CONDITIONS = new Set(['import', 'require', 'node', 'production', 'default', 'module'])

/** The exports field with each conditional object whose first matching key is "module" replaced by that target. */
export function withModuleCondition(exports) {
  if (Array.isArray(exports)) return exports.map(withModuleCondition)
  if (!exports || typeof exports !== 'object') return exports
  const entries = Object.entries(exports)
  if (entries.some(([key]) => key.startsWith('.'))) return Object.fromEntries(entries.map(([key, value]) => [key, withModuleCondition(value)]))
  const first = entries.find(([key]) => CONDITIONS.has(key))
  if (first?.[0] === 'module') return withModuleCondition(first[1])
  return Object.fromEntries(entries.map(([key, value]) => [key, withModuleCondition(value)]))
}

/**
 * Until restore(), package.json files under node_modules read with fs.readFile (as webpack's resolver reads
 * them) show their exports resolved as above. changed() names the packages changed so far, so the build can
 * fail rather than quietly bundle the CommonJS builds if ncc ever reads them another way.
 */
export function preferModuleCondition() {
  const changed = new Set()
  const readFile = fs.readFile
  fs.readFile = function (path, ...rest) {
    const callback = rest.at(-1)
    if (typeof callback !== 'function' || !/[\\/]node_modules[\\/].*[\\/]package\.json$/.test(String(path))) return readFile.call(fs, path, ...rest)
    return readFile.call(fs, path, ...rest.slice(0, -1), (error, data) => {
      if (error) return callback(error)
      let json
      try {
        json = JSON.parse(data)
      } catch {
        return callback(null, data)
      }
      if (!json?.exports) return callback(null, data)
      const exports = withModuleCondition(json.exports)
      if (JSON.stringify(exports) === JSON.stringify(json.exports)) return callback(null, data)
      changed.add(json.name)
      const text = JSON.stringify({ ...json, exports })
      callback(null, typeof data === 'string' ? text : Buffer.from(text))
    })
  }
  return {
    changed: () => [...changed],
    restore: () => {
      fs.readFile = readFile
    }
  }
}
