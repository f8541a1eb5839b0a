import { startEcrEmulator } from '../emulators/ecr.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { awsEnv, baseInputs, expectNoLeaks, expectOneLineFailure, maskedValues, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

type GitHub = Awaited<ReturnType<typeof startGitHubEmulator>>

const GITHUB_TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a'
let ecr: Ecr
let pipecat: Pipecat
let github: GitHub

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  github = await startGitHubEmulator({ token: GITHUB_TOKEN })
})
afterEach(async () => {
  await Promise.all([ecr.close(), pipecat.close(), github.close()])
})

let runId = 100
function run(inputs: Record<string, string> = {}, apiUrl = github.url) {
  runId += 1
  return runAction({
    inputs: { ...baseInputs(ecr, pipecat), 'wait-for-ready': 'false', 'alert-issue': 'true', 'github-token': GITHUB_TOKEN, ...inputs },
    env: {
      ...awsEnv(ecr),
      GITHUB_API_URL: apiUrl,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/agents',
      GITHUB_RUN_ID: String(runId)
    }
  })
}

const secrets = () => [...secretsOf(ecr, pipecat), GITHUB_TOKEN]
const issueTexts = () => [...github.issues.map((i: { body: string }) => i.body), ...github.comments.map((c: { body: string }) => c.body)]

test('a failing refresh opens one issue, comments on the next failure, and a success closes it', async () => {
  const first = await run({ 'pipecat-api-token': 'revoked-key' })
  expect(first.code).toBe(1)
  expect(maskedValues(first)).toContain(GITHUB_TOKEN)
  expect(github.issues).toHaveLength(1)
  expect(github.issues[0]).toMatchObject({ state: 'open', title: expect.stringContaining('my-ecr-credentials') })
  expect(github.issues[0].body).toContain(first.error)
  expect(github.issues[0].body).toContain('https://github.com/acme/agents/actions/runs/101')

  const second = await run({ 'pipecat-api-token': 'revoked-key' })
  expect(second.code).toBe(1)
  expect(github.issues).toHaveLength(1)
  expect(github.comments).toHaveLength(1)
  expect(github.comments[0].body).toContain('actions/runs/102')

  const healed = await run()
  expect(healed.code).toBe(0)
  expect(github.issues[0].state).toBe('closed')
  expect(github.comments.at(-1).body).toContain(healed.outputs['expires-at'])

  for (const result of [first, second, healed]) expectNoLeaks(result, [...secrets(), 'revoked-key'], issueTexts())
})

test('a healthy run with no open alert writes nothing to GitHub', async () => {
  const result = await run()

  expect(result.code).toBe(0)
  expect(github.requests.filter((r: { method: string }) => r.method !== 'GET')).toHaveLength(0)
  expectNoLeaks(result, secrets())
})

test('an alert that cannot be written is a warning and does not hide the refresh result', async () => {
  github.failNext()
  const result = await run({ 'pipecat-api-token': 'revoked-key' })

  expect(result.code).toBe(1)
  expect(result.error).toMatch(/rejected pipecat-api-token \(401\)/)
  expect(result.stdout).toMatch(/^::warning::Could not update the alert issue: .*issues: write/m)
  expectNoLeaks(result, [...secrets(), 'revoked-key'])
})

test('a GitHub API that never answers adds at most 3 x request-timeout to a failed run, and the failure stands', async () => {
  const asked: string[] = []
  const silent = createServer(req => void asked.push(`${req.method} ${req.url}`))
  await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve))
  try {
    const result = await run({ 'pipecat-api-token': 'revoked-key', 'request-timeout': '2' }, `http://127.0.0.1:${(silent.address() as AddressInfo).port}`)

    expectOneLineFailure(result, /rejected pipecat-api-token \(401\)/)
    expect(result.stdout).toMatch(/^::warning::Could not update the alert issue: /m)
    expect(asked.length).toBeGreaterThan(0)
    // The alert's limit, 3 x 2 s, is what the run waits on the silent API: at least that (a lower bound a busy
    // machine cannot break), and, as the bound of a hang, less than that plus 20 s. An alert that ignored its
    // limit would wait on until the run's watchdog, 60 s + 6 x 2 s + 45 s.
    expect(result.durationMs).toBeGreaterThanOrEqual(6_000)
    expect(result.durationMs).toBeLessThan(6_000 + 20_000)
    expectNoLeaks(result, [...secrets(), 'revoked-key'])
  } finally {
    silent.closeAllConnections()
    await new Promise(resolve => silent.close(resolve))
  }
}, 60_000)

test('with alert-issue off, a failing run sends the GitHub token nowhere', async () => {
  const result = await run({ 'pipecat-api-token': 'revoked-key', 'alert-issue': 'false' })

  expect(result.code).toBe(1)
  expect(github.requests).toEqual([])
  expectNoLeaks(result, [...secrets(), 'revoked-key'])
})

test('a dry run never alerts, even when it fails', async () => {
  const result = await run({ 'dry-run': 'true', 'pipecat-api-token': 'revoked-key' })

  expect(result.code).toBe(1)
  expect(github.requests).toEqual([])
  expectNoLeaks(result, [...secrets(), 'revoked-key'])
})

describe('what the alert issue says, and what it trusts', () => {
  const OTHER_TOKEN = 'ghp_aDifferentUsersToken00000000000000'

  beforeEach(async () => {
    await github.close()
    github = await startGitHubEmulator({ token: GITHUB_TOKEN, others: { [OTHER_TOKEN]: 'mallory' } })
  })

  test('the first alert estimates the expiry from the last successful run of the same workflow', async () => {
    const started = new Date(Date.now() - 2 * 3600_000)
    const thisRun = runId + 1
    github.addRun({
      id: thisRun,
      workflow_id: 42,
      repository: 'acme/agents',
      status: 'in_progress',
      conclusion: null,
      run_started_at: new Date().toISOString()
    })
    github.addRun({ id: 77, workflow_id: 42, repository: 'acme/agents', run_started_at: started.toISOString() })

    const failed = await run({ 'pipecat-api-token': 'revoked-key' })

    expect(failed.code).toBe(1)
    const estimate = new Date(started.getTime() + 12 * 3600_000).toISOString()
    expect(github.issues[0].body).toMatch(
      new RegExp(
        `\\*\\*Stored secret expires:\\*\\* ${estimate.replace(/\./g, '\\.')} \\(in (9 h 59 m|10 h)\\) at the earliest; the next refresh must succeed before then\\.`
      )
    )
    expect(github.issues[0].body).toContain(
      '12 hours after the last successful run of this workflow started (https://github.com/acme/agents/actions/runs/77, 2 h ago)'
    )
    expect(github.requests.map((r: { path: string }) => r.path)).toEqual(
      expect.arrayContaining([`/repos/acme/agents/actions/runs/${thisRun}`, '/repos/acme/agents/actions/workflows/42/runs'])
    )
    expectNoLeaks(failed, [...secrets(), 'revoked-key'], issueTexts())
  })

  test('a marker comment forged by another user is ignored', async () => {
    await run({ 'pipecat-api-token': 'revoked-key' })
    const healed = await run()
    expect(github.issues[0].state).toBe('closed')
    const forged = await fetch(`${github.url}/repos/acme/agents/issues/1/comments`, {
      method: 'POST',
      headers: { authorization: `token ${OTHER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'Fixed it by hand. <!-- pipecat-pull-secret:expires-at=2099-12-31T00:00:00.000Z -->' })
    })
    expect(forged.status).toBe(201)

    const again = await run({ 'pipecat-api-token': 'revoked-key' })

    expect(again.code).toBe(1)
    expect(github.issues).toHaveLength(2)
    expect(github.issues[1].body).not.toContain('2099')
    expect(github.issues[1].body).toContain(`**Stored secret expires:** ${healed.outputs['expires-at']} (in 11 h 59 m) at the earliest`)
    for (const result of [healed, again]) expectNoLeaks(result, [...secrets(), 'revoked-key'], issueTexts())
  })

  test('stored but not ready is reported as such, and server text echoing every secret reaches no issue', async () => {
    const echo = () =>
      `could not pull with Authorization: Bearer ${pipecat.token} secretValue=${ecr.authorizationToken} ` +
      `password=${ecr.password} github=${GITHUB_TOKEN} base64=${Buffer.from(ecr.password).toString('base64')}`
    pipecat.failProvisioning(echo())
    const stored = await run({ 'wait-for-ready': 'true' })

    expectOneLineFailure(stored, /^Pipecat Cloud could not provision secret set my-ecr-credentials/)
    expect(github.issues[0].body).toContain('The new token was stored, but Pipecat Cloud did not report the set ready')
    expect(github.issues[0].body).not.toContain('Nothing was stored')
    expect(github.issues[0].body).toContain('could not pull with Authorization: Bearer ***')

    pipecat.failNext({ method: 'PUT', status: 400, body: { error: echo(), code: 'GENERIC_BAD_REQUEST' } })
    const refused = await run()

    expect(refused.code).toBe(1)
    expect(github.comments.at(-1).body).toContain('Nothing was stored')
    for (const result of [stored, refused]) expectNoLeaks(result, secrets(), issueTexts())
  })
})
