// @ts-check
// The plumbing every emulator needs around Node's HTTP server, kept in one place so the
// emulators hold only what the service they stand in for does.
import { Buffer } from 'node:buffer'

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
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
