import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ALERT_LABEL, alertTitle, reportFailure, reportRecovery, type AlertTarget } from '../../src/github/alert.js'
import { trackSecret } from '../../src/common/redact.js'
import { createHttpClient } from '../../src/http/http.js'
import { readRunHistory } from '../../src/github/run-history.js'
import { ActionError } from '../../src/common/errors.js'
import { startGitHubEmulator } from '../emulators/github.js'

const TOKEN = 'ghs_alertTestToken0123456789'
const SECRET = 'ecr-pull-us-west'
// What main hands the alert when this workflow's runs say nothing (run-history.ts reads them).
const NO_RUNS = { missing: 'this workflow has no successful run yet' }

type Emulator = Awaited<ReturnType<typeof startGitHubEmulator>>

describe('alert issue', () => {
  let github: Emulator
  let target: AlertTarget

  beforeEach(async () => {
    github = await startGitHubEmulator({ token: TOKEN })
    target = {
      token: TOKEN,
      repository: 'acme/voice-bot',
      runUrl: 'https://github.com/acme/voice-bot/actions/runs/1001',
      secretName: SECRET,
      apiUrl: github.url,
      timeoutMs: 30_000
    }
  })

  afterEach(async () => {
    await github.close()
  })

  const writes = () => github.requests.filter(r => r.method !== 'GET')
  const everyBody = () => [...github.issues.map(i => i.body), ...github.comments.map(c => c.body)].join('\n')

  it('opens one labelled issue on the first failure', async () => {
    const result = await reportFailure(
      target,
      { message: 'AccessDeniedException: not authorized to perform ecr:GetAuthorizationToken', secret: 'untouched' },
      NO_RUNS
    )

    expect(result).toEqual({ action: 'opened', issueNumber: 1 })
    expect(github.issues).toHaveLength(1)
    const [issue] = github.issues
    expect(issue.title).toBe(`Pipecat Cloud pull secret refresh failing: ${SECRET}`)
    expect(issue.labels.map((l: { name: string }) => l.name)).toEqual([ALERT_LABEL])
    expect(issue.body).toContain('AccessDeniedException: not authorized to perform ecr:GetAuthorizationToken')
    expect(issue.body).toContain(target.runUrl)
    expect(issue.body).toContain('**Stored secret expires:** unknown')
    expect(issue.body).toContain('stops working 12 hours after the last successful refresh')
    expect(github.labels.map(l => l.name)).toEqual([ALERT_LABEL])
    expect(github.requests.find(r => r.method === 'GET')?.query).toMatchObject({ labels: ALERT_LABEL, state: 'open' })
  })

  it('comments on the open issue instead of opening a second one', async () => {
    await reportFailure(target, { message: 'first failure', secret: 'untouched' }, NO_RUNS)
    const second = { ...target, runUrl: 'https://github.com/acme/voice-bot/actions/runs/1002' }

    const result = await reportFailure(second, { message: 'Pipecat Cloud answered 500', secret: 'untouched' }, NO_RUNS)

    expect(result).toEqual({ action: 'commented', issueNumber: 1 })
    expect(github.issues).toHaveLength(1)
    expect(github.comments).toHaveLength(1)
    expect(github.comments[0].body).toContain('Pipecat Cloud answered 500')
    expect(github.comments[0].body).toContain(second.runUrl)
  })

  it('keeps a separate issue for each secret', async () => {
    await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS)
    const other = await reportFailure({ ...target, secretName: 'ecr-pull-eu' }, { message: 'boom', secret: 'untouched' }, NO_RUNS)

    expect(other).toEqual({ action: 'opened', issueNumber: 2 })
    expect(github.issues.map(i => i.title)).toEqual([alertTitle(SECRET), alertTitle('ecr-pull-eu')])
  })

  it('comments and closes the issue on recovery, recording the new expiry', async () => {
    await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS)
    const recovered = { ...target, runUrl: 'https://github.com/acme/voice-bot/actions/runs/1003' }

    const result = await reportRecovery(recovered, {
      expiresAt: new Date('2099-05-01T12:00:00.000Z'),
      registry: '123456789012.dkr.ecr.us-west-2.amazonaws.com'
    })

    expect(result).toEqual({ action: 'closed', issueNumber: 1 })
    expect(github.issues[0]).toMatchObject({ state: 'closed', state_reason: 'completed' })
    const comment = github.comments[0].body
    expect(comment).toContain(recovered.runUrl)
    expect(comment).toContain('**2099-05-01T12:00:00.000Z**')
    expect(comment).toContain('123456789012.dkr.ecr.us-west-2.amazonaws.com')
    expect(comment).toContain('<!-- pipecat-pull-secret:expires-at=2099-05-01T12:00:00.000Z -->')
  })

  it('writes nothing on a healthy run with no open issue', async () => {
    const result = await reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' })

    expect(result).toEqual({ action: 'none' })
    expect(writes()).toEqual([])
    expect(github.issues).toEqual([])
  })

  it('opens a new issue after a recovery, stating the expiry that recovery recorded', async () => {
    await reportFailure(target, { message: 'first outage', secret: 'untouched' }, NO_RUNS)
    await reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' })

    const result = await reportFailure(target, { message: 'second outage', secret: 'untouched' }, NO_RUNS)

    expect(result).toEqual({ action: 'opened', issueNumber: 2 })
    expect(github.issues.filter(i => i.state === 'open')).toHaveLength(1)
    expect(github.issues[1].body).toContain('**Stored secret expires:** 2099-05-01T12:00:00.000Z')
    expect(github.issues[1].body).toContain('second outage')
    // The label already exists by now; its 422 must not stop the alert.
    expect(github.labels).toHaveLength(1)
  })

  it('calls an expiry that has already passed unknown', async () => {
    await reportFailure(target, { message: 'first outage', secret: 'untouched' }, NO_RUNS)
    await reportRecovery(target, { expiresAt: new Date('2001-01-01T00:00:00Z'), registry: 'r' })

    await reportFailure(target, { message: 'second outage', secret: 'untouched' }, NO_RUNS)

    expect(github.issues[1].body).toMatch(/unknown: the last recorded expiry, 2001-01-01T00:00:00\.000Z \(\d+ d( \d+ h)? ago\), has passed/)
  })

  it('names `issues: write` when the token may not write issues', async () => {
    github.failNext()

    const error = await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ActionError)
    expect(String(error)).toMatch(/403 Resource not accessible by integration\): add `issues: write` to the job's `permissions`/)
    expect(github.issues).toEqual([])
  })

  it('names `issues: write` when closing is refused too', async () => {
    await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS)
    github.failNext()

    await expect(reportRecovery(target, { expiresAt: new Date('2099-01-01T00:00:00Z'), registry: 'r' })).rejects.toThrow(
      /403 Resource not accessible by integration\): add `issues: write` to the job's `permissions`/
    )
  })

  it('names `github-token` when GitHub rejects the token', async () => {
    const wrong = { ...target, token: 'ghs_wrongToken' }

    const failing = reportFailure(wrong, { message: 'boom', secret: 'untouched' }, NO_RUNS)

    await expect(failing).rejects.toThrow(/401 Bad credentials\): pass a valid token in `github-token`/)
  })

  it('says when GitHub cannot be reached at all', async () => {
    github.failNext({ on: 'any', drop: true })

    await expect(reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS)).rejects.toThrow(
      new RegExp(`Could not reach the GitHub API at ${github.url} to list open issues`)
    )
  })

  it('never writes the token into an issue, a comment or an error', async () => {
    // Even if the refresh error somehow carries the token, it must not be published.
    await reportFailure(target, { message: `request failed with header token ${TOKEN}`, secret: 'untouched' }, NO_RUNS)
    await reportFailure(target, { message: `again ${TOKEN}`, secret: 'untouched' }, NO_RUNS)
    await reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' })
    github.failNext({ status: 500, message: `upstream said ${TOKEN}` })
    const error = await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS).catch((e: Error) => e)

    expect(everyBody()).toContain('request failed with header token ***')
    expect(everyBody()).not.toContain(TOKEN)
    expect(String(error)).toContain('GitHub answered 500')
    expect(String(error)).not.toContain(TOKEN)
  })

  it('refuses a malformed repository before calling GitHub', async () => {
    await expect(reportFailure({ ...target, repository: 'just-a-name' }, { message: 'boom', secret: 'untouched' }, NO_RUNS)).rejects.toThrow(
      /expected owner\/repo/
    )
    expect(github.requests).toEqual([])
  })
})

describe('alert issue: what it trusts and what it says', () => {
  const OTHER = 'ghp_someoneElsesToken000000000000000'
  const NOW = new Date('2026-03-01T12:00:00.000Z')
  let github: Emulator
  let target: AlertTarget

  async function start(options: Parameters<typeof startGitHubEmulator>[0] = {}) {
    github = await startGitHubEmulator({ token: TOKEN, others: { [OTHER]: 'mallory' }, ...options })
    target = {
      token: TOKEN,
      repository: 'acme/voice-bot',
      runUrl: 'https://github.com/acme/voice-bot/actions/runs/1001',
      secretName: SECRET,
      apiUrl: github.url,
      timeoutMs: 30_000
    }
  }
  afterEach(async () => {
    await github.close()
  })

  /** What main reads for the staleness report and hands the alert: the last successful run of run 1001's workflow. */
  async function lastRun() {
    const where = { token: TOKEN, apiUrl: github.url, repository: 'acme/voice-bot', runId: '1001', runsUrl: 'https://github.com/acme/voice-bot/actions/runs' }
    return (await readRunHistory(createHttpClient({ timeoutMs: 5_000 }), where, 5_000)).lastSuccess
  }

  /** A closed alert issue whose recovery recorded `recordedAt`, then a marker comment from `mallory`. */
  async function recoveredThenForged(recordedAt: string, forgedAt: string) {
    await reportFailure(target, { message: 'first outage', secret: 'untouched' }, await lastRun(), NOW)
    await reportRecovery(target, { expiresAt: new Date(recordedAt), registry: 'r' }, NOW)
    const response = await fetch(`${github.url}/repos/acme/voice-bot/issues/1/comments`, {
      method: 'POST',
      headers: { authorization: `token ${OTHER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ body: `all good <!-- pipecat-pull-secret:expires-at=${forgedAt} -->` })
    })
    expect(response.status).toBe(201)
  }

  it('ignores an expiry marker written by anyone but the token itself (GITHUB_TOKEN: github-actions[bot])', async () => {
    await start()
    await recoveredThenForged('2026-03-01T20:00:00.000Z', '2099-01-01T00:00:00.000Z')

    await reportFailure(target, { message: 'second outage', secret: 'untouched' }, await lastRun(), NOW)

    expect(github.comments.map(c => c.user.login)).toEqual(['github-actions[bot]', 'mallory'])
    expect(github.issues[1].body).toContain('**Stored secret expires:** 2026-03-01T20:00:00.000Z (in 8 h) at the earliest')
    expect(github.issues[1].body).not.toContain('2099')
  })

  it('with a personal token, trusts only markers by the user GET /user names', async () => {
    await start({ login: 'release-bot-user', others: { [OTHER]: 'github-actions[bot]' } })
    // Here the forger is the default bot: a marker by it is not the token's own.
    await recoveredThenForged('2026-03-01T20:00:00.000Z', '2099-01-01T00:00:00.000Z')

    await reportFailure(target, { message: 'second outage', secret: 'untouched' }, await lastRun(), NOW)

    expect(github.requests.some(r => r.path === '/user')).toBe(true)
    expect(github.issues[1].body).toContain('2026-03-01T20:00:00.000Z (in 8 h) at the earliest')
    expect(github.issues[1].body).not.toContain('2099')
  })

  it("with a GitHub App's token, reads no recorded expiry, not even its own, and still estimates from the runs", async () => {
    // An App's installation token writes as <app>[bot], and GET /user answers it with 403.
    await start({ login: 'release-app[bot]' })
    await reportFailure(target, { message: 'first outage', secret: 'untouched' }, await lastRun(), NOW)
    await reportRecovery(target, { expiresAt: new Date('2026-03-01T20:00:00.000Z'), registry: 'r' }, NOW)
    expect(github.comments.map(c => c.user.login)).toEqual(['release-app[bot]'])
    expect(github.comments[0].body).toContain('2026-03-01T20:00:00.000Z')
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', conclusion: null, status: 'in_progress', run_started_at: '2026-03-01T11:59:00Z' })
    github.addRun({ id: 990, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T06:17:00Z' })

    await reportFailure(target, { message: 'second outage', secret: 'untouched' }, await lastRun(), NOW)

    expect(github.requests.some(r => r.path === '/user')).toBe(true)
    const body = github.issues[1].body
    expect(body).toContain('**Stored secret expires:** 2026-03-01T18:17:00.000Z (in 6 h 17 m) at the earliest')
    expect(body).not.toContain('2026-03-01T20:00:00.000Z')
  })

  it('estimates the expiry from the last successful run of the same workflow', async () => {
    await start()
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', conclusion: null, status: 'in_progress', run_started_at: '2026-03-01T11:59:00Z' })
    github.addRun({ id: 990, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T06:17:00Z' })
    github.addRun({ id: 980, workflow_id: 7, repository: 'acme/voice-bot', conclusion: 'failure', run_started_at: '2026-03-01T09:00:00Z' })
    github.addRun({ id: 985, workflow_id: 8, repository: 'acme/voice-bot', run_started_at: '2026-03-01T10:00:00Z' })

    await reportFailure(target, { message: 'boom', secret: 'untouched' }, await lastRun(), NOW)

    const body = github.issues[0].body
    expect(body).toContain('**Stored secret expires:** 2026-03-01T18:17:00.000Z (in 6 h 17 m) at the earliest; the next refresh must succeed before then.')
    expect(body).toContain('12 hours after the last successful run of this workflow started (https://github.com/acme/voice-bot/actions/runs/990, 5 h 43 m ago)')
  })

  it('takes the later of the recorded expiry and the estimate, and names both', async () => {
    await start()
    await recoveredThenForged('2026-03-01T20:00:00.000Z', '2099-01-01T00:00:00.000Z')
    github.addRun({ id: 990, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T06:17:00Z' })
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', conclusion: null, status: 'in_progress', run_started_at: '2026-03-01T11:59:00Z' })

    await reportFailure(target, { message: 'boom', secret: 'untouched' }, await lastRun(), NOW)

    const body = github.issues[1].body
    expect(body).toContain('**Stored secret expires:** 2026-03-01T20:00:00.000Z (in 8 h) at the earliest')
    expect(body).toContain('runs/990, 5 h 43 m ago')
    expect(body).toContain('The last recovery recorded 2026-03-01T20:00:00.000Z (in 8 h).')
  })

  it('states the time left again in every failure comment, as it shrinks', async () => {
    await start()
    github.addRun({ id: 990, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T06:17:00Z' })
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', conclusion: null, status: 'in_progress', run_started_at: '2026-03-01T11:59:00Z' })
    await reportFailure(target, { message: 'boom', secret: 'untouched' }, await lastRun(), NOW)

    await reportFailure(target, { message: 'boom again', secret: 'untouched' }, await lastRun(), new Date('2026-03-01T17:00:00.000Z'))

    expect(github.comments[0].body).toContain('**Stored secret expires:** 2026-03-01T18:17:00.000Z (in 1 h 17 m) at the earliest')
  })

  it('says the secret has expired when the last successful run is more than 12 hours old', async () => {
    await start()
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', conclusion: null, status: 'in_progress', run_started_at: '2026-03-01T11:59:00Z' })
    github.addRun({ id: 900, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-02-28T22:00:00Z' })

    await reportFailure(target, { message: 'boom', secret: 'untouched' }, await lastRun(), NOW)

    expect(github.issues[0].body).toContain('**Stored secret expires:** already passed, about 2026-03-01T10:00:00.000Z (2 h ago)')
  })

  it('leaves the estimate out with a note, and still opens the issue, without `actions: read`', async () => {
    await start({ actionsRead: false })

    const result = await reportFailure(target, { message: 'boom', secret: 'untouched' }, await lastRun(), NOW)

    expect(result.action).toBe('opened')
    expect(github.issues[0].body).toContain(
      "**Stored secret expires:** unknown. An ECR token lasts 12 hours, so the stored secret stops working 12 hours after the last successful refresh. No estimate from this workflow's runs: the job cannot read its workflow runs (403): add `actions: read` to the job's `permissions`."
    )
  })

  it('says the new token was stored when it was, though not ready', async () => {
    await start()
    const failure = { message: 'Secret set x is still pending after 120s', secret: 'stored' as const, expiresAt: new Date('2026-03-02T00:00:00.000Z') }

    await reportFailure(target, failure, await lastRun(), NOW)
    await reportFailure(target, failure, await lastRun(), NOW)

    for (const text of [github.issues[0].body, github.comments[0].body]) {
      expect(text).toContain('The new token was stored, but Pipecat Cloud did not report the set ready')
      expect(text).toContain('2026-03-02T00:00:00.000Z')
      expect(text).not.toContain('Nothing was stored')
    }
  })

  it("keeps the body under GitHub's limit and every tracked secret out of it, in any form", async () => {
    await start()
    const password = 'eyJwYXlsb2FkIjoiZmFrZS1wYXNzd29yZC1mb3ItdGVzdHMifQ'
    const ecrToken = Buffer.from(`AWS:${password}`).toString('base64')
    trackSecret(ecrToken)
    const message = `refused: ${ecrToken} / ${password} / ${encodeURIComponent(password)} / ${TOKEN} ${'x'.repeat(200_000)}`

    await reportFailure(target, { message, secret: 'untouched' }, await lastRun(), NOW)

    const body = github.issues[0].body
    expect(body.length).toBeLessThan(65_536)
    for (const secret of [ecrToken, password, TOKEN, password.slice(10, 26), ecrToken.slice(5, 21)]) expect(body).not.toContain(secret)
  })
})
