import { readFile } from 'node:fs/promises'
import { GENERATED, generatedText } from '../../scripts/action-inputs.js'
import { helpText, parseCommandLine } from '../../src/hosts/cli-args.js'
import { cliHost } from '../../src/hosts/cli-host.js'
import { readInputs } from '../../src/common/inputs.js'

const REQUIRED = ['--aws-account-id', '012345678901', '--secret-name', 'my-ecr-credentials', '--aws-region', 'us-east-1']
const KEY = { PIPECAT_API_KEY: 'pk_test' }

test("the inputs the command line knows are exactly action.yml's (run npm run bundle after editing action.yml)", async () => {
  expect(await readFile(GENERATED, 'utf8')).toBe(await generatedText())
})

test('flags become the variables the runner would set, so readInputs checks them as it does in the action', () => {
  const parsed = parseCommandLine([...REQUIRED, '--pipecat-region=us-west', '--dry-run', '--wait-timeout', '60', '--json'], {
    ...KEY,
    INPUT_REGISTRY: 'left over from somewhere'
  })
  expect(parsed).toEqual({
    json: true,
    env: {
      PIPECAT_API_KEY: 'pk_test',
      'INPUT_AWS-ACCOUNT-ID': '012345678901',
      'INPUT_SECRET-NAME': 'my-ecr-credentials',
      'INPUT_AWS-REGION': 'us-east-1',
      'INPUT_PIPECAT-REGION': 'us-west',
      'INPUT_DRY-RUN': 'true',
      'INPUT_WAIT-TIMEOUT': '60',
      'INPUT_PIPECAT-API-TOKEN': 'pk_test'
    }
  })
  const inputs = readInputs((parsed as { env: Record<string, string> }).env)
  expect(inputs).toMatchObject({ accountId: '012345678901', pipecatRegion: 'us-west', dryRun: true, waitTimeoutMs: 60_000, apiToken: 'pk_test', debug: false })
})

test('a bare boolean flag is true, also before another flag; --debug turns debug lines on', () => {
  const parsed = parseCommandLine(['--dry-run', '--debug', ...REQUIRED, '--wait-for-ready', 'false'], KEY)
  expect(parsed).toMatchObject({ env: { 'INPUT_DRY-RUN': 'true', 'INPUT_WAIT-FOR-READY': 'false', RUNNER_DEBUG: '1' } })
})

test('the heartbeat URLs come from the environment, kept out of process lists', () => {
  const parsed = parseCommandLine(REQUIRED, { ...KEY, HEARTBEAT_URL: 'https://hc-ping.com/abc', HEARTBEAT_FAILURE_URL: 'https://hc-ping.com/abc/fail' })
  expect(parsed).toMatchObject({ env: { 'INPUT_HEARTBEAT-URL': 'https://hc-ping.com/abc', 'INPUT_HEARTBEAT-FAILURE-URL': 'https://hc-ping.com/abc/fail' } })
})

test.each([
  [['--pipecat-api-token=pk_secret'], KEY, /^--pipecat-api-token is not accepted/],
  [['--github-token', 'ghs_secret'], KEY, /^--github-token is for GitHub Actions/],
  [['--alert-issue=true'], KEY, /^--alert-issue needs GitHub Actions/],
  [['stray'], KEY, /^Unexpected argument "stray"/],
  [['--secret-name', 'again'], KEY, /^--secret-name is given twice/],
  [['--json=yes'], KEY, /^--json takes no value/],
  [[], {}, /^PIPECAT_API_KEY is not set/],
  [[], { PIPECAT_API_KEY: 'pk test' }, /^PIPECAT_API_KEY holds a space/]
])('%j is refused with one line that never shows a credential', (args, env, message) => {
  const parsed = parseCommandLine([...REQUIRED, ...args], env)
  expect(parsed).toEqual({ problem: expect.stringMatching(message) })
  expect(JSON.stringify(parsed)).not.toMatch(/pk_secret|ghs_secret|pk test/)
})

test('--alert-issue false is accepted: it asks for nothing', () => {
  expect(parseCommandLine([...REQUIRED, '--alert-issue', 'false'], KEY)).toMatchObject({ env: { 'INPUT_ALERT-ISSUE': 'false' } })
})

test.each([
  [['--secret-name', 'x'], /^--aws-account-id is missing/],
  [['--aws-account-id', '012345678901'], /^--secret-name is missing/],
  [['--aws-account-id', '012345678901', '--secret-name', 'x'], /^--aws-region is missing and AWS_REGION is not set/]
])('missing %j', (args, message) => {
  expect(parseCommandLine(args, KEY)).toEqual({ problem: expect.stringMatching(message) })
})

test('AWS_REGION stands in for --aws-region, as in the action', () => {
  expect(parseCommandLine(['--aws-account-id', '012345678901', '--secret-name', 'x'], { ...KEY, AWS_REGION: 'eu-west-1' })).toHaveProperty('env')
})

test('the command-line host: plain lines on stderr, the failure as error:, the outputs as JSON on stdout', () => {
  const out: string[] = []
  const err: string[] = []
  const host = cliHost({ json: true, debug: false, stdout: { write: text => out.push(text) }, stderr: { write: text => err.push(text) } })
  const exitCode = process.exitCode
  try {
    host.info('one')
    host.warning('two')
    host.notice('three')
    host.debug('hidden')
    host.mask('nothing to print')
    host.fail('four')
    expect(process.exitCode).toBe(1)
  } finally {
    process.exitCode = exitCode
  }
  host.setOutputs({ registry: 'r', 'expires-at': '' })
  expect(err).toEqual(['one\n', 'warning: two\n', 'notice: three\n', 'error: four\n'])
  expect(out).toEqual(['{\n  "registry": "r",\n  "expires-at": ""\n}\n'])
  expect(helpText()).toContain('--aws-account-id')
})
