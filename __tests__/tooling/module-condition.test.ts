// The bundle reads packages' exports as webpack's own conditions would, "module" included.
import { afterEach, describe, expect, it } from '@jest/globals'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { preferModuleCondition, withModuleCondition } from '../../scripts/module-condition.js'

const require = createRequire(import.meta.url)

describe('withModuleCondition', () => {
  it('takes the ES build where "module" is the first condition to match, as in @smithy/core', () => {
    const { exports } = require('@smithy/core/package.json')
    const resolved = withModuleCondition(exports)
    expect(resolved['.']).toBe('./dist-es/index.js')
    expect(resolved['./protocols']).toBe('./dist-es/submodules/protocols/index.js')
    expect(resolved['./package.json']).toBe('./package.json')
  })

  it('keeps objects where another condition comes first, and any without "module"', () => {
    const nodeFirst = { '.': { node: './cjs.js', module: './es.js', default: './cjs.js' } }
    expect(withModuleCondition(nodeFirst)).toEqual(nodeFirst)
    const plain = { import: './index.mjs', require: './index.cjs' }
    expect(withModuleCondition(plain)).toEqual(plain)
    expect(withModuleCondition('./index.js')).toBe('./index.js')
  })

  it('looks past conditions ncc does not match, and into nested and array targets', () => {
    expect(withModuleCondition({ types: './index.d.ts', browser: './b.js', module: { import: './es.mjs' }, node: './cjs.js' })).toEqual({ import: './es.mjs' })
    expect(withModuleCondition({ './a': [{ module: './a.mjs', require: './a.cjs' }, './a.js'] })).toEqual({ './a': ['./a.mjs', './a.js'] })
  })
})

describe('preferModuleCondition', () => {
  let restore = () => {}
  afterEach(() => restore())

  function packageJson(json: object): string {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'module-condition-')), 'node_modules', 'pkg')
    mkdirSync(dir, { recursive: true })
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify(json))
    return path.join(dir, 'package.json')
  }

  const read = (file: string, ...options: [] | ['utf8']) =>
    new Promise<string>((resolve, reject) =>
      (fs.readFile as (...args: unknown[]) => void)(file, ...options, (error: Error | null, data: Buffer | string) =>
        error ? reject(error) : resolve(String(data))
      )
    )

  it('shows a package.json under node_modules with its exports resolved, and names the package', async () => {
    const file = packageJson({ name: 'pkg', exports: { '.': { module: './es.js', node: './cjs.js' } } })
    const condition = preferModuleCondition()
    restore = condition.restore
    expect(JSON.parse(await read(file)).exports).toEqual({ '.': './es.js' })
    expect(JSON.parse(await read(file, 'utf8')).exports).toEqual({ '.': './es.js' })
    expect(condition.changed()).toEqual(['pkg'])
  })

  it('leaves other files and unchanged packages as they are, and restore() ends it', async () => {
    const untouched = { name: 'other', exports: { '.': { node: './cjs.js', module: './es.js' } } }
    const file = packageJson(untouched)
    const condition = preferModuleCondition()
    expect(JSON.parse(await read(file))).toEqual(untouched)
    expect(condition.changed()).toEqual([])
    condition.restore()
    const changing = packageJson({ name: 'pkg', exports: { module: './es.js', node: './cjs.js' } })
    expect(JSON.parse(await read(changing)).exports).toEqual({ module: './es.js', node: './cjs.js' })
    expect(condition.changed()).toEqual([])
  })
})
