import { jest } from '@jest/globals'
import type { Inputs } from '../src/common/inputs.js'
import type { CliOptions } from '../src/hosts/cli-host.js'
import type { Host } from '../src/hosts/host.js'
import { helpText, parseCommandLine } from '../src/hosts/cli-args.js'

// src/cli.ts does its work at the top level, on process.argv and process.env: each case sets them, imports the
// module afresh, and reads what it wrote and the exit code it left. The run and the host are stand-ins, so a good
// command line reaches run() and nothing goes over the network.

const host = { onGitHub: false } as Host
const run = jest.fn<(inputs: Inputs, host: Host) => Promise<void>>(async () => undefined)
const cliHost = jest.fn<(options: CliOptions) => Host>(() => host)
jest.unstable_mockModule('../src/run/main.js', () => ({ run }))
jest.unstable_mockModule('../src/hosts/cli-host.js', () => ({ cliHost }))

// readInputs as it is, but for the case that makes it throw something unexpected. It is this registry's
// readInputs, so the fresh cli.ts is given this registry's errors module too: its `instanceof ActionError`
// must know the class readInputs throws.
const actualErrors = await import('../src/common/errors.js')
const actualInputs = await import('../src/common/inputs.js')
jest.unstable_mockModule('../src/common/errors.js', () => actualErrors)
const readInputs = jest.fn(actualInputs.readInputs)
jest.unstable_mockModule('../src/common/inputs.js', () => ({ ...actualInputs, readInputs }))

const REQUIRED = ['--aws-account-id', '012345678901', '--secret-name', 'my-ecr-credentials', '--aws-region', 'us-east-1']
const KEY = { PIPECAT_API_KEY: 'pk_test' }
/** Variables the command line reads: cleared for each case, so the developer's own shell cannot change a result. */
const READ = ['PIPECAT_API_KEY', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'HEARTBEAT_URL', 'HEARTBEAT_FAILURE_URL', 'RUNNER_DEBUG']

const savedArgv = process.argv
const savedEnv = { ...process.env }
let stdout: string[]
let stderr: string[]
let setSourceMapsEnabled: jest.Spied<typeof process.setSourceMapsEnabled>

beforeEach(() => {
  // The worker may have run another test file first, and process.exitCode outlives it: start from none.
  process.exitCode = undefined
  stdout = []
  stderr = []
  jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write)
  jest.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write)
  setSourceMapsEnabled = jest.spyOn(process, 'setSourceMapsEnabled').mockImplementation(() => undefined)
  run.mockClear()
  cliHost.mockClear()
  readInputs.mockClear()
})

afterEach(() => {
  jest.restoreAllMocks()
  process.argv = savedArgv
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name]
  Object.assign(process.env, savedEnv)
  process.exitCode = undefined
})

/** Runs the command line as `pipecat-ecr-pull-secret ...args` with these variables set. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<void> {
  for (const name of Object.keys(process.env)) if (READ.includes(name) || name.startsWith('INPUT_')) delete process.env[name]
  Object.assign(process.env, env)
  process.argv = ['/usr/bin/node', '/usr/lib/node_modules/pipecat-ecr-pull-secret/dist/cli/index.js', ...args]
  await jest.isolateModulesAsync(async () => {
    await import('../src/cli.js')
  })
}

/** The inputs a command line gives, by the real parser and reader, for comparing with what run() got. */
function inputsOf(args: string[], env: Record<string, string>): Inputs {
  const commandLine = parseCommandLine(args, { ...process.env, ...env })
  if (!('env' in commandLine)) throw new Error(`not a good command line: ${JSON.stringify(commandLine)}`)
  return actualInputs.readInputs(commandLine.env)
}

function expectNothingRun(): void {
  expect(run).not.toHaveBeenCalled()
  expect(cliHost).not.toHaveBeenCalled()
  expect(setSourceMapsEnabled).not.toHaveBeenCalled()
}

describe('--help', () => {
  test('prints the help on stdout, exits 0 and runs nothing', async () => {
    await cli(['--help'])
    expect(stdout).toEqual([helpText()])
    expect(stderr).toEqual([])
    expect(process.exitCode).toBeUndefined()
    expect(readInputs).not.toHaveBeenCalled()
    expectNothingRun()
  })

  test('wins over the rest of the command line, even a bad one', async () => {
    await cli([...REQUIRED, '--dry-run', '--help', '--no-such-option'], KEY)
    expect(stdout).toEqual([helpText()])
    expect(stderr).toEqual([])
    expect(process.exitCode).toBeUndefined()
    expectNothingRun()
  })
})

describe('a bad command line: one error line, exit code 2, nothing run', () => {
  test.each<[string, string[], Record<string, string>, string]>([
    [
      'an unknown option',
      [...REQUIRED, '--no-such-option', 'x'],
      KEY,
      "Unknown option --no-such-option: see pipecat-ecr-pull-secret --help for the inputs, which are action.yml's."
    ],
    ['no API key', REQUIRED, {}, "PIPECAT_API_KEY is not set: put your Pipecat Cloud Private API key in it, from your scheduler's secret store."],
    [
      'the API key as a flag',
      [...REQUIRED, '--pipecat-api-token', 'pk_secret'],
      KEY,
      '--pipecat-api-token is not accepted, so the key stays out of process lists and shell history: put the Pipecat Cloud Private API key in the environment variable PIPECAT_API_KEY instead.'
    ],
    [
      'no account',
      ['--secret-name', 'my-ecr-credentials', '--aws-region', 'us-east-1'],
      KEY,
      '--aws-account-id is missing: pass the 12-digit ID of the AWS account that owns the ECR registry.'
    ],
    ['a value for --json', [...REQUIRED, '--json=yes'], KEY, '--json takes no value: write --json alone.']
  ])('%s', async (_, args, env, message) => {
    await cli(args, env)
    expect(stderr).toEqual([`error: ${message}\n`])
    expect(stdout).toEqual([])
    expect(process.exitCode).toBe(2)
    expect(readInputs).not.toHaveBeenCalled()
    expectNothingRun()
    expect(stderr.join('')).not.toContain('pk_secret')
  })

  test('an argument with line breaks stays on the one error line', async () => {
    await cli(['stray\n::warning::injected\nmore', ...REQUIRED], KEY)
    expect(stderr).toHaveLength(1)
    expect(stderr[0]).toMatch(/^error: Unexpected argument "stray.*": give inputs as --<input> value \(see pipecat-ecr-pull-secret --help\)\.\n$/)
    expect(stderr[0].split('\n')).toHaveLength(2)
    expect(process.exitCode).toBe(2)
    expectNothingRun()
  })
})

describe("bad inputs: the action's own check, one error line, exit code 2, nothing run", () => {
  test.each<[string, string[], string]>([
    [
      'an account ID that is not one',
      ['--aws-account-id', 'abc', '--secret-name', 'my-ecr-credentials', '--aws-region', 'us-east-1'],
      'Input aws-account-id is "abc": use the 12-digit ID of the AWS account that owns the ECR registry.'
    ],
    [
      'a short account ID',
      ['--aws-account-id', '12345678901', '--secret-name', 'my-ecr-credentials', '--aws-region', 'us-east-1'],
      `Input aws-account-id is "12345678901", 11 digits instead of 12: YAML drops leading zeros from an unquoted number, so quote it (aws-account-id: '012345678901').`
    ]
  ])('%s', async (_, args, message) => {
    await cli(args, KEY)
    expect(readInputs).toHaveBeenCalledTimes(1)
    expect(stderr).toEqual([`error: ${message}\n`])
    expect(stdout).toEqual([])
    expect(process.exitCode).toBe(2)
    expectNothingRun()
  })

  test('an unexpected error reading them is still one line, exit code 2', async () => {
    readInputs.mockImplementationOnce(() => {
      throw new TypeError('cannot read this\nat somewhere')
    })
    await cli(REQUIRED, KEY)
    expect(stderr).toEqual(['error: Unexpected error (TypeError: cannot read this); rerun, and report it with this log if it persists.\n'])
    expect(stdout).toEqual([])
    expect(process.exitCode).toBe(2)
    expectNothingRun()
  })
})

describe('a good command line: the run, with the parsed inputs and the command-line host', () => {
  test('plain: no JSON, no debug', async () => {
    const args = [...REQUIRED, '--pipecat-region', 'us-west', '--dry-run']
    await cli(args, KEY)
    expect(cliHost).toHaveBeenCalledTimes(1)
    expect(cliHost).toHaveBeenCalledWith({ json: false, debug: false })
    expect(run).toHaveBeenCalledTimes(1)
    expect(run).toHaveBeenCalledWith(inputsOf(args, KEY), host)
    expect(run.mock.calls[0][0]).toMatchObject({
      accountId: '012345678901',
      awsRegion: 'us-east-1',
      secretName: 'my-ecr-credentials',
      pipecatRegion: 'us-west',
      dryRun: true,
      apiToken: 'pk_test',
      debug: false
    })
    expect(setSourceMapsEnabled).not.toHaveBeenCalled()
    expect(stdout).toEqual([])
    expect(stderr).toEqual([])
    expect(process.exitCode).toBeUndefined()
  })

  test('--json --debug: the host prints JSON and debug lines, and stack traces point at the source', async () => {
    const args = ['--json', ...REQUIRED, '--debug']
    await cli(args, KEY)
    expect(cliHost).toHaveBeenCalledTimes(1)
    expect(cliHost).toHaveBeenCalledWith({ json: true, debug: true })
    expect(run).toHaveBeenCalledTimes(1)
    expect(run).toHaveBeenCalledWith(inputsOf(args, KEY), host)
    expect(run.mock.calls[0][0].debug).toBe(true)
    expect(setSourceMapsEnabled).toHaveBeenCalledWith(true)
    expect(process.exitCode).toBeUndefined()
  })

  test('the region and the heartbeat from the environment; RUNNER_DEBUG turns debug on as in the action', async () => {
    const args = ['--aws-account-id', '012345678901', '--secret-name', 'my-ecr-credentials']
    const env = { ...KEY, AWS_REGION: 'eu-west-1', HEARTBEAT_URL: 'https://hc-ping.com/abc', RUNNER_DEBUG: '1' }
    await cli(args, env)
    expect(cliHost).toHaveBeenCalledWith({ json: false, debug: true })
    expect(run).toHaveBeenCalledTimes(1)
    expect(run).toHaveBeenCalledWith(inputsOf(args, env), host)
    expect(run.mock.calls[0][0]).toMatchObject({ awsRegion: 'eu-west-1', debug: true })
    expect(setSourceMapsEnabled).toHaveBeenCalledWith(true)
  })

  test('stale INPUT_ variables of the environment are not read as inputs', async () => {
    await cli(REQUIRED, { ...KEY, 'INPUT_DRY-RUN': 'true', INPUT_REGISTRY: 'elsewhere.example' })
    expect(run).toHaveBeenCalledTimes(1)
    expect(run.mock.calls[0][0]).toMatchObject({ dryRun: false, registryHost: '012345678901.dkr.ecr.us-east-1.amazonaws.com' })
  })
})
