import { afterEach, beforeEach, describe, expect, it, test } from '@jest/globals'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { failureUrlFor, ping } from '../../src/monitoring/heartbeat.js'
import { createHttpClient } from '../../src/http/http.js'

// Each service's own failure form (docs/heartbeat.md), so the service alerts at once on a failed run.
test.each([
  ['Healthchecks.io', 'https://hc-ping.com/5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c', 'https://hc-ping.com/5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c/fail'],
  ['Healthchecks.io, slug URL', 'https://hc-ping.com/ping-key-123/ecr-refresh', 'https://hc-ping.com/ping-key-123/ecr-refresh/fail'],
  ['Healthchecks, self-hosted', 'https://checks.acme.test/ping/5f3c9d2e/', 'https://checks.acme.test/ping/5f3c9d2e/fail'],
  ['Cronitor telemetry', 'https://cronitor.link/p/apikey123/ecr-refresh', 'https://cronitor.link/p/apikey123/ecr-refresh?state=fail'],
  [
    'Cronitor telemetry with a state',
    'https://cronitor.link/p/apikey123/ecr-refresh?state=complete',
    'https://cronitor.link/p/apikey123/ecr-refresh?state=fail'
  ],
  ['Cronitor, older ping URL', 'https://cronitor.link/d3x0c1/complete', 'https://cronitor.link/d3x0c1/fail'],
  ['Better Stack', 'https://uptime.betterstack.com/api/v1/heartbeat/AbCdEf123', 'https://uptime.betterstack.com/api/v1/heartbeat/AbCdEf123/fail'],
  [
    'Uptime Kuma push',
    'https://status.acme.test/api/push/TU6UYXKALJ?status=up&msg=OK&ping=',
    'https://status.acme.test/api/push/TU6UYXKALJ?status=down&msg=Pipecat+Cloud+pull+secret+refresh+failed&ping='
  ],
  [
    'Uptime Kuma push, bare',
    'https://status.acme.test/api/push/TU6UYXKALJ',
    'https://status.acme.test/api/push/TU6UYXKALJ?status=down&msg=Pipecat+Cloud+pull+secret+refresh+failed'
  ],
  ['any other service', 'https://beats.acme.test/hook/abc', 'https://beats.acme.test/hook/abc/fail']
])('%s', (_service, success, failure) => {
  expect(failureUrlFor(success)).toBe(failure)
})

describe('ping', () => {
  let server: Server
  let url = ''
  const asked: string[] = []
  let answer: (res: ServerResponse) => void = res => res.writeHead(200).end('OK')

  beforeEach(async () => {
    asked.length = 0
    server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`)
      answer(res)
    })
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping/5f3c9d2e`
  })
  afterEach(async () => {
    server.closeAllConnections()
    await new Promise(done => server.close(done))
  })

  const http = (timeoutMs = 2_000) => createHttpClient({ timeoutMs })

  it('sends one GET to the success URL, or to the failure form', async () => {
    expect(await ping(http(), { url }, 'success', 2_000)).toBeUndefined()
    expect(await ping(http(), { url }, 'failure', 2_000)).toBeUndefined()
    expect(await ping(http(), { url, failureUrl: `${url}/custom` }, 'failure', 2_000)).toBeUndefined()
    expect(asked).toEqual(['GET /ping/5f3c9d2e', 'GET /ping/5f3c9d2e/fail', 'GET /ping/5f3c9d2e/custom'])
  })

  it('tries a 5xx once more, a 4xx never, and says what the service answered', async () => {
    answer = res => res.writeHead(503).end()
    expect(await ping(http(), { url }, 'success', 5_000)).toBe('the service answered 503')
    expect(asked).toHaveLength(2)
    asked.length = 0
    answer = res => res.writeHead(404).end()
    expect(await ping(http(), { url }, 'success', 5_000)).toBe('the service answered 404')
    expect(asked).toHaveLength(1)
  })

  it('gives up at its deadline on a server that never answers, and names no part of the URL', async () => {
    answer = () => undefined
    const problem = await ping(http(300), { url }, 'success', 300)
    expect(problem).toBe('no answer within 0.3s')
    expect(asked).toHaveLength(1)
  })
})

describe('what a failed ping says', () => {
  const failing = (error: Error & { code?: string }, described: string) => ({
    send: () => Promise.reject(new Error('not used')),
    sendOnce: () => Promise.reject(error),
    describeFailure: () => described
  })
  const URL = 'https://hc-ping.com/5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c'

  it.each([
    [
      'a refused tunnel, not tried again',
      new Error('Proxy response (403) !== 200 when HTTP Tunneling'),
      'Proxy response (403)',
      'the proxy refused to open a tunnel to it (403)'
    ],
    [
      'a certificate for another name, by its code only',
      Object.assign(new Error("Hostname/IP does not match certificate's altnames: Host: hc-ping.com"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      "Hostname/IP does not match certificate's altnames: Host: hc-ping.com",
      'the request failed (ERR_TLS_CERT_ALTNAME_INVALID)'
    ],
    ['an error without a code', new Error(`fetch failed for ${URL}`), `fetch failed for ${URL}`, 'the request failed (no error code)']
  ])('%s', async (_case, error, described, says) => {
    expect(await ping(failing(error, described), { url: URL }, 'success', 1_500)).toBe(says)
  })
})
