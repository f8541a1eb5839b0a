import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { expectNoLeaks, expectOneLineFailure, runAction } from './harness.js'

// dist/ ships source maps, and a debug run (RUNNER_DEBUG=1) turns them on: its stack traces name the
// src/ file and line. The run fails for want of AWS credentials, before any request; a preloaded script
// prints the stack at the moment the failure is reported, from inside the bundle's own call chain.

const API_TOKEN = 'pk_source_maps_0123456789abcdef'
let dir: string
let preload: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'source-maps-'))
  preload = join(dir, 'stack-at-failure.cjs')
  await writeFile(
    preload,
    [
      'const write = process.stdout.write.bind(process.stdout)',
      'process.stdout.write = (chunk, ...rest) => {',
      "  if (String(chunk).startsWith('::error::')) process.stderr.write(new Error('stack at the failure').stack + '\\n')",
      '  return write(chunk, ...rest)',
      '}'
    ].join('\n')
  )
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function run(env: Record<string, string>) {
  return runAction({
    inputs: {
      'aws-account-id': '123456789012',
      'aws-region': 'us-east-1',
      'secret-name': 'my-ecr-credentials',
      'pipecat-api-token': API_TOKEN,
      // Never reached: the run stops at the missing AWS credentials.
      'pipecat-api-url': 'http://127.0.0.1:9'
    },
    env: { NODE_OPTIONS: `--require ${preload}`, ...env }
  })
}

const frames = (stderr: string) => stderr.split('\n').filter(line => /^\s+at /.test(line))

test('a debug run points its stack traces at src/', async () => {
  const result = await run({ RUNNER_DEBUG: '1' })

  expectOneLineFailure(result, /^No AWS credentials found/)
  expect(frames(result.stderr)).toContainEqual(expect.stringContaining(`${resolve('src/run/main.ts')}:`))
  expect(result.stderr).toMatch(/\/src\/run\/main\.ts:\d+:\d+\)$/m)
  expectNoLeaks(result, [API_TOKEN])
})

test('other runs leave them off, so start-up does not pay for reading maps', async () => {
  const result = await run({})

  expectOneLineFailure(result, /^No AWS credentials found/)
  expect(frames(result.stderr)).toContainEqual(expect.stringMatching(/dist\/\d+\.index\.js:\d+:\d+\)?$/))
  expect(result.stderr).not.toContain('/src/')
  expectNoLeaks(result, [API_TOKEN])
})

test('the shipped maps hold positions in src/ only: no source text, no names, nothing of node_modules', async () => {
  const maps = (await readdir('dist')).filter(file => file.endsWith('.js.map'))
  const scripts = (await readdir('dist')).filter(file => file.endsWith('.js'))
  expect(maps.sort()).toEqual(scripts.map(file => `${file}.map`).sort())
  for (const file of maps) {
    const map = JSON.parse(await readFile(join('dist', file), 'utf8'))
    expect(Object.keys(map).filter(key => !['version', 'file', 'sources', 'mappings'].includes(key))).toEqual([])
    for (const source of map.sources) expect(source).toMatch(/^\.\.\/src\/(?:[\w-]+\/)*[\w-]+\.ts$/)
  }
})
