import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import {
  AWS_SECRET,
  expectMasksFirst,
  expectNoLeaks,
  expectOneLineFailure,
  runAction,
  snapshotFiles,
  startNetworkTrap,
  type Ecr,
  type NetworkTrap,
  type Pipecat
} from './harness.js'

// Every way an input can be wrong stops the run before it talks to anyone or touches a file, with one line
// that names the input and says what to write instead. Rows run side by side: each has its own working
// directory and its own Pipecat token and AWS key, so a request that should not exist shows whose it is.

interface Row {
  /** The input the message must name. */
  input: string
  case: string
  inputs: Record<string, string>
  env?: Record<string, string>
  /** The working directory's files for this row (`dir` makes a directory); default: a valid pcc-deploy.toml. */
  files?: Record<string, string>
  /** The cause and the fix, as the message must say them. */
  says: RegExp
  /** Values of this row that must not reach the log. */
  secrets?: string[]
}

const CONFIG = 'agent_name = "support-bot"\nimage_credentials = "my-ecr-credentials"\n'
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com'
const URL_PASSWORD = 'hunter2-in-the-url'
const GITHUB_TOKEN = `ghs_${'G'.repeat(36)}`
// A ping URL is a credential: the rows that break one check that no part of it is printed.
const CHECK = '5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c'

const SET_NAME_RULE = /3 to 63 characters of lowercase letters, digits, "-" and "\."/
const TWELVE_DIGITS = /use the 12-digit ID of the AWS account/
const REGION_CODE = /use an AWS region code such as us-east-1/
const HTTPS_ONLY = /use https \(http is allowed only for loopback test servers\)/
const WAIT_RANGE = /use a whole number from 1 to 3600 seconds/
const BOOLEAN = /not a boolean: use true or false/

const rows: Row[] = [
  {
    input: 'aws-account-id',
    case: '11 digits',
    inputs: { 'aws-account-id': '12345678901' },
    says: /11 digits instead of 12: .*quote it \(aws-account-id: '012345678901'\)/
  },
  {
    input: 'aws-account-id',
    case: '10 digits (two leading zeros dropped)',
    inputs: { 'aws-account-id': '1234567890' },
    says: /10 digits instead of 12: .*quote it \(aws-account-id: '001234567890'\)/
  },
  { input: 'aws-account-id', case: '13 digits', inputs: { 'aws-account-id': '1234567890123' }, says: TWELVE_DIGITS },
  { input: 'aws-account-id', case: 'with a letter', inputs: { 'aws-account-id': '12345678901a' }, says: TWELVE_DIGITS },
  { input: 'aws-account-id', case: 'with dashes, as the console shows it', inputs: { 'aws-account-id': '1234-5678-9012' }, says: TWELVE_DIGITS },
  { input: 'aws-account-id', case: 'empty', inputs: { 'aws-account-id': '' }, says: /is empty: set it to the 12-digit ID/ },

  { input: 'aws-region', case: 'upper case', inputs: { 'aws-region': 'US-EAST-1' }, says: REGION_CODE },
  { input: 'aws-region', case: 'without dashes', inputs: { 'aws-region': 'useast1' }, says: REGION_CODE },
  {
    input: 'aws-region',
    case: 'empty, and no AWS_REGION',
    inputs: { 'aws-region': '' },
    says: /not set and neither is AWS_REGION: set aws-region, or run aws-actions\/configure-aws-credentials/
  },
  // The value came from the environment, so the message must send the reader there, not to an input they never set.
  {
    input: 'aws-region',
    case: 'empty, with a bad AWS_REGION',
    inputs: { 'aws-region': '' },
    env: { AWS_REGION: 'useast1' },
    says: /\bAWS_REGION\b.*"useast1"|"useast1".*\bAWS_REGION\b/
  },

  { input: 'secret-name', case: 'upper case', inputs: { 'secret-name': 'My-Ecr-Credentials' }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'with _', inputs: { 'secret-name': 'my_ecr_credentials' }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'with ..', inputs: { 'secret-name': 'my..ecr' }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'with /', inputs: { 'secret-name': 'team/ecr-credentials' }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'with %2F', inputs: { 'secret-name': 'team%2Fecr-credentials' }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'starting with -', inputs: { 'secret-name': '-ecr-credentials' }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'too short', inputs: { 'secret-name': 'ab' }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'too long', inputs: { 'secret-name': 'a'.repeat(64) }, says: SET_NAME_RULE },
  { input: 'secret-name', case: 'empty', inputs: { 'secret-name': '' }, says: /is empty: set it to the name of the Pipecat Cloud image pull secret set/ },

  // targets replaces secret-name, so its rows clear it unless they test the two together.
  {
    input: 'targets',
    case: 'a line without a colon',
    inputs: { 'secret-name': '', targets: 'ecr-pull-us-west: us-west\necr-pull-us-east us-east' },
    says: /^Input targets, line 2 is "ecr-pull-us-east us-east": write one secret set per line as secret-name: pipecat-region/
  },
  {
    input: 'targets',
    case: 'a bad name',
    inputs: { 'secret-name': '', targets: '# one per region\nEcr_Pull: us-west' },
    says: /^Input targets, line 2 names the secret set "Ecr_Pull": Pipecat Cloud set names are 3 to 63 characters/
  },
  {
    input: 'targets',
    case: 'a bad region',
    inputs: { 'secret-name': '', targets: 'ecr-pull-us-west: US-WEST' },
    says: /^Input targets, line 1 gives the region "US-WEST": use a Pipecat Cloud region such as us-west/
  },
  {
    input: 'targets',
    case: 'a line without a region',
    inputs: { 'secret-name': '', targets: 'ecr-pull-us-west:' },
    says: /^Input targets, line 1 gives secret set ecr-pull-us-west no region: add its Pipecat Cloud region, e.g. ecr-pull-us-west: us-west/
  },
  {
    input: 'targets',
    case: 'a name twice',
    inputs: { 'secret-name': '', targets: 'ecr-pull: us-west\n\necr-pull: us-east' },
    says: /^Input targets, line 3 names secret set ecr-pull again: a set lives in one region, so list each name once/
  },
  {
    input: 'targets',
    case: 'a region twice',
    inputs: { 'secret-name': '', targets: 'ecr-pull-a: us-west\necr-pull-b: us-west' },
    says: /^Input targets, line 2 gives region us-west a second secret set \(ecr-pull-a is there already\)/
  },
  {
    input: 'targets',
    case: 'only comments',
    inputs: { 'secret-name': '', targets: '# ecr-pull: us-west' },
    says: /^Input targets holds no secret set: write one per line as secret-name: pipecat-region/
  },
  {
    input: 'targets',
    case: 'more than 20',
    inputs: { 'secret-name': '', targets: Array.from({ length: 21 }, (_, i) => `ecr-pull-${i}: region-${i}`).join('\n') },
    says: /^Input targets lists 21 secret sets, more than 20: split them over several steps or a matrix/
  },
  {
    input: 'targets',
    case: 'together with secret-name',
    inputs: { targets: 'ecr-pull-us-west: us-west' },
    says: /^Input targets and secret-name are both set: list every secret set in targets .* or remove targets/
  },
  {
    input: 'pipecat-region',
    case: 'with targets, without config-file',
    inputs: { 'secret-name': '', 'config-file': '', targets: 'ecr-pull-us-west: us-west\necr-pull-us-east: us-east', 'pipecat-region': 'us-west' },
    says: /pipecat-region is set with targets but config-file is empty: the regions are in targets; remove pipecat-region/
  },
  {
    input: 'pipecat-region',
    case: 'with targets, a region none of them has',
    inputs: { 'secret-name': '', targets: 'ecr-pull-us-west: us-west\necr-pull-us-east: us-east', 'pipecat-region': 'eu-central' },
    says: /pipecat-region is eu-central, which no line of targets has: set it to the region of the secret set config-file should name \(us-west, us-east\)/
  },
  {
    input: 'config-file',
    case: 'with targets, a file without a region',
    inputs: { 'secret-name': '', targets: 'ecr-pull-us-west: us-west\necr-pull-us-east: us-east' },
    says: /config-file: pcc-deploy\.toml has no region, so it cannot say which of the targets it names: set pipecat-region/
  },
  {
    input: 'config-file',
    case: 'with targets, a file region none of them has',
    inputs: { 'secret-name': '', targets: 'ecr-pull-us-west: us-west\necr-pull-us-east: us-east' },
    files: { 'pcc-deploy.toml': `${CONFIG}region = "eu-central"\n` },
    says: /config-file: pcc-deploy\.toml has region = "eu-central", which no line of targets has \(us-west, us-east\): add a secret set for eu-central/
  },

  { input: 'pipecat-api-token', case: 'empty', inputs: { 'pipecat-api-token': '' }, says: /is empty: pass your Pipecat Cloud Private API key from a secret/ },
  {
    input: 'pipecat-api-token',
    case: 'two keys on two lines',
    inputs: { 'pipecat-api-token': 'pk_first0123456789abcdef\npk_second0123456789abcdef' },
    says: /holds a space, line break or control character, which no API key has: copy the Private API key again/,
    secrets: ['pk_first0123456789abcdef', 'pk_second0123456789abcdef']
  },
  {
    input: 'HTTPS_PROXY',
    case: 'not a URL (a port out of range), with a password in it',
    inputs: {},
    env: { HTTPS_PROXY: `http://user:${URL_PASSWORD}@proxy.example.test:99999` },
    says: /^The environment variable HTTPS_PROXY is not a proxy URL: set it to http:\/\/host:port/,
    secrets: [URL_PASSWORD]
  },
  {
    input: 'https_proxy',
    case: 'a scheme the action cannot use',
    inputs: {},
    env: { https_proxy: 'socks5://127.0.0.1:1080' },
    says: /^The environment variable https_proxy is not a proxy URL/
  },
  {
    input: 'HTTP_PROXY',
    case: 'a host with a space in it',
    inputs: {},
    env: { HTTP_PROXY: 'http://proxy host.example.test:3128' },
    says: /^The environment variable HTTP_PROXY is not a proxy URL/
  },

  { input: 'pipecat-region', case: 'upper case', inputs: { 'pipecat-region': 'US-WEST' }, says: /use a Pipecat Cloud region such as us-west/ },
  { input: 'pipecat-region', case: 'with _', inputs: { 'pipecat-region': 'us_west' }, says: /use a Pipecat Cloud region such as us-west/ },

  { input: 'pipecat-api-url', case: 'http to a public host', inputs: { 'pipecat-api-url': 'http://api.pipecat.daily.co' }, says: HTTPS_ONLY },
  {
    input: 'pipecat-api-url',
    case: 'http to a host that only starts like localhost',
    inputs: { 'pipecat-api-url': 'http://localhost.example.com' },
    says: HTTPS_ONLY
  },
  { input: 'pipecat-api-url', case: 'ftp', inputs: { 'pipecat-api-url': 'ftp://api.pipecat.daily.co' }, says: HTTPS_ONLY },
  {
    input: 'pipecat-api-url',
    case: 'with credentials in it',
    inputs: { 'pipecat-api-url': `https://acme:${URL_PASSWORD}@api.pipecat.daily.co` },
    says: /carries a user name or password: remove them/,
    secrets: [URL_PASSWORD]
  },
  {
    input: 'pipecat-api-url',
    case: 'not a URL',
    inputs: { 'pipecat-api-url': 'api pipecat daily co' },
    says: /not a URL: use https:\/\/api\.pipecat\.daily\.co/
  },
  {
    input: 'pipecat-api-url',
    case: 'with a query',
    inputs: { 'pipecat-api-url': 'https://api.pipecat.daily.co/?org=acme' },
    says: /remove the query or fragment/
  },

  {
    input: 'registry',
    case: 'http to a public host',
    inputs: { registry: `http://${REGISTRY}` },
    says: /http is allowed only for loopback test registries; use https/
  },
  { input: 'registry', case: 'with a path', inputs: { registry: `${REGISTRY}/voice` }, says: /without a path/ },
  {
    input: 'registry',
    case: 'with credentials in it',
    inputs: { registry: `https://AWS:${URL_PASSWORD}@${REGISTRY}` },
    says: /user name or password|credentials/,
    secrets: [URL_PASSWORD]
  },

  { input: 'wait-timeout', case: 'negative', inputs: { 'wait-timeout': '-5' }, says: WAIT_RANGE },
  { input: 'wait-timeout', case: 'zero', inputs: { 'wait-timeout': '0' }, says: WAIT_RANGE },
  { input: 'wait-timeout', case: 'not a number', inputs: { 'wait-timeout': 'soon' }, says: WAIT_RANGE },
  { input: 'wait-timeout', case: 'huge', inputs: { 'wait-timeout': '99999' }, says: WAIT_RANGE },
  { input: 'wait-timeout', case: 'a fraction', inputs: { 'wait-timeout': '1.5' }, says: WAIT_RANGE },
  { input: 'request-timeout', case: 'zero', inputs: { 'request-timeout': '0' }, says: /use a whole number from 1 to 300 seconds/ },
  { input: 'request-timeout', case: 'too long', inputs: { 'request-timeout': '301' }, says: /use a whole number from 1 to 300 seconds/ },

  { input: 'wait-for-ready', case: 'yes', inputs: { 'wait-for-ready': 'yes' }, says: BOOLEAN },
  { input: 'dry-run', case: 'on', inputs: { 'dry-run': 'on' }, says: BOOLEAN },
  { input: 'alert-issue', case: '1', inputs: { 'alert-issue': '1' }, says: BOOLEAN },
  { input: 'verify-image', case: 'always', inputs: { 'verify-image': 'always' }, says: /use auto, true or false/ },
  { input: 'check-agents', case: 'yes', inputs: { 'check-agents': 'yes' }, says: /check-agents is "yes": use auto, true or false/ },
  { input: 'fail-on-unhealthy-agents', case: 'on', inputs: { 'fail-on-unhealthy-agents': 'on' }, says: BOOLEAN },
  {
    input: 'fail-on-unhealthy-agents',
    case: 'true with check-agents false',
    inputs: { 'fail-on-unhealthy-agents': 'true', 'check-agents': 'false' },
    says: /is true but check-agents is false: set check-agents to auto or true, or remove fail-on-unhealthy-agents/
  },
  { input: 'verify-image', case: 'true without image', inputs: { 'verify-image': 'true' }, says: /is true but image is empty: set image/ },

  { input: 'image', case: 'without a tag', inputs: { image: 'voice/agent' }, says: /has no tag or digest; add :<tag> or @sha256:<digest>/ },
  {
    input: 'image',
    case: 'in another registry',
    inputs: { image: 'ghcr.io/acme/agent:1.0' },
    says: /is in registry ghcr\.io, but the pull secret is for 123456789012\.dkr\.ecr/
  },
  { input: 'image', case: 'upper case', inputs: { image: 'Voice/Agent:1.0' }, says: /must be lowercase: "voice\/agent"/ },
  { input: 'image', case: 'with a scheme', inputs: { image: `https://${REGISTRY}/voice/agent:1.0` }, says: /starts with a URL scheme; drop it/ },
  {
    input: 'image',
    case: 'with a short digest',
    inputs: { image: 'voice/agent@sha256:abc123' },
    says: /write @sha256: followed by 64 lowercase hex characters/
  },
  { input: 'image', case: 'with a bad tag', inputs: { image: 'voice/agent:-rc1' }, says: /the tag "-rc1" .* is not valid/ },

  {
    input: 'min-agents',
    case: 'greater than max-agents',
    inputs: { 'min-agents': '5', 'max-agents': '2' },
    says: /min-agents \(5\) is greater than max-agents \(2\): lower min-agents or raise max-agents/
  },
  { input: 'min-agents', case: 'negative', inputs: { 'min-agents': '-1' }, says: /use a whole number from 0 to 1000/ },
  { input: 'min-agents', case: 'a fraction', inputs: { 'min-agents': '1.5' }, says: /use a whole number from 0 to 1000/ },
  { input: 'max-agents', case: 'zero', inputs: { 'max-agents': '0' }, says: /use a whole number from 1 to 1000/ },
  { input: 'max-agents', case: 'not a number', inputs: { 'max-agents': 'many' }, says: /use a whole number from 1 to 1000/ },
  { input: 'agent-name', case: 'with _ and upper case', inputs: { 'agent-name': 'Support_Bot' }, says: /use lowercase letters, digits and "-"/ },
  {
    input: 'agent-name',
    case: 'set without config-file',
    inputs: { 'config-file': '', 'agent-name': 'support-bot' },
    says: /is set but config-file is empty: set config-file/
  },
  {
    input: 'agent-name',
    case: 'missing for a config-file that does not exist yet',
    inputs: { 'config-file': 'deploy/pcc-deploy.toml' },
    says: /does not exist yet.*set agent-name/
  },
  { input: 'secret-set', case: 'with _', inputs: { 'secret-set': 'agent_secrets' }, says: SET_NAME_RULE },
  { input: 'agent-profile', case: 'with a space', inputs: { 'agent-profile': 'agent 1x' }, says: /use a Pipecat Cloud profile name such as agent-1x/ },

  { input: 'config-file', case: 'a directory', inputs: {}, files: { 'pcc-deploy.toml': 'dir' }, says: /pcc-deploy\.toml is a directory; give a file path/ },
  {
    input: 'config-file',
    case: 'not valid TOML',
    inputs: {},
    files: { 'pcc-deploy.toml': 'agent_name = "bot"\nimage = \n' },
    says: /pcc-deploy\.toml is not valid TOML \(line 2, .*fix the file/
  },
  {
    input: 'config-file',
    case: 'a key of the wrong type',
    inputs: {},
    files: { 'pcc-deploy.toml': 'agent_name = "bot"\nimage = 5\n' },
    says: /image in pcc-deploy\.toml is an integer, but the Pipecat Cloud CLI expects a string/
  },
  {
    input: 'config-file',
    case: 'inline scaling the action would have to edit',
    inputs: { 'min-agents': '1' },
    files: { 'pcc-deploy.toml': 'agent_name = "bot"\nscaling = { min_agents = 0 }\n' },
    says: /inline table .*rewrite it as a \[scaling\] table/
  },

  {
    input: 'github-token',
    case: 'empty with alert-issue',
    inputs: { 'alert-issue': 'true', 'github-token': '' },
    says: /alert-issue is true but github-token is empty/
  },
  {
    input: 'heartbeat-url',
    case: 'http to a public host',
    inputs: { 'heartbeat-url': `http://hc-ping.com/${CHECK}` },
    says: /heartbeat-url is not an https URL: use the service's https ping URL/,
    secrets: [`hc-ping.com/${CHECK}`, CHECK]
  },
  {
    input: 'heartbeat-url',
    case: 'without a scheme',
    inputs: { 'heartbeat-url': `hc-ping.com/${CHECK}` },
    says: /heartbeat-url is not a URL: pass the full ping URL your monitoring service shows, starting with https:\/\//,
    secrets: [`hc-ping.com/${CHECK}`, CHECK]
  },
  {
    input: 'heartbeat-failure-url',
    case: 'set without heartbeat-url',
    inputs: { 'heartbeat-failure-url': `https://hc-ping.com/${CHECK}/fail` },
    says: /is set but heartbeat-url is empty: set heartbeat-url too, or remove heartbeat-failure-url/,
    secrets: [CHECK]
  },
  {
    input: 'alert-issue',
    case: 'outside a GitHub Actions run',
    inputs: { 'alert-issue': 'true', 'github-token': GITHUB_TOKEN },
    says: /GITHUB_REPOSITORY is not set/,
    secrets: [GITHUB_TOKEN]
  }
]

let ecr: Ecr
let pipecat: Pipecat
let trap: NetworkTrap

beforeAll(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  trap = await startNetworkTrap()
})
afterAll(async () => {
  // The rows ran side by side; this catches a request that arrived after its row had checked.
  // The servers close either way: an open one would keep jest, and CI, waiting forever.
  try {
    expect({ ecr: ecr.requests, pipecat: pipecat.requests, trap: trap.attempts }).toEqual({ ecr: [], pipecat: [], trap: [] })
  } finally {
    await Promise.all([ecr.close(), pipecat.close(), trap.close()])
  }
})

/** Valid inputs for these emulators: each row breaks exactly one thing in them. */
function validInputs(token: string, pipecatUrl: string): Record<string, string> {
  return {
    'aws-account-id': '123456789012',
    'aws-region': 'us-east-1',
    'secret-name': 'my-ecr-credentials',
    'pipecat-api-token': token,
    'pipecat-api-url': pipecatUrl,
    'config-file': 'pcc-deploy.toml',
    'wait-for-ready': 'false'
  }
}

function validEnv(awsKey: string, ecrUrl: string): Record<string, string> {
  return { ...trap.env, AWS_ACCESS_KEY_ID: awsKey, AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_ENDPOINT_URL_ECR: ecrUrl }
}

async function workingDirectory(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bad-inputs-'))
  for (const [path, content] of Object.entries(files)) {
    if (content === 'dir') await mkdir(join(dir, path), { recursive: true })
    else await writeFile(join(dir, path), content)
  }
  return dir
}

// Without this, a row could pass because the base inputs were broken rather than the one it changes.
test('the inputs the rows start from are valid', async () => {
  const ownEcr = await startEcrEmulator()
  const ownPipecat = await startPipecatEmulator()
  const dir = await workingDirectory({ 'pcc-deploy.toml': CONFIG })
  try {
    const run = await runAction({ cwd: dir, inputs: validInputs(ownPipecat.token, ownPipecat.url), env: validEnv('AKIAIOSFODNN7EXAMPLE', ownEcr.url) })
    expect(run.error).toBeUndefined()
    expect(run.code).toBe(0)
    expect(ownPipecat.sets.get('my-ecr-credentials')?.secretValue).toBe(ownEcr.authorizationToken)
    expectNoLeaks(run, [ownEcr.password, ownEcr.authorizationToken, ownPipecat.token, AWS_SECRET])
  } finally {
    await ownEcr.close()
    await ownPipecat.close()
    await rm(dir, { recursive: true, force: true })
  }
})

// A new input gets a row here too, or this fails.
test('the table has a row for every input in action.yml', async () => {
  const actionYml = await readFile('action.yml', 'utf8')
  const inputsBlock = actionYml.slice(actionYml.indexOf('\ninputs:'), actionYml.indexOf('\noutputs:'))
  const declared = [...inputsBlock.matchAll(/^ {2}([a-z][a-z-]+):\s*$/gm)].map(match => match[1])
  const covered = new Set(rows.map(row => row.input))
  expect(declared.length).toBeGreaterThan(15)
  expect(declared.filter(name => !covered.has(name))).toEqual([])
})

test.concurrent.each(rows)('$input: $case', async row => {
  const token = `pk_${randomBytes(24).toString('hex')}`
  const awsKey = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`
  const dir = await workingDirectory(row.files ?? { 'pcc-deploy.toml': CONFIG })
  try {
    const before = await snapshotFiles(dir)
    const run = await runAction({
      cwd: dir,
      inputs: { ...validInputs(token, pipecat.url), ...row.inputs },
      env: { ...validEnv(awsKey, ecr.url), ...row.env }
    })

    expectOneLineFailure(run, row.says)
    const name = new RegExp(`(?<![\\w-])${row.input}(?![\\w-])`)
    expect(run.error).toMatch(name)
    // Inputs are checked before anything else: no request of any kind, and no file touched.
    expect({ ecr: ecr.requests.length, pipecat: pipecat.requests.length, trap: trap.attempts }).toEqual({ ecr: 0, pipecat: 0, trap: [] })
    expect(await snapshotFiles(dir)).toEqual(before)
    // A bad input ends the run before any output; a bad config file is found once the run has started (it
    // masked the key first), and then the outputs say only what the inputs name.
    const started = run.stdout.includes(`::add-mask::${token}`)
    expect(run.outputs).toEqual(
      started
        ? {
            registry: REGISTRY,
            'expires-at': '',
            // Several targets: no single set to name.
            'secret-name': row.inputs.targets ? '' : 'my-ecr-credentials',
            'secret-region': '',
            targets: row.inputs.targets ? expect.any(String) : JSON.stringify([{ secretName: 'my-ecr-credentials', region: '', status: 'untouched' }]),
            image: row.inputs.image ? expect.stringContaining(row.inputs.image) : '',
            'image-digest': '',
            'config-file': '',
            agents: ''
          }
        : {}
    )
    const secrets = [token, AWS_SECRET, ecr.password, ecr.authorizationToken, ...(row.secrets ?? [])]
    expectNoLeaks(run, secrets)
    expectMasksFirst(run, secrets)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
