import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import type { ServerResponse } from 'node:http'
import { ALERT_LABEL, alertTitle, reportFailure, reportRecovery, type AlertTarget } from '../../src/github/alert.js'
import { trackSecret } from '../../src/common/redact.js'
import { createHttpClient } from '../../src/http/http.js'
import { readRunHistory } from '../../src/github/run-history.js'
import { ActionError } from '../../src/common/errors.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startConnectProxy } from '../support/connect-proxy.js'
import { huge, json, startHostileServer, type HostileServer, type SeenRequest } from '../support/hostile-server.js'

const TOKEN = 'ghs_alertTestToken0123456789'
const SECRET = 'ecr-pull-us-west'
// What main hands the alert when this workflow's runs say nothing (run-history.ts reads them).
const NO_RUNS = { missing: 'this workflow has no successful run yet' }

type Emulator = Awaited<ReturnType<typeof startGitHubEmulator>>

/** The alert's target: run 1001 of acme/voice-bot, its secret, and the GitHub API at `apiUrl`. */
function alertTarget(apiUrl: string, timeoutMs = 30_000): AlertTarget {
  return { token: TOKEN, repository: 'acme/voice-bot', runUrl: 'https://github.com/acme/voice-bot/actions/runs/1001', secretName: SECRET, apiUrl, timeoutMs }
}

describe('alert issue', () => {
  let github: Emulator
  let target: AlertTarget

  beforeEach(async () => {
    github = await startGitHubEmulator({ token: TOKEN })
    target = alertTarget(github.url)
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

  describe('each answer GitHub gives', () => {
    const REGISTRY = '123456789012.dkr.ecr.us-west-2.amazonaws.com'
    const failure = { message: 'boom', secret: 'untouched' as const }

    const calls = () => github.requests.map(r => `${r.method} ${r.path}`)
    /** An issue a person opened by hand, with the alert's title and label. */
    async function openByHand(title: string) {
      const response = await fetch(`${github.url}/repos/acme/voice-bot/issues`, {
        method: 'POST',
        headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title, labels: [ALERT_LABEL], body: 'opened by hand' })
      })
      expect(response.status).toBe(201)
    }
    async function writeAs(method: 'POST' | 'PATCH', path: string, body: unknown) {
      const response = await fetch(`${github.url}${path}`, {
        method,
        headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body)
      })
      expect(response.ok).toBe(true)
    }

    it('names the shared issue after the registry when several targets refresh in one step, and closes it in the plural', async () => {
      const several = { ...target, secretNames: [SECRET, 'ecr-pull-eu'], registry: REGISTRY }

      const opened = await reportFailure(
        several,
        { message: 'ecr-pull-eu: Pipecat Cloud answered 500', secret: 'untouched', failedTargets: [{ secretName: 'ecr-pull-eu', secret: 'untouched' }] },
        NO_RUNS
      )
      const closed = await reportRecovery(several, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: REGISTRY })

      expect(opened).toEqual({ action: 'opened', issueNumber: 1 })
      expect(closed).toEqual({ action: 'closed', issueNumber: 1 })
      const title = `Pipecat Cloud pull secret refresh failing: secret sets for ${REGISTRY}`
      expect(alertTitle(SECRET, { registry: REGISTRY })).toBe(title)
      expect(github.issues.map(i => [i.title, i.state])).toEqual([[title, 'closed']])
      expect(github.issues[0].body).toMatch(
        new RegExp(
          `^The refresh of the Pipecat Cloud image pull secrets for \`${REGISTRY.replace(/\./g, '\\.')}\` failed for \`ecr-pull-eu\` \\(of \`${SECRET}\`, \`ecr-pull-eu\`\\)`
        )
      )
      expect(github.comments[0].body).toContain(`The pull secrets \`${SECRET}\`, \`ecr-pull-eu\` now hold credentials for \`${REGISTRY}\``)
    })

    it('keeps the per-secret title when the list of targets holds one', async () => {
      await reportFailure({ ...target, secretNames: [SECRET], registry: REGISTRY }, failure, NO_RUNS)

      expect(github.issues.map(i => i.title)).toEqual([`Pipecat Cloud pull secret refresh failing: ${SECRET}`])
    })

    it('makes exactly these requests for a first failure: list open, list closed, create the label, open the issue', async () => {
      await reportFailure(target, failure, NO_RUNS)

      expect(calls()).toEqual([
        'GET /repos/acme/voice-bot/issues',
        'GET /repos/acme/voice-bot/issues',
        'POST /repos/acme/voice-bot/labels',
        'POST /repos/acme/voice-bot/issues'
      ])
      expect(github.requests[0].query).toEqual({ labels: ALERT_LABEL, state: 'open', per_page: '100' })
      expect(github.requests[1].query).toEqual({ labels: ALERT_LABEL, state: 'closed', sort: 'updated', direction: 'desc', per_page: '30' })
      expect(github.requests[2].body).toEqual({ name: ALERT_LABEL, color: 'd93f0b', description: 'Opened and closed by the Pipecat Cloud pull secret refresh' })
      expect(github.requests[3].body).toMatchObject({ title: `Pipecat Cloud pull secret refresh failing: ${SECRET}`, labels: [ALERT_LABEL] })
    })

    it('comments on and closes every open match, a duplicate opened by hand included, and reports the first', async () => {
      await reportFailure(target, failure, NO_RUNS)
      await openByHand(alertTitle(SECRET))
      github.requests.length = 0

      const result = await reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' })

      expect(result).toEqual({ action: 'closed', issueNumber: 2 })
      expect(calls()).toEqual([
        'GET /repos/acme/voice-bot/issues',
        'POST /repos/acme/voice-bot/issues/2/comments',
        'PATCH /repos/acme/voice-bot/issues/2',
        'POST /repos/acme/voice-bot/issues/1/comments',
        'PATCH /repos/acme/voice-bot/issues/1'
      ])
      for (const patch of github.requests.filter(r => r.method === 'PATCH')) expect(patch.body).toEqual({ state: 'closed', state_reason: 'completed' })
      expect(github.issues.map(i => i.state)).toEqual(['closed', 'closed'])
    })

    it('reads no login and states no recorded expiry when the closed issue carries no marker', async () => {
      await reportFailure(target, failure, NO_RUNS)
      await writeAs('POST', '/repos/acme/voice-bot/issues/1/comments', { body: 'fixed by hand, closing' })
      await writeAs('PATCH', '/repos/acme/voice-bot/issues/1', { state: 'closed' })
      github.requests.length = 0

      await reportFailure(target, { message: 'second outage', secret: 'untouched' }, NO_RUNS)

      expect(calls()).toEqual([
        'GET /repos/acme/voice-bot/issues',
        'GET /repos/acme/voice-bot/issues',
        'GET /repos/acme/voice-bot/issues/1/comments',
        'POST /repos/acme/voice-bot/labels',
        'POST /repos/acme/voice-bot/issues'
      ])
      expect(github.issues[1].body).toContain('**Stored secret expires:** unknown. An ECR token lasts 12 hours')
    })

    it('skips its own marker whose date cannot be read, back to the one before it', async () => {
      const now = new Date('2026-03-01T12:00:00.000Z')
      await reportFailure(target, failure, NO_RUNS, now)
      await reportRecovery(target, { expiresAt: new Date('2026-03-01T20:00:00.000Z'), registry: 'r' }, now)
      await writeAs('POST', '/repos/acme/voice-bot/issues/1/comments', { body: '<!-- pipecat-pull-secret:expires-at=not-a-date -->' })

      await reportFailure(target, { message: 'second outage', secret: 'untouched' }, NO_RUNS, now)

      expect(github.comments.map(c => c.user.login)).toEqual(['github-actions[bot]', 'github-actions[bot]'])
      expect(github.issues[1].body).toContain('**Stored secret expires:** 2026-03-01T20:00:00.000Z (in 8 h) at the earliest')
    })

    it('states no recorded expiry when its only marker cannot be read', async () => {
      await reportFailure(target, failure, NO_RUNS)
      await writeAs('POST', '/repos/acme/voice-bot/issues/1/comments', { body: 'done <!-- pipecat-pull-secret:expires-at=2026-13-45T99:00:00Z -->' })
      await writeAs('PATCH', '/repos/acme/voice-bot/issues/1', { state: 'closed' })

      await reportFailure(target, { message: 'second outage', secret: 'untouched' }, NO_RUNS)

      expect(github.requests.filter(r => r.path === '/user')).toHaveLength(1)
      expect(github.issues[1].body).toContain('**Stored secret expires:** unknown. An ECR token lasts 12 hours')
      expect(github.issues[1].body).not.toContain('2026-13-45')
    })

    it.each([
      [
        'the rate limit',
        { status: 403, message: 'API rate limit exceeded for installation ID 4242.' },
        "GitHub's API rate limit stopped the alert issue (403 API rate limit exceeded for installation ID 4242.): the next run tries again."
      ],
      [
        'a repository it cannot see',
        { status: 404, message: 'Not Found' },
        'GitHub answered 404 when asked to list open issues in acme/voice-bot: check that the repository exists, that the token can see it, and that the job has `issues: write`.'
      ],
      [
        'issues turned off',
        { status: 410, message: 'Issues are disabled for this repo' },
        'Issues are turned off in acme/voice-bot (410): turn them on under Settings > General > Features, or set `alert-issue: false`.'
      ],
      [
        'an error without a message',
        { status: 502, message: undefined },
        'GitHub answered 502 when asked to list open issues in acme/voice-bot (no message): the next run tries again.'
      ]
    ])('explains %s on the first request, and writes nothing', async (_, fault, message) => {
      github.failNext({ on: 'any', ...fault })

      await expect(reportFailure(target, failure, NO_RUNS)).rejects.toThrow(new ActionError(message))
      expect(calls()).toEqual(['GET /repos/acme/voice-bot/issues'])
    })

    it('stops before opening the issue when the label is refused for another reason than existing already', async () => {
      github.failNext({ status: 422, message: 'Validation Failed' })

      await expect(reportFailure(target, failure, NO_RUNS)).rejects.toThrow(
        new ActionError('GitHub answered 422 when asked to create a label in acme/voice-bot (Validation Failed): the next run tries again.')
      )
      expect(calls().at(-1)).toBe('POST /repos/acme/voice-bot/labels')
      expect(github.issues).toEqual([])
    })

    it('says which step failed when the comment on a repeated failure is refused', async () => {
      await reportFailure(target, failure, NO_RUNS)
      github.failNext()

      await expect(reportFailure(target, failure, NO_RUNS)).rejects.toThrow(
        new ActionError(
          "GitHub did not let this job comment on an issue in acme/voice-bot (403 Resource not accessible by integration): add `issues: write` to the job's `permissions`."
        )
      )
      expect(github.comments).toEqual([])
    })

    it('refuses to start without a token, before any request', async () => {
      await expect(reportRecovery({ ...target, token: '' }, { expiresAt: new Date('2099-01-01T00:00:00Z'), registry: 'r' })).rejects.toThrow(
        new ActionError(
          'No GitHub token for the alert issue: pass one in `github-token` (its default, `${{ github.token }}`, works) or set `alert-issue: false`.'
        )
      )
      expect(github.requests).toEqual([])
    })

    it.each(['acme', 'acme/voice-bot/extra', '/voice-bot'])('refuses the repository "%s" before any request', async repository => {
      await expect(reportRecovery({ ...target, repository }, { expiresAt: new Date('2099-01-01T00:00:00Z'), registry: 'r' })).rejects.toThrow(
        new ActionError(`Cannot tell which repository gets the alert issue from "${repository}": expected owner/repo.`)
      )
      expect(github.requests).toEqual([])
    })

    it('drops trailing slashes from the API URL', async () => {
      await reportRecovery({ ...target, apiUrl: `${github.url}//` }, { expiresAt: new Date('2099-01-01T00:00:00Z'), registry: 'r' })

      expect(calls()).toEqual(['GET /repos/acme/voice-bot/issues'])
    })

    it('goes to api.github.com when no API URL is given, through the proxy it is given', async () => {
      const proxy = await startConnectProxy()
      try {
        const failing = reportRecovery(
          { ...target, apiUrl: undefined, proxy: { httpsProxy: proxy.url } },
          { expiresAt: new Date('2099-01-01T00:00:00Z'), registry: 'r' }
        )

        await expect(failing).rejects.toThrow(
          new ActionError(
            "Could not reach the GitHub API at https://api.github.com to list open issues (Proxy response (403) !== 200 when HTTP Tunneling): check the runner's network and proxy settings; the next run tries again."
          )
        )
        expect(proxy.visits).toEqual([{ target: 'api.github.com:443', method: 'CONNECT', status: 403 }])
      } finally {
        await proxy.close()
      }
    })
  })
})

describe('alert issue: what it trusts and what it says', () => {
  const OTHER = 'ghp_someoneElsesToken000000000000000'
  const NOW = new Date('2026-03-01T12:00:00.000Z')
  let github: Emulator
  let target: AlertTarget

  async function start(options: Parameters<typeof startGitHubEmulator>[0] = {}) {
    github = await startGitHubEmulator({ token: TOKEN, others: { [OTHER]: 'mallory' }, ...options })
    target = alertTarget(github.url)
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

describe('alert issue: answers the emulator does not give', () => {
  const NOW = new Date('2026-03-01T12:00:00.000Z')
  const TITLE = alertTitle(SECRET)
  const RECORDED = '2026-03-01T20:00:00.000Z'
  const marker = (at: string) => `Closing. <!-- pipecat-pull-secret:expires-at=${at} -->`
  let server: HostileServer
  let target: AlertTarget
  let routes: Record<string, (req: SeenRequest, res: ServerResponse) => void>

  beforeEach(async () => {
    routes = {}
    server = await startHostileServer((req, res) => {
      const { pathname, searchParams } = new URL(req.url, 'http://github.test')
      // The open and the closed listing share a path: told apart by their state.
      const state = req.method === 'GET' && pathname.endsWith('/issues') ? `?${searchParams.get('state')}` : ''
      const route = routes[`${req.method} ${pathname}${state}`]
      return route ? route(req, res) : json(res, 404, { message: 'Not Found' })
    })
    target = alertTarget(server.url, 10_000)
  })
  afterEach(async () => {
    await server.close()
  })

  const calls = () => server.requests.map(r => `${r.method} ${new URL(r.url, 'http://github.test').pathname}`)
  const openedBody = () =>
    (JSON.parse(server.requests.find(r => r.method === 'POST' && r.url.endsWith('/issues'))?.body ?? '{}') as { body?: string }).body ?? ''
  /** No open alert issue, one closed one whose comments are `comments`, `/user` answered by `user`; opening works. */
  function closedIssueWith(comments: unknown[], user: (res: ServerResponse) => void) {
    routes['GET /repos/acme/voice-bot/issues?open'] = (_, res) => json(res, 200, [])
    routes['GET /repos/acme/voice-bot/issues?closed'] = (_, res) => json(res, 200, [{ number: 7, title: TITLE }])
    routes['GET /repos/acme/voice-bot/issues/7/comments'] = (_, res) => json(res, 200, comments)
    routes['GET /user'] = (_, res) => user(res)
    routes['POST /repos/acme/voice-bot/labels'] = (_, res) =>
      json(res, 422, { message: 'Validation Failed', errors: [{ resource: 'Label', code: 'already_exists' }] })
    routes['POST /repos/acme/voice-bot/issues'] = (_, res) => json(res, 201, { number: 8, title: TITLE })
  }

  it('trusts markers by github-actions[bot] when GET /user answers 404, as it may for an installation token', async () => {
    closedIssueWith([{ body: marker(RECORDED), user: { login: 'github-actions[bot]' } }], res => json(res, 404, { message: 'Not Found' }))

    const result = await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS, NOW)

    expect(result).toEqual({ action: 'opened', issueNumber: 8 })
    expect(openedBody()).toContain(`**Stored secret expires:** ${RECORDED} (in 8 h) at the earliest`)
  })

  it.each([
    ['answers 500', (res: ServerResponse) => json(res, 500, { message: 'Server Error' })],
    ['names an empty login', (res: ServerResponse) => json(res, 200, { login: '' })],
    ['names no login at all', (res: ServerResponse) => json(res, 200, { id: 1 })]
  ])('trusts no marker when GET /user %s', async (_, user) => {
    closedIssueWith([{ body: marker(RECORDED), user: { login: 'github-actions[bot]' } }], user)

    await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS, NOW)

    expect(calls()).toEqual([
      'GET /repos/acme/voice-bot/issues',
      'GET /repos/acme/voice-bot/issues',
      'GET /repos/acme/voice-bot/issues/7/comments',
      'GET /user',
      'POST /repos/acme/voice-bot/labels',
      'POST /repos/acme/voice-bot/issues'
    ])
    expect(openedBody()).toContain('**Stored secret expires:** unknown. An ECR token lasts 12 hours')
    expect(openedBody()).not.toContain(RECORDED)
  })

  it('passes over comments without a body or an author', async () => {
    closedIssueWith(
      [
        { body: marker(RECORDED), user: { login: 'github-actions[bot]' } },
        { body: null, user: { login: 'github-actions[bot]' } },
        { user: { login: 'github-actions[bot]' } },
        { body: marker('2099-01-01T00:00:00.000Z'), user: null }
      ],
      res => json(res, 403, { message: 'Resource not accessible by integration' })
    )

    await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS, NOW)

    expect(openedBody()).toContain(`**Stored secret expires:** ${RECORDED} (in 8 h) at the earliest`)
    expect(openedBody()).not.toContain('2099')
  })

  it('takes a pull request with the same title and label for no alert issue, open or closed', async () => {
    closedIssueWith([], res => json(res, 500, {}))
    routes['GET /repos/acme/voice-bot/issues?open'] = (_, res) => json(res, 200, [{ number: 3, title: TITLE, pull_request: { url: 'x' } }])
    routes['GET /repos/acme/voice-bot/issues?closed'] = (_, res) => json(res, 200, [{ number: 4, title: TITLE, pull_request: { url: 'y' } }])

    const result = await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS, NOW)

    expect(result).toEqual({ action: 'opened', issueNumber: 8 })
    expect(calls()).toEqual([
      'GET /repos/acme/voice-bot/issues',
      'GET /repos/acme/voice-bot/issues',
      'POST /repos/acme/voice-bot/labels',
      'POST /repos/acme/voice-bot/issues'
    ])
  })

  describe('pages of comments', () => {
    /** Page n of the comments links page n+1 until `last`; the marker is on the last page. */
    function pagedComments(last: number) {
      routes['GET /repos/acme/voice-bot/issues/7/comments'] = (req, res) => {
        const page = Number(new URL(req.url, server.url).searchParams.get('page') ?? 1)
        const next: Record<string, string> =
          page < last ? { link: `<${server.url}/repos/acme/voice-bot/issues/7/comments?per_page=100&page=${page + 1}>; rel="next"` } : {}
        json(res, 200, page === last ? [{ body: marker(RECORDED), user: { login: 'github-actions[bot]' } }] : [{ body: 'noise', user: { login: 'x' } }], next)
      }
    }
    const commentPages = () => server.requests.filter(r => r.url.includes('/issues/7/comments')).length

    it('reads all ten pages it allows, to the marker on the last', async () => {
      closedIssueWith([], res => json(res, 403, { message: 'Resource not accessible by integration' }))
      pagedComments(10)

      await reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS, NOW)

      expect(commentPages()).toBe(10)
      expect(openedBody()).toContain(`**Stored secret expires:** ${RECORDED} (in 8 h) at the earliest`)
    })

    it('stops at ten pages when GitHub links an eleventh, and writes nothing', async () => {
      closedIssueWith([], res => json(res, 403, { message: 'Resource not accessible by integration' }))
      pagedComments(11)

      await expect(reportFailure(target, { message: 'boom', secret: 'untouched' }, NO_RUNS, NOW)).rejects.toThrow(
        new ActionError(
          "GitHub answered the comments of issue #7 with more than 10 pages, far more than an alert ever reads: check GITHUB_API_URL and the runner's proxy settings; the next run tries again."
        )
      )
      expect(commentPages()).toBe(10)
      expect(server.requests.filter(r => r.method !== 'GET')).toEqual([])
    })
  })

  it('refuses a next page on another origin before the token goes there', async () => {
    const elsewhere = await startHostileServer((_, res) => json(res, 200, []))
    try {
      routes['GET /repos/acme/voice-bot/issues?open'] = (_, res) =>
        json(res, 200, [], { link: `<${elsewhere.url}/repos/acme/voice-bot/issues?state=open&page=2>; rel="next"` })

      await expect(reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' }, NOW)).rejects.toThrow(
        new ActionError(
          `GitHub's answer when asked to list open issues pointed to ${elsewhere.url} for more, which is not the API at ${server.url}; the token goes only to GITHUB_API_URL, so nothing was sent there: check GITHUB_API_URL and the runner's proxy settings; the next run tries again.`
        )
      )
      expect(elsewhere.requests).toEqual([])
      expect(calls()).toEqual(['GET /repos/acme/voice-bot/issues'])
    } finally {
      await elsewhere.close()
    }
  })

  it('refuses an answer over 4 MiB', async () => {
    routes['GET /repos/acme/voice-bot/issues?open'] = (_, res) => huge(res, 200, 5 * 1024 * 1024)

    await expect(reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' }, NOW)).rejects.toThrow(
      new ActionError(
        `The GitHub API at ${server.url} sent an answer larger than 4 MiB when asked to list open issues, far more than an alert ever reads: check GITHUB_API_URL and the runner's proxy settings; the next run tries again.`
      )
    )
    expect(server.requests.filter(r => r.method !== 'GET')).toEqual([])
  })

  it('takes an empty 204 answer to the comment and the close as done', async () => {
    routes['GET /repos/acme/voice-bot/issues?open'] = (_, res) => json(res, 200, [{ number: 5, title: TITLE }])
    routes['POST /repos/acme/voice-bot/issues/5/comments'] = (_, res) => void res.writeHead(204).end()
    routes['PATCH /repos/acme/voice-bot/issues/5'] = (_, res) => void res.writeHead(204).end()

    const result = await reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' }, NOW)

    expect(result).toEqual({ action: 'closed', issueNumber: 5 })
    expect(server.requests.map(r => [r.method, new URL(r.url, server.url).pathname, r.body ? (JSON.parse(r.body) as unknown) : undefined])).toEqual([
      ['GET', '/repos/acme/voice-bot/issues', undefined],
      [
        'POST',
        '/repos/acme/voice-bot/issues/5/comments',
        { body: expect.stringContaining('<!-- pipecat-pull-secret:expires-at=2099-05-01T12:00:00.000Z -->') }
      ],
      ['PATCH', '/repos/acme/voice-bot/issues/5', { state: 'closed', state_reason: 'completed' }]
    ])
  })

  it('explains a 304 to the listing, which has no body to read', async () => {
    routes['GET /repos/acme/voice-bot/issues?open'] = (_, res) => void res.writeHead(304).end()

    await expect(reportRecovery(target, { expiresAt: new Date('2099-05-01T12:00:00.000Z'), registry: 'r' }, NOW)).rejects.toThrow(
      new ActionError('GitHub answered 304 when asked to list open issues in acme/voice-bot (no message): the next run tries again.')
    )
    expect(calls()).toEqual(['GET /repos/acme/voice-bot/issues'])
  })
})
