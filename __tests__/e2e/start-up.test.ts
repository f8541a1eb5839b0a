import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { awsEnv, baseInputs, expectNoLeaks, expectOneLineFailure, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

// docs/performance.md: a bad input ends the run having loaded only the input parser; everything else is a lazy
// chunk loaded when the run needs it, and a refresh loads neither undici's fetch nor its WebSocket, nor the
// OIDC client of @actions/core. A module hook records every file of dist/ the bundle loads.

let ecr: Ecr
let pipecat: Pipecat
let dir: string

beforeAll(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  dir = await mkdtemp(join(tmpdir(), 'start-up-'))
  await writeFile(
    join(dir, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs'\n" +
      'export async function load(url, context, next) {\n' +
      "  if (url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, url + '\\n')\n" +
      '  return next(url, context)\n' +
      '}\n'
  )
  // Records, on stderr, the V8 flags the bundle sets and each WebAssembly compile (undici's HTTP parser).
  await writeFile(
    join(dir, 'v8-probe.cjs'),
    "const v8 = require('node:v8')\n" +
      'const setFlags = v8.setFlagsFromString\n' +
      'let mark\n' +
      'v8.setFlagsFromString = flags => { mark ??= process.moduleLoadList.length; process.stderr.write(`v8 flags: ${flags}\\n`); return setFlags(flags) }\n' +
      "const builtIns = list => list.filter(m => m.startsWith('NativeModule ')).map(m => m.slice(13)).join(' ')\n" +
      "process.on('exit', () => { if (mark !== undefined) process.stderr.write(`built-ins after the flags: ${builtIns(process.moduleLoadList.slice(mark))}\\n`) })\n" +
      'const compile = WebAssembly.compile\n' +
      "WebAssembly.compile = (...args) => { process.stderr.write('wasm compile\\n'); return compile(...args) }\n"
  )
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)})\n`
  )
})
afterAll(async () => {
  await Promise.all([ecr.close(), pipecat.close(), rm(dir, { recursive: true, force: true })])
})

/** Runs the bundle and gives back the files of dist/ it loaded, in order. */
async function runLogged(name: string, inputs: Record<string, string>) {
  const log = join(dir, `${name}.log`)
  await writeFile(log, '')
  const run = await runAction({
    inputs: { ...baseInputs(ecr, pipecat), ...inputs },
    env: { ...awsEnv(ecr), LOADED_LOG: log, NODE_OPTIONS: `--import ${join(dir, 'register.mjs')}` }
  })
  const loaded = (await readFile(log, 'utf8'))
    .split('\n')
    .filter(url => url.includes('/dist/'))
    .map(url => fileURLToPath(url))
  return { run, loaded }
}

/** The src/ modules in the loaded files, as their source maps name them. */
async function sourcesOf(files: string[]): Promise<string[]> {
  const sources = await Promise.all(files.map(async file => JSON.parse(await readFile(`${file}.map`, 'utf8')).sources as string[]))
  return sources
    .flat()
    .map(source => basename(source))
    .sort()
}

test('a bad input loads index.js alone: the inputs, their errors and the image reference parser', async () => {
  const { run, loaded } = await runLogged('bad-input', { 'aws-account-id': '12345678901' })

  expectOneLineFailure(run, /^Input aws-account-id is "12345678901", 11 digits instead of 12/)
  expect(loaded.map(file => basename(file))).toEqual(['index.js'])
  expect(await sourcesOf(loaded)).toEqual(['errors.ts', 'image.ts', 'index.ts', 'inputs.ts'])
  expectNoLeaks(run, secretsOf(ecr, pipecat))
})

test('a refresh loads the chunks it uses and none of the alert, registry, agents or config file, nor fetch, WebSocket or OIDC', async () => {
  const { run, loaded } = await runLogged('refresh', { 'wait-for-ready': 'false' })

  expect(run.code).toBe(0)
  const sources = await sourcesOf(loaded)
  expect(sources).toEqual(expect.arrayContaining(['main.ts', 'ecr.ts', 'pipecat.ts', 'http.ts']))
  for (const unused of ['alert.ts', 'registry.ts', 'agents.ts', 'config-file.ts', 'deploy-config.ts']) expect(sources).not.toContain(unused)
  // What undici's fetch throws, the header its WebSocket handshake sends, and what the OIDC client reads.
  const code = (await Promise.all(loaded.map(file => readFile(file, 'utf8')))).join('\n')
  for (const marker of ["'fetch failed'", '"fetch failed"', 'sec-websocket-key', 'ACTIONS_ID_TOKEN_REQUEST_URL']) expect(code).not.toContain(marker)
  expectNoLeaks(run, secretsOf(ecr, pipecat))
})

test('the markers the refresh test looks for are in dist/, so their absence from a refresh means something', async () => {
  const { readdir } = await import('node:fs/promises')
  const all = (await Promise.all((await readdir('dist')).filter(file => file.endsWith('.js')).map(file => readFile(join('dist', file), 'utf8')))).join('\n')
  expect(all).toMatch(/["']fetch failed["']/)
  expect(all).toContain('sec-websocket-key')
})

test('WebAssembly tier-up is switched off before undici compiles its parser, and no HTTP or TLS built-in loads after that', async () => {
  const run = await runAction({
    inputs: { ...baseInputs(ecr, pipecat), 'wait-for-ready': 'false' },
    env: { ...awsEnv(ecr), NODE_OPTIONS: `--require ${join(dir, 'v8-probe.cjs')}` }
  })

  expect(run.code).toBe(0)
  const events = run.stderr.split('\n').filter(line => line.startsWith('v8 flags: ') || line === 'wasm compile')
  expect(events.slice(0, 2).sort()).toEqual(['v8 flags: --no-wasm-dynamic-tiering', 'v8 flags: --no-wasm-tier-up'])
  expect(events.slice(2)).toContain('wasm compile')
  // Node compiles a built-in again when it loads after V8's flags change (src/start-up/wasm-tiering.ts loads
  // the HTTP and TLS ones first): a built-in a dependency update adds there belongs in that file's list.
  const line = run.stderr.split('\n').find(line => line.startsWith('built-ins after the flags:'))
  expect(line).toBeDefined()
  const after = line!.slice('built-ins after the flags:'.length).trim().split(' ')
  expect(after.filter(name => /^(_http_|_tls_|https?$|http2$|net$|tls$|assert$|internal\/(http|http2|tls|net)\b)/.test(name))).toEqual([])
  expectNoLeaks(run, secretsOf(ecr, pipecat))
})
