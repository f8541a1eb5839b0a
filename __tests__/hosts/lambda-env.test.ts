import { ACTION_INPUTS } from '../../src/hosts/generated/action-inputs.js'
import { apiKeyFromSecret, KEY_PENDING, readFunctionConfig, secretValuesOf, variableFor } from '../../src/hosts/lambda-env.js'
import { readInputs } from '../../src/common/inputs.js'

const ARN = 'arn:aws:secretsmanager:eu-west-1:012345678901:secret:pipecat/api-key-AbC123'
const BASE = { AWS_ACCOUNT_ID: '012345678901', SECRET_NAME: 'my-ecr-credentials', AWS_REGION: 'us-east-1', PIPECAT_API_KEY_SECRET_ARN: ARN }

test('every action.yml input has its variable: upper case, - as _', () => {
  expect(ACTION_INPUTS.map(input => variableFor(input.name))).toEqual(
    expect.arrayContaining([
      'AWS_ACCOUNT_ID',
      'AWS_REGION',
      'SECRET_NAME',
      'PIPECAT_REGION',
      'IMAGE',
      'TARGETS',
      'HEARTBEAT_URL',
      'HEARTBEAT_FAILURE_URL',
      'REQUEST_TIMEOUT',
      'WAIT_FOR_READY'
    ])
  )
})

test("the function's variables become the runner's, so readInputs checks them as it does in the action", () => {
  const config = readFunctionConfig({ ...BASE, WAIT_TIMEOUT: '60', DRY_RUN: 'true', HEARTBEAT_URL: 'https://hc-ping.com/x', 'INPUT_SECRET-NAME': 'stray' })
  expect(config).toEqual({
    secretArn: ARN,
    secretRegion: 'eu-west-1',
    env: {
      ...BASE,
      WAIT_TIMEOUT: '60',
      DRY_RUN: 'true',
      HEARTBEAT_URL: 'https://hc-ping.com/x',
      'INPUT_AWS-ACCOUNT-ID': '012345678901',
      'INPUT_AWS-REGION': 'us-east-1',
      'INPUT_SECRET-NAME': 'my-ecr-credentials',
      'INPUT_WAIT-TIMEOUT': '60',
      'INPUT_DRY-RUN': 'true',
      'INPUT_HEARTBEAT-URL': 'https://hc-ping.com/x',
      'INPUT_PIPECAT-API-TOKEN': KEY_PENDING
    }
  })
  const inputs = readInputs((config as { env: Record<string, string> }).env)
  expect(inputs).toMatchObject({
    accountId: '012345678901',
    awsRegion: 'us-east-1',
    secretName: 'my-ecr-credentials',
    waitTimeoutMs: 60_000,
    dryRun: true,
    debug: false
  })
  expect(inputs.heartbeat).toMatchObject({ url: 'https://hc-ping.com/x' })
})

test("Lambda's DEBUG or TRACE log level turns on debug lines", () => {
  expect(readFunctionConfig({ ...BASE, AWS_LAMBDA_LOG_LEVEL: 'DEBUG' })).toMatchObject({ env: { RUNNER_DEBUG: '1' } })
  expect(readFunctionConfig({ ...BASE, AWS_LAMBDA_LOG_LEVEL: 'trace' })).toMatchObject({ env: { RUNNER_DEBUG: '1' } })
  expect((readFunctionConfig({ ...BASE, AWS_LAMBDA_LOG_LEVEL: 'INFO' }) as { env: Record<string, string> }).env.RUNNER_DEBUG).toBeUndefined()
})

test('TARGETS stands in for SECRET_NAME', () => {
  expect(readFunctionConfig({ ...BASE, SECRET_NAME: undefined, TARGETS: 'a: us-west\nb: eu-central' })).toHaveProperty('env')
})

test.each([
  [{ AWS_ACCOUNT_ID: '' }, "AWS_ACCOUNT_ID is not set: set it in the function's environment to the 12-digit ID of the AWS account that owns the ECR registry."],
  [
    { SECRET_NAME: ' ' },
    "SECRET_NAME is not set: set it in the function's environment to the name of the Pipecat Cloud image pull secret set, e.g. my-ecr-credentials."
  ],
  [
    { PIPECAT_API_KEY_SECRET_ARN: undefined },
    'PIPECAT_API_KEY_SECRET_ARN is not set: set it to the ARN of the Secrets Manager secret that holds the Pipecat Cloud Private API key.'
  ],
  [{ PIPECAT_API_KEY_SECRET_ARN: 'pipecat/api-key' }, /^PIPECAT_API_KEY_SECRET_ARN is not a Secrets Manager secret ARN: set it to the secret's full ARN, /],
  [{ PIPECAT_API_KEY_SECRET_ARN: 'arn:aws:ssm:us-east-1:012345678901:parameter/key' }, /^PIPECAT_API_KEY_SECRET_ARN is not a Secrets Manager secret ARN/],
  [
    { PIPECAT_API_TOKEN: 'pk_live_secret' },
    /^PIPECAT_API_TOKEN is set in the function's configuration, where anyone who may read the function sees it: remove it/
  ],
  [{ PIPECAT_API_KEY: 'pk_live_secret' }, /^PIPECAT_API_KEY is set in the function's configuration/],
  [{ GITHUB_TOKEN: 'ghs_x' }, /^GITHUB_TOKEN is for GitHub Actions .*: remove it\.$/],
  [{ ALERT_ISSUE: 'true' }, /^ALERT_ISSUE needs GitHub Actions .*: remove it, and alarm on the function's Errors metric or set HEARTBEAT_URL/],
  [
    { CONFIG_FILE: 'pcc-deploy.toml' },
    /^CONFIG_FILE is for config-file, which edits pcc-deploy.toml in a checkout that a Lambda function does not have: remove it/
  ],
  [{ MIN_AGENTS: '1' }, /^MIN_AGENTS is for config-file/]
])('%j is refused in one line with its fix, never quoting a credential', (change, message) => {
  const config = readFunctionConfig({ ...BASE, ...change })
  expect(config).toEqual({ problem: expect.stringMatching(message) })
  expect((config as { problem: string }).problem).not.toMatch(/pk_live_secret|ghs_x/)
})

test('ALERT_ISSUE=false is no problem', () => {
  expect(readFunctionConfig({ ...BASE, ALERT_ISSUE: 'false' })).toHaveProperty('env')
})

test.each([
  ['pk_plain', 'pk_plain'],
  ['  pk_padded\n', 'pk_padded'],
  ['{"PIPECAT_API_KEY":"pk_field","OTHER":"x"}', 'pk_field'],
  ['{"apiKey":"pk_only_field"}', 'pk_only_field']
])('the key in %j is %j', (secretString, key) => {
  expect(apiKeyFromSecret(secretString, ARN)).toEqual({ key })
})

test.each([
  ['', /holds an empty value: store the Pipecat Cloud Private API key in it\.$/],
  ['{"a":"pk_1","b":"pk_2"}', /holds a JSON object with 2 fields and no string field PIPECAT_API_KEY: store/],
  ['{"PIPECAT_API_KEY":7}', /holds a JSON object with 1 fields and no string field PIPECAT_API_KEY/],
  ['pk_one pk_two', /holds a space, line break or control character, which no API key has: store the Private API key alone/]
])('a secret of %j is refused without quoting it', (secretString, message) => {
  const found = apiKeyFromSecret(secretString, ARN)
  expect(found).toEqual({ problem: expect.stringMatching(message) })
  expect((found as { problem: string }).problem).not.toMatch(/pk_/)
})

test("a secret's values are redacted, not its JSON field names", () => {
  expect(secretValuesOf('{"PIPECAT_API_KEY":"pk_a","n":1,"other":"pk_b"}')).toEqual(['pk_a', 'pk_b'])
  expect(secretValuesOf('pk_plain')).toEqual(['pk_plain'])
  expect(secretValuesOf('["pk_list"]')).toEqual(['["pk_list"]'])
})
