import { jest } from '@jest/globals'
import type { HttpClient, HttpRequest } from '../../src/http/http.js'

// The wait logs a line per status read; the schedule is what these tests are about.
jest.unstable_mockModule('../../src/start-up/core.js', () => ({ info: jest.fn(), setSecret: jest.fn() }))
const { pollDelay, waitForReady } = await import('../../src/pipecat/pipecat.js')

const NAME = 'my-ecr-credentials'
// What a status read costs at the target's 40 ms round trip: the answer's way back, plus a little server time.
const READ_MS = 50

/**
 * Pipecat Cloud on a clock that moves only when the run sleeps or reads: a set that turns ready
 * `readyAtMs` after the PUT, and every status read, at the time the service saw it.
 */
function slowSet(readyAtMs: number) {
  let now = 0
  const reads: number[] = []
  const http: HttpClient = {
    async send(req: HttpRequest) {
      expect(req).toMatchObject({ method: 'GET', url: 'https://api.test/v1/secrets' })
      now += READ_MS / 2
      reads.push(now)
      const status = now >= readyAtMs ? 'ready' : 'pending'
      now += READ_MS / 2
      const body = Buffer.from(JSON.stringify({ sets: [{ name: NAME, type: 'imagePullSecret', region: 'us-west', status }] }))
      return { status: 200, headers: { 'content-type': 'application/json' }, body, attempts: 1 }
    },
    sendOnce: () => Promise.reject(new Error('not used')),
    describeFailure: String
  }
  const api = { http, apiUrl: 'https://api.test', token: 'pk_test' }
  const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) }
  return { api, clock, reads, now: () => now }
}

test('reads often for the first seconds, then backs off to a 5 s ceiling', () => {
  expect([0, 999, 1000, 5999].map(pollDelay)).toEqual([250, 250, 400, 400])
  expect([6000, 10_000, 19_999, 20_000, 120_000].map(pollDelay)).toEqual([1500, 2500, 5000, 5000, 5000])
  for (let elapsed = 0; elapsed < 200_000; elapsed += 100) {
    expect(pollDelay(elapsed + 100)).toBeGreaterThanOrEqual(pollDelay(elapsed))
  }
})

test('a set that turns ready up to 5 s after the PUT is noticed within half a second', async () => {
  for (let readyAtMs = 0; readyAtMs <= 5000; readyAtMs += 10) {
    const { api, clock, reads, now } = slowSet(readyAtMs)
    const state = await waitForReady(api, NAME, { timeoutMs: 120_000, ...clock })
    expect(state.status).toBe('ready')
    // Times on slowSet's clock, which moves only on reads and sleeps, never the wall clock's. Worst case it turned
    // ready just after a read: that read's way back, one wait, the next read's way there.
    expect(reads.at(-1)! - readyAtMs).toBeLessThanOrEqual(400 + READ_MS)
    expect(now() - readyAtMs).toBeLessThanOrEqual(400 + 1.5 * READ_MS)
    if (readyAtMs === 0) expect(reads).toHaveLength(1)
  }
})

test('a set that stays pending costs few reads, and the wait ends at wait-timeout', async () => {
  const { api, clock, reads, now } = slowSet(Infinity)
  await expect(waitForReady(api, NAME, { timeoutMs: 120_000, ...clock })).rejects.toThrow(
    /^Secret set my-ecr-credentials is still pending after 120s: .*raise wait-timeout/
  )
  expect(reads.length).toBeGreaterThanOrEqual(30)
  expect(reads.length).toBeLessThanOrEqual(45)
  expect(now()).toBeGreaterThanOrEqual(120_000)
  expect(now()).toBeLessThanOrEqual(120_000 + READ_MS)
  // After the first minute, one read every 5 s, but for the last, which wait-timeout brings forward.
  const late = reads.filter(at => at > 60_000).slice(0, -1)
  late.slice(1).forEach((at, i) => expect(at - late[i]).toBeGreaterThanOrEqual(5000))
})

test('the last wait is cut short by wait-timeout', async () => {
  const { api, clock, now } = slowSet(Infinity)
  await expect(waitForReady(api, NAME, { timeoutMs: 2_000, ...clock })).rejects.toThrow(/still pending after 2s/)
  expect(now()).toBeGreaterThanOrEqual(2_000)
  expect(now()).toBeLessThanOrEqual(2_000 + READ_MS)
})
