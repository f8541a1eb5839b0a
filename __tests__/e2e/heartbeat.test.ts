import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { startHeartbeat, type HeartbeatServer } from '../support/heartbeat-server.js'
import {
  awsEnv,
  baseInputs,
  errorLines,
  expectMasksFirst,
  expectNoLeaks,
  expectOneLineFailure,
  runAction,
  secretsOf,
  startNetworkTrap,
  type ActionRun,
  type Ecr,
  type Pipecat
} from './harness.js'

// The heartbeat tells a dead-man's-switch service that a run happened, so it alerts when runs stop.
// Each test runs the bundle against the emulators and a stand-in for the service that records what
// it was asked; the ping URL is a credential, so every test also proves no part of it was printed.

const CHECK = '5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c'
const PATH = `/ping/${CHECK}`
// A port no test server can take (they all listen on ports the system hands out, far above 1023) and
// nothing listens on: a closed emulator's port could be taken by another test's server during the run.
const REFUSED = `http://127.0.0.1:1${PATH}`

let ecr: Ecr
let pipecat: Pipecat
let heartbeat: HeartbeatServer

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  heartbeat = await startHeartbeat()
})
afterEach(async () => {
  await Promise.all([ecr.close(), pipecat.close(), heartbeat.close()])
})

function run(inputs: Record<string, string> = {}, env: Record<string, string> = {}, timeoutMs?: number): Promise<ActionRun> {
  return runAction({
    inputs: { ...baseInputs(ecr, pipecat), 'wait-for-ready': 'false', 'heartbeat-url': `${heartbeat.url}${PATH}`, ...inputs },
    env: { ...awsEnv(ecr), ...env },
    timeoutMs
  })
}

/** The URL, its path and its key: none may appear anywhere the run wrote, in any form. */
function expectUrlHidden(result: ActionRun, url = `${heartbeat.url}${PATH}`): void {
  const secrets = [...secretsOf(ecr, pipecat), url, PATH, CHECK]
  expectNoLeaks(result, secrets)
  expectMasksFirst(result, secrets)
}

const warnings = (result: ActionRun) => result.stdout.split('\n').filter(line => line.startsWith('::warning::'))

test('a successful refresh pings the heartbeat URL once, after the secret is stored', async () => {
  const result = await run()

  expect(result.code).toBe(0)
  expect(heartbeat.requests).toEqual([`GET ${PATH}`])
  expect(pipecat.sets.get('my-ecr-credentials')?.secretValue).toBe(ecr.authorizationToken)
  expect(result.stdout).toContain('Pinged the heartbeat URL (success).')
  expect(result.stdout).toContain(`::add-mask::${heartbeat.url}${PATH}`)
  expect(result.summary).toContain('<td>Heartbeat</td><td>success pinged</td>')
  expect(warnings(result)).toEqual([])
  expectUrlHidden(result)
})

test("a failed refresh pings the failure form, and the run's one error line stays as it was", async () => {
  const result = await run({ 'pipecat-api-token': 'revoked-key' })

  expectOneLineFailure(result, /rejected pipecat-api-token \(401\)/)
  expect(heartbeat.requests).toEqual([`GET ${PATH}/fail`])
  expect(result.summary).toContain('<td>Heartbeat</td><td>failure pinged</td>')
  expectNoLeaks(result, [...secretsOf(ecr, pipecat), 'revoked-key', `${heartbeat.url}${PATH}`, PATH, CHECK])
})

test('heartbeat-failure-url replaces the derived failure form', async () => {
  const result = await run({ 'pipecat-api-token': 'revoked-key', 'heartbeat-failure-url': `${heartbeat.url}/custom/${CHECK}?outcome=failed` })

  expect(result.code).toBe(1)
  expect(heartbeat.requests).toEqual([`GET /custom/${CHECK}?outcome=failed`])
  expectUrlHidden(result)
})

test('a dry run never pings, whether it passes or fails', async () => {
  const passed = await run({ 'dry-run': 'true' })
  const failed = await run({ 'dry-run': 'true', 'pipecat-api-token': 'revoked-key' })

  expect([passed.code, failed.code]).toEqual([0, 1])
  expect(heartbeat.requests).toEqual([])
  expect(passed.summary).toContain('<td>Heartbeat</td><td>not pinged (dry run)</td>')
  for (const result of [passed, failed]) expectNoLeaks(result, [...secretsOf(ecr, pipecat), `${heartbeat.url}${PATH}`, PATH, CHECK])
})

describe('a heartbeat service that cannot take the ping only warns', () => {
  test('connection refused: the refresh that worked still succeeds', async () => {
    const result = await run({ 'heartbeat-url': REFUSED })

    expect({ code: result.code, errors: errorLines(result) }).toEqual({ code: 0, errors: [] })
    expect(warnings(result)).toEqual([
      expect.stringMatching(/^::warning::Could not ping the heartbeat URL \(connection refused\), so the monitoring service may alert/)
    ])
    expect(result.outputs['expires-at']).not.toBe('')
    expect(result.summary).toContain('<td>Heartbeat</td><td>success ping failed: connection refused</td>')
    expectUrlHidden(result, REFUSED)
  })

  test('connection refused after a failed run: still exactly one error line, the refresh failure', async () => {
    const result = await run({ 'pipecat-api-token': 'revoked-key', 'heartbeat-url': REFUSED })

    expectOneLineFailure(result, /rejected pipecat-api-token \(401\)/)
    expect(warnings(result)).toEqual([
      expect.stringMatching(/^::warning::Could not ping the heartbeat URL's failure form \(connection refused\).*heartbeat-failure-url/)
    ])
    expectNoLeaks(result, [...secretsOf(ecr, pipecat), 'revoked-key', REFUSED, PATH, CHECK])
  })

  test('a server error: one more try, then a warning', async () => {
    await heartbeat.close()
    heartbeat = await startHeartbeat({ status: 503 })
    const result = await run({ 'request-timeout': '5' })

    expect(result.code).toBe(0)
    expect(heartbeat.requests).toEqual([`GET ${PATH}`, `GET ${PATH}`])
    expect(warnings(result)).toEqual([expect.stringMatching(/^::warning::Could not ping the heartbeat URL \(the service answered 503\)/)])
    expectUrlHidden(result)
  })

  test('a 404 (a deleted check) is not retried', async () => {
    await heartbeat.close()
    heartbeat = await startHeartbeat({ status: 404 })
    const result = await run()

    expect(result.code).toBe(0)
    expect(heartbeat.requests).toEqual([`GET ${PATH}`])
    expect(warnings(result)).toEqual([expect.stringMatching(/^::warning::Could not ping the heartbeat URL \(the service answered 404\)/)])
    expectUrlHidden(result)
  })

  test('a server that never answers: one try within request-timeout, a warning, and the run ends', async () => {
    await heartbeat.close()
    heartbeat = await startHeartbeat({ silent: true })
    // The harness kills a run at its own limit; a run that waited on the silent server would end there, code and all.
    const result = await run({ 'request-timeout': '1' }, {}, 30_000)

    expect({ code: result.code, errors: errorLines(result) }).toEqual({ code: 0, errors: [] })
    expect(heartbeat.requests).toEqual([`GET ${PATH}`])
    expect(warnings(result)).toEqual([expect.stringMatching(/^::warning::Could not ping the heartbeat URL \(no answer within 1s\)/)])
    expect(result.durationMs).toBeLessThan(30_000)
    expectUrlHidden(result)
  }, 60_000)
})

test('the ping goes through HTTPS_PROXY like every other request, and the URL is not printed', async () => {
  const trap = await startNetworkTrap()
  try {
    const url = `https://hc-ping.com/${CHECK}`
    const result = await run({ 'heartbeat-url': url }, trap.env)

    expect(result.code).toBe(0)
    expect(trap.attempts).toEqual(['CONNECT hc-ping.com:443'])
    expect(warnings(result)).toEqual([
      expect.stringMatching(/^::warning::Could not ping the heartbeat URL \(the proxy refused to open a tunnel to it \(502\)\)/)
    ])
    expectUrlHidden(result, url)
  } finally {
    await trap.close()
  }
})
