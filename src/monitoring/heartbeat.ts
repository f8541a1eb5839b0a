/**
 * The heartbeat: a GET to a dead-man's-switch service (Healthchecks.io, Cronitor, Better Stack, Uptime Kuma)
 * after every run, so the service alerts when runs stop happening, which no step of a run that never
 * starts can do. A failed run pings the service's failure form, so it alerts at once instead of after
 * the grace period. The URL is a credential: it is masked before anything is logged, and no message
 * here shows any part of it. A ping that fails is the caller's warning, never the run's failure.
 */
import { setTimeout as delay } from 'node:timers/promises'
import type { HttpClient } from '../http/http.js'
import type { HeartbeatInputs } from '../common/inputs.js'

/**
 * The failure form of a success URL, by the convention of the service it points at:
 * Cronitor's telemetry URLs take `state=fail` (its older `/<code>/complete` URLs, `/<code>/fail`); Uptime Kuma
 * push URLs (`/api/push/<token>`) take `status=down`; Healthchecks.io (`hc-ping.com` or a self-hosted
 * `/ping/<uuid>`), Better Stack heartbeats and any other service get `/fail` appended to the path.
 * `heartbeat-failure-url` overrides this for a service that does something else.
 */
export function failureUrlFor(successUrl: string): string {
  const url = new URL(successUrl)
  const host = url.hostname.toLowerCase()
  if (host === 'cronitor.link' || host.endsWith('.cronitor.link')) {
    if (/\/(complete|run|tick)$/.test(url.pathname)) url.pathname = url.pathname.replace(/[^/]+$/, 'fail')
    else url.searchParams.set('state', 'fail')
    return url.href
  }
  if (url.pathname.includes('/api/push/')) {
    url.searchParams.set('status', 'down')
    url.searchParams.set('msg', 'Pipecat Cloud pull secret refresh failed')
    return url.href
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/fail`
  return url.href
}

export type PingKind = 'success' | 'failure'

/**
 * A ping gets request-timeout, but never more than this: it can come after a run that reached its time
 * limit, and it and the alert (30 s at most) must end within the watchdog's grace of 45 s.
 */
export const PING_LIMIT_MS = 10_000

// A second try only after a fault that came quickly (refused, reset, 5xx), and only within the deadline.
const TRIES = 2
const PAUSE_MS = 1_000

/**
 * Pings the heartbeat once (twice after a quick fault), within one request-timeout (PING_LIMIT_MS at most) in all. Returns
 * undefined once the service took the ping, or why it did not, in words that name no part of the URL.
 */
export async function ping(http: HttpClient, heartbeat: HeartbeatInputs, kind: PingKind, timeoutMs: number): Promise<string | undefined> {
  const url = kind === 'success' ? heartbeat.url : (heartbeat.failureUrl ?? failureUrlFor(heartbeat.url))
  const limitMs = Math.min(timeoutMs, PING_LIMIT_MS)
  const deadline = AbortSignal.timeout(limitMs)
  let problem = ''
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    if (attempt > 1) {
      try {
        await delay(PAUSE_MS, undefined, { signal: deadline })
      } catch {
        break
      }
    }
    try {
      const answer = await http.sendOnce({ method: 'GET', url, headers: { 'user-agent': 'pipecat-ecr-pull-secret' } }, deadline)
      if (answer.status >= 200 && answer.status <= 299) return undefined
      problem = `the service answered ${answer.status}`
      if (answer.status < 500 && answer.status !== 429) break
    } catch (error) {
      problem = deadline.aborted ? `no answer within ${limitMs / 1000}s` : describe(http, error)
      // A proxy's refusal, like a timeout, would only repeat.
      if (deadline.aborted || problem.startsWith('the proxy')) break
    }
  }
  return problem
}

/** A network fault in a few words; an error's own text can name the host, so only known words are used. */
function describe(http: HttpClient, error: unknown): string {
  const described = http.describeFailure(error)
  if (/^(connection refused|the connection was reset|host not found|no answer within \d+s)$/.test(described)) return described
  const proxyStatus = /Proxy response \((\d{3})\)/.exec((error as Error)?.message ?? '')?.[1]
  if (proxyStatus) return `the proxy refused to open a tunnel to it (${proxyStatus})`
  const code = [(error as { code?: unknown })?.code, (error as { cause?: { code?: unknown } })?.cause?.code].find(
    (value): value is string => typeof value === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(value)
  )
  return `the request failed (${code ?? 'no error code'})`
}
