// The start-up layer (src/start-up/README.md; what each trick buys: docs/performance.md, "The start-up layer").
// Each trick leans on something its dependency does not promise: a private module path, a V8 flag, the shape
// of ncc's output. A test per trick holds that, so a dependency update that breaks one fails here, naming the
// package and what to do, rather than quietly making every run slower.
// Also covering the layer: __tests__/e2e/start-up.test.ts (what a run loads, and the flags set before undici
// compiles its parser) and __tests__/tooling/module-condition.test.ts (the exports rewrite, on @smithy/core's own).
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { findNode24 } from '../../scripts/node24.js'

const require = createRequire(import.meta.url)
const versionOf = (name: string): string => (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version
const SEE = 'see docs/performance.md, "The start-up layer"'

/** Runs check; a failure is thrown again under what it means for the trick and what to do about it. */
async function holds(meaning: string, check: () => void | Promise<void>): Promise<void> {
  try {
    await check()
  } catch (error) {
    throw new Error(`${meaning}\n\n${error instanceof Error ? error.message : String(error)}`)
  }
}

/** The bundle's files: the action's (dist/) and the command-line tool's (dist/cli/). */
function bundleFiles(): { file: string; code: string }[] {
  return ['dist', 'dist/cli'].flatMap(dir =>
    readdirSync(dir)
      .filter(name => name.endsWith('.js'))
      .map(name => ({ file: path.join(dir, name), code: readFileSync(path.join(dir, name), 'utf8') }))
  )
}

/** The one file of dist/ that holds every marker: where the bundle put the module they come from. */
function chunkWith(...markers: string[]): { file: string; code: string } {
  const found = bundleFiles().filter(({ file, code }) => path.dirname(file) === 'dist' && markers.every(marker => code.includes(marker)))
  if (found.length !== 1) throw new Error(`expected one file of dist/ with ${markers.join(' and ')}, found ${found.length}: run npm run bundle`)
  return found[0]
}

describe('@actions/core by its private modules (src/start-up/core.ts)', () => {
  const MOVED = `@actions/core ${versionOf('@actions/core')} changed its internal layout: update src/start-up/core.ts or drop the trick (import from '@actions/core'), ${SEE}`

  it('still has the modules core.ts imports, exporting what it uses', async () => {
    await holds(MOVED, async () => {
      const lib = '../../node_modules/@actions/core/lib'
      const modules = {
        'command.js': ['issueCommand'],
        'file-command.js': ['issueFileCommand', 'prepareKeyValueMessage'],
        'utils.js': ['toCommandProperties', 'toCommandValue'],
        'summary.js': ['summary']
      }
      for (const [file, names] of Object.entries(modules)) {
        const exported = (await import(`${lib}/${file}`)) as Record<string, unknown>
        for (const name of names)
          expect(`${file}: ${name} is ${typeof exported[name]}`).toBe(`${file}: ${name} is ${name === 'summary' ? 'object' : 'function'}`)
      }
    })
  })

  describe("writes what the package's own functions write", () => {
    let written: string[] = []
    const originalExitCode = process.exitCode
    afterEach(() => {
      jest.restoreAllMocks()
      process.exitCode = originalExitCode
    })

    /** What fn writes to stdout and to GITHUB_OUTPUT, the random delimiter of a multi-line value made fixed. */
    function capture(fn: () => void): string {
      written = []
      const output = path.join(mkdtempSync(path.join(tmpdir(), 'start-up-core-')), 'output')
      writeFileSync(output, '')
      const saved = process.env['GITHUB_OUTPUT']
      process.env['GITHUB_OUTPUT'] = output
      jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
        written.push(String(chunk))
        return true
      })
      try {
        fn()
      } finally {
        jest.restoreAllMocks()
        if (saved === undefined) delete process.env['GITHUB_OUTPUT']
        else process.env['GITHUB_OUTPUT'] = saved
      }
      return (written.join('') + readFileSync(output, 'utf8')).replace(/ghadelimiter_[0-9a-f-]+/g, 'ghadelimiter_X')
    }

    it('for every function a run uses', async () => {
      const ours = await import('../../src/start-up/core.js')
      const theirs = await import('@actions/core')
      const properties = { title: 'a: title', file: 'src/x.ts', startLine: 3, startColumn: 7 }
      const calls: [string, (core: typeof ours) => void][] = [
        ['info', core => core.info('some text, 100%')],
        ['debug', core => core.debug('a%b\r\nc')],
        ['setSecret', core => core.setSecret('s3cr%t\nline')],
        ['notice', core => core.notice('notice: a, b', properties)],
        ['warning', core => core.warning('warning\nsecond line', properties)],
        ['error', core => core.error('error: 50%', {})],
        ['setFailed', core => core.setFailed('it failed: a::b')],
        ['setOutput', core => core.setOutput('expires-at', 'line one\nline two')]
      ]
      await holds(MOVED.replace('changed its internal layout', 'changed what its functions write'), () => {
        for (const [name, call] of calls) {
          expect(`${name}: ${capture(() => call(ours))}`).toBe(`${name}: ${capture(() => call(theirs as unknown as typeof ours))}`)
        }
        expect(ours.summary).toBe(theirs.summary)
      })
    })
  })

  it("keeps the package's index out of the bundle: no undici WebSocket beside the job summary", async () => {
    await holds(`dist/ holds all of @actions/core again (its index brings @actions/http-client and all of undici): ${MOVED}`, () => {
      const { file, code } = chunkWith('GITHUB_STEP_SUMMARY')
      expect(`${file}: ${code.includes('sec-websocket-key') ? 'has' : 'has no'} sec-websocket-key`).toBe(`${file}: has no sec-websocket-key`)
    })
  })
})

describe('undici by its private modules (src/start-up/undici.ts)', () => {
  const MOVED = `undici ${versionOf('undici')} changed its internal layout: update src/start-up/undici.ts and src/start-up/undici-parts.d.ts or drop the trick (import from 'undici'), ${SEE}`

  it("still has the modules undici.ts imports, and they are the ones undici's index exports", async () => {
    await holds(MOVED, () => {
      const undici = require('undici') as Record<string, unknown> & { Dispatcher: { prototype: Record<string, unknown> } }
      expect(require('undici/lib/dispatcher/pool.js')).toBe(undici.Pool)
      expect(require('undici/lib/dispatcher/env-http-proxy-agent.js')).toBe(undici.EnvHttpProxyAgent)
      expect(require('undici/lib/core/connect.js')).toBe(undici.buildConnector)
      expect(require('undici/lib/dispatcher/dispatcher.js')).toBe(undici.Dispatcher)
      // undici.ts puts the request API on every dispatcher, as the index does: the same methods, request among them.
      const api = require('undici/lib/api/index.js') as Record<string, unknown>
      expect(Object.keys(api)).toEqual(expect.arrayContaining(['request', 'connect']))
      for (const [name, method] of Object.entries(api)) expect(undici.Dispatcher.prototype[name]).toBe(method)
    })
  })

  it('keeps fetch and WebSocket out of the chunk that holds the HTTP client', async () => {
    await holds(`dist/ holds all of undici again beside its pool: ${MOVED}`, () => {
      const { file, code } = chunkWith('invalid connections')
      for (const marker of ['fetch failed', 'sec-websocket-key']) {
        expect(`${file}: ${code.includes(marker) ? 'has' : 'has no'} ${marker}`).toBe(`${file}: has no ${marker}`)
      }
    })
  })
})

describe('WebAssembly tier-up switched off (src/start-up/wasm-tiering.ts)', () => {
  const node24 = findNode24()
  const FLAGS = [...readFileSync('src/start-up/wasm-tiering.ts', 'utf8').matchAll(/setFlagsFromString\('([^']+)'\)/g)].map(match => match[1])
  const CHANGED = (what: string) =>
    `node24 (${node24 ? execFileSync(node24.path, ['--version'], { encoding: 'utf8' }).trim() : 'missing'}) ${what}: update src/start-up/wasm-tiering.ts or drop the trick, ${SEE}`
  const run = node24 ? it : it.skip

  run('node24 still accepts both V8 flags (setFlagsFromString ignores a flag V8 no longer has; the command line does not)', async () => {
    await holds(CHANGED('no longer has a flag src/start-up/wasm-tiering.ts sets'), () => {
      expect(FLAGS.length).toBeGreaterThan(0)
      for (const flag of FLAGS) execFileSync(node24!.path, [flag, '-e', '0'], { stdio: 'pipe' })
    })
  })

  run('a hot WebAssembly function stays on the baseline compiler once wasm-tiering.ts has run, and is optimised without it', async () => {
    // A wasm function called two million times, then asked which compiler's code it runs (V8's test natives).
    const probe = path.join(mkdtempSync(path.join(tmpdir(), 'start-up-wasm-')), 'probe.cjs')
    writeFileSync(
      probe,
      '// (module (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add))\n' +
        'const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,6,1,96,1,127,1,127,3,2,1,0,7,5,1,1,102,0,0,10,9,1,7,0,32,0,65,1,106,11])\n' +
        'const { f } = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports\n' +
        'let x = 0\n' +
        'for (let i = 0; i < 2e6; i++) x = f(x)\n' +
        'setTimeout(() => console.log(%IsTurboFanFunction(f) ? "optimised" : "baseline"), 200)\n'
    )
    const compiledBy = (...preload: string[]) =>
      execFileSync(node24!.path, ['--allow-natives-syntax', '--no-warnings', ...preload, probe], { encoding: 'utf8' }).trim()
    await holds(CHANGED('optimises WebAssembly with these flags set, or the probe no longer tells'), () => {
      expect(compiledBy()).toBe('optimised')
      expect(compiledBy('--import', './src/start-up/wasm-tiering.ts')).toBe('baseline')
    })
  })
})

describe('the build (scripts/ncc-build.js)', () => {
  it('minifies every file of the bundle, the chunks too (ncc minifies only the entry)', async () => {
    await holds(`ncc's chunks are no longer minified: update the chunk pattern in scripts/ncc-build.js (ncc ${versionOf('@vercel/ncc')}), ${SEE}`, () => {
      const chunks = bundleFiles()
      expect(chunks.length).toBeGreaterThan(10)
      for (const { file, code } of chunks) {
        const lines = code.split('\n').length
        expect(`${file}: ${lines <= 3 && !code.includes('/***/') ? 'minified' : `${lines} lines`}`).toBe(`${file}: minified`)
      }
    })
  })

  it("registers no source-map-support: a debug run turns on Node's own source maps", async () => {
    await holds(`ncc (${versionOf('@vercel/ncc')}) added its source map register again: check sourceMapRegister in scripts/ncc-build.js, ${SEE}`, () => {
      const files = bundleFiles()
      expect(files.map(({ file }) => file)).not.toContain('dist/sourcemap-register.js')
      for (const { file, code } of files)
        expect(`${file}: ${code.includes('sourcemap-register') ? 'loads' : 'does not load'} sourcemap-register`).toBe(
          `${file}: does not load sourcemap-register`
        )
    })
  })
})

describe('packages bundled from their ES builds (mainFields in scripts/ncc-build.js, scripts/module-condition.js)', () => {
  const everything = () => bundleFiles().map(({ code }) => code)

  it("takes @aws-sdk/client-ecr's ES build (mainFields): none of the ECR models a run never uses", async () => {
    await holds(
      `dist/ holds @aws-sdk/client-ecr's CommonJS build, every model in it: check mainFields in scripts/ncc-build.js (ncc ${versionOf('@vercel/ncc')}), ${SEE}`,
      () => {
        for (const code of everything()) expect(code.includes('AwsEcrContainerImageDetails') ? 'has the model' : 'no model').toBe('no model')
      }
    )
  })

  it("takes the ES builds of the SDK's core packages (the module condition): no SigV4a signer", async () => {
    await holds(
      `dist/ holds a CommonJS submodule of @smithy/core or @aws-sdk/core: check scripts/module-condition.js (ncc ${versionOf('@vercel/ncc')}), ${SEE}`,
      () => {
        for (const code of everything()) expect(code.includes('AWS4-ECDSA-P256-SHA256') ? 'has the SigV4a signer' : 'no SigV4a signer').toBe('no SigV4a signer')
      }
    )
  })
})
