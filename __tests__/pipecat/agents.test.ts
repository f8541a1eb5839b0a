import { agentWarnings, assertAgentsHealthy, findAgents, readAgent, registryOf, type AgentCheck } from '../../src/pipecat/agents.js'
import { agentsOutput, agentsSummaryHtml, type AgentUse, type AgentsReport } from '../../src/pipecat/agents-report.js'
import { ActionError } from '../../src/common/errors.js'
import { createHttpClient, type HttpClient } from '../../src/http/http.js'
import type { Inputs } from '../../src/common/inputs.js'
import { trackSecret } from '../../src/common/redact.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'

type Pipecat = Awaited<ReturnType<typeof startPipecatEmulator>>

const SET = 'my-ecr-credentials'
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com'
const IMAGE = `${REGISTRY}/voice-agent:1.4`

let pipecat: Pipecat
beforeEach(async () => {
  pipecat = await startPipecatEmulator()
})
afterEach(async () => {
  await pipecat.close()
})

// Quick retries: the tests prove what the report says, not how long the client waits.
const quickHttp = (): HttpClient =>
  createHttpClient({ timeoutMs: 2000, connectionsPerHost: 4, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 5000 } })

function check(overrides: Partial<AgentCheck> = {}): AgentCheck {
  return {
    api: { http: quickHttp(), apiUrl: pipecat.url, token: pipecat.token },
    secretName: SET,
    secretRegion: 'us-west',
    registryHost: REGISTRY,
    ...overrides
  }
}

const detailRequests = () => pipecat.requests.filter(r => r.path.startsWith('/v1/agents/')).map(r => r.path.slice('/v1/agents/'.length))

describe('findAgents against the emulator', () => {
  test('reports every agent on this set, with region, image, readiness and health, and their problems', async () => {
    pipecat.seedAgent({ name: 'healthy-bot', imagePullSecretName: SET, image: IMAGE })
    pipecat.seedAgent({ name: 'eu-bot', region: 'eu-central', imagePullSecretName: SET, image: IMAGE })
    pipecat.seedAgent({
      name: 'stuck-bot',
      imagePullSecretName: SET,
      image: IMAGE,
      ready: false,
      health: { ready: false, state: 'waiting', restartCount: 7, reason: 'ImagePullBackOff' }
    })
    pipecat.seedAgent({ name: 'hub-bot', imagePullSecretName: SET, image: 'acme/voice-agent:2.0' })
    pipecat.seedAgent({ name: 'other-set-bot', imagePullSecretName: 'dockerhub-credentials', ready: false })
    pipecat.seedAgent({ name: 'no-secret-bot', imagePullSecretName: null })
    pipecat.seedAgent({ name: 'new-bot', imagePullSecretName: SET, image: IMAGE, health: null })

    const report = await findAgents(check())

    expect(report).toMatchObject({ secretName: SET, complete: true, listed: 7, inspected: 7, skipped: 0, gaps: [] })
    expect(report.agents).toEqual([
      { name: 'eu-bot', region: 'eu-central', image: IMAGE, ready: true, state: 'running', reason: null, restarts: 0, problems: ['other-region'] },
      { name: 'healthy-bot', region: 'us-west', image: IMAGE, ready: true, state: 'running', reason: null, restarts: 0, problems: [] },
      {
        name: 'hub-bot',
        region: 'us-west',
        image: 'acme/voice-agent:2.0',
        ready: true,
        state: 'running',
        reason: null,
        restarts: 0,
        problems: ['other-registry']
      },
      { name: 'new-bot', region: 'us-west', image: IMAGE, ready: true, state: null, reason: null, restarts: null, problems: [] },
      { name: 'stuck-bot', region: 'us-west', image: IMAGE, ready: false, state: 'waiting', reason: 'ImagePullBackOff', restarts: 7, problems: ['not-ready'] }
    ])
    const request = pipecat.requests.find(r => r.path === '/v1/agents/healthy-bot')
    expect(request?.headers.authorization).toBe(`Bearer ${pipecat.token}`)
    expect(pipecat.requests.every(r => r.method === 'GET')).toBe(true)
  })

  test('without the set’s region, regions are not compared', async () => {
    pipecat.seedAgent({ name: 'eu-bot', region: 'eu-central', imagePullSecretName: SET, image: IMAGE })

    const report = await findAgents(check({ secretRegion: undefined }))

    expect(report.agents[0]).toMatchObject({ region: 'eu-central', problems: [] })
  })

  test('inspects at most `limit` agents, in name order, and names the rest', async () => {
    for (const name of ['g-bot', 'c-bot', 'a-bot', 'f-bot', 'b-bot', 'e-bot', 'd-bot']) pipecat.seedAgent({ name, imagePullSecretName: SET, image: IMAGE })

    const report = await findAgents(check({ limit: 5 }))

    expect(report).toMatchObject({ listed: 7, inspected: 5, skipped: 2, skippedNames: ['f-bot', 'g-bot'], limit: 5, complete: true })
    expect(report.agents.map(agent => agent.name)).toEqual(['a-bot', 'b-bot', 'c-bot', 'd-bot', 'e-bot'])
    expect(detailRequests().sort()).toEqual(['a-bot', 'b-bot', 'c-bot', 'd-bot', 'e-bot'])
  })

  test('inspects `concurrency` agents at a time, no more', async () => {
    for (let i = 0; i < 10; i++) pipecat.seedAgent({ name: `bot-${i}`, imagePullSecretName: SET, image: IMAGE })
    pipecat.failNext(...Array.from({ length: 10 }, () => ({ path: '/v1/agents/', delayMs: 100 })))

    const report = await findAgents(check({ concurrency: 4 }))

    expect(report.inspected).toBe(10)
    expect(pipecat.peakInFlight).toBe(4)
  })

  test('a deleted agent (404 on its details) is left out without making the report incomplete', async () => {
    pipecat.seedAgent({ name: 'a-bot', imagePullSecretName: SET, image: IMAGE })
    pipecat.seedAgent({ name: 'b-bot', imagePullSecretName: SET, image: IMAGE })
    pipecat.failNext({ path: '/v1/agents/a-bot', status: 404 })

    const report = await findAgents(check())

    expect(report).toMatchObject({ complete: true, inspected: 1, gaps: [] })
    expect(report.agents.map(agent => agent.name)).toEqual(['b-bot'])
  })

  test.each([
    [
      '401',
      { status: 401 },
      /^Pipecat Cloud refused pipecat-api-token for the agent list \(401\) \(Unauthorized\): use a Private API key .*or set check-agents: false\.$/
    ],
    ['404', { status: 404 }, /^Pipecat Cloud answered 404 for the agent list at http:\/\/127\.0\.0\.1:\d+\/v1\/agents \(Not Found\): check pipecat-api-url/],
    [
      'a non-JSON body',
      { status: 200, rawBody: '<html>proxy login</html>' },
      /answered the agent list with a body that is not JSON \(text\/html\): .*check pipecat-api-url\.$/
    ],
    [
      'no services list',
      { status: 200, body: { services: null } },
      /answered the agent list without a "services" list \(\{"services":null\}\): check pipecat-api-url/
    ],
    ['null', { status: 200, rawBody: 'null' }, /answered the agent list without a "services" list \(null\)/]
  ])('the list failing with %s: an empty, incomplete report that says why', async (_case, fault, says) => {
    pipecat.seedAgent({ name: 'a-bot', imagePullSecretName: SET, image: IMAGE })
    pipecat.failNext({ path: '/v1/agents', ...fault })

    const report = await findAgents(check())

    expect(report).toMatchObject({ complete: false, listed: 0, inspected: 0, agents: [] })
    expect(report.gaps).toEqual([expect.stringMatching(says)])
    expect(detailRequests()).toEqual([])
  })

  test('a failing list is retried by the HTTP client first, then reported with its attempts', async () => {
    pipecat.failNext({ path: '/v1/agents', status: 503 }, { path: '/v1/agents', status: 503 })

    const report = await findAgents(check())

    expect(report.gaps).toEqual([
      'Pipecat Cloud answered the agent list with 503 after 2 attempts (Service Unavailable): the service is busy or failing; the next run reports again.'
    ])
    expect(pipecat.requests.filter(r => r.path === '/v1/agents')).toHaveLength(2)
  })

  test('a failing agent stops the inspection: the rest are counted as not read', async () => {
    for (const name of ['a-bot', 'b-bot', 'c-bot', 'd-bot']) pipecat.seedAgent({ name, imagePullSecretName: SET, image: IMAGE })
    pipecat.failNext({ path: '/v1/agents/b-bot', status: 500 }, { path: '/v1/agents/b-bot', status: 500 })

    const report = await findAgents(check({ concurrency: 1 }))

    expect(report.agents.map(agent => agent.name)).toEqual(['a-bot'])
    expect(report).toMatchObject({ complete: false, inspected: 1 })
    expect(report.gaps).toEqual([
      '3 agents not read: Pipecat Cloud answered agent b-bot with 500 after 2 attempts (Internal Server Error): the service is busy or failing; the next run reports again.'
    ])
    expect(detailRequests()).toEqual(['a-bot', 'b-bot', 'b-bot'])
  })

  test('odd list entries are skipped and reported; the valid ones are still inspected', async () => {
    pipecat.seedAgent({ name: 'a-bot', imagePullSecretName: SET, image: IMAGE })
    pipecat.failNext({
      path: '/v1/agents',
      status: 200,
      body: { services: [{ name: 'a-bot' }, null, { name: 'Bad Name\n::error::x' }, { name: 'gone-bot', deletedAt: '2026-01-01T00:00:00Z' }] }
    })

    const report = await findAgents(check())

    expect(report.agents.map(agent => agent.name)).toEqual(['a-bot'])
    expect(report).toMatchObject({ complete: false, listed: 1 })
    expect(report.gaps).toEqual([expect.stringMatching(/^Pipecat Cloud listed 2 agents without a valid name \(null, Bad Name ::error::x\), not inspected/)])
  })

  test('a network failure is a gap with the client’s own message', async () => {
    const http: HttpClient = {
      send: async () => {
        throw new ActionError('Could not reach Pipecat Cloud at api.example.test (no answer within 1s, after 5 attempts); check the network.')
      },
      sendOnce: async () => {
        throw new Error('not used')
      },
      describeFailure: String
    }

    const report = await findAgents(check({ api: { http, apiUrl: 'https://api.example.test', token: 't' } }))

    expect(report.gaps).toEqual(['Could not reach Pipecat Cloud at api.example.test (no answer within 1s, after 5 attempts); check the network.'])
    expect(report.complete).toBe(false)
  })

  test('a fault of the report’s own is a gap too, never a throw', async () => {
    const http: HttpClient = {
      send: async () => {
        throw new TypeError('boom\n::error::x')
      },
      sendOnce: async () => {
        throw new Error('not used')
      },
      describeFailure: String
    }

    const report = await findAgents(check({ api: { http, apiUrl: 'https://api.example.test', token: 't' } }))

    expect(report).toMatchObject({
      complete: false,
      agents: [],
      gaps: ['The agents report stopped (TypeError: boom ::error::x); rerun, and report it if it persists.']
    })
  })

  test('a timeout on the details is a gap too, and the run goes on', async () => {
    pipecat.seedAgent({ name: 'slow-bot', imagePullSecretName: SET, image: IMAGE })
    pipecat.failNext({ path: '/v1/agents/slow-bot', delayMs: 1500 })
    const http = createHttpClient({ timeoutMs: 300, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 1000 } })

    const report = await findAgents(check({ api: { http, apiUrl: pipecat.url, token: pipecat.token } }))

    expect(report.gaps).toEqual([
      expect.stringMatching(/^1 agent not read: Could not reach Pipecat Cloud at 127\.0\.0\.1:\d+ \(no answer within 0\.3s, after 1 attempt\)/)
    ])
  })
})

describe('readAgent', () => {
  const details = (overrides: Record<string, unknown> = {}, spec: Record<string, unknown> = {}, health: unknown = { state: 'running', restartCount: 0 }) => ({
    name: 'a-bot',
    region: 'us-west',
    ready: true,
    deployment: { manifest: { spec: { image: IMAGE, imagePullSecretName: SET, ...spec } } },
    currentRevision: { health },
    ...overrides
  })
  const ctx = { api: { http: {} as HttpClient, apiUrl: '', token: '' }, secretName: SET, secretRegion: 'us-west', registryHost: REGISTRY }

  test('agents on other sets, or with no deployment, are not reported and not odd', () => {
    expect(readAgent('a-bot', details({}, { imagePullSecretName: 'other' }), ctx)).toEqual({ odd: [] })
    expect(readAgent('a-bot', details({ deployment: null }), ctx)).toEqual({ odd: [] })
    expect(readAgent('a-bot', details({}, { imagePullSecretName: undefined }), ctx)).toEqual({ odd: [] })
  })

  test('an agent from a cloud build, whose spec shows no image, has image null, is not odd, and has no registry problem', () => {
    const read = readAgent('a-bot', details({}, { image: undefined }), ctx)

    expect(read).toEqual({
      use: { name: 'a-bot', region: 'us-west', image: null, ready: true, state: 'running', reason: null, restarts: 0, problems: [] },
      odd: []
    })
  })

  test('odd fields are shown as unknown and named, cleaned', () => {
    const read = readAgent(
      'a-bot',
      details({ region: 42, ready: 'yes' }, { image: 'evil\n::error::pwned <b>' }, { state: 'sleeping', restartCount: -1, reason: '<img src=x>' }),
      ctx
    )

    expect(read.use).toEqual({ name: 'a-bot', region: null, image: null, ready: null, state: null, reason: null, restarts: null, problems: [] })
    expect(read.odd).toEqual(['region 42', 'image evil ::error::pwned <b>', 'ready yes', 'state sleeping', 'reason <img src=x>', 'restartCount -1'])
  })

  test('shapes that are not objects are odd, never passed on', () => {
    expect(readAgent('a-bot', null, ctx)).toEqual({ odd: ['the answer null'] })
    expect(readAgent('a-bot', details({ deployment: 'x' }), ctx).odd).toEqual(['deployment x'])
    expect(readAgent('a-bot', details({}, { imagePullSecretName: 7 }), ctx).odd).toEqual(['imagePullSecretName 7'])
    expect(readAgent('a-bot', details({}, {}, 'broken'), ctx).odd).toEqual(['health broken'])
  })

  test('a secret in a field never comes back, in any form', () => {
    const token = `pk_${'s3cr3t'.repeat(6)}`
    trackSecret(token)
    const read = readAgent('a-bot', details({ region: token }, { image: `${REGISTRY}/x:${token}` }), ctx)

    expect(JSON.stringify(read)).not.toContain(token.slice(0, 16))
    expect(JSON.stringify(read)).not.toContain(token.slice(-16))
    expect(read).toEqual({ use: expect.objectContaining({ region: null, image: null }), odd: ['region ***', `image ${REGISTRY}/x:***`] })
  })
})

test('registryOf follows docker’s rule for the registry part of an image', () => {
  expect(registryOf(IMAGE)).toBe(REGISTRY)
  expect(registryOf('acme/voice:1')).toBe('docker.io')
  expect(registryOf('voice:1')).toBe('docker.io')
  expect(registryOf('voice@sha256:abc')).toBe('docker.io')
  expect(registryOf('localhost/voice:1')).toBe('localhost')
  expect(registryOf('127.0.0.1:5000/voice:1')).toBe('127.0.0.1:5000')
  expect(registryOf('GHCR.io/acme/voice:1')).toBe('ghcr.io')
})

function agent(name: string, overrides: Partial<AgentUse> = {}): AgentUse {
  return { name, region: 'us-west', image: IMAGE, ready: true, state: 'running', reason: null, restarts: 0, problems: [], ...overrides }
}

function report(agents: AgentUse[], overrides: Partial<AgentsReport> = {}): AgentsReport {
  return {
    secretName: SET,
    secretRegion: 'us-west',
    complete: true,
    listed: agents.length,
    inspected: agents.length,
    skipped: 0,
    skippedNames: [],
    limit: 50,
    agents,
    gaps: [],
    ...overrides
  }
}

describe('agentWarnings', () => {
  test('each problem gets one line that says what to do', () => {
    const warnings = agentWarnings(
      report([
        agent('eu-bot', { region: 'eu-central', problems: ['other-region'] }),
        agent('hub-bot', { image: 'acme/voice:2', problems: ['other-registry'] }),
        agent('stuck-bot', { ready: false, state: 'waiting', reason: 'ImagePullBackOff', restarts: 7, problems: ['not-ready'] }),
        agent('crash-bot', { ready: false, state: 'terminated', reason: 'CrashLoopBackOff', restarts: 3, problems: ['not-ready'] }),
        agent('fine-bot')
      ]),
      REGISTRY
    )

    expect(warnings).toEqual([
      `Agent eu-bot runs in eu-central but pulls with secret set ${SET}, which lives in us-west: it can never pull with a set from another region; create a set in eu-central (another secret-name with pipecat-region: eu-central) or redeploy the agent in us-west.`,
      `Agent hub-bot pulls acme/voice:2 from docker.io, but secret set ${SET} holds credentials for ${REGISTRY}: they do not apply to that image; deploy an image from ${REGISTRY}, or give the agent a pull secret for docker.io.`,
      `Agent stuck-bot pulls with secret set ${SET} but is not ready (waiting, ImagePullBackOff, 7 restarts): its image cannot be pulled: check that ${IMAGE} exists and the AWS role may pull it (set image to check it here), then redeploy the agent.`,
      `Agent crash-bot pulls with secret set ${SET} but is not ready (terminated, CrashLoopBackOff, 3 restarts): check its logs (pipecat cloud agent logs crash-bot), fix the cause and redeploy.`
    ])
  })

  test('gaps come first and say the secret is unaffected; past eight lines the rest go to the summary', () => {
    const many = Array.from({ length: 12 }, (_, i) => agent(`bot-${i}`, { ready: false, problems: ['not-ready'] }))
    const warnings = agentWarnings(report(many, { complete: false, gaps: ['1 agent not read: boom'] }), REGISTRY)

    expect(warnings).toHaveLength(8)
    expect(warnings[0]).toBe('Agents report incomplete (the secret itself is unaffected): 1 agent not read: boom')
    expect(warnings[7]).toBe('6 more agent warnings: see the job summary.')
  })
})

describe('assertAgentsHealthy', () => {
  const inputs = (failOnUnhealthyAgents: boolean, dryRun = false) => ({ secretName: SET, failOnUnhealthyAgents, dryRun }) as Inputs

  test('fails with one line naming the agents and the fix, only when asked', () => {
    const unhealthy = report([
      agent('fine-bot'),
      agent('eu-bot', { region: 'eu-central', problems: ['other-region'] }),
      agent('stuck-bot', { ready: false, problems: ['not-ready'] })
    ])

    expect(() => assertAgentsHealthy(inputs(true), unhealthy)).toThrow(
      new ActionError(
        `Secret set ${SET} was refreshed, but 2 agents using it cannot pull or are not ready (eu-bot: other-region; stuck-bot: not-ready): fix them as the warnings say, or set fail-on-unhealthy-agents: false.`
      )
    )
    expect(() => assertAgentsHealthy(inputs(true, true), unhealthy)).toThrow(/was checked \(dry run\), but 2 agents/)
    expect(() => assertAgentsHealthy(inputs(false), unhealthy)).not.toThrow()
    expect(() => assertAgentsHealthy(inputs(true), report([agent('fine-bot')]))).not.toThrow()
    // An incomplete report is a warning, not a failure: it says nothing about the agents it could not see.
    expect(() => assertAgentsHealthy(inputs(true), report([], { complete: false, gaps: ['x'] }))).not.toThrow()
  })
})

describe('the report as output and summary', () => {
  test('the output has a stable shape, every key present', () => {
    const output = JSON.parse(agentsOutput(report([agent('a-bot', { state: null, restarts: null, problems: ['not-ready'] })], { skipped: 3, listed: 4 })))

    expect(output).toEqual({
      secretName: SET,
      complete: true,
      listed: 4,
      inspected: 1,
      skipped: 3,
      agents: [{ name: 'a-bot', region: 'us-west', image: IMAGE, ready: true, state: null, reason: null, restarts: null, problems: ['not-ready'] }]
    })
  })

  test('the summary table escapes every cell and says what was skipped and what is missing', () => {
    const html = agentsSummaryHtml(
      report([agent('a-bot', { ready: false, state: 'waiting', reason: 'ImagePullBackOff', restarts: 2, problems: ['not-ready', 'other-region'] })], {
        listed: 3,
        skipped: 2,
        skippedNames: ['y-bot', 'z-bot'],
        limit: 1,
        complete: false,
        gaps: ['Pipecat Cloud answered <script>alert(1)</script>']
      })
    )

    expect(html).toContain(
      `<tr><td>a-bot</td><td>us-west</td><td>${IMAGE}</td><td>no</td><td>waiting (ImagePullBackOff)</td><td>2</td><td>not ready, other region: cannot pull</td></tr>`
    )
    expect(html).toContain('Inspected 1 of 3 agents. 2 not inspected (limit 1): y-bot, z-bot.')
    expect(html).toContain('<li>Pipecat Cloud answered &lt;script&gt;alert(1)&lt;/script&gt;</li>')
    expect(html).not.toContain('<script>')
  })

  test('no agent on the set, and an unknown region, are said plainly', () => {
    const html = agentsSummaryHtml(report([], { secretRegion: undefined, listed: 2, inspected: 2 }))

    expect(html).toContain(`No inspected agent uses ${SET}.`)
    expect(html).toContain('Regions not compared')
    expect(html).not.toContain('Incomplete report')
  })
})
