import { drip, earlyHintsForever, huge, json, startHostileServer, type Handler, type HostileServer } from '../support/hostile-server.js'
import { createHttpClient, MAX_BODY_BYTES } from '../../src/http/http.js'
import { alertTimeLimitMs, runTimeLimitMs } from '../../src/run/main.js'

let server: HostileServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function serve(handler: Handler): Promise<string> {
  server = await startHostileServer(handler)
  return server.url
}

const once = { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 1 }

// The drip and the interim answers below never stop and never pause as long as the deadline, so only a
// deadline on the whole exchange ends them: that they end, with the deadline named, is the proof. Without
// one they would run until jest's own test timeout, the bound of a hang.
test('a server that drips its body is cut off at the deadline, though every byte is within it', async () => {
  const url = await serve((_req, res) => drip(res, 200, 50))
  const http = createHttpClient({ timeoutMs: 400, retry: once })
  await expect(http.send({ method: 'GET', url }, { service: 'Pipecat Cloud' })).rejects.toThrow(/no answer within 0\.4s, after 1 attempt\)/)
  expect(server?.requests).toHaveLength(1)
})

test('endless interim answers count toward the deadline', async () => {
  const url = await serve((_req, res) => earlyHintsForever(res, 50))
  const http = createHttpClient({ timeoutMs: 400, retry: once })
  await expect(http.sendOnce({ method: 'GET', url })).rejects.toMatchObject({ code: 'ETIMEDOUT' })
  expect(server?.requests).toHaveLength(1)
})

test('a successful answer over the cap is refused without being read whole', async () => {
  const url = await serve((_req, res) => huge(res, 200, 64 * 1024 * 1024))
  const http = createHttpClient({ timeoutMs: 10_000, retry: once })
  await expect(http.send({ method: 'GET', url }, { service: 'Pipecat Cloud' })).rejects.toThrow(
    /^Pipecat Cloud at 127\.0\.0\.1:\d+ sent an answer larger than 4 MiB/
  )
  expect(MAX_BODY_BYTES).toBe(4 * 1024 * 1024)
})

test('an error answer over 64 KiB is cut, and its status still comes through', async () => {
  const url = await serve((_req, res) => huge(res, 503, 8 * 1024 * 1024))
  const http = createHttpClient({ timeoutMs: 10_000, retry: once })
  const answer = await http.sendOnce({ method: 'GET', url })
  expect(answer.status).toBe(503)
  expect(answer.body.length).toBe(64 * 1024)
})

test('an answer of exactly the cap is accepted', async () => {
  const url = await serve((_req, res) => res.writeHead(200).end(Buffer.alloc(1024, 'b')))
  const http = createHttpClient({ timeoutMs: 5_000, retry: once, maxBodyBytes: 1024 })
  expect((await http.sendOnce({ method: 'GET', url })).body.length).toBe(1024)
})

test('once the run reaches its time limit, the request ends at once with the limit named, and is not retried', async () => {
  const url = await serve((_req, res) => drip(res, 200, 50))
  const http = createHttpClient({
    timeoutMs: 10_000,
    retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 60_000 },
    runLimit: { signal: AbortSignal.timeout(300), seconds: 96 }
  })
  // The request's own 10 s deadline would end it with another message and retry it; the run limit's
  // message and the single request show the run limit ended it.
  await expect(http.send({ method: 'GET', url }, { service: 'Pipecat Cloud' })).rejects.toThrow(
    /^The run reached its time limit \(96s: 60s \+ 6 x request-timeout \+ wait-timeout\) while waiting for Pipecat Cloud at 127\.0\.0\.1:\d+/
  )
  expect(server?.requests).toHaveLength(1)
})

test('the run limit is 60 s plus six request timeouts, plus the wait when the run waits', () => {
  const base = { requestTimeoutMs: 30_000, waitTimeoutMs: 120_000 }
  expect(runTimeLimitMs({ ...base, waitForReady: true, dryRun: false })).toBe(360_000)
  expect(runTimeLimitMs({ ...base, waitForReady: false, dryRun: false })).toBe(240_000)
  expect(runTimeLimitMs({ ...base, waitForReady: true, dryRun: true })).toBe(240_000)
})

test('the alert gets three request timeouts, never more than 30 s', () => {
  expect(alertTimeLimitMs({ requestTimeoutMs: 2_000 })).toBe(6_000)
  expect(alertTimeLimitMs({ requestTimeoutMs: 30_000 })).toBe(30_000)
  expect(alertTimeLimitMs({ requestTimeoutMs: 300_000 })).toBe(30_000)
})

test('a normal JSON answer passes untouched', async () => {
  const url = await serve((_req, res) => json(res, 200, { ok: true }))
  const http = createHttpClient({ timeoutMs: 5_000, retry: once })
  const answer = await http.send({ method: 'GET', url }, { service: 'Pipecat Cloud' })
  expect(JSON.parse(answer.body.toString())).toEqual({ ok: true })
})
