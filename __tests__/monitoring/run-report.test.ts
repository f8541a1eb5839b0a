import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type { HttpClient, HttpRequest } from '../../src/http/http.js'
import type { Inputs } from '../../src/common/inputs.js'
import type { RunHistory } from '../../src/github/run-history.js'
import { reportStaleness, sendHeartbeat, startRunHistory } from '../../src/monitoring/run-report.js'
import type { Report } from '../../src/run/summary.js'

// What a run adds to its report at the end: the last success (and the gap, with its warning) and the
// heartbeat. The HTTP side is a fake client that counts what it was asked; the log is captured.

const NOW = new Date('2026-03-02T12:00:00.000Z')
const HOUR = 3600_000
const URL = 'https://hc-ping.com/5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c'

let lines: string[]
let spy: ReturnType<typeof jest.spyOn>
beforeEach(() => {
  lines = []
  spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    lines.push(...String(chunk).split(/\r?\n/).filter(Boolean))
    return true
  })
})
afterEach(() => spy.mockRestore())

const report = (overrides: Partial<Report> = {}): Report => ({
  dryRun: false,
  registry: 'r',
  secretName: 'my-ecr-credentials',
  secret: 'ready',
  // The one target is where the secret's state is read from.
  targets: [{ secretName: 'my-ecr-credentials', secret: overrides.secret ?? 'ready' }],
  waitForReady: true,
  verifyImage: false,
  ...overrides
})

const inputs = (overrides: Partial<Inputs> = {}): Inputs =>
  ({ requestTimeoutMs: 2_000, dryRun: false, runHistory: { missing: 'outside' }, ...overrides }) as Inputs

const history = (hoursAgo: number, scheduled = true): Promise<RunHistory> =>
  Promise.resolve({
    lastSuccess: { startedAt: new Date(NOW.getTime() - hoursAgo * HOUR), url: 'https://github.com/acme/agents/actions/runs/990' },
    thisRunStartedAt: new Date(NOW.getTime() - 60_000),
    scheduled
  })

describe('reportStaleness', () => {
  it('names a recent last success, and warns of nothing', async () => {
    const done = report()
    await reportStaleness(inputs(), done, history(2), NOW)
    expect(done.lastSuccess).toEqual({ startedAt: new Date('2026-03-02T10:00:00.000Z'), url: 'https://github.com/acme/agents/actions/runs/990' })
    expect(done.gap).toBeUndefined()
    expect(lines).toEqual(['The last successful run of this workflow started 2026-03-02T10:00:00.000Z (2 h ago).'])
  })

  it('warns of a gap, worded for how the run ended and whether a heartbeat is set', async () => {
    const cases: [Partial<Report>, Partial<Inputs>, RegExp][] = [
      [{}, {}, /and was replaced only by this run .* set heartbeat-url/],
      [{ secret: 'untouched', failure: 'boom' }, {}, /and this run did not replace it/],
      [{ dryRun: true, secret: 'checked' }, { dryRun: true }, /and this dry run stores nothing/],
      [{}, { heartbeat: { url: URL } }, /check the heartbeat check's period and grace/]
    ]
    for (const [state, given, says] of cases) {
      lines.length = 0
      const done = report(state)
      await reportStaleness(inputs(given), done, history(20), NOW)
      expect(done.gap).toMatch(says)
      expect(lines).toEqual([`::warning::${done.gap}`])
    }
  })

  it('notes that a workflow not on a schedule dates nothing, and says why it cannot tell when it cannot', async () => {
    const release = report()
    await reportStaleness(inputs(), release, history(72, false), NOW)
    expect(release.lastSuccessNote).toBe('not a scheduled workflow, so its gaps do not date the stored token')
    expect(release.gap).toBeUndefined()

    const unknown = report()
    await reportStaleness(inputs(), unknown, startRunHistory(inputs(), {} as HttpClient), NOW)
    expect(unknown.lastSuccess).toEqual({ missing: 'outside' })
    expect(lines.at(-1)).toBe('When this workflow last succeeded is unknown: outside.')
  })
})

describe('sendHeartbeat', () => {
  /** A client that answers every request with `status`, or fails it with `error`, and counts them. */
  function client(answer: { status?: number; error?: Error }): HttpClient & { asked: string[] } {
    const asked: string[] = []
    return {
      asked,
      send: () => Promise.reject(new Error('not used')),
      sendOnce: (req: HttpRequest) => {
        asked.push(`${req.method} ${req.url}`)
        return answer.error ? Promise.reject(answer.error) : Promise.resolve({ status: answer.status ?? 200, headers: {}, body: Buffer.alloc(0) })
      },
      describeFailure: () => 'connection refused'
    }
  }

  it('does nothing without heartbeat-url, and never pings in a dry run', async () => {
    const http = client({})
    const plain = report()
    await sendHeartbeat(inputs(), plain, http)
    const dry = report({ dryRun: true })
    await sendHeartbeat(inputs({ dryRun: true, heartbeat: { url: URL } }), dry, http)
    expect(http.asked).toEqual([])
    expect([plain.heartbeat, dry.heartbeat]).toEqual([undefined, 'not pinged (dry run)'])
  })

  it('pings the success URL after a run that worked, the failure form after one that failed', async () => {
    const http = client({})
    const worked = report()
    await sendHeartbeat(inputs({ heartbeat: { url: URL } }), worked, http)
    const failed = report({ failure: 'boom' })
    await sendHeartbeat(inputs({ heartbeat: { url: URL } }), failed, http)
    expect(http.asked).toEqual([`GET ${URL}`, `GET ${URL}/fail`])
    expect([worked.heartbeat, failed.heartbeat]).toEqual(['success pinged', 'failure pinged'])
    expect(lines).toEqual(['Pinged the heartbeat URL (success).', 'Pinged the heartbeat URL (failure).'])
  })

  it('turns a ping that failed into a warning that names no part of the URL', async () => {
    const refused = report()
    await sendHeartbeat(
      inputs({ heartbeat: { url: URL } }),
      refused,
      client({ error: Object.assign(new Error(`connect ECONNREFUSED ${URL}`), { code: 'ECONNREFUSED' }) })
    )
    const failed = report({ failure: 'boom' })
    await sendHeartbeat(inputs({ heartbeat: { url: URL } }), failed, client({ status: 404 }))
    expect(refused.heartbeat).toBe('success ping failed: connection refused')
    expect(failed.heartbeat).toBe('failure ping failed: the service answered 404')
    expect(lines).toEqual([
      expect.stringMatching(
        /^::warning::Could not ping the heartbeat URL \(connection refused\), so the monitoring service may alert although this run succeeded/
      ),
      expect.stringMatching(/^::warning::Could not ping the heartbeat URL's failure form \(the service answered 404\)/)
    ])
    expect(lines.join('\n')).not.toMatch(/hc-ping|5f3c9d2e/)
  })
})
