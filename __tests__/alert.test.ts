import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ALERT_LABEL, alertTitle, reportFailure, reportRecovery, type AlertTarget } from '../src/alert.js'
import { ActionError } from '../src/errors.js'
import { startGitHubEmulator } from './emulators/github.js'

const TOKEN = 'ghs_alertTestToken0123456789'
const SECRET = 'ecr-pull-us-west'

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
      apiUrl: github.url
    }
  })

  afterEach(async () => {
    await github.close()
  })

  const writes = () => github.requests.filter((r) => r.method !== 'GET')
  const everyBody = () => [...github.issues.map((i) => i.body), ...github.comments.map((c) => c.body)].join('\n')

  it('opens one labelled issue on the first failure', async () => {
    const result = await reportFailure(target, { message: 'AccessDeniedException: not authorized to perform ecr:GetAuthorizationToken' })

    expect(result).toEqual({ action: 'opened', issueNumber: 1 })
    expect(github.issues).toHaveLength(1)
    const [issue] = github.issues
    expect(issue.title).toBe(`Pipecat Cloud pull secret refresh failing: ${SECRET}`)
    expect(issue.labels.map((l: { name: string }) => l.name)).toEqual([ALERT_LABEL])
    expect(issue.body).toContain('AccessDeniedException: not authorized to perform ecr:GetAuthorizationToken')
    expect(issue.body).toContain(target.runUrl)
    expect(issue.body).toContain('**Stored secret expires:** unknown')
    expect(issue.body).toContain('stops working 12 hours after the last successful refresh')
    expect(github.labels.map((l) => l.name)).toEqual([ALERT_LABEL])
    expect(github.requests.find((r) => r.method === 'GET')?.query).toMatchObject({ labels: ALERT_LABEL, state: 'open' })
  })

  it('comments on the open issue instead of opening a second one', async () => {
    await reportFailure(target, { message: 'first failure' })
    const second = { ...target, runUrl: 'https://github.com/acme/voice-bot/actions/runs/1002' }

    const result = await reportFailure(second, { message: 'Pipecat Cloud answered 500' })

    expect(result).toEqual({ action: 'commented', issueNumber: 1 })
    expect(github.issues).toHaveLength(1)
    expect(github.comments).toHaveLength(1)
    expect(github.comments[0].body).toContain('Pipecat Cloud answered 500')
    expect(github.comments[0].body).toContain(second.runUrl)
  })

  it('keeps a separate issue for each secret', async () => {
    await reportFailure(target, { message: 'boom' })
    const other = await reportFailure({ ...target, secretName: 'ecr-pull-eu' }, { message: 'boom' })

    expect(other).toEqual({ action: 'opened', issueNumber: 2 })
    expect(github.issues.map((i) => i.title)).toEqual([alertTitle(SECRET), alertTitle('ecr-pull-eu')])
  })

  it('comments and closes the issue on recovery, recording the new expiry', async () => {
    await reportFailure(target, { message: 'boom' })
    const recovered = { ...target, runUrl: 'https://github.com/acme/voice-bot/actions/runs/1003' }

    const result = await reportRecovery(recovered, {
      expiresAt: '2099-05-01T12:00:00.000Z',
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
    const result = await reportRecovery(target, { expiresAt: '2099-05-01T12:00:00.000Z', registry: 'r' })

    expect(result).toEqual({ action: 'none' })
    expect(writes()).toEqual([])
    expect(github.issues).toEqual([])
  })

  it('opens a new issue after a recovery, stating the expiry that recovery recorded', async () => {
    await reportFailure(target, { message: 'first outage' })
    await reportRecovery(target, { expiresAt: '2099-05-01T12:00:00.000Z', registry: 'r' })

    const result = await reportFailure(target, { message: 'second outage' })

    expect(result).toEqual({ action: 'opened', issueNumber: 2 })
    expect(github.issues.filter((i) => i.state === 'open')).toHaveLength(1)
    expect(github.issues[1].body).toContain('**Stored secret expires:** 2099-05-01T12:00:00.000Z')
    expect(github.issues[1].body).toContain('second outage')
    // The label already exists by now; its 422 must not stop the alert.
    expect(github.labels).toHaveLength(1)
  })

  it('calls an expiry that has already passed unknown', async () => {
    await reportFailure(target, { message: 'first outage' })
    await reportRecovery(target, { expiresAt: '2001-01-01T00:00:00Z', registry: 'r' })

    await reportFailure(target, { message: 'second outage' })

    expect(github.issues[1].body).toContain('unknown: the last recorded expiry, 2001-01-01T00:00:00Z, has passed')
  })

  it('names `issues: write` when the token may not write issues', async () => {
    github.failNext()

    const error = await reportFailure(target, { message: 'boom' }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ActionError)
    expect(String(error)).toMatch(/403 Resource not accessible by integration\): add `issues: write` to the job's `permissions`/)
    expect(github.issues).toEqual([])
  })

  it('names `issues: write` when closing is refused too', async () => {
    await reportFailure(target, { message: 'boom' })
    github.failNext()

    await expect(reportRecovery(target, { expiresAt: '2099-01-01T00:00:00Z', registry: 'r' })).rejects.toThrow(
      /403 Resource not accessible by integration\): add `issues: write` to the job's `permissions`/
    )
  })

  it('names `github-token` when GitHub rejects the token', async () => {
    const wrong = { ...target, token: 'ghs_wrongToken' }

    const failing = reportFailure(wrong, { message: 'boom' })

    await expect(failing).rejects.toThrow(/401 Bad credentials\): pass a valid token in `github-token`/)
  })

  it('says when GitHub cannot be reached at all', async () => {
    github.failNext({ on: 'any', drop: true })

    await expect(reportFailure(target, { message: 'boom' })).rejects.toThrow(
      new RegExp(`Could not reach the GitHub API at ${github.url} to list open issues`)
    )
  })

  it('never writes the token into an issue, a comment or an error', async () => {
    // Even if the refresh error somehow carries the token, it must not be published.
    await reportFailure(target, { message: `request failed with header token ${TOKEN}` })
    await reportFailure(target, { message: `again ${TOKEN}` })
    await reportRecovery(target, { expiresAt: '2099-05-01T12:00:00.000Z', registry: 'r' })
    github.failNext({ status: 500, message: `upstream said ${TOKEN}` })
    const error = await reportFailure(target, { message: 'boom' }).catch((e: Error) => e)

    expect(everyBody()).toContain('request failed with header token ***')
    expect(everyBody()).not.toContain(TOKEN)
    expect(String(error)).toContain('GitHub answered 500')
    expect(String(error)).not.toContain(TOKEN)
  })

  it('refuses a malformed repository before calling GitHub', async () => {
    await expect(reportFailure({ ...target, repository: 'just-a-name' }, { message: 'boom' })).rejects.toThrow(/expected owner\/repo/)
    expect(github.requests).toEqual([])
  })
})
