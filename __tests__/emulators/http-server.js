// @ts-check
// The plumbing every emulator needs around Node's HTTP server, kept in one place so the
// emulators hold only what the service they stand in for does.
import { Buffer } from 'node:buffer'
import { performance } from 'node:perf_hooks'

/**
 * Undefined rather than an exception, so each emulator decides what a body that is not JSON means.
 * @param {string} text
 * @returns {unknown}
 */
export function parseJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<string>}
 */
export async function readBody(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * @param {import('node:http').Server | import('node:https').Server} server
 * @param {string} host
 * @param {number} port
 * @param {'http' | 'https'} scheme
 * @returns {Promise<string>} the base URL
 */
export async function listen(server, host, port, scheme) {
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(undefined))
  })
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${address.port}`
}

/**
 * Ends keep-alive sockets too, so a test never waits for a client's idle timeout.
 * @param {import('node:http').Server | import('node:https').Server} server
 * @returns {Promise<void>}
 */
export function closeServer(server) {
  return new Promise(resolve => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/**
 * One client connection as the server saw it, on the clock of the process that runs the server
 * (performance.now()), so a benchmark can line it up with its own timings.
 * @typedef {object} ConnectionRecord
 * @property {number} acceptedAt
 * @property {number} [secureAt]   TLS handshake finished (the client's Finished arrived)
 * @property {string} [protocol]   e.g. 'TLSv1.3'; absent on plain http
 * @property {Array<{method: string, path: string, receivedAt: number, answeredAt?: number}>} requests
 */

/**
 * Records every connection and the requests each one carried: how tests and the benchmark see
 * whether a client reuses its connections and when it opened them.
 * @param {import('node:http').Server | import('node:https').Server} server
 * @returns {ConnectionRecord[]}
 */
export function recordConnections(server) {
  /** @type {ConnectionRecord[]} */
  const connections = []
  /** @type {WeakMap<object, ConnectionRecord>} */
  const bySocket = new WeakMap()
  server.on('connection', socket => {
    const record = { acceptedAt: performance.now(), requests: [] }
    connections.push(record)
    bySocket.set(socket, record)
  })
  server.on('secureConnection', tlsSocket => {
    const record = bySocket.get(/** @type {any} */ (tlsSocket)._parent ?? tlsSocket)
    if (!record) return
    record.secureAt = performance.now()
    record.protocol = tlsSocket.getProtocol() ?? undefined
    bySocket.set(tlsSocket, record)
  })
  server.on('request', (req, res) => {
    const record = bySocket.get(req.socket)
    if (!record) return
    /** @type {ConnectionRecord['requests'][number]} */
    const request = { method: req.method ?? 'GET', path: req.url ?? '/', receivedAt: performance.now() }
    record.requests.push(request)
    res.on('finish', () => {
      request.answeredAt = performance.now()
    })
  })
  return connections
}
