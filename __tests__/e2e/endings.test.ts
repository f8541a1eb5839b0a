import { execFileSync } from 'node:child_process'
import { readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { startConnectProxy } from '../support/connect-proxy.js'
import { drip, startHostileServer } from '../support/hostile-server.js'
import { makeCertificate } from '../support/tls-certificate.js'
import {
  awsEnv,
  baseInputs,
  expectNoLeaks,
  expectOneLineFailure,
  secretsOf,
  startAction,
  type ActionRun,
  type Ecr,
  type Pipecat,
  type RunOptions
} from './harness.js'

// Every way a run can end, other than the ones it foresees, ends as loudly as those: exit code 1, one
// error line that says what the run was doing, the outputs, the job summary and the alert issue.

type GitHub = Awaited<ReturnType<typeof startGitHubEmulator>>
const GITHUB_TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a'
const FAULTS = resolve('__tests__/support/faults')
// Only a hang breaks this: each row ends in a few seconds, and the harness kills the run at its own limit.
const HANG_MS = 60_000

let dir: string
let good: { key: string; cert: string; certPath: string }
let impostor: { key: string; cert: string; certPath: string }
let trustBoth: string
let ecr: Ecr
let pipecat: Pipecat
let github: GitHub

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'endings-test-'))
  const goodDir = await mkdtemp(join(dir, 'good-'))
  const impostorDir = await mkdtemp(join(dir, 'impostor-'))
  good = makeCertificate(goodDir)
  impostor = makeCertificate(impostorDir, { names: ['DNS:registry.example.net'] })
  trustBoth = join(dir, 'trusted.pem')
  await writeFile(trustBoth, `${good.cert}\n${impostor.cert}`)
})
afterAll(() => rm(dir, { recursive: true, force: true }))

afterEach(async () => {
  await Promise.all([ecr?.close(), pipecat?.close(), github?.close()])
})

async function startServices(options: { ecrTls?: typeof good; pipecatTls?: typeof good; readyAfter?: number } = {}) {
  ecr = await startEcrEmulator(options.ecrTls ? { tls: options.ecrTls } : {})
  pipecat = await startPipecatEmulator({ readyAfter: options.readyAfter ?? 1, ...(options.pipecatTls ? { tls: options.pipecatTls } : {}) })
  github = await startGitHubEmulator({ token: GITHUB_TOKEN })
}

function options(inputs: Record<string, string> = {}, env: Record<string, string> = {}, nodeArgs: string[] = []): RunOptions {
  return {
    inputs: { ...baseInputs(ecr, pipecat), 'alert-issue': 'true', 'github-token': GITHUB_TOKEN, ...inputs },
    env: {
      ...awsEnv(ecr),
      NODE_EXTRA_CA_CERTS: trustBoth,
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/agents',
      GITHUB_RUN_ID: '4242',
      ...env
    },
    nodeArgs,
    timeoutMs: HANG_MS
  }
}

const secrets = () => [...secretsOf(ecr, pipecat), GITHUB_TOKEN]
const issueTexts = () => [...github.issues.map((i: { body: string }) => i.body), ...github.comments.map((c: { body: string }) => c.body)]

/** What every loud ending has: the one line, the outputs, the summary, the alert issue, no leak, no hang. */
function expectLoudEnding(run: ActionRun, message: RegExp, summaryStatus: RegExp): void {
  expect(run.signal).toBeUndefined()
  expectOneLineFailure(run, message)
  expect(run.stderr).not.toMatch(/unsettled top-level await|Unhandled|triggerUncaughtException/)
  expect(run.outputs).toMatchObject({ registry: expect.stringMatching(/./), 'secret-name': 'my-ecr-credentials' })
  expect(run.summary).toContain('Pipecat Cloud pull secret refresh failed')
  expect(run.summary).toMatch(summaryStatus)
  expect(github.issues).toHaveLength(1)
  expect(github.issues[0].body).toContain(run.error)
  expectNoLeaks(run, secrets(), issueTexts())
}

/** Polls a condition the emulators record; only a hang reaches the bound. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + HANG_MS
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`)
    await new Promise(done => setTimeout(done, 20))
  }
}

const putSeen = () => pipecat.requests.some((r: { method: string }) => r.method === 'PUT')
const statusReadAfterPut = () => pipecat.requests.findIndex((r: { method: string }) => r.method === 'PUT') < pipecat.requests.length - 1 && putSeen()

/** A TLS server with a trusted certificate for another name, answering nothing that matters. */
async function startImpostor(): Promise<{ host: string; close(): Promise<void> }> {
  const server = createHttpsServer({ key: impostor.key, cert: impostor.cert }, (_req, res) => res.writeHead(500).end())
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>(done => {
        server.close(() => done())
        server.closeAllConnections()
      })
  }
}

const WRONG_CERTIFICATE = (service: string) =>
  new RegExp(`^${service} at 127\\.0\\.0\\.1(:\\d+)? presented a certificate that is not for 127\\.0\\.0\\.1: .*retrying will not help`)

describe('a certificate for another name ends the run at once, with a line of its own', () => {
  test('from ECR', async () => {
    await startServices({ ecrTls: impostor })
    const run = await (await startAction(options())).result

    expectLoudEnding(run, WRONG_CERTIFICATE('ECR'), /not stored/)
    expect(ecr.requests).toEqual([])
  })

  test('from Pipecat Cloud', async () => {
    await startServices({ pipecatTls: impostor })
    const run = await (await startAction(options())).result

    expectLoudEnding(run, WRONG_CERTIFICATE('Pipecat Cloud'), /not stored/)
    expect(pipecat.requests).toEqual([])
  })

  test('from the registry, in the pre-flight', async () => {
    await startServices()
    const registry = await startImpostor()
    try {
      const run = await (await startAction(options({ registry: `https://${registry.host}`, image: 'voice/agent:v1', 'verify-image': 'true' }))).result

      expectLoudEnding(run, WRONG_CERTIFICATE('the registry'), /not stored/)
      expect(pipecat.requests.filter((r: { method: string }) => r.method === 'PUT')).toEqual([])
    } finally {
      await registry.close()
    }
  })

  test.each(['ECR', 'Pipecat Cloud', 'the registry'])('from %s, through a proxy that splices the tunnel to another server', async service => {
    await startServices({ ecrTls: good, pipecatTls: good })
    const registry = await startImpostor()
    const impostorServer = await startImpostor()
    // The proxy sends only the service under test elsewhere: the others are reached directly.
    const proxy = await startConnectProxy({ spliceTo: impostorServer.host })
    const direct = { ECR: [pipecat.url, registry.host], 'Pipecat Cloud': [ecr.url, registry.host], 'the registry': [ecr.url, pipecat.url] }[service]!
    const noProxy = direct.map(url => new URL(url.includes('://') ? url : `https://${url}`).host).join(',')
    try {
      const run = await (
        await startAction(
          options(service === 'the registry' ? { registry: `https://${registry.host}`, image: 'voice/agent:v1', 'verify-image': 'true' } : {}, {
            HTTPS_PROXY: proxy.url,
            NO_PROXY: noProxy
          })
        )
      ).result

      expectLoudEnding(run, WRONG_CERTIFICATE(service), /not stored/)
      expect(proxy.targets()).toHaveLength(1)
    } finally {
      await Promise.all([proxy.close(), registry.close(), impostorServer.close()])
    }
  })
})

describe('an ending nobody foresaw is as loud as one that was', () => {
  test('a cancel (SIGINT, then SIGTERM, as the runner sends them) while waiting for ready', async () => {
    await startServices({ readyAfter: Infinity })
    const started = await startAction(options({ 'wait-timeout': '600' }))
    await until(statusReadAfterPut, 'a status read after the PUT')
    started.child.kill('SIGINT')
    // The runner's SIGTERM comes while the run is still reporting: it must not start a second ending.
    await until(
      () => github.requests.some((r: { path: string }) => r.path.endsWith('/issues')) || started.child.exitCode !== null,
      'the alert issue, or the end of the run'
    )
    started.child.kill('SIGTERM')
    const run = await started.result

    expectLoudEnding(
      run,
      /^The run was cancelled \(SIGINT\) while waiting for Pipecat Cloud to report secret set my-ecr-credentials ready: rerun/,
      /stored, not ready/
    )
    expect(run.outputs['expires-at']).toMatch(/^\d{4}-/)
    expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('pending')
  })

  test('a rejected promise nobody awaits', async () => {
    await startServices({ readyAfter: Infinity })
    const trigger = join(dir, 'reject-now')
    const started = await startAction(options({ 'wait-timeout': '600' }, { FAULT_TRIGGER: trigger }, ['--import', join(FAULTS, 'rejection.js')]))
    await until(statusReadAfterPut, 'a status read after the PUT')
    await writeFile(trigger, '')
    const run = await started.result
    await rm(trigger)

    expectLoudEnding(
      run,
      /^Unexpected error \(Error: injected fault\) while waiting for Pipecat Cloud to report secret set my-ecr-credentials ready; rerun/,
      /stored, not ready/
    )
  })

  test('an event loop that empties while the run still waits for an answer', async () => {
    await startServices()
    const silentPipecat = await startHostileServer(() => {})
    const port = new URL(silentPipecat.url).port
    try {
      const run = await (
        await startAction(options({ 'pipecat-api-url': silentPipecat.url }, { FAULT_PORT: port }, ['--import', join(FAULTS, 'stall.js')]))
      ).result

      expectLoudEnding(run, /^The run stopped while storing secret set my-ecr-credentials in Pipecat Cloud with nothing left to wait for/, /not stored/)
      expect(silentPipecat.requests.map(r => r.method)).toEqual(['PUT'])
    } finally {
      await silentPipecat.close()
    }
  })

  test('the run time limit, when a request ignores its own deadline', async () => {
    await startServices()
    const drippingPipecat = await startHostileServer((_req, res) => drip(res, 200, 300))
    try {
      const run = await (
        await startAction(
          options({ 'pipecat-api-url': drippingPipecat.url, 'request-timeout': '1', 'wait-timeout': '1' }, {}, ['--import', join(FAULTS, 'fast-clock.js')])
        )
      ).result

      expectLoudEnding(
        run,
        /^The run reached its time limit \(67s: 60s \+ 6 x request-timeout \+ wait-timeout\) while waiting for Pipecat Cloud at 127\.0\.0\.1:\d+/,
        /not stored/
      )
      expect(drippingPipecat.requests.map(r => r.method)).toEqual(['PUT'])
    } finally {
      await drippingPipecat.close()
    }
  })
})

describe('a config-file that is not a deploy config is refused before any request, with nothing written', () => {
  test.each([
    ['a named pipe', (path: string) => execFileSync('mkfifo', [path]), /is a named pipe \(FIFO\), not a regular file/],
    ['a link to /dev/zero', (path: string) => symlinkSync('/dev/zero', path), /is a device, not a regular file/],
    ['a 1.5 GiB file', (path: string) => truncateSync((writeFileSync(path, ''), path), 1.5 * 1024 ** 3), /is over 1 MiB, far more than a deploy config ever is/]
  ])('%s', async (_kind, make, message) => {
    await startServices()
    const workspace = await mkdtemp(join(dir, 'workspace-'))
    make(join(workspace, 'pcc-deploy.toml'))
    try {
      const run = await (await startAction({ ...options({ 'config-file': 'pcc-deploy.toml', 'agent-name': 'bot' }), cwd: workspace })).result

      expectLoudEnding(run, new RegExp(`^Input config-file: pcc-deploy\\.toml ${message.source}.*Nothing was read or changed\\.$`), /not stored/)
      expect(run.outputs['config-file']).toBe('')
      expect([ecr.requests, pipecat.requests]).toEqual([[], []])
      expect(readdirSync(workspace)).toEqual(['pcc-deploy.toml'])
    } finally {
      await rm(workspace, { recursive: true, force: true })
    }
  })
})
