import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { makeCertificate } from '../support/tls-certificate.js'
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js'
import { registrySkipReason, startRegistry, type TestRegistry } from '../support/registry-server.js'
import { awsEnv, baseInputs, expectNoLeaks, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

// Runners behind a corporate proxy reach ECR, Pipecat Cloud and the registry only through it; these
// runs check that every one of those calls takes the proxy the environment names, and skips it where
// NO_PROXY says so. The emulators and registry run in plain http and in https, because undici picks
// the proxy by the target's scheme.

type Tls = ReturnType<typeof makeCertificate>

/** One way to reach the three services: which ECR, Pipecat Cloud and registry, and how the inputs name them. */
interface Setup {
  ecr: Ecr
  pipecat: Pipecat
  registry: TestRegistry
  /** The registry input: a full http URL for the plain registry, a bare host (https by default) for the TLS one. */
  registryInput: string
}

const IMAGE = 'voice/agent:arm64'
const execFileAsync = promisify(execFile)

let certDir: string
let caFile: string
let tls: Tls
// The registries accept only the password the ECR emulators hand out, as ECR's registry does.
// bcrypt (htpasswd) reads only 72 bytes, so it is shorter than a real ECR password.
const password = randomBytes(48).toString('base64url')
let plainEcr: Ecr
let tlsEcr: Ecr
let plainRegistry: TestRegistry | undefined
let tlsRegistry: TestRegistry | undefined
let plainPipecat: Pipecat
let tlsPipecat: Pipecat
let proxy: ConnectProxy

async function opensslMissing(): Promise<string | undefined> {
  try {
    await execFileAsync('openssl', ['version'])
    return undefined
  } catch {
    return 'openssl not found; install it with: apt-get install openssl'
  }
}

/** A loopback port nothing listens on: a proxy setting that must not be used points here. */
async function deadPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', () => resolve()))
  const address = probe.address()
  await new Promise(resolve => probe.close(resolve))
  return typeof address === 'object' && address ? address.port : 0
}

// Only a developer's machine skips: under CI=true a missing tool fails the file in beforeAll instead.
const skipped = process.env.CI === 'true' ? undefined : ((await opensslMissing()) ?? (await registrySkipReason()))
if (skipped) console.warn(`SKIPPING the end-to-end proxy tests: ${skipped}`)
const proxyTest = skipped ? test.skip : test

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'proxy-test-'))
  plainEcr = await startEcrEmulator({ password })
  const missing = await opensslMissing()
  if (missing) throw new Error(`The proxy tests cannot run: ${missing}`)
  tls = makeCertificate(certDir)
  caFile = tls.certPath
  tlsEcr = await startEcrEmulator({ password, tls })
  for (const withTls of [false, true]) {
    const started = await startRegistry({ username: 'AWS', password }, withTls ? { tls } : {})
    if ('skipped' in started) throw new Error(started.skipped)
    await started.pushImage('voice/agent', 'arm64', 'arm64-index')
    if (withTls) tlsRegistry = started
    else plainRegistry = started
  }
})
afterAll(async () => {
  await plainRegistry?.close()
  await tlsRegistry?.close()
  await plainEcr?.close()
  await tlsEcr?.close()
  await rm(certDir, { recursive: true, force: true })
})
beforeEach(async () => {
  // The ECR emulators serve the whole file; each test counts only its own requests.
  plainEcr.requests.length = 0
  if (tlsEcr) tlsEcr.requests.length = 0
  plainPipecat = await startPipecatEmulator()
  if (tls) tlsPipecat = await startPipecatEmulator({ tls })
  proxy = await startConnectProxy()
})
afterEach(async () => {
  await proxy.close()
  await plainPipecat.close()
  await tlsPipecat?.close()
})

const plain = (): Setup => ({
  ecr: plainEcr,
  pipecat: plainPipecat,
  registry: plainRegistry as TestRegistry,
  registryInput: (plainRegistry as TestRegistry).url
})
const secure = (): Setup => ({ ecr: tlsEcr, pipecat: tlsPipecat, registry: tlsRegistry as TestRegistry, registryInput: (tlsRegistry as TestRegistry).host })
const hostOf = (url: string): string => new URL(url).host

function run(setup: Setup, env: Record<string, string>) {
  return runAction({
    inputs: { ...baseInputs(setup.ecr, setup.pipecat), registry: setup.registryInput, image: IMAGE },
    env: {
      ...awsEnv(setup.ecr),
      // How a runner trusts a corporate or private CA; here it is the test certificate.
      NODE_EXTRA_CA_CERTS: caFile,
      ...env
    }
  })
}

const pipecatCalls = (setup: Setup) => setup.pipecat.requests.map((r: { method: string; path: string }) => `${r.method} ${r.path}`)

/** A run that got the token, checked the image, stored the secret and saw it ready. */
function expectRefreshed(result: Awaited<ReturnType<typeof run>>, setup: Setup) {
  expect(result.error).toBeUndefined()
  expect(result.code).toBe(0)
  expect(setup.ecr.requests.length).toBeGreaterThan(0)
  expect(pipecatCalls(setup)).toEqual(expect.arrayContaining(['PUT /v1/secrets/my-ecr-credentials', 'GET /v1/secrets']))
  expect(setup.pipecat.sets.get('my-ecr-credentials')?.status).toBe('ready')
  expect(result.outputs['image-digest']).toMatch(/^sha256:/)
  expectNoLeaks(result, secretsOf(setup.ecr, setup.pipecat))
}

/**
 * One tunnel (or forwarded request) per service at least, in the order the action calls them, and none
 * elsewhere. ECR gets a single request. The registry gets three in a row (the index, its linux/arm64
 * manifest, the config blob): undici may start the second before it has put the first connection back,
 * so it opens one more and reuses the two, so its count is one or two. Pipecat Cloud gets the PUT and the
 * status list calls: undici opens a second connection right after a PUT with a body and keeps that one
 * alive for the list calls, so its count is between one and the number of its requests.
 */
function expectThroughProxy(setup: Setup) {
  const ecrHost = hostOf(setup.ecr.url)
  const pipecatHost = hostOf(setup.pipecat.url)
  const counts = proxy.counts()
  expect(Object.keys(counts)).toEqual([ecrHost, setup.registry.host, pipecatHost])
  expect(counts[ecrHost]).toBe(1)
  expect(counts[setup.registry.host]).toBeGreaterThanOrEqual(1)
  expect(counts[setup.registry.host]).toBeLessThanOrEqual(2)
  expect(counts[pipecatHost]).toBeGreaterThanOrEqual(1)
  expect(counts[pipecatHost]).toBeLessThanOrEqual(setup.pipecat.requests.length)
  expect(proxy.visits.every(visit => visit.status === 200)).toBe(true)
}

proxyTest.each(['HTTP_PROXY', 'http_proxy'])('%s carries the calls to http services: ECR, the registry check and Pipecat Cloud', async name => {
  const setup = plain()
  const result = await run(setup, { [name]: proxy.url })

  expectRefreshed(result, setup)
  expectThroughProxy(setup)
})

proxyTest.each(['HTTPS_PROXY', 'https_proxy'])('%s carries the calls to https services: ECR, the registry check and Pipecat Cloud', async name => {
  const setup = secure()
  const result = await run(setup, { [name]: proxy.url })

  expectRefreshed(result, setup)
  // https targets always go through CONNECT: the proxy sees host and port, never the request.
  expect(proxy.visits.every(visit => visit.method === 'CONNECT')).toBe(true)
  expectThroughProxy(setup)
})

proxyTest.each([
  ['NO_PROXY', 'plain', '127.0.0.1'],
  ['no_proxy', 'plain', 'localhost, 127.0.0.1'],
  ['NO_PROXY', 'TLS', '127.0.0.1'],
  ['no_proxy', 'TLS', 'example.com,127.0.0.1']
])('%s bypasses the proxy for every service (%s services, list "%s")', async (name, kind, list) => {
  const setup = kind === 'TLS' ? secure() : plain()
  const result = await run(setup, { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, [name]: list })

  expectRefreshed(result, setup)
  expect(proxy.visits).toEqual([])
})

proxyTest('a NO_PROXY entry with a port bypasses that service only', async () => {
  const setup = secure()
  const pipecatHost = hostOf(setup.pipecat.url)
  const result = await run(setup, { HTTPS_PROXY: proxy.url, NO_PROXY: pipecatHost })

  expectRefreshed(result, setup)
  // The registry may take two tunnels (see expectThroughProxy); what matters is which services used the proxy.
  expect([...new Set(proxy.targets())]).toEqual([hostOf(setup.ecr.url), setup.registry.host])
})

proxyTest.each([
  [407, /Could not reach ECR at 127\.0\.0\.1: the proxy asks for credentials \(407\): put them in the proxy URL/],
  [403, /Could not reach ECR at 127\.0\.0\.1: the proxy refused to connect to 127\.0\.0\.1 \(403\): ask for 127\.0\.0\.1 to be allowed, or add it to NO_PROXY/]
])('a proxy that refuses the tunnel (%i) fails the run at once, with one line that names the fix', async (status, message) => {
  const refusing = await startConnectProxy({ refuseWith: status })
  try {
    const setup = secure()
    const result = await run(setup, { HTTPS_PROXY: refusing.url })

    expect(result.code).toBe(1)
    expect(result.stdout.split('\n').filter(line => line.startsWith('::error::'))).toHaveLength(1)
    expect(result.error).toMatch(message)
    // A refusal will not change on a retry: the run stops at its first call, and nothing reaches ECR or is stored.
    expect(refusing.visits).toHaveLength(1)
    expect(refusing.visits.every(visit => visit.target === hostOf(setup.ecr.url) && visit.status === status)).toBe(true)
    expect(setup.ecr.requests).toHaveLength(0)
    expect(setup.pipecat.requests).toHaveLength(0)
    expectNoLeaks(result, secretsOf(setup.ecr, setup.pipecat))
  } finally {
    await refusing.close()
  }
})

proxyTest('lower-case settings win over upper-case ones, for proxies and for NO_PROXY', async () => {
  // ECR over http and the rest over https, so both proxy pairs are in play in one run.
  const setup: Setup = { ...secure(), ecr: plainEcr }
  const dead = `http://127.0.0.1:${await deadPort()}`
  const result = await run(setup, {
    HTTP_PROXY: dead,
    http_proxy: proxy.url,
    HTTPS_PROXY: dead,
    https_proxy: proxy.url,
    // Were the upper-case list read, nothing would go through the proxy.
    NO_PROXY: '127.0.0.1',
    no_proxy: 'localhost'
  })

  expectRefreshed(result, setup)
  expectThroughProxy(setup)
})
