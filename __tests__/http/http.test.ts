import { MockAgent } from 'undici'
import { backoffDelay, createHttpClient, parseRetryAfter, type RetryPolicy } from '../../src/http/http.js'
import { sleepClock } from '../support/sleep-clock.js'

const ORIGIN = 'https://api.example.test'
const POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8000, budgetMs: 60_000 }

function setup(policy = POLICY) {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const clock = sleepClock(1_000_000)
  const http = createHttpClient({ timeoutMs: 1000, retry: policy, dispatcher: agent, sleep: clock.sleep, now: clock.now, random: () => 1 })
  return { pool: agent.get(ORIGIN), http, clock }
}

const get = { method: 'GET' as const, url: `${ORIGIN}/v1/secrets` }

test('parseRetryAfter reads seconds and HTTP dates', () => {
  const now = Date.parse('2026-11-29T03:00:00Z')
  expect(parseRetryAfter('3', now)).toBe(3000)
  expect(parseRetryAfter('Sun, 29 Nov 2026 03:00:07 GMT', now)).toBe(7000)
  expect(parseRetryAfter('Sun, 29 Nov 2026 02:59:00 GMT', now)).toBe(0)
  expect(parseRetryAfter('soon', now)).toBeUndefined()
  expect(parseRetryAfter(undefined, now)).toBeUndefined()
})

test('backoff doubles up to the cap, scaled by jitter', () => {
  expect([1, 2, 3, 4, 5, 6].map(n => backoffDelay(n, POLICY, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 8000])
  expect(backoffDelay(3, POLICY, () => 0.5)).toBe(1000)
})

test('retries 5xx and 409, then returns the success with its attempt count', async () => {
  const { pool, http, clock } = setup()
  pool.intercept({ path: '/v1/secrets' }).reply(503, 'busy')
  pool.intercept({ path: '/v1/secrets' }).reply(409, { code: 'CONFLICT' })
  pool.intercept({ path: '/v1/secrets' }).reply(200, { sets: [] })

  const answer = await http.send(get, { service: 'Pipecat Cloud' })
  expect(answer.status).toBe(200)
  expect(answer.attempts).toBe(3)
  expect(clock.slept).toEqual([500, 1000])
})

test('honours Retry-After over its own backoff', async () => {
  const { pool, http, clock } = setup()
  pool.intercept({ path: '/v1/secrets' }).reply(429, '', { headers: { 'retry-after': '7' } })
  pool.intercept({ path: '/v1/secrets' }).reply(200, '{}')

  expect((await http.send(get, { service: 'Pipecat Cloud' })).attempts).toBe(2)
  expect(clock.slept).toEqual([7000])
})

test('gives back the last answer once attempts run out', async () => {
  const { pool, http, clock } = setup()
  for (let i = 0; i < 4; i++) pool.intercept({ path: '/v1/secrets' }).reply(502, 'bad gateway')

  const answer = await http.send(get, { service: 'Pipecat Cloud' })
  expect(answer).toMatchObject({ status: 502, attempts: 4 })
  expect(clock.slept).toHaveLength(3)
})

test('does not retry answers that will not change', async () => {
  const { pool, http } = setup()
  pool.intercept({ path: '/v1/secrets' }).reply(400, { error: 'Invalid request format' })

  expect(await http.send(get, { service: 'Pipecat Cloud' })).toMatchObject({ status: 400, attempts: 1 })
})

test('a Retry-After beyond the time budget fails at once, naming the wait', async () => {
  const { pool, http, clock } = setup({ ...POLICY, budgetMs: 10_000 })
  pool.intercept({ path: '/v1/secrets' }).reply(429, '', { headers: { 'retry-after': '120' } })

  await expect(http.send(get, { service: 'Pipecat Cloud' })).rejects.toThrow(/Pipecat Cloud answered 429 and asked to wait 120s, longer than this run may wait/)
  expect(clock.slept).toEqual([])
})

test('network faults are retried, then reported with the host and the proxy hint', async () => {
  const { pool, http, clock } = setup()
  for (let i = 0; i < 4; i++) pool.intercept({ path: '/v1/secrets' }).replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))

  await expect(http.send(get, { service: 'Pipecat Cloud' })).rejects.toThrow(
    "Could not reach Pipecat Cloud at api.example.test (the connection was reset, after 4 attempts); check the runner's network and its HTTPS_PROXY / NO_PROXY settings, then rerun."
  )
  expect(clock.slept).toHaveLength(3)
})

test('the time budget bounds backoff as well as attempts', async () => {
  const { pool, http, clock } = setup({ attempts: 10, baseDelayMs: 1000, maxDelayMs: 8000, budgetMs: 5000 })
  for (let i = 0; i < 10; i++) pool.intercept({ path: '/v1/secrets' }).reply(500, '')

  const answer = await http.send(get, { service: 'Pipecat Cloud' })
  expect(answer.status).toBe(500)
  expect(clock.slept).toEqual([1000, 2000])
})

test.each([
  [
    407,
    /^Could not reach Pipecat Cloud at api\.example\.test: the proxy asks for credentials \(407\): put them in the proxy URL, http:\/\/user:password@proxy:port\.$/
  ],
  [
    403,
    /^Could not reach Pipecat Cloud at api\.example\.test: the proxy refused to connect to api\.example\.test \(403\): ask for api\.example\.test to be allowed, or add it to NO_PROXY\.$/
  ]
])('a proxy refusing the tunnel (%i) ends at once with the fix', async (status, message) => {
  const { pool, http, clock } = setup()
  pool
    .intercept({ path: '/v1/secrets' })
    .replyWithError(Object.assign(new Error(`Proxy response (${status}) !== 200 when HTTP Tunneling`), { code: 'UND_ERR_ABORTED' }))

  await expect(http.send(get, { service: 'Pipecat Cloud' })).rejects.toThrow(message)
  expect(clock.slept).toEqual([])
})
