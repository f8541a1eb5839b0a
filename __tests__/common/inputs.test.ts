import { defaultRegistryHost, isLoopback, readInputs as readFromEnv } from '../../src/common/inputs.js'

const BASE = {
  'aws-account-id': '012345678901',
  'aws-region': 'us-east-1',
  'secret-name': 'my-ecr-credentials',
  'pipecat-api-token': 'pk_test_token'
}

// The runner passes inputs as INPUT_<NAME> variables, hyphens kept; each test names exactly its inputs.
let current: Record<string, string> = {}
function withInputs(inputs: Record<string, string>): void {
  current = Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]))
}
const readInputs = (env: Record<string, string>) => readFromEnv({ ...current, ...env })

describe('readInputs', () => {
  test('builds the typed inputs with their defaults', () => {
    withInputs(BASE)
    const inputs = readInputs({})
    expect(inputs).toMatchObject({
      accountId: '012345678901',
      awsRegion: 'us-east-1',
      registryHost: '012345678901.dkr.ecr.us-east-1.amazonaws.com',
      registryUrl: 'https://012345678901.dkr.ecr.us-east-1.amazonaws.com',
      secretName: 'my-ecr-credentials',
      apiToken: 'pk_test_token',
      apiUrl: 'https://api.pipecat.daily.co',
      waitForReady: true,
      waitTimeoutMs: 120_000,
      requestTimeoutMs: 30_000,
      dryRun: false,
      verifyImage: false,
      proxy: {}
    })
    expect(inputs.pipecatRegion).toBeUndefined()
    expect(inputs.alert).toBeUndefined()
  })

  test('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    withInputs({ ...BASE, 'aws-region': '' })
    expect(readInputs({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' }).awsRegion).toBe('eu-west-1')
    expect(readInputs({ AWS_DEFAULT_REGION: 'us-west-2' }).awsRegion).toBe('us-west-2')
  })

  test.each([
    ['registry', 'http://127.0.0.1:5000', '127.0.0.1:5000', 'http://127.0.0.1:5000'],
    [
      'registry',
      '012345678901.dkr.ecr-fips.us-east-1.amazonaws.com',
      '012345678901.dkr.ecr-fips.us-east-1.amazonaws.com',
      'https://012345678901.dkr.ecr-fips.us-east-1.amazonaws.com'
    ],
    ['registry', 'https://012345678901.dkr-ecr.us-east-1.on.aws/', '012345678901.dkr-ecr.us-east-1.on.aws', 'https://012345678901.dkr-ecr.us-east-1.on.aws']
  ])('accepts %s %s', (name, value, host, url) => {
    withInputs({ ...BASE, [name]: value })
    expect(readInputs({})).toMatchObject({ registryHost: host, registryUrl: url })
  })

  test.each([
    ['https://api.pipecat.daily.co/', 'https://api.pipecat.daily.co'],
    ['https://api.pipecat.daily.co/v1', 'https://api.pipecat.daily.co'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://localhost:8080/', 'http://localhost:8080']
  ])('normalises pipecat-api-url %s', (value, expected) => {
    withInputs({ ...BASE, 'pipecat-api-url': value })
    expect(readInputs({}).apiUrl).toBe(expected)
  })

  test('reads proxies in either case, lower case first', () => {
    withInputs(BASE)
    expect(readInputs({ HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128', NO_PROXY: '.internal' }).proxy).toEqual({
      httpProxy: undefined,
      httpsProxy: 'http://lower:3128',
      noProxy: '.internal'
    })
  })

  test('resolves a short image against the registry and checks it by default', () => {
    withInputs({ ...BASE, image: 'agent:v1' })
    const inputs = readInputs({})
    expect(inputs.image?.full).toBe('012345678901.dkr.ecr.us-east-1.amazonaws.com/agent:v1')
    expect(inputs.verifyImage).toBe(true)
  })

  test('alerting builds the run link from the runner environment', () => {
    withInputs({ ...BASE, 'alert-issue': 'true', 'github-token': 'ghs_x' })
    expect(readInputs({ GITHUB_REPOSITORY: 'acme/agents', GITHUB_RUN_ID: '42', GITHUB_SERVER_URL: 'https://github.com' }).alert).toEqual({
      token: 'ghs_x',
      repository: 'acme/agents',
      runUrl: 'https://github.com/acme/agents/actions/runs/42',
      apiUrl: undefined
    })
  })

  const ACTIONS = { GITHUB_REPOSITORY: 'acme/agents', GITHUB_RUN_ID: '42', GITHUB_API_URL: 'https://api.github.com/', GITHUB_SERVER_URL: 'https://github.com' }

  test('in GitHub Actions, the workflow runs are read with github-token from GITHUB_API_URL', () => {
    withInputs({ ...BASE, 'github-token': 'ghs_x' })
    expect(readInputs(ACTIONS).runHistory).toEqual({
      token: 'ghs_x',
      apiUrl: 'https://api.github.com',
      repository: 'acme/agents',
      runId: '42',
      runsUrl: 'https://github.com/acme/agents/actions/runs'
    })
  })

  test.each([
    ['outside GitHub Actions', {}, {}, /not a GitHub Actions run/],
    ['a run id that is not a number', { ...ACTIONS, GITHUB_RUN_ID: '42/../1' }, {}, /GITHUB_RUN_ID or GITHUB_REPOSITORY does not have the shape/],
    ['an API URL in clear', { ...ACTIONS, GITHUB_API_URL: 'http://api.github.com' }, {}, /GITHUB_API_URL is not an https URL/],
    ['an empty github-token', ACTIONS, { 'github-token': '' }, /github-token is empty: leave it at its default/]
  ])('the workflow runs are not read: %s', (_case, env, inputs, missing) => {
    withInputs({ ...BASE, 'github-token': 'ghs_x', ...inputs })
    expect(readInputs(env).runHistory).toEqual({ missing: expect.stringMatching(missing) })
  })

  test('a heartbeat URL is kept as given, without its fragment', () => {
    withInputs({ ...BASE, 'heartbeat-url': 'https://hc-ping.com/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e#x' })
    expect(readInputs({}).heartbeat).toEqual({ url: 'https://hc-ping.com/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e', failureUrl: undefined })
  })

  // Each bad value must name its input, so the person reading the log knows what to change.
  test.each([
    ['aws-account-id', '', /aws-account-id is empty/],
    ['aws-account-id', '12345678901', /11 digits instead of 12.*quote it/],
    ['aws-account-id', '1234567890123', /12-digit ID/],
    ['aws-account-id', '12345678901a', /12-digit ID/],
    ['aws-region', 'US-EAST-1', /aws-region is "US-EAST-1"/],
    ['aws-region', 'useast1', /aws-region is "useast1"/],
    ['secret-name', '', /secret-name is empty/],
    ['secret-name', 'My-Secret', /secret-name is "My-Secret"/],
    ['secret-name', 'my_secret', /secret-name/],
    ['secret-name', 'my..secret', /secret-name/],
    ['secret-name', 'my/secret', /secret-name/],
    ['secret-name', 'my%2Fsecret', /secret-name/],
    ['secret-name', 'ab', /secret-name/],
    ['secret-name', 'a'.repeat(64), /secret-name/],
    ['pipecat-api-token', '', /pipecat-api-token is empty/],
    ['pipecat-region', 'US West', /pipecat-region/],
    ['pipecat-api-url', 'http://api.pipecat.daily.co', /pipecat-api-url.*use https/],
    ['pipecat-api-url', 'https://user:pass@api.pipecat.daily.co', /pipecat-api-url carries a user name or password/],
    ['pipecat-api-url', 'not a url', /pipecat-api-url is "not a url", not a URL/],
    ['registry', 'http://registry.example.com', /registry.*http is allowed only for loopback/],
    ['registry', 'registry.example.com/path', /registry is/],
    ['wait-for-ready', 'yes', /wait-for-ready is "yes", not a boolean/],
    ['dry-run', 'on', /dry-run is "on", not a boolean/],
    ['wait-timeout', '-1', /wait-timeout/],
    ['wait-timeout', '0', /wait-timeout/],
    ['wait-timeout', 'soon', /wait-timeout/],
    ['wait-timeout', '99999', /wait-timeout.*1 to 3600/],
    ['request-timeout', '1.5', /request-timeout/],
    ['verify-image', 'maybe', /verify-image/],
    ['verify-image', 'true', /verify-image is true but image is empty/],
    ['image', 'agent', /image/],
    ['image', 'docker.io/library/agent:v1', /image/],
    ['alert-issue', 'yes', /alert-issue/],
    ['check-agents', 'yes', /check-agents is "yes": use auto, true or false/],
    ['check-agents', 'TRUE', /check-agents/],
    ['fail-on-unhealthy-agents', 'on', /fail-on-unhealthy-agents is "on", not a boolean/]
  ])('rejects %s = %j', (name, value, message) => {
    withInputs({ ...BASE, [name]: value })
    expect(() => readInputs({ GITHUB_REPOSITORY: 'acme/agents' })).toThrow(message)
  })

  // The URL is a credential: no message may show any of it, not even the part that made it wrong.
  test.each([
    [{ 'heartbeat-url': 'http://status.acme.test/ping/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e' }, /heartbeat-url is not an https URL/],
    [{ 'heartbeat-url': 'ftp://status.acme.test/ping/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e' }, /heartbeat-url is not an https URL/],
    [{ 'heartbeat-url': 'status.acme.test/ping/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e' }, /heartbeat-url is not a URL/],
    [{ 'heartbeat-url': 'https://me:0f4c7d1e-5a8b-4f6a@status.acme.test/ping/9c2d-3e1b2a4c5d6e' }, /heartbeat-url carries a user name or password/],
    [
      { 'heartbeat-url': 'https://status.acme.test/ping/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e\nhttps://status.acme.test/ping/x' },
      /heartbeat-url holds a space, line break/
    ],
    [
      { 'heartbeat-failure-url': 'https://status.acme.test/ping/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e/fail' },
      /heartbeat-failure-url is set but heartbeat-url is empty/
    ],
    [
      {
        'heartbeat-url': 'https://status.acme.test/ping/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e',
        'heartbeat-failure-url': 'http://status.acme.test/ping/0f4c7d1e-5a8b-4f6a-9c2d-3e1b2a4c5d6e'
      },
      /heartbeat-failure-url is not an https URL/
    ]
  ])('rejects heartbeat inputs %j without showing them', (inputs, message) => {
    withInputs({ ...BASE, ...inputs })
    const error = (() => {
      try {
        readInputs({})
      } catch (thrown) {
        return (thrown as Error).message
      }
      return 'no error'
    })()
    expect(error).toMatch(message)
    expect(error).not.toMatch(/acme|0f4c7d1e|9c2d/)
  })

  test.each([
    [{ 'config-file': 'pcc-deploy.toml', 'min-agents': '3', 'max-agents': '2' }, /min-agents \(3\) is greater than max-agents \(2\)/],
    [{ 'config-file': 'pcc-deploy.toml', 'max-agents': '0' }, /max-agents/],
    [{ 'config-file': 'pcc-deploy.toml', 'min-agents': 'two' }, /min-agents/],
    [{ 'config-file': 'pcc-deploy.toml', 'secret-set': 'Bad_Set' }, /secret-set/],
    [{ 'agent-name': 'my-agent' }, /agent-name is set but config-file is empty/]
  ])('rejects deploy config inputs %j', (inputs, message) => {
    withInputs({ ...BASE, ...inputs })
    expect(() => readInputs({})).toThrow(message)
  })

  test.each([
    ['schedule', {}, true],
    ['workflow_dispatch', {}, true],
    ['push', {}, false],
    ['release', {}, false],
    [undefined, {}, false],
    ['push', { 'check-agents': 'auto' }, false],
    ['push', { 'check-agents': 'true' }, true],
    ['schedule', { 'check-agents': 'false' }, false],
    // A team that wants failures on unhealthy agents needs the check on every run, release pipelines too.
    ['push', { 'fail-on-unhealthy-agents': 'true' }, true]
  ])('check-agents on a %s event with %j is %s', (event, inputs, expected) => {
    withInputs({ ...BASE, ...inputs })
    const env: Record<string, string> = event === undefined ? {} : { GITHUB_EVENT_NAME: event }
    expect(readInputs(env).checkAgents).toBe(expected)
  })

  test('fail-on-unhealthy-agents is off by default, and on when asked', () => {
    withInputs(BASE)
    expect(readInputs({}).failOnUnhealthyAgents).toBe(false)
    withInputs({ ...BASE, 'fail-on-unhealthy-agents': 'true' })
    expect(readInputs({})).toMatchObject({ checkAgents: true, failOnUnhealthyAgents: true })
  })

  test('fail-on-unhealthy-agents cannot fail on a check that is switched off', () => {
    withInputs({ ...BASE, 'check-agents': 'false', 'fail-on-unhealthy-agents': 'true' })
    expect(() => readInputs({})).toThrow(
      'Input fail-on-unhealthy-agents is true but check-agents is false: set check-agents to auto or true, or remove fail-on-unhealthy-agents.'
    )
  })

  test('an AWS region is required from somewhere', () => {
    withInputs({ ...BASE, 'aws-region': '' })
    expect(() => readInputs({})).toThrow(/aws-region is not set and neither is AWS_REGION/)
  })
})

test('defaultRegistryHost knows the China partition', () => {
  expect(defaultRegistryHost('012345678901', 'cn-north-1')).toBe('012345678901.dkr.ecr.cn-north-1.amazonaws.com.cn')
  expect(defaultRegistryHost('012345678901', 'us-gov-west-1')).toBe('012345678901.dkr.ecr.us-gov-west-1.amazonaws.com')
})

test.each([
  ['127.0.0.1', true],
  ['127.1.2.3', true],
  ['localhost', true],
  ['[::1]', true],
  ['127.0.0.1.nip.io', false],
  ['10.0.0.1', false],
  ['example.com', false]
])('isLoopback(%s) is %s', (host, expected) => {
  expect(isLoopback(host)).toBe(expected)
})

test('inputs are trimmed, as the runner leaves YAML block scalars with a trailing newline', () => {
  withInputs({ ...BASE, 'secret-name': '  my-ecr-credentials\n' })
  expect(readInputs({}).secretName).toBe('my-ecr-credentials')
})

test('a bad region from the environment names where it came from', () => {
  withInputs({ ...BASE, 'aws-region': '' })
  expect(() => readInputs({ AWS_REGION: 'useast1' })).toThrow(
    'AWS_REGION (set by aws-actions/configure-aws-credentials) is "useast1", not an AWS region code: fix aws-region where it is set, or set this action\'s aws-region input.'
  )
})

test('credentials in registry are refused without being repeated', () => {
  withInputs({ ...BASE, registry: 'https://AWS:hunter2secret@registry.example.com' })
  expect(() => readInputs({})).toThrow('Input registry carries a user name or password: remove them; the action stores the ECR token itself.')
})
