import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { setTimeout as delay } from 'node:timers/promises'
import { awsEnv, baseInputs, errorLines, expectNoLeaks, runAction, secretsOf, startAction, type Ecr, type Pipecat } from './harness.js'

// Several secret sets from one token in one step: one ECR call, the PUTs side by side, one status read
// per round for all of them, and each set ending with its own state, so one failing never stops the others.

type GitHub = Awaited<ReturnType<typeof startGitHubEmulator>>

const TARGETS = ['ecr-pull-us-west: us-west', '# the European agents', 'ecr-pull-eu-central: eu-central', '', 'ecr-pull-us-east: us-east'].join('\n')
const SETS = [
  { secretName: 'ecr-pull-us-west', region: 'us-west' },
  { secretName: 'ecr-pull-eu-central', region: 'eu-central' },
  { secretName: 'ecr-pull-us-east', region: 'us-east' }
]

let ecr: Ecr
let pipecat: Pipecat

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
})
afterEach(async () => {
  await Promise.all([ecr.close(), pipecat.close()])
})

function run(inputs: Record<string, string> = {}, env: Record<string, string> = {}, cwd?: string) {
  return runAction({ cwd, inputs: { ...baseInputs(ecr, pipecat), 'secret-name': '', targets: TARGETS, ...inputs }, env: { ...awsEnv(ecr), ...env } })
}

const registry = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`
const calls = () => pipecat.requests.map((r: { method: string; path: string }) => `${r.method} ${r.path}`)
const statusOf = (name: string) => pipecat.sets.get(name)?.status

test('three targets: one ECR token stored in each, all ready, one status read per round for all of them', async () => {
  const result = await run()

  expect(result.error).toBeUndefined()
  expect(result.code).toBe(0)
  expect(ecr.requests).toHaveLength(1)
  const puts = pipecat.requests.filter((r: { method: string }) => r.method === 'PUT')
  expect(puts.map((r: { path: string; body: unknown }) => [r.path, r.body]).sort()).toEqual(
    SETS.map(({ secretName, region }) => [
      `/v1/secrets/${secretName}`,
      { isImagePullSecret: true, host: `https://${registry()}`, secretValue: ecr.authorizationToken, region }
    ]).sort()
  )
  // The emulator keeps each set pending for one read: one list read finds all three pending, the next all ready.
  expect(calls().filter(call => call.startsWith('GET'))).toEqual(['GET /v1/secrets', 'GET /v1/secrets'])
  for (const { secretName, region } of SETS) {
    expect(pipecat.sets.get(secretName)).toMatchObject({ type: 'imagePullSecret', status: 'ready', region })
    expect(result.stdout).toContain(`Stored the image pull secret ${secretName} for ${registry()} in Pipecat region ${region}.`)
    expect(result.stdout).toContain(`Secret set ${secretName} is ready; the next refresh must succeed before`)
    expect(result.summary).toContain(`<tr><td>${secretName}</td><td>${region}</td><td>ready</td><td></td></tr>`)
  }
  expect(result.stdout).toContain(
    'Secret sets ecr-pull-us-west (pending), ecr-pull-eu-central (pending), ecr-pull-us-east (pending) are not ready yet; checking again in 0.3s.'
  )
  expect(JSON.parse(result.outputs.targets)).toEqual(SETS.map(set => ({ ...set, status: 'ready' })))
  // One name and region make no sense for three sets: those outputs stay empty, as action.yml says.
  expect(result.outputs).toMatchObject({ 'secret-name': '', 'secret-region': '', registry: registry() })
  expect(result.summary).toContain('Pipecat Cloud pull secret refreshed')
  expect(result.summary).toContain('Secret sets (3)')
  expectNoLeaks(result, secretsOf(ecr, pipecat))
})

describe.each([
  [
    'a regular set of that name',
    () => void pipecat.seedSet({ name: 'ecr-pull-eu-central', type: 'secret', region: 'eu-central' }),
    {},
    /^Secret set ecr-pull-eu-central \(eu-central\): The name ecr-pull-eu-central is taken by a regular secret set, which cannot hold image credentials: choose another name in targets, or delete that set/,
    'untouched'
  ],
  [
    'a region the organization lacks',
    async () => {
      await pipecat.close()
      pipecat = await startPipecatEmulator({ regions: ['us-west', 'us-east'] })
    },
    {},
    /^Secret set ecr-pull-eu-central \(eu-central\): Pipecat Cloud does not offer region eu-central to your organization: check the region in targets against the regions in your dashboard\.$/,
    'untouched'
  ],
  [
    'a set stuck pending',
    () => pipecat.stayPending('ecr-pull-eu-central'),
    { 'wait-timeout': '2' },
    /^Secret set ecr-pull-eu-central \(eu-central\): Secret set ecr-pull-eu-central is still pending after 2s: Pipecat Cloud is provisioning slowly; raise wait-timeout or rerun/,
    'stored'
  ]
])('one target failing (%s)', (_case, setUp, inputs, message, reached) => {
  test('the others are refreshed; the run fails with that target’s own line', async () => {
    await setUp()
    const result = await run(inputs)

    expect(result.code).toBe(1)
    expect(errorLines(result)).toEqual([expect.stringMatching(message)])
    expect(result.error).not.toMatch(/%0[AD]/)
    expect([statusOf('ecr-pull-us-west'), statusOf('ecr-pull-us-east')]).toEqual(['ready', 'ready'])
    expect(pipecat.sets.get('ecr-pull-us-west')?.secretValue).toBe(ecr.authorizationToken)
    const outputs = JSON.parse(result.outputs.targets)
    expect(outputs).toEqual([
      { secretName: 'ecr-pull-us-west', region: 'us-west', status: 'ready' },
      // Its message is in its error line and the summary only: it may quote a server.
      { secretName: 'ecr-pull-eu-central', region: 'eu-central', status: 'failed' },
      { secretName: 'ecr-pull-us-east', region: 'us-east', status: 'ready' }
    ])
    expect(result.summary).toContain('Pipecat Cloud pull secret refresh failed')
    expect(result.summary).toContain('<tr><td>ecr-pull-us-west</td><td>us-west</td><td>ready</td><td></td></tr>')
    expect(result.summary).toMatch(
      new RegExp(
        `<tr><td>ecr-pull-eu-central</td><td>eu-central${reached === 'stored' ? '' : ' \\(requested\\)'}</td><td>failed; ${reached === 'stored' ? 'stored, not ready' : 'not stored'}</td>`
      )
    )
    expect(result.summary).toContain('1 of 3 secret sets failed (ecr-pull-eu-central)')
    expectNoLeaks(result, secretsOf(ecr, pipecat))
  })
})

test('two targets failing: one error line each, each its own annotation', async () => {
  pipecat.seedSet({ name: 'ecr-pull-us-west', type: 'secret', region: 'us-west' })
  pipecat.seedSet({ name: 'ecr-pull-us-east', type: 'imagePullSecret', region: 'us-west' })
  const result = await run()

  expect(result.code).toBe(1)
  expect(errorLines(result)).toEqual([
    expect.stringMatching(/^Secret set ecr-pull-us-west \(us-west\): The name ecr-pull-us-west is taken by a regular secret set/),
    expect.stringMatching(
      /^Secret set ecr-pull-us-east \(us-east\): Secret set ecr-pull-us-east lives in Pipecat region us-west, not us-east: set its region in targets to us-west \(a set cannot move\), or choose a new name in targets for the other region\.$/
    )
  ])
  expect(statusOf('ecr-pull-eu-central')).toBe('ready')
  expectNoLeaks(result, secretsOf(ecr, pipecat))
})

test('a dry run checks every target read-only, the region list read once, and names the one that would fail', async () => {
  pipecat.seedSet({ name: 'ecr-pull-us-east', type: 'imagePullSecret', region: 'us-west', status: 'ready' })
  pipecat.seedSet({ name: 'ecr-pull-us-west', type: 'imagePullSecret', region: 'us-west', status: 'ready' })
  const before = structuredClone([...pipecat.sets.values()])
  const result = await run({ 'dry-run': 'true' })

  expect(result.code).toBe(1)
  expect(errorLines(result)).toEqual([
    'Secret set ecr-pull-us-east (us-east): Secret set ecr-pull-us-east lives in Pipecat region us-west, not us-east: set its region in targets to us-west (a set cannot move), or choose a new name in targets for the other region.'
  ])
  expect(pipecat.requests.filter((r: { method: string }) => r.method !== 'GET')).toEqual([])
  expect([...pipecat.sets.values()]).toEqual(before)
  expect(calls().filter(call => call === 'GET /v1/regions')).toHaveLength(1)
  expect(calls().filter(call => call === 'GET /v1/secrets')).toHaveLength(3)
  expect(result.stdout).toContain(
    'Dry run: Pipecat Cloud accepts the key and secret set ecr-pull-us-west is an image pull secret in region us-west (ready); nothing was stored.'
  )
  expect(result.stdout).toContain(
    'Dry run: Pipecat Cloud accepts the key and the name ecr-pull-eu-central is free and region eu-central is offered; nothing was stored.'
  )
  expect(JSON.parse(result.outputs.targets)).toEqual([
    { secretName: 'ecr-pull-us-west', region: 'us-west', status: 'checked' },
    { secretName: 'ecr-pull-eu-central', region: 'eu-central', status: 'checked' },
    { secretName: 'ecr-pull-us-east', region: 'us-east', status: 'failed' }
  ])
  expectNoLeaks(result, secretsOf(ecr, pipecat))
})

test('the agents report covers every target’s set, each agent read once for all of them', async () => {
  const image = `${registry()}/voice-agent:1.0`
  pipecat.seedAgent({ name: 'us-bot', region: 'us-west', imagePullSecretName: 'ecr-pull-us-west', image })
  pipecat.seedAgent({ name: 'eu-bot', region: 'eu-central', imagePullSecretName: 'ecr-pull-eu-central', image })
  pipecat.seedAgent({ name: 'hub-bot', imagePullSecretName: 'dockerhub-credentials' })
  const result = await run({ 'check-agents': 'true' })

  expect(result.code).toBe(0)
  const reports = JSON.parse(result.outputs.agents)
  expect(reports.map((each: { secretName: string; agents: { name: string }[] }) => [each.secretName, each.agents.map(agent => agent.name)])).toEqual([
    ['ecr-pull-us-west', ['us-bot']],
    ['ecr-pull-eu-central', ['eu-bot']],
    ['ecr-pull-us-east', []]
  ])
  expect(
    calls()
      .filter(call => call.startsWith('GET /v1/agents'))
      .sort()
  ).toEqual(['GET /v1/agents', 'GET /v1/agents/eu-bot', 'GET /v1/agents/hub-bot', 'GET /v1/agents/us-bot'])
  for (const set of SETS) expect(result.summary).toContain(`Agents pulling with ${set.secretName}`)
  expectNoLeaks(result, secretsOf(ecr, pipecat))
})

test('a run cancelled while one set is still pending reports every set as it stands', async () => {
  pipecat.stayPending('ecr-pull-eu-central')
  const started = await startAction({
    inputs: { ...baseInputs(ecr, pipecat), 'secret-name': '', targets: TARGETS, 'wait-timeout': '600' },
    env: awsEnv(ecr)
  })
  // The second list read finds the other two ready.
  while (calls().filter(call => call === 'GET /v1/secrets').length < 2) await delay(50)
  await delay(200)
  started.child.kill('SIGINT')
  const result = await started.result

  expect(result.code).toBe(1)
  expect(errorLines(result)).toEqual([
    expect.stringMatching(
      /^The run was cancelled \(SIGINT\) while waiting for Pipecat Cloud to report secret sets ecr-pull-us-west, ecr-pull-eu-central, ecr-pull-us-east ready: rerun/
    )
  ])
  expect(JSON.parse(result.outputs.targets)).toEqual([
    { secretName: 'ecr-pull-us-west', region: 'us-west', status: 'ready' },
    { secretName: 'ecr-pull-eu-central', region: 'eu-central', status: 'stored' },
    { secretName: 'ecr-pull-us-east', region: 'us-east', status: 'ready' }
  ])
  expect(result.summary).toContain('<tr><td>ecr-pull-eu-central</td><td>eu-central</td><td>stored, not ready</td><td></td></tr>')
  expectNoLeaks(result, secretsOf(ecr, pipecat))
})

describe('config-file with several targets', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'targets-config-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  test.each([
    ['the file’s region', 'region = "eu-central"\n', {}, 'ecr-pull-eu-central', 'eu-central', "the file's region"],
    ['pipecat-region', '', { 'pipecat-region': 'us-east' }, 'ecr-pull-us-east', 'us-east', 'pipecat-region']
  ])('names the target whose region matches %s, and says so', async (_case, region, inputs, secretName, expected, why) => {
    await writeFile(join(dir, 'pcc-deploy.toml'), `agent_name = "support-bot"\n${region}`)
    const result = await run({ 'config-file': 'pcc-deploy.toml', ...inputs }, {}, dir)

    expect(result.error).toBeUndefined()
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`::notice::pcc-deploy.toml names secret set ${secretName} (region ${expected}), the target whose region matches ${why}.`)
    const text = await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')
    expect(text).toContain(`image_credentials = "${secretName}"`)
    expect(text).toContain(`region = "${expected}"`)
    expect(SETS.every(set => statusOf(set.secretName) === 'ready')).toBe(true)
    expectNoLeaks(result, secretsOf(ecr, pipecat))
  })
})

describe('the alert issue', () => {
  const GITHUB_TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a'
  let github: GitHub
  beforeEach(async () => {
    github = await startGitHubEmulator({ token: GITHUB_TOKEN })
  })
  afterEach(() => github.close())

  let runId = 500
  const alerting = () =>
    run(
      { 'alert-issue': 'true', 'github-token': GITHUB_TOKEN },
      { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/agents', GITHUB_RUN_ID: String(++runId) }
    )
  const issueTexts = () => [...github.issues.map((i: { body: string }) => i.body), ...github.comments.map((c: { body: string }) => c.body)]

  test('one issue for the registry names the target that failed, and closes when all recover', async () => {
    pipecat.seedSet({ name: 'ecr-pull-eu-central', type: 'secret', region: 'eu-central' })
    const failed = await alerting()

    expect(failed.code).toBe(1)
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0]).toMatchObject({ state: 'open', title: `Pipecat Cloud pull secret refresh failing: secret sets for ${registry()}` })
    expect(github.issues[0].body).toContain(
      `failed for \`ecr-pull-eu-central\` (of \`ecr-pull-us-west\`, \`ecr-pull-eu-central\`, \`ecr-pull-us-east\`); the others were refreshed.`
    )
    expect(github.issues[0].body).toContain(errorLines(failed)[0])
    expect(github.issues[0].body).not.toMatch(/- `ecr-pull-us-west`/)

    pipecat.sets.delete('ecr-pull-eu-central')
    const healed = await alerting()

    expect(healed.code).toBe(0)
    expect(github.issues).toHaveLength(1)
    expect(github.issues[0].state).toBe('closed')
    expect(github.comments.at(-1).body).toContain('The pull secrets `ecr-pull-us-west`, `ecr-pull-eu-central`, `ecr-pull-us-east` now hold credentials')
    for (const result of [failed, healed]) expectNoLeaks(result, [...secretsOf(ecr, pipecat), GITHUB_TOKEN], issueTexts())
  })
})
