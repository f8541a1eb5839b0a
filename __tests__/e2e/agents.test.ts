import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import {
  awsEnv,
  baseInputs,
  errorLines,
  expectNoLeaks,
  expectOneLineFailure,
  runAction,
  SECRET_NAME,
  secretsOf,
  type ActionRun,
  type Ecr,
  type Pipecat,
  type RunOptions
} from './harness.js'

// The agents report, through the bundle: which agents pull with the secret set, what is wrong with them,
// and that nothing the agents endpoints answer can fail a refresh that worked or reach the log unchecked.

let ecr: Ecr
let pipecat: Pipecat

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
})
afterEach(async () => {
  await ecr.close()
  await pipecat.close()
})

function options(inputs: Record<string, string> = {}, env: Record<string, string> = {}): RunOptions {
  return { inputs: { ...baseInputs(ecr, pipecat), 'pipecat-region': 'us-west', ...inputs }, env: { ...awsEnv(ecr), ...env } }
}

const secrets = () => secretsOf(ecr, pipecat)
const registry = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`
const image = () => `${registry()}/voice-agent:1.4`
const agentRequests = () => pipecat.requests.filter(r => r.path.startsWith('/v1/agents'))
const warnings = (run: ActionRun) =>
  run.stdout
    .split('\n')
    .filter(line => line.startsWith('::warning::'))
    .map(line => line.slice('::warning::'.length))
const agentsOutput = (run: ActionRun) => JSON.parse(run.outputs.agents)

/** The refresh itself went through: stored, and ready. */
function expectRefreshed(run: ActionRun): void {
  expect(errorLines(run)).toEqual([])
  expect(run.code).toBe(0)
  expect(pipecat.sets.get(SECRET_NAME)).toMatchObject({ type: 'imagePullSecret', status: 'ready', secretValue: ecr.authorizationToken })
  expect(run.summary).toContain('<td>Status</td><td>ready</td>')
}

/** One healthy agent on the set, one in another region, one not ready, one on another registry, one on another set. */
function seedFleet(): void {
  pipecat.seedAgent({ name: 'healthy-bot', imagePullSecretName: SECRET_NAME, image: image() })
  pipecat.seedAgent({ name: 'eu-bot', region: 'eu-central', imagePullSecretName: SECRET_NAME, image: image() })
  pipecat.seedAgent({
    name: 'stuck-bot',
    imagePullSecretName: SECRET_NAME,
    image: image(),
    ready: false,
    health: { ready: false, state: 'waiting', restartCount: 5, reason: 'ImagePullBackOff' }
  })
  pipecat.seedAgent({ name: 'hub-bot', imagePullSecretName: SECRET_NAME, image: 'acme/voice-agent:2.0' })
  pipecat.seedAgent({ name: 'other-set-bot', imagePullSecretName: 'dockerhub-credentials', ready: false })
}

describe('check-agents', () => {
  test('a scheduled run reports the agents on this set, warns about each problem, and names what the limit skipped', async () => {
    seedFleet()
    // 56 agents in all: the 6 past the limit of 50 are the last names in order.
    for (let i = 0; i < 51; i++) pipecat.seedAgent({ name: `zz-filler-${String(i).padStart(2, '0')}`, imagePullSecretName: 'other-set' })

    const run = await runAction(options({}, { GITHUB_EVENT_NAME: 'schedule' }))

    expectRefreshed(run)
    const row = (name: string, fields: Record<string, unknown>) => ({
      name,
      region: 'us-west',
      image: image(),
      ready: true,
      state: 'running',
      reason: null,
      restarts: 0,
      problems: [],
      ...fields
    })
    expect(agentsOutput(run)).toEqual({
      secretName: SECRET_NAME,
      complete: true,
      listed: 56,
      inspected: 50,
      skipped: 6,
      agents: [
        row('eu-bot', { region: 'eu-central', problems: ['other-region'] }),
        row('healthy-bot', {}),
        row('hub-bot', { image: 'acme/voice-agent:2.0', problems: ['other-registry'] }),
        row('stuck-bot', { ready: false, state: 'waiting', reason: 'ImagePullBackOff', restarts: 5, problems: ['not-ready'] })
      ]
    })

    expect(warnings(run)).toEqual([
      `Agent eu-bot runs in eu-central but pulls with secret set ${SECRET_NAME}, which lives in us-west: it can never pull with a set from another region; create a set in eu-central (another secret-name with pipecat-region: eu-central) or redeploy the agent in us-west.`,
      `Agent hub-bot pulls acme/voice-agent:2.0 from docker.io, but secret set ${SECRET_NAME} holds credentials for ${registry()}: they do not apply to that image; deploy an image from ${registry()}, or give the agent a pull secret for docker.io.`,
      `Agent stuck-bot pulls with secret set ${SECRET_NAME} but is not ready (waiting, ImagePullBackOff, 5 restarts): its image cannot be pulled: check that ${image()} exists and the AWS role may pull it (set image to check it here), then redeploy the agent.`
    ])
    expect(run.stdout).toContain(`4 of 50 inspected agents pull with ${SECRET_NAME}; 6 not inspected (limit 50).`)

    expect(run.summary).toContain(`<h4>Agents pulling with ${SECRET_NAME}</h4>`)
    expect(run.summary).toContain('<tr><th>Agent</th><th>Region</th><th>Image</th><th>Ready</th><th>State</th><th>Restarts</th><th>Problems</th></tr>')
    expect(run.summary).toContain(`<tr><td>healthy-bot</td><td>us-west</td><td>${image()}</td><td>yes</td><td>running</td><td>0</td><td>none</td></tr>`)
    expect(run.summary).toContain(
      `<tr><td>eu-bot</td><td>eu-central</td><td>${image()}</td><td>yes</td><td>running</td><td>0</td><td>other region: cannot pull</td></tr>`
    )
    expect(run.summary).toContain(
      `<tr><td>stuck-bot</td><td>us-west</td><td>${image()}</td><td>no</td><td>waiting (ImagePullBackOff)</td><td>5</td><td>not ready</td></tr>`
    )
    expect(run.summary).not.toContain('other-set-bot')
    expect(run.summary).toContain(
      'Inspected 50 of 56 agents. 6 not inspected (limit 50): zz-filler-45, zz-filler-46, zz-filler-47, zz-filler-48, zz-filler-49, zz-filler-50.'
    )
    expect(run.summary).not.toContain('Incomplete report')

    // The agents are read after the secret is stored: one list, then one read per inspected agent, never a write.
    const agentCalls = agentRequests()
    expect(agentCalls.every(r => r.method === 'GET')).toBe(true)
    expect(agentCalls.filter(r => r.path === '/v1/agents')).toHaveLength(1)
    expect(agentCalls.filter(r => r.path.startsWith('/v1/agents/'))).toHaveLength(50)
    expect(agentCalls.some(r => r.path === '/v1/agents/zz-filler-50')).toBe(false)
    expect(pipecat.requests.findIndex(r => r.path === '/v1/agents')).toBeGreaterThan(pipecat.requests.findIndex(r => r.method === 'PUT'))
    expect(pipecat.peakInFlight).toBeLessThanOrEqual(4)
    expectNoLeaks(run, secrets())
  })

  test('off by default in other runs: no agent request, an empty output', async () => {
    seedFleet()
    const run = await runAction(options({}, { GITHUB_EVENT_NAME: 'push' }))

    expectRefreshed(run)
    expect(agentRequests()).toEqual([])
    expect(run.outputs.agents).toBe('')
    expect(run.summary).not.toContain('Agents pulling with')
    expectNoLeaks(run, secrets())
  })

  test('a dry run reports the agents too, and stores nothing', async () => {
    seedFleet()
    const run = await runAction(options({ 'dry-run': 'true', 'check-agents': 'true' }))

    expect(run.code).toBe(0)
    expect(pipecat.requests.filter(r => r.method !== 'GET')).toEqual([])
    expect(pipecat.sets.size).toBe(0)
    expect(agentsOutput(run).agents.map((agent: { name: string }) => agent.name)).toEqual(['eu-bot', 'healthy-bot', 'hub-bot', 'stuck-bot'])
    expect(run.summary).toContain('dry run: nothing stored')
    expect(run.summary).toContain('<td>healthy-bot</td>')
    expectNoLeaks(run, secrets())
  })
})

describe('the agents endpoints failing never fail the refresh', () => {
  test.each([
    {
      case: 'the list refused (401)',
      arrange: () => pipecat.failNext({ path: '/v1/agents', status: 401 }),
      says: /^Agents report incomplete \(the secret itself is unaffected\): Pipecat Cloud refused pipecat-api-token for the agent list \(401\) \(Unauthorized\): use a Private API key/
    },
    {
      case: 'the list failing (500, every attempt)',
      arrange: () => pipecat.failNext(...Array.from({ length: 5 }, () => ({ path: '/v1/agents', status: 500 }))),
      says: /^Agents report incomplete \(the secret itself is unaffected\): Pipecat Cloud answered the agent list with 500 after 5 attempts \(Internal Server Error\): the service is busy or failing; the next run reports again\.$/
    },
    {
      case: 'an agent refused (401)',
      arrange: () => pipecat.failNext({ path: '/v1/agents/hub-bot', status: 401 }),
      says: /^Agents report incomplete \(the secret itself is unaffected\): \d agents? not read: Pipecat Cloud refused pipecat-api-token for agent hub-bot \(401\)/
    },
    {
      case: 'the list in an odd shape',
      arrange: () => pipecat.failNext({ path: '/v1/agents', status: 200, body: { services: 'none' } }),
      says: /^Agents report incomplete \(the secret itself is unaffected\): Pipecat Cloud answered the agent list without a "services" list \(\{"services":"none"\}\): check pipecat-api-url/
    }
  ])('$case: a warning, and the summary says the report is incomplete', async ({ arrange, says }) => {
    seedFleet()
    arrange()
    const run = await runAction(options({ 'check-agents': 'true' }))

    expectRefreshed(run)
    expect(warnings(run)).toEqual(expect.arrayContaining([expect.stringMatching(says)]))
    expect(warnings(run).filter(line => line.startsWith('Agents report incomplete'))).toHaveLength(1)
    expect(agentsOutput(run)).toMatchObject({ secretName: SECRET_NAME, complete: false })
    expect(run.summary).toContain('<strong>Incomplete report</strong>: an agent using this set may be missing.')
    expectNoLeaks(run, secrets())
  })
})

test('hostile text in agent fields and error bodies reaches no log line, output or summary as it came', async () => {
  const hostile = (what: string) => `${what}\n::error::pwned <img src=x onerror=alert(1)> ${pipecat.token}`
  pipecat.seedAgent({
    name: 'a-bot',
    imagePullSecretName: SECRET_NAME,
    image: hostile('evil.example/x:1'),
    health: { ready: true, state: hostile('running'), restartCount: 0, reason: hostile('Reason') },
    details: { region: hostile('us-west') }
  })
  pipecat.seedAgent({ name: hostile('b-bot'), imagePullSecretName: SECRET_NAME })
  pipecat.seedAgent({ name: 'c-bot', imagePullSecretName: SECRET_NAME, image: `${registry()}/x:${pipecat.token}` })
  pipecat.seedAgent({ name: 'z-bot', imagePullSecretName: SECRET_NAME })
  pipecat.failNext({ path: '/v1/agents/z-bot', status: 401, body: { error: hostile('Denied'), code: hostile('CODE') } })

  const run = await runAction(options({ 'check-agents': 'true' }))

  expectRefreshed(run)
  // Only this action's own workflow commands start a line; server text is inside them, never at a start.
  const commands = run.stdout.split('\n').filter(line => line.trimStart().startsWith('::') || line.trimStart().startsWith('##['))
  expect(commands.filter(line => !/^::(add-mask|warning|notice|debug)::/.test(line))).toEqual([])
  expect(commands.filter(line => line.startsWith('::warning::')).length).toBeGreaterThan(0)
  expect(run.stdout).toContain('pwned')
  expect(run.summary).not.toMatch(/<img|<script/)
  expect(run.summary).toContain('&lt;img src=x onerror=alert(1)&gt;')
  expect(run.outputs.agents).not.toMatch(/pwned|<img|::error/)
  expect(agentsOutput(run).agents).toEqual([
    { name: 'a-bot', region: null, image: null, ready: true, state: null, reason: null, restarts: 0, problems: [] },
    { name: 'c-bot', region: 'us-west', image: null, ready: true, state: 'running', reason: null, restarts: 0, problems: [] }
  ])
  expectNoLeaks(run, secrets())
})

test('fail-on-unhealthy-agents fails the run in one line, after the secret is stored and the report written', async () => {
  seedFleet()
  const run = await runAction(options({ 'fail-on-unhealthy-agents': 'true' }, { GITHUB_EVENT_NAME: 'push' }))

  expectOneLineFailure(
    run,
    /^Secret set my-ecr-credentials was refreshed, but 3 agents using it cannot pull or are not ready \(eu-bot: other-region; hub-bot: other-registry; stuck-bot: not-ready\): fix them as the warnings say, or set fail-on-unhealthy-agents: false\.$/
  )
  expect(pipecat.sets.get(SECRET_NAME)).toMatchObject({ status: 'ready', secretValue: ecr.authorizationToken })
  expect(run.outputs['secret-name']).toBe(SECRET_NAME)
  expect(agentsOutput(run).agents).toHaveLength(4)
  expect(run.summary).toContain('<td>stuck-bot</td>')
  expect(warnings(run)).toHaveLength(3)
  expectNoLeaks(run, secrets())
})

test('fail-on-unhealthy-agents passes when every agent on the set is healthy', async () => {
  pipecat.seedAgent({ name: 'healthy-bot', imagePullSecretName: SECRET_NAME, image: image() })
  pipecat.seedAgent({ name: 'other-set-bot', imagePullSecretName: 'dockerhub-credentials', ready: false })
  const run = await runAction(options({ 'fail-on-unhealthy-agents': 'true' }))

  expectRefreshed(run)
  expect(warnings(run)).toEqual([])
  expect(agentsOutput(run)).toMatchObject({ complete: true, agents: [{ name: 'healthy-bot', problems: [] }] })
  expectNoLeaks(run, secrets())
})
