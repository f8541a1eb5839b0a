import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHttpClient } from '../../src/http/http.js'
import { gapBefore, gapMessage, readRunHistory, type RunHistory } from '../../src/github/run-history.js'
import { startGitHubEmulator } from '../emulators/github.js'

const TOKEN = 'ghs_runHistoryTestToken0123456789'
const HOUR = 3600_000

type Emulator = Awaited<ReturnType<typeof startGitHubEmulator>>

describe('readRunHistory', () => {
  let github: Emulator
  const where = () => ({
    token: TOKEN,
    apiUrl: github.url,
    repository: 'acme/voice-bot',
    runId: '1001',
    runsUrl: 'https://github.com/acme/voice-bot/actions/runs'
  })
  const read = (options: Parameters<typeof readRunHistory>[1] = where(), timeoutMs = 5_000) =>
    readRunHistory(createHttpClient({ timeoutMs }), options, timeoutMs)

  beforeEach(async () => {
    github = await startGitHubEmulator({ token: TOKEN })
  })
  afterEach(async () => {
    await github.close()
  })

  it("finds this run's workflow and its latest success other than this run, and when this run started", async () => {
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', conclusion: null, status: 'in_progress', run_started_at: '2026-03-01T11:59:00Z' })
    github.addRun({ id: 990, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T06:17:00Z' })
    github.addRun({ id: 995, workflow_id: 7, repository: 'acme/voice-bot', conclusion: 'failure', run_started_at: '2026-03-01T09:00:00Z' })
    github.addRun({ id: 996, workflow_id: 8, repository: 'acme/voice-bot', run_started_at: '2026-03-01T10:00:00Z' })

    expect(await read()).toEqual({
      lastSuccess: { startedAt: new Date('2026-03-01T06:17:00Z'), url: 'https://github.com/acme/voice-bot/actions/runs/990' },
      thisRunStartedAt: new Date('2026-03-01T11:59:00Z'),
      scheduled: true
    })
    expect(github.requests.map(r => r.path)).toEqual(['/repos/acme/voice-bot/actions/runs/1001', '/repos/acme/voice-bot/actions/workflows/7/runs'])
  })

  it('skips this run when a re-run lists it among the successes', async () => {
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T11:59:00Z' })
    github.addRun({ id: 990, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T06:17:00Z' })

    expect((await read()).lastSuccess).toEqual({ startedAt: new Date('2026-03-01T06:17:00Z'), url: 'https://github.com/acme/voice-bot/actions/runs/990' })
  })

  it('says so when the workflow has no success yet', async () => {
    github.addRun({ id: 1001, workflow_id: 7, repository: 'acme/voice-bot', conclusion: null, status: 'in_progress', run_started_at: '2026-03-01T11:59:00Z' })

    expect((await read()).lastSuccess).toEqual({ missing: 'this workflow has no successful run yet' })
  })

  it('passes on why it was not asked', async () => {
    expect(await read({ missing: 'github-token is empty' })).toEqual({ lastSuccess: { missing: 'github-token is empty' } })
    expect(github.requests).toEqual([])
  })

  it.each([
    ['403', { actionsRead: false }, undefined, /the job cannot read its workflow runs \(403\): add `actions: read`/],
    ['401', {}, 'ghs_wrong000000000000000000000000', /GitHub rejected github-token \(401\)/],
    ['404', {}, undefined, /GitHub did not find run 1001 of acme\/voice-bot \(404\).*add `actions: read`/]
  ])('a %s becomes the reason, with its fix', async (_status, options, token, missing) => {
    await github.close()
    github = await startGitHubEmulator({ token: TOKEN, ...options })
    github.addRun({ id: 990, workflow_id: 7, repository: 'acme/voice-bot', run_started_at: '2026-03-01T06:17:00Z' })

    expect((await read({ ...where(), token: token ?? TOKEN })).lastSuccess).toEqual({ missing: expect.stringMatching(missing) })
  })

  it('a server error, an answer that is not JSON, and a run without a workflow id each become the reason', async () => {
    github.failNext({ status: 502, message: 'Bad gateway', on: 'any' })
    expect((await read()).lastSuccess).toEqual({ missing: "GitHub's API answered 502; the next run tries again" })

    const odd = createServer((req, res) => {
      if (req.url?.endsWith('/runs/1001')) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 1001, workflow_id: 'seven' }))
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<html>')
    })
    await new Promise<void>(done => odd.listen(0, '127.0.0.1', done))
    try {
      const apiUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`
      expect((await read({ ...where(), apiUrl })).lastSuccess).toEqual({ missing: expect.stringMatching(/^GitHub answered this run without a workflow id/) })
      expect((await read({ ...where(), apiUrl, runId: '1002' })).lastSuccess).toEqual({
        missing: "GitHub's API answered with something other than a JSON object"
      })
    } finally {
      await new Promise(done => odd.close(done))
    }
  })

  it('an API that never answers ends the whole lookup within its one timeout', async () => {
    const silent = createServer(() => undefined)
    await new Promise<void>(done => silent.listen(0, '127.0.0.1', done))
    try {
      const apiUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
      expect((await read({ ...where(), apiUrl }, 300)).lastSuccess).toEqual({ missing: "GitHub's API could not be reached (no answer within 0.3s)" })
    } finally {
      silent.closeAllConnections()
      await new Promise(done => silent.close(done))
    }
  })
})

describe('the gap before a run', () => {
  const NOW = new Date('2026-03-02T12:00:00.000Z')
  const history = (lastHoursAgo: number, scheduled = true): RunHistory => ({
    lastSuccess: { startedAt: new Date(NOW.getTime() - lastHoursAgo * HOUR), url: 'https://github.com/acme/voice-bot/actions/runs/990' },
    thisRunStartedAt: new Date(NOW.getTime() - 60_000),
    scheduled
  })

  it('is none within 12 hours, for a workflow not on a schedule, or when the runs could not be read', () => {
    expect(gapBefore(history(11.9), NOW)).toBeUndefined()
    expect(gapBefore(history(72, false), NOW)).toBeUndefined()
    expect(gapBefore({ lastSuccess: { missing: 'x' } }, NOW)).toBeUndefined()
  })

  it('runs from 12 hours after the last success started', () => {
    const gap = gapBefore(history(20), NOW)
    expect(gap?.expiredAt).toEqual(new Date('2026-03-02T04:00:00.000Z'))
    expect(gapMessage(gap!, 'stored', NOW)).toBe(
      'The last successful run of this workflow started 2026-03-01T16:00:00.000Z (20 h ago), more than 12 hours before this one ' +
        '(https://github.com/acme/voice-bot/actions/runs/990): the stored token expired at 2026-03-02T04:00:00.000Z (8 h ago) ' +
        'and was replaced only by this run at 2026-03-02T12:00:00.000Z, so pulls with the secret failed for 8 h in between: ' +
        'find out why the runs stopped or failed (a disabled or delayed schedule, failing runs), and set heartbeat-url so a stopped schedule is noticed before the next expiry.'
    )
    expect(gapMessage(gap!, 'stored', NOW, true)).toMatch(/, and check the heartbeat check's period and grace \(under 12 hours in all\) and who it alerts\.$/)
    expect(gapMessage(gap!, 'dry-run', NOW)).toMatch(
      /, and this dry run stores nothing, so pulls with the secret have failed since then and still do: run the refresh without dry-run now/
    )
    expect(gapMessage(gap!, 'not-stored', NOW)).toMatch(/, and this run did not replace it, so pulls .* fix the error this run ended with and rerun/)
  })
})
