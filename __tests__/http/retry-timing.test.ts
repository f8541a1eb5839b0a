import { MockAgent } from 'undici'
import { createHttpClient } from '../../src/http/http.js'

// The fault suite shows retries happen end to end, in real time; these show when, to the millisecond, with
// a clock that moves only when the client sleeps. The policy is the one a run uses (no `retry` option).

const ORIGIN = 'https://api.pipecat.test'
const put = { method: 'PUT' as const, url: `${ORIGIN}/v1/secrets/my-ecr-credentials`, body: '{}' }
const START = Date.parse('2026-12-01T06:00:00Z')

function setup(random = () => 1) {
  const agent = new MockAgent()
  agent.disableNetConnect()
  let now = START
  const sleeps: number[] = []
  const http = createHttpClient({
    timeoutMs: 1000,
    dispatcher: agent,
    random,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms)
      now += ms
    }
  })
  const reply = (status: number, headers: Record<string, string> = {}) =>
    agent
      .get(ORIGIN)
      .intercept({ path: '/v1/secrets/my-ecr-credentials', method: 'PUT' })
      .reply(status, status < 300 ? { ok: true } : '', { headers })
  return { http, sleeps, reply, elapsed: () => now - START, agent }
}

const send = (http: ReturnType<typeof setup>['http']) => http.send(put, { service: 'Pipecat Cloud' })

test('Retry-After in seconds is waited exactly, once', async () => {
  const { http, sleeps, reply } = setup()
  reply(429, { 'retry-after': '1' })
  reply(200)

  expect(await send(http)).toMatchObject({ status: 200, attempts: 2 })
  expect(sleeps).toEqual([1000])
})

test('Retry-After as an HTTP date waits until that instant', async () => {
  const { http, sleeps, reply } = setup()
  reply(429, { 'retry-after': new Date(START + 2000).toUTCString() })
  reply(200)

  expect(await send(http)).toMatchObject({ status: 200, attempts: 2 })
  expect(sleeps).toEqual([2000])
})

test('Retry-After wins over a larger backoff, and a date already past means no wait', async () => {
  const { http, sleeps, reply } = setup()
  reply(503, { 'retry-after': new Date(START - 5000).toUTCString() })
  reply(200)

  await send(http)
  expect(sleeps).toEqual([0])
})

test('a persisting 503 is tried five times, with backoff doubling from 0.5 s: at most 7.5 s of waiting', async () => {
  const { http, sleeps, reply, elapsed } = setup()
  for (let i = 0; i < 10; i++) reply(503)

  expect(await send(http)).toMatchObject({ status: 503, attempts: 5 })
  expect(sleeps).toEqual([500, 1000, 2000, 4000])
  expect(elapsed()).toBe(7500)
})

test('full jitter scales each wait by the random draw, so runs on one schedule spread out', async () => {
  const draws = [0.5, 0.25, 0, 0.9]
  const { http, sleeps, reply } = setup(() => draws.shift() as number)
  for (let i = 0; i < 5; i++) reply(502)

  await send(http)
  expect(sleeps).toEqual([250, 250, 0, 3600])
})

test('a Retry-After longer than the run may wait fails at once, without sleeping', async () => {
  const { http, sleeps, reply, elapsed } = setup()
  reply(429, { 'retry-after': '120' })

  await expect(send(http)).rejects.toThrow(/^Pipecat Cloud answered 429 and asked to wait 120s, longer than this run may wait/)
  expect(sleeps).toEqual([])
  expect(elapsed()).toBe(0)
})

test('a reset connection is retried after the same backoff as a busy answer', async () => {
  const { http, sleeps, reply, agent } = setup()
  agent
    .get(ORIGIN)
    .intercept({ path: '/v1/secrets/my-ecr-credentials', method: 'PUT' })
    .replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))
  reply(409)
  reply(200)

  expect(await send(http)).toMatchObject({ status: 200, attempts: 3 })
  expect(sleeps).toEqual([500, 1000])
})
