import { setTimeout as delay } from 'node:timers/promises'
import * as log from '../common/log.js'
import type { Socket } from 'node:net'
import { buildConnector, EnvHttpProxyAgent, Pool, request, type Dispatcher } from '../start-up/undici.js'
import { ActionError } from '../common/errors.js'
import { untrusted } from '../common/untrusted.js'
import type { ProxySettings } from '../common/inputs.js'

export type { ProxySettings }

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
  /** A retry that would start later than this after the first try is not made. */
  budgetMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8_000, budgetMs: 60_000 }

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'HEAD' | 'DELETE'
  url: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  /** Safe to send again, so it may be pipelined behind another request (GET and HEAD always are). */
  idempotent?: boolean
}

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
  /** Tries it took, the successful one included. */
  attempts: number
}

export interface SendOptions {
  /** The outside system in the user's words, for messages: "Pipecat Cloud", "the registry". */
  service: string
  /** Answers worth another try; network faults and timeouts are always retried. */
  retryStatus?: (status: number) => boolean
}

export interface HttpClient {
  send(req: HttpRequest, options: SendOptions): Promise<HttpResponse>
  /** One try, no retries: for callers that bring their own retry strategy (the AWS SDK). */
  sendOnce(req: HttpRequest, signal?: AbortSignal): Promise<Omit<HttpResponse, 'attempts'>>
  /** What went wrong with a request sendOnce could not complete, in a few words for a message. */
  describeFailure(error: unknown): string
}

export interface HttpClientOptions {
  /** The most one request may take, from sending it to the last byte of the answer. */
  timeoutMs: number
  /** Requests to one host that may be under way at once; one, unless a caller sends them in parallel. */
  connectionsPerHost?: number
  /** Idempotent requests that may be sent on one connection before the first is answered; default 1 (none). */
  pipelining?: number
  /** The whole run's time limit: every request is aborted once it has passed. */
  runLimit?: RunLimit
  /** The largest successful answer accepted; error answers are cut at ERROR_BODY_BYTES instead. */
  maxBodyBytes?: number
  proxy?: ProxySettings
  retry?: RetryPolicy
  dispatcher?: Dispatcher
  sleep?: (ms: number) => Promise<void>
  now?: () => number
  random?: () => number
}

/** Manifests and JSON answers are small; registries refuse manifests over 4 MiB. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024
/** Enough of an error answer to explain it; the rest is not read. */
const ERROR_BODY_BYTES = 64 * 1024

export interface RunLimit {
  signal: AbortSignal
  seconds: number
}

/** The run reached the time limit main.ts set: nothing is retried after it. */
export class RunTimeLimitError extends Error {
  override name = 'RunTimeLimitError'
}

/** A successful answer larger than the cap: not retried, since the same server would send it again. */
export class AnswerTooLargeError extends Error {
  override name = 'AnswerTooLargeError'
}

export const isRetryableStatus = (status: number): boolean => status === 408 || status === 409 || status === 425 || status === 429 || status >= 500

/** Seconds or an HTTP date, as RFC 9110 allows; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** "Full jitter" backoff: spreads retries of many scheduled runs so they do not hit the API in step. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  return Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
}

// Connections opened ahead of need (preconnect), by origin, until the first request to that origin takes one.
const earlyConnections = new Map<string, Promise<Socket>>()
let directConnector: buildConnector.connector | undefined

function originKey(protocol: string, hostname: string, port: string | number | null | undefined): string {
  return `${protocol}//${hostname.replace(/^\[|\]$/g, '')}:${port || (protocol === 'https:' ? 443 : 80)}`
}

/** Verification failures of a server's certificate, as Node's TLS names them. */
const UNTRUSTED_CERTIFICATE = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'HOSTNAME_MISMATCH'
])
const WRONG_NAME = 'ERR_TLS_CERT_ALTNAME_INVALID'

function tlsCode(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 4; cause = (cause as { cause?: unknown }).cause, depth++) {
    const code = (cause as { code?: unknown }).code
    if (code === WRONG_NAME || (typeof code === 'string' && UNTRUSTED_CERTIFICATE.has(code))) return code
  }
  return undefined
}

/**
 * A server whose certificate is for another name or not trusted: the same server answers the same way
 * on every try, so the run ends at once with what it means. Undefined for any other error.
 */
export function certificateProblem(
  error: unknown,
  service: string,
  host: string,
  setting = `the URL this action was given for ${service}`
): string | undefined {
  const code = tlsCode(error)
  if (!code) return undefined
  const what =
    code === WRONG_NAME || code === 'HOSTNAME_MISMATCH'
      ? `presented a certificate that is not for ${host.replace(/:\d+$/, '')}`
      : `presented a certificate this runner does not trust (${code})`
  return `${service} at ${host} ${what}: a proxy or endpoint is misconfigured, or the connection is being intercepted, and retrying will not help; check ${setting} and the runner's HTTPS_PROXY / NO_PROXY settings (a proxy that inspects TLS needs its CA in NODE_EXTRA_CA_CERTS).`
}

/**
 * undici 6 handles a certificate for another name apart from every other connect error: it fails the
 * waiting requests but counts them as still running, so the next request to that origin waits forever
 * for a connection, holding nothing, and Node ends the process with its unsettled top-level await
 * (exit 13). Under another code the error takes undici's ordinary path, which fails the request.
 */
function withOrdinaryCertificateError(callback: buildConnector.Callback): buildConnector.Callback {
  return (...args) => {
    const [error] = args
    if ((error as { code?: string } | null)?.code !== WRONG_NAME) return callback(...args)
    callback(Object.assign(new Error(error!.message, { cause: error }), { code: 'HOSTNAME_MISMATCH' }), null)
  }
}

/** Direct connections take a socket preconnect opened, when there is one, before opening their own. */
function connectDirect(options: buildConnector.Options, done: buildConnector.Callback): void {
  directConnector ??= buildConnector({})
  const callback = withOrdinaryCertificateError(done)
  const key = originKey(options.protocol, options.hostname, options.port)
  const early = earlyConnections.get(key)
  if (!early) return void directConnector(options, callback)
  earlyConnections.delete(key)
  early.then(
    socket => {
      if (socket.destroyed) return void directConnector!(options, callback)
      socket.ref()
      callback(null, socket)
    },
    () => directConnector!(options, callback)
  )
}

/**
 * Closes the connections preconnect opened that no request took, and forgets them. A run calls it when it
 * ends: in a process that outlives the run (a Lambda function, frozen between invocations), such a
 * connection would be long dead on the server's side when the next run's first request took it.
 */
export function dropEarlyConnections(): void {
  // A connection that failed to open is already gone: nothing to close.
  const closed = (each: Socket) => void each.destroy()
  for (const socket of earlyConnections.values()) socket.then(closed, () => undefined)
  earlyConnections.clear()
}

/**
 * Starts the TCP and TLS handshakes with url's host now, so they overlap other work instead of
 * delaying the first request there. Only for direct connections: a proxy tunnel opens on first use.
 * A connection that fails early is forgotten; the request then connects, and fails, as usual.
 */
export function preconnect(url: string, proxy: ProxySettings = {}): void {
  const target = new URL(url)
  const viaProxy = target.protocol === 'https:' ? proxy.httpsProxy || proxy.httpProxy : proxy.httpProxy
  const key = originKey(target.protocol, target.hostname, target.port)
  if (viaProxy || earlyConnections.has(key)) return
  directConnector ??= buildConnector({})
  const hostname = target.hostname.replace(/^\[|\]$/g, '')
  const socket = new Promise<Socket>((resolve, reject) => {
    const opening = directConnector!({ hostname, host: target.host, protocol: target.protocol, port: target.port, servername: '' }, (error, socket) =>
      error ? reject(error) : resolve(socket)
    ) as unknown as Socket | undefined
    // undici's connector returns the socket it opens (its types say void). Until a request takes it,
    // it must not keep a run that ended early (a failure before the PUT) from exiting.
    opening?.unref?.()
  })
  socket.catch(() => earlyConnections.delete(key))
  earlyConnections.set(key, socket)
}

export function createProxyDispatcher(proxy: ProxySettings = {}, connectionsPerHost = 1, timeoutMs = 30_000, pipelining = 1): Dispatcher {
  // undici flags this agent as experimental with a process warning that would read like a fault
  // in every run's log; the settings we pass are explicit, so the warning tells the user nothing.
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = (warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[0] === 'object' && rest[0] !== null ? (rest[0] as { code?: string }).code : undefined
    if (code !== 'UNDICI-EHPA') emitWarning(warning, ...rest)
  }
  try {
    return new EnvHttpProxyAgent({
      httpProxy: proxy.httpProxy ?? '',
      httpsProxy: proxy.httpsProxy ?? '',
      noProxy: proxy.noProxy ?? '',
      // One connection per host, reused by every request. undici frees a connection a full event-loop
      // turn after its answer ends; with more allowed, a request sent right after another (the first
      // status read after the PUT) would open a second connection instead of waiting that turn.
      connections: connectionsPerHost,
      pipelining,
      // A server that hints a short keep-alive (Keep-Alive: timeout=2) would otherwise cost a connection per
      // request: undici keeps a connection for the hint minus this margin, and its default margin (2 s)
      // leaves nothing of a 2 s hint. Half a second covers the answer's way back; the status reads come sooner.
      keepAliveTimeoutThreshold: 500,
      connect: connectDirect,
      // The tunnel request (CONNECT) goes through a pool of the proxy agent's own, which a request's
      // signal does not reach, with undici's 300 s defaults: a stalled proxy would hold the run that long.
      clientFactory: (origin: URL, options: Pool.Options) =>
        new Pool(origin, { ...options, connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs })
    } as EnvHttpProxyAgent.Options)
  } finally {
    process.emitWarning = emitWarning
  }
}

/** A proxy's refusal to open the tunnel: retrying cannot change it, so it ends the run at once. */
export function proxyRefusal(error: unknown, host: string): string | undefined {
  const status = /Proxy response \((\d{3})\)/.exec((error as Error)?.message ?? '')?.[1]
  if (!status) return undefined
  if (status === '407') return 'the proxy asks for credentials (407): put them in the proxy URL, http://user:password@proxy:port'
  return `the proxy refused to connect to ${host} (${status}): ask for ${host} to be allowed, or add it to NO_PROXY`
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  const code = (error as { code?: string })?.code ?? ''
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return `no answer within ${timeoutMs / 1000}s`
  }
  const cause = (error as { cause?: { code?: string } })?.cause?.code
  if (code === 'UND_ERR_SOCKET' || cause === 'ECONNRESET') return 'the connection was reset'
  if (cause === 'ECONNREFUSED' || code === 'ECONNREFUSED') return 'connection refused'
  if (cause === 'ENOTFOUND' || code === 'ENOTFOUND') return 'host not found'
  return untrusted((error as Error)?.message || error, 160)
}

/** The promise, or the signal's reason once it aborts, whichever comes first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      value => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: Error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      }
    )
  })
}

/** The one-line failure for a run that reached its time limit while talking to a service. */
export function runTimeLimitMessage(service: string, host: string, seconds: number): string {
  return `The run reached its time limit (${seconds}s: 60s + 6 x request-timeout + wait-timeout) while waiting for ${service} at ${host}, which answers too slowly or not at all: rerun later; if it persists, check the service's status and the runner's network.`
}

const formatBytes = (bytes: number): string => (bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${bytes / 1024} KiB`)

/**
 * Reads a body up to `limit` bytes and never holds more: past it a successful answer is refused, and an
 * error answer is cut, since its first bytes are all a message needs.
 */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }, limit: number, refuse: boolean): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    if (size + chunk.length > limit) {
      body.destroy()
      if (refuse) throw new AnswerTooLargeError(`answer larger than ${limit} bytes`)
      chunks.push(chunk.subarray(0, limit - size))
      size = limit
      break
    }
    chunks.push(chunk)
    size += chunk.length
  }
  return Buffer.concat(chunks, size)
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const policy = options.retry ?? DEFAULT_RETRY
  const sleep = options.sleep ?? ((ms: number) => delay(ms))
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const dispatcher = options.dispatcher ?? createProxyDispatcher(options.proxy, options.connectionsPerHost, options.timeoutMs, options.pipelining)
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES

  async function sendOnce(req: HttpRequest, signal?: AbortSignal): Promise<Omit<HttpResponse, 'attempts'>> {
    // undici's own timeouts restart with every chunk and every interim (1xx) answer, so a server that
    // drips its answer would hold the run forever; this deadline covers the whole exchange.
    const deadline = AbortSignal.timeout(options.timeoutMs)
    const signals = [deadline, options.runLimit?.signal, signal].filter((s): s is AbortSignal => s !== undefined)
    const combined = AbortSignal.any(signals)
    try {
      // undici applies an abort only once the request has a connection, so one still waiting for a
      // stalled proxy or connect is abandoned here at the deadline, and its pool's timeouts end it later.
      const answer = await untilAborted(
        request(req.url, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          ...(req.idempotent === undefined ? {} : { idempotent: req.idempotent }),
          dispatcher,
          signal: combined,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs
        }),
        combined
      )
      const ok = answer.statusCode >= 200 && answer.statusCode <= 299
      const body = await readCapped(answer.body, ok ? maxBodyBytes : ERROR_BODY_BYTES, ok)
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
      }
      return { status: answer.statusCode, headers, body }
    } catch (error) {
      if (options.runLimit?.signal.aborted) throw new RunTimeLimitError('the run reached its time limit', { cause: error })
      if (deadline.aborted && !signal?.aborted) {
        throw Object.assign(new Error(`no answer within ${options.timeoutMs / 1000}s`, { cause: error }), { code: 'ETIMEDOUT' })
      }
      throw error
    }
  }

  async function send(req: HttpRequest, { service, retryStatus = isRetryableStatus }: SendOptions): Promise<HttpResponse> {
    const started = now()
    const host = new URL(req.url).host
    for (let attempt = 1; ; attempt++) {
      let waitMs: number
      let why: string
      try {
        const answer = await sendOnce(req)
        if (!retryStatus(answer.status) || attempt >= policy.attempts) return { ...answer, attempts: attempt }
        const asked = parseRetryAfter(answer.headers['retry-after'], now())
        waitMs = asked ?? backoffDelay(attempt, policy, random)
        why = `${service} answered ${answer.status}`
        if (started + policy.budgetMs < now() + waitMs) {
          if (asked === undefined) return { ...answer, attempts: attempt }
          throw new ActionError(
            `${service} answered ${answer.status} and asked to wait ${Math.ceil(asked / 1000)}s, longer than this run may wait; it is busy or limiting requests: rerun the workflow later.`
          )
        }
      } catch (error) {
        if (error instanceof ActionError) throw error
        if (error instanceof RunTimeLimitError) throw new ActionError(runTimeLimitMessage(service, host, options.runLimit?.seconds ?? 0))
        if (error instanceof AnswerTooLargeError) {
          throw new ActionError(
            `${service} at ${host} sent an answer larger than ${formatBytes(maxBodyBytes)}, far more than it ever needs: something other than ${service} may be answering; check the URL this action was given for it and the runner's proxy settings.`
          )
        }
        const refused = proxyRefusal(error, host)
        if (refused) throw new ActionError(`Could not reach ${service} at ${host}: ${refused}.`)
        const certificate = certificateProblem(error, service, host)
        if (certificate) throw new ActionError(certificate)
        const reason = describeNetworkError(error, options.timeoutMs)
        waitMs = backoffDelay(attempt, policy, random)
        why = `${service} (${host}): ${reason}`
        if (attempt >= policy.attempts || started + policy.budgetMs < now() + waitMs) {
          throw new ActionError(
            `Could not reach ${service} at ${host} (${reason}, after ${attempt} attempt${attempt === 1 ? '' : 's'}); check the runner's network and its HTTPS_PROXY / NO_PROXY settings, then rerun.`
          )
        }
      }
      log.info(`${why}; retrying in ${(waitMs / 1000).toFixed(1)}s (attempt ${attempt + 1} of ${policy.attempts}).`)
      await sleep(waitMs)
    }
  }

  return { send, sendOnce, describeFailure: error => describeNetworkError(error, options.timeoutMs) }
}
