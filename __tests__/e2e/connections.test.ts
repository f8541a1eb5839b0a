import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findNode24, NODE24_MISSING, onCi } from '../../scripts/node24.js'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { countRoundTrips } from '../support/latency-proxy.js'
import { makeCertificate } from '../support/tls-certificate.js'
import { awsEnv, baseInputs, expectNoLeaks, runAction, secretsOf, type Ecr, type Pipecat, type RunOptions } from './harness.js'

// Far from AWS and Pipecat Cloud, each new connection costs two round trips (TCP, TLS 1.3) before a
// request can go out. The run opens one connection per service, over TLS as in production, and opens
// Pipecat Cloud's while it is still busy with ECR, so those two round trips are spent waiting anyway.

const node24 = findNode24()
if (!node24 && !onCi()) console.warn(`SKIPPING the node24 runs of the connections suite. ${NODE24_MISSING}`)

const FOUR_REGIONS = ['us-west', 'us-east', 'eu-central', 'ap-south']
const FOUR_TARGETS = FOUR_REGIONS.map(region => `ecr-pull-${region}: ${region}`).join('\n')

let certDir: string
let tls: { key: string; cert: string; certPath: string }
let ecr: Ecr
let pipecat: Pipecat

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'connections-test-'))
  tls = makeCertificate(certDir)
})
afterAll(() => rm(certDir, { recursive: true, force: true }))

beforeEach(async () => {
  ecr = await startEcrEmulator({ tls })
  pipecat = await startPipecatEmulator({ tls, readyAfter: 1 })
})
afterEach(async () => {
  await ecr.close()
  await pipecat.close()
})

function options(node: string, inputs: Record<string, string> = {}): RunOptions {
  return {
    node,
    inputs: { ...baseInputs(ecr, pipecat), ...inputs },
    env: { ...awsEnv(ecr), NODE_EXTRA_CA_CERTS: tls.certPath }
  }
}

/** True once `condition` holds, false when `ms` pass first. */
async function waitFor(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!condition()) {
    if (Date.now() >= end) return false
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  return true
}

const requests = (service: Ecr | Pipecat) => service.connections.map(c => c.requests.map(r => r.method))

describe.each([['this Node', process.execPath], ...(node24 || onCi() ? [['node24', node24?.path ?? 'node24 is missing']] : [])])('on %s', (_name, node) => {
  test('one connection per service, the one to Pipecat Cloud opened while ECR answers', async () => {
    // ECR holds its answer until Pipecat Cloud's TLS handshake is done, or 15 s have passed. A run that
    // connects to Pipecat Cloud only once it has the token would wait out the 15 s and fail the check below;
    // a slow machine only makes the wait longer.
    const handshakeDone = waitFor(() => pipecat.connections.some(c => c.secureAt !== undefined), 15_000)
    ecr.holdAnswersUntil(handshakeDone)
    const run = await runAction(options(node))

    expect(run.error).toBeUndefined()
    expect(run.code).toBe(0)
    expect(requests(ecr)).toEqual([['POST']])
    // The PUT, a status read that finds the set pending, and one that finds it ready.
    expect(requests(pipecat)).toEqual([['PUT', 'GET', 'GET']])
    const [pipecatConnection] = pipecat.connections
    expect(pipecatConnection.protocol).toBe('TLSv1.3')
    // Its TLS handshake was done while ECR was still answering.
    expect(await handshakeDone).toBe(true)
    // TCP, TLS 1.3 and one per request: the 7 round trips of a refresh that finds the set ready at once, and one more read.
    expect(countRoundTrips(ecr.connections, 0).total).toBe(3)
    expect(countRoundTrips(pipecat.connections, 0).total).toBe(5)
    expectNoLeaks(run, secretsOf(ecr, pipecat))
  })

  test('four targets share that one connection: the PUTs pipelined, then one status read per round for all', async () => {
    await pipecat.close()
    pipecat = await startPipecatEmulator({ tls, readyAfter: 1, regions: FOUR_REGIONS })
    // The first PUT is answered late: PUTs sent one after another would all arrive after that answer.
    pipecat.failNext({ method: 'PUT', delayMs: 500 })
    const run = await runAction(options(node, { 'secret-name': '', targets: FOUR_TARGETS }))

    expect(run.error).toBeUndefined()
    expect(run.code).toBe(0)
    expect(requests(ecr)).toEqual([['POST']])
    expect(requests(pipecat)).toEqual([['PUT', 'PUT', 'PUT', 'PUT', 'GET', 'GET']])
    // Pipelined: every PUT reached the server before it answered the first one.
    const [first, ...rest] = pipecat.connections[0].requests.slice(0, 4)
    for (const put of rest) expect(put.receivedAt).toBeLessThan(first.answeredAt!)
    expectNoLeaks(run, secretsOf(ecr, pipecat))
  })

  // undici keeps a connection for the server's hint minus a margin; its default margin (2 s) would leave
  // nothing of a 2 s hint and open a connection per request: 3 for one target, 6 for four.
  test.each([
    ['one target', {}, ['PUT', 'GET', 'GET']],
    ['four targets', { 'secret-name': '', targets: FOUR_TARGETS }, ['PUT', 'PUT', 'PUT', 'PUT', 'GET', 'GET']]
  ])('a server hinting Keep-Alive: timeout=2 still gets one connection (%s)', async (_case, inputs, sent) => {
    await pipecat.close()
    pipecat = await startPipecatEmulator({ tls, readyAfter: 1, regions: FOUR_REGIONS, keepAliveSeconds: 2 })
    const run = await runAction(options(node, inputs))

    expect(run.code).toBe(0)
    expect(requests(pipecat)).toEqual([sent])
    expectNoLeaks(run, secretsOf(ecr, pipecat))
  })

  test('a dry run reads Pipecat Cloud over its one early connection', async () => {
    const run = await runAction(options(node, { 'dry-run': 'true' }))

    expect(run.code).toBe(0)
    expect(requests(ecr)).toEqual([['POST']])
    expect(requests(pipecat)).toEqual([['GET']])
    expectNoLeaks(run, secretsOf(ecr, pipecat))
  })

  test('a run that fails at ECR leaves the early connection unused and exits at once', async () => {
    ecr.fail('access-denied')
    // The emulator never closes an idle connection, so an early connection that held the process would keep
    // it running until the harness stops it: that bound, 20 s, is the bound of a hang.
    const run = await runAction({ ...options(node), timeoutMs: 20_000 })

    expect(run.timedOut).toBe(false)
    expect(run.code).toBe(1)
    expect(run.error).toMatch(/^AWS denied ecr:GetAuthorizationToken/)
    expect(requests(pipecat)).toEqual([[]])
    expectNoLeaks(run, secretsOf(ecr, pipecat))
  })
})
