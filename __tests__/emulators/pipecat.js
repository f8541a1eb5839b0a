// @ts-check
// The Pipecat Cloud secrets API (/v1/secrets...), held to its OpenAPI contract:
// strict bodies, the real error messages, 202 then asynchronous provisioning,
// and faults a test can queue to see how a client copes with a bad day.
// It also serves the agents a test seeds (GET /v1/agents, GET /v1/agents/{agentName}) in the
// OpenAPI's ServiceListItem and ServiceDetailsResponse shapes.
import { randomBytes, randomUUID } from 'node:crypto'
import { STATUS_CODES, createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { offContract, recordAnswer, recordRequest, recordService } from './exchanges.js'
import { closeServer, listen, parseJson, readBody, recordConnections } from './http-server.js'
import { performance } from 'node:perf_hooks'

const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const INVALID_FORMAT = 'Invalid request format'
const DEFAULT_PROVISIONING_ERROR = 'Failed to provision secret set. Please try again or contact support.'

/**
 * A stored set. Values are kept so tests can check them; the API itself never returns them.
 * @typedef {object} SecretSet
 * @property {string} name
 * @property {'secret' | 'imagePullSecret'} type
 * @property {string} region
 * @property {'pending' | 'ready' | 'failed'} status
 * @property {string} [errorMessage]  only when failed
 * @property {string} [host]          image pull secrets: stored with a trailing slash
 * @property {string} [secretValue]   image pull secrets
 * @property {Array<{secretKey: string, secretValue: string}>} [secrets]  regular sets
 */

/**
 * One queued misbehaviour, used by the first later request it matches.
 * A 2xx `status` still lets the request take effect (only the answer is odd);
 * any other status, and `reset`, leave the state untouched.
 * @typedef {object} Fault
 * @property {string} [method]   only a request with this method uses the fault
 * @property {string | RegExp} [path]  only a request whose path (no query) starts with this string, or matches this pattern
 * @property {number} [status]   answer with this status instead
 * @property {unknown} [body]    JSON body for `status`; default: an ErrorResponse fitting the status
 * @property {string} [rawBody]  body sent verbatim (as text/html) instead of JSON
 * @property {Record<string, string>} [headers]  extra headers, e.g. {'retry-after': '1'}
 * @property {boolean} [reset]   send headers and half a body, then destroy the socket
 * @property {number} [delayMs]  answer (normally, or with the fault) only after this delay
 */

/**
 * @typedef {object} RecordedRequest
 * @property {string} method
 * @property {string} path     as requested, query string included
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {unknown} body    parsed JSON, the raw text when not JSON, undefined when empty
 */

/**
 * @typedef {object} PipecatEmulatorOptions
 * @property {string} [token]          the accepted private API key; default: random per emulator
 * @property {string[]} [regions]      regions the organization may use; default us-west, us-east, eu-central
 * @property {string} [defaultRegion]  used when a new set names no region; default 'us-west'
 * @property {number} [readyAfter]     status reads a set stays pending after each PUT; default 1, Infinity = forever
 * @property {number} [readyAfterMs]   instead of counting reads: a set stays pending this many ms after each PUT
 * @property {string} [provisioningError]  when set, provisioning ends `failed` with this errorMessage
 * @property {string} [host]           default '127.0.0.1'
 * @property {number} [port]           default 0 (any free port)
 * @property {number} [keepAliveSeconds]  close an idle connection after this many seconds, and say so in every
 *   answer (Node's server sends `Keep-Alive: timeout=N`), as servers with a short idle timeout do; default Node's 5
 * @property {{key: string | Buffer, cert: string | Buffer}} [tls]
 *   serve https with this key and certificate (PEM), as the real API does; default: plain http
 */

/** @typedef {{status: number, body: unknown, offContract?: string}} Answer  offContract: why this answer is off the contract on purpose */

/**
 * An agent to seed, in the few fields tests care about; the rest of ServiceDetailsResponse is filled in.
 * @typedef {object} SeedAgent
 * @property {string} name
 * @property {string} [region]               default: the default region
 * @property {string} [image]                manifest.spec.image; default a Docker Hub image
 * @property {string | null} [imagePullSecretName]  manifest.spec.imagePullSecretName; null leaves it out
 * @property {boolean} [ready]               default true
 * @property {Record<string, unknown> | null} [health]  currentRevision.health; default running, 0 restarts; null: no revision yet
 * @property {Record<string, unknown>} [details]  fields laid over the built answer as they are, for odd shapes
 */

/**
 * @param {PipecatEmulatorOptions} [options]
 */
export async function startPipecatEmulator(options = {}) {
  const token = options.token ?? `pk_${randomBytes(24).toString('hex')}`
  const regions = options.regions ?? ['us-west', 'us-east', 'eu-central']
  const defaultRegion = options.defaultRegion ?? 'us-west'
  let readyAfter = options.readyAfter ?? 1
  const readyAfterMs = options.readyAfterMs
  let provisioningError = options.provisioningError

  /** @type {Map<string, SecretSet>} */
  const sets = new Map()
  // Status reads of each set since its last PUT; provisioning "finishes" after readyAfter of them.
  /** @type {Map<string, number>} */
  const readsSincePut = new Map()
  // When each PUT was taken (its answer goes out at once), for readyAfterMs.
  /** @type {Map<string, number>} */
  const putAnsweredAt = new Map()
  /** @type {Map<string, number>} */
  const settledAt = new Map()
  // Sets whose provisioning never finishes, whatever readyAfter says.
  /** @type {Set<string>} */
  const stuck = new Set()
  /** @type {RecordedRequest[]} */
  const requests = []
  /** @type {Fault[]} */
  const faults = []
  /** @type {Set<NodeJS.Timeout>} */
  const timers = new Set()
  /** Agents by name, each as GET /v1/agents/{agentName} answers it. @type {Map<string, Record<string, unknown>>} */
  const agents = new Map()
  let inFlight = 0
  let peakInFlight = 0
  const contract = recordService('pipecat')
  /** Agents seeded with `details`: the odd shapes a test asked for, which no contract check holds against the emulator. */
  const oddAgents = new Set()

  /** @param {SecretSet} set */
  function observe(set) {
    const reads = readsSincePut.get(set.name) ?? 0
    const due = readyAfterMs === undefined ? reads >= readyAfter : performance.now() >= (putAnsweredAt.get(set.name) ?? Infinity) + readyAfterMs
    if (set.status === 'pending' && due && !stuck.has(set.name)) {
      if (provisioningError === undefined) {
        set.status = 'ready'
      } else {
        set.status = 'failed'
        set.errorMessage = provisioningError
      }
      settledAt.set(set.name, performance.now())
    }
    readsSincePut.set(set.name, reads + 1)
  }

  /**
   * @param {string} name
   * @param {string} raw
   * @returns {Answer}
   */
  function putSet(name, raw) {
    const request = parseSetRequest(raw)
    if ('error' in request) return badRequest(request.error)
    const existing = sets.get(name)
    // An update that names no region stays where the set already is.
    const region = request.region ?? existing?.region ?? defaultRegion
    if (!regions.includes(region)) return badRequest('Invalid region or organization does not have access')
    if (existing?.type === 'secret' && request.type === 'imagePullSecret') {
      return badRequest('Cannot update existing regular secrets to image pull secrets')
    }
    if (existing?.type === 'imagePullSecret' && request.type === 'secret') {
      return badRequest('Cannot update existing image pull secrets to regular secrets')
    }
    if (existing && existing.region !== region) {
      return badRequest(`Secret already exists in region '${existing.region}'. Cannot change region to '${region}'.`)
    }

    if (request.type === 'imagePullSecret') {
      const host = request.host.endsWith('/') ? request.host : `${request.host}/`
      sets.set(name, { name, type: 'imagePullSecret', region, host, secretValue: request.secretValue, status: 'pending' })
    } else {
      // Modelled as an upsert: keys the PUT does not name are kept.
      const secrets = new Map((existing?.secrets ?? []).map(s => [s.secretKey, s]))
      for (const s of request.secrets) secrets.set(s.secretKey, s)
      sets.set(name, { name, type: 'secret', region, secrets: [...secrets.values()], status: 'pending' })
    }
    readsSincePut.set(name, 0)
    putAnsweredAt.set(name, performance.now())
    return { status: 202, body: { status: 'OK', region } }
  }

  /**
   * @param {string} method
   * @param {string} pathname
   * @param {string} raw
   * @param {URLSearchParams} search
   * @returns {Answer}
   */
  function route(method, pathname, raw, search) {
    if (pathname === '/v1/agents' || pathname.startsWith('/v1/agents/')) return routeAgents(method, pathname, search)
    if (pathname === '/v1/regions') {
      if (method !== 'GET') return methodNotAllowed()
      return { status: 200, body: { regions: regions.map(code => ({ code, display_name: code })) } }
    }
    if (pathname === '/v1/secrets') {
      if (method !== 'GET') return methodNotAllowed()
      const summaries = [...sets.values()].map(set => {
        observe(set)
        return summary(set)
      })
      return { status: 200, body: { sets: summaries } }
    }

    const match = /^\/v1\/secrets\/([^/]+)$/.exec(pathname)
    if (!match) return { status: 404, body: { error: 'Not found', code: 'NOT_FOUND' } }
    const name = safeDecode(match[1])
    if (!isValidName(name)) return badRequest('Invalid secret set name')
    const set = sets.get(name)
    switch (method) {
      case 'PUT':
        return putSet(name, raw)
      case 'GET':
        if (!set) return setNotFound()
        if (set.type === 'imagePullSecret') return badRequest('Cannot retrieve image pull secrets by name')
        observe(set)
        return {
          status: 200,
          body: { ...statusFields(set), secrets: (set.secrets ?? []).map(s => ({ fieldName: s.secretKey })) }
        }
      case 'DELETE':
        if (!set) return setNotFound()
        sets.delete(name)
        readsSincePut.delete(name)
        return { status: 200, body: { status: 'OK' } }
      default:
        return methodNotAllowed()
    }
  }

  /**
   * @param {string} method
   * @param {string} pathname
   * @param {URLSearchParams} search
   * @returns {Answer}
   */
  function routeAgents(method, pathname, search) {
    if (method !== 'GET') return methodNotAllowed()
    if (pathname === '/v1/agents') {
      const region = search.get('region')
      const withDeployment = search.get('includeActiveDeployment') === 'true'
      const listed = [...agents.values()].filter(agent => region === null || agent.region === region)
      const services = listed.map(agent => listItem(agent, withDeployment))
      return { status: 200, body: { services }, ...(listed.some(agent => oddAgents.has(agent.name)) && { offContract: ODD_AGENT }) }
    }
    const name = safeDecode(pathname.slice('/v1/agents/'.length))
    const agent = agents.get(name)
    if (!agent) return { status: 404, body: { error: 'Not found', code: 'NOT_FOUND' } }
    return { status: 200, body: agent, ...(oddAgents.has(name) && { offContract: ODD_AGENT }) }
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  async function handle(req, res) {
    inFlight++
    peakInFlight = Math.max(peakInFlight, inFlight)
    res.once('close', () => inFlight--)
    const raw = await readBody(req)
    const method = req.method ?? 'GET'
    const path = req.url ?? '/'
    const { pathname, searchParams } = new URL(path, 'http://emulator')
    requests.push({ method, path, headers: req.headers, body: raw === '' ? undefined : (parseJson(raw) ?? raw) })
    recordRequest(contract, res, { method, path, contentType: req.headers['content-type'], rawBody: raw })

    const index = faults.findIndex(
      f =>
        (f.method === undefined || f.method.toUpperCase() === method) &&
        (f.path === undefined || (typeof f.path === 'string' ? pathname.startsWith(f.path) : f.path.test(pathname)))
    )
    const fault = index === -1 ? undefined : faults.splice(index, 1)[0]
    if (fault?.delayMs) await sleep(fault.delayMs)
    // A queued fault's answer is off the contract on purpose (a status the API may not document, a body a
    // proxy would send, half an answer): the request that met it is still held to the contract, the answer not.
    if (fault?.status !== undefined || fault?.reset) offContract(res, 'a fault the test queued')
    if (fault?.reset) return resetMidResponse(res, fault.status ?? 200)
    const failing = fault?.status !== undefined && (fault.status < 200 || fault.status > 299)
    if (fault && failing) return sendFault(res, fault, pathname)

    const answer =
      bearerToken(req.headers.authorization) === token
        ? route(method, pathname, raw, searchParams)
        : { status: 401, body: { error: 'Unauthorized', code: 'UNAUTHORIZED' } }
    if (fault?.status !== undefined) return sendFault(res, fault, pathname)
    if (answer.offContract) offContract(res, answer.offContract)
    sendJson(res, answer, fault?.headers)
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  const serve = (req, res) => {
    handle(req, res).catch(() => res.destroy())
  }
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, serve) : createServer(serve)
  if (options.keepAliveSeconds !== undefined) server.keepAliveTimeout = options.keepAliveSeconds * 1000
  const connections = recordConnections(server)
  const url = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0, options.tls ? 'https' : 'http')

  /** @param {number} ms */
  function sleep(ms) {
    return new Promise(resolve => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        resolve(undefined)
      }, ms)
      timers.add(timer)
    })
  }

  return {
    /** base URL without /v1, e.g. http://127.0.0.1:PORT */
    url,
    token,
    sets,
    requests,
    /** Every client connection and the requests it carried (see recordConnections). */
    connections,
    /** When each set last became ready or failed (performance.now()), by name. */
    settledAt,
    /**
     * Queue faults; each is used up by the first later request it matches (see Fault).
     * @param {...Fault} queued
     */
    failNext(...queued) {
      faults.push(...queued)
    },
    /**
     * Store a set directly, as if it existed before the test; defaults to a ready regular set.
     * @param {Partial<SecretSet> & {name: string}} set
     * @returns {SecretSet}
     */
    seedSet(set) {
      /** @type {SecretSet} */
      const stored = { type: 'secret', region: defaultRegion, status: 'ready', ...set }
      if (stored.type === 'secret') stored.secrets ??= [{ secretKey: 'EXAMPLE_KEY', secretValue: 'example' }]
      sets.set(stored.name, stored)
      readsSincePut.set(stored.name, 0)
      return stored
    },
    /**
     * Deploy an agent, as if it existed before the test; returns its GET /v1/agents/{agentName} answer, which a test may change.
     * @param {SeedAgent} agent
     * @returns {Record<string, unknown>}
     */
    seedAgent(agent) {
      const details = agentDetails(agent, defaultRegion)
      agents.set(agent.name, details)
      if (agent.details) oddAgents.add(agent.name)
      else oddAgents.delete(agent.name)
      return details
    },
    /** Most requests the emulator was answering at one time. */
    get peakInFlight() {
      return peakInFlight
    },
    /**
     * How many status reads a set stays pending after its PUT (Infinity: pending forever).
     * @param {number} n
     */
    setReadyAfter(n) {
      readyAfter = n
    },
    /**
     * The set of this name stays pending forever after its next PUT, while the others turn ready as usual.
     * @param {string} name
     */
    stayPending(name) {
      stuck.add(name)
    },
    /**
     * From now on provisioning ends `failed` with this errorMessage; pass null to let it succeed again.
     * @param {string | null} [errorMessage]
     */
    failProvisioning(errorMessage = DEFAULT_PROVISIONING_ERROR) {
      provisioningError = errorMessage ?? undefined
    },
    /** @returns {Promise<void>} */
    close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      return closeServer(server)
    }
  }
}

/**
 * The body must be exactly one of the two OpenAPI shapes, with nothing extra.
 * @param {string} raw
 * @returns {{error: string}
 *   | {type: 'imagePullSecret', host: string, secretValue: string, region?: string}
 *   | {type: 'secret', secrets: Array<{secretKey: string, secretValue: string}>, region?: string}}
 */
function parseSetRequest(raw) {
  const body = parseJson(raw)
  if (!isPlainObject(body)) return { error: INVALID_FORMAT }
  if ('region' in body && typeof body.region !== 'string') return { error: INVALID_FORMAT }
  const region = /** @type {string | undefined} */ (body.region)

  if ('secrets' in body) {
    if (!hasOnlyKeys(body, ['secrets', 'region'])) return { error: INVALID_FORMAT }
    const secrets = body.secrets
    const valid =
      Array.isArray(secrets) &&
      secrets.length > 0 &&
      secrets.every(
        s =>
          isPlainObject(s) &&
          hasOnlyKeys(s, ['secretKey', 'secretValue']) &&
          typeof s.secretKey === 'string' &&
          s.secretKey !== '' &&
          typeof s.secretValue === 'string'
      )
    if (!valid) return { error: INVALID_FORMAT }
    return { type: 'secret', secrets: secrets.map(s => ({ secretKey: s.secretKey, secretValue: s.secretValue })), region }
  }

  const imagePullKeys = ['isImagePullSecret', 'host', 'secretValue']
  if (!imagePullKeys.some(key => key in body)) return { error: INVALID_FORMAT }
  if (!imagePullKeys.every(key => key in body)) {
    return { error: 'Must provide isImagePullSecret, host, and secretValue to update an image pull secret' }
  }
  const { isImagePullSecret, host, secretValue } = body
  if (
    !hasOnlyKeys(body, [...imagePullKeys, 'region']) ||
    isImagePullSecret !== true ||
    typeof host !== 'string' ||
    !isAbsoluteUri(host) ||
    typeof secretValue !== 'string' ||
    secretValue === ''
  ) {
    return { error: INVALID_FORMAT }
  }
  return { type: 'imagePullSecret', host, secretValue, region }
}

const ODD_AGENT = 'an agent the test seeded with odd details'
const ORGANIZATION_ID = randomUUID()
const SEEDED_AT = '2026-01-05T10:00:00.000Z'

/**
 * A ServiceDetailsResponse for a seeded agent, shaped like the OpenAPI example.
 * @param {SeedAgent} agent
 * @param {string} defaultRegion
 * @returns {Record<string, unknown>}
 */
function agentDetails(agent, defaultRegion) {
  const deploymentId = randomUUID()
  const ready = agent.ready ?? true
  const health = agent.health === undefined ? { ready, state: 'running', restartCount: 0, replicasStarted: 1 } : agent.health
  /** @type {Record<string, unknown>} */
  const spec = {
    dailyNodeType: 'arm',
    image: agent.image ?? `dockerhub-user/${agent.name}:0.1`,
    autoScaling: { minReplicas: 1, maxReplicas: 10 },
    envFromSecretNames: [`${agent.name}-secrets`],
    resources: { cpu: '500m', memory: '1Gi' },
    krispViva: { audioFilters: false }
  }
  if (agent.imagePullSecretName !== null) spec.imagePullSecretName = agent.imagePullSecretName ?? 'dockerhub-credentials'
  return {
    name: agent.name,
    region: agent.region ?? defaultRegion,
    ready,
    available: ready,
    createdAt: SEEDED_AT,
    updatedAt: SEEDED_AT,
    desiredDeploymentId: deploymentId,
    activeDeploymentId: deploymentId,
    reconciledDeploymentId: deploymentId,
    activeDeploymentReady: ready,
    autoScaling: { maxReplicas: 10, minReplicas: 1 },
    activeSessionCount: 0,
    agentProfile: 'agent-1x',
    deployment: {
      id: deploymentId,
      manifest: {
        apiVersion: 'pipecatcloud.daily.co/v1',
        kind: 'PCService',
        metadata: { name: agent.name, namespace: 'tiny-ferret-maroon-123' },
        spec
      },
      serviceId: randomUUID(),
      createdAt: SEEDED_AT,
      updatedAt: SEEDED_AT
    },
    krispViva: { audioFilter: null },
    currentRevision:
      health === null
        ? null
        : { deploymentID: deploymentId, phase: ready ? 'Active' : 'Validating', readyReplicas: ready ? 1 : 0, phaseStartedAt: SEEDED_AT, health },
    previousRevision: null,
    ...agent.details
  }
}

/**
 * The agent as GET /v1/agents lists it (ServiceListItem).
 * @param {Record<string, any>} details
 * @param {boolean} withDeployment
 */
function listItem(details, withDeployment) {
  return {
    id: details.deployment?.serviceId ?? randomUUID(),
    name: details.name,
    region: details.region,
    desiredDeploymentId: details.desiredDeploymentId,
    activeDeploymentId: details.activeDeploymentId,
    reconciledDeploymentId: details.reconciledDeploymentId,
    organizationId: ORGANIZATION_ID,
    createdAt: details.createdAt,
    updatedAt: details.updatedAt,
    deletedAt: null,
    ...(withDeployment && { deployment: details.deployment })
  }
}

/** @param {SecretSet} set */
function statusFields(set) {
  return { region: set.region, status: set.status, ...(set.status === 'failed' && { errorMessage: set.errorMessage }) }
}

/** @param {SecretSet} set */
function summary(set) {
  return { name: set.name, type: set.type, ...statusFields(set) }
}

/** @param {string} name */
function isValidName(name) {
  return name.length >= 3 && name.length <= 63 && NAME_PATTERN.test(name)
}

/** @param {string} value */
function isAbsoluteUri(value) {
  return URL.canParse(value) && !/\s/.test(value)
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isPlainObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * @param {Record<string, unknown>} object
 * @param {string[]} allowed
 */
function hasOnlyKeys(object, allowed) {
  return Object.keys(object).every(key => allowed.includes(key))
}

/** @param {string | undefined} header */
function bearerToken(header) {
  return /^Bearer (.+)$/i.exec(header ?? '')?.[1]
}

/** @param {string} error */
function badRequest(error) {
  return { status: 400, body: { error, code: 'GENERIC_BAD_REQUEST' } }
}

function setNotFound() {
  return { status: 404, body: { error: 'Set not found', code: 'NOT_FOUND' } }
}

function methodNotAllowed() {
  return { status: 405, body: { error: 'Method not allowed', code: 'METHOD_NOT_ALLOWED' } }
}

/**
 * What the real service (or the gateway in front of it) says for a status, in ErrorResponse shape.
 * @param {number} status
 * @param {string} pathname
 */
function faultBody(status, pathname) {
  if (status === 409) {
    const name = safeDecode(pathname.split('/')[3] ?? '')
    return { error: `Secret set '${name}' was modified concurrently. Please retry.`, code: 'CONFLICT' }
  }
  if (status === 400) return { error: 'Bad request', code: 'GENERIC_BAD_REQUEST' }
  const reason = STATUS_CODES[status] ?? 'Error'
  return { error: reason, code: reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_') }
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {Fault} fault
 * @param {string} pathname
 */
function sendFault(res, fault, pathname) {
  const status = fault.status ?? 500
  if (fault.rawBody !== undefined) {
    res.writeHead(status, { 'content-type': 'text/html', ...fault.headers }).end(fault.rawBody)
  } else {
    sendJson(res, { status, body: fault.body ?? faultBody(status, pathname) }, fault.headers)
  }
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {Answer} answer
 * @param {Record<string, string>} [headers]
 */
function sendJson(res, answer, headers = {}) {
  recordAnswer(res, answer.status, answer.body)
  res.writeHead(answer.status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(answer.body))
}

/**
 * Promise a longer body than is sent, so the client sees the connection die mid-response.
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 */
function resetMidResponse(res, status) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': '64' })
  res.write('{"status":"O', () => res.destroy())
}

/** @param {string} segment */
function safeDecode(segment) {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
