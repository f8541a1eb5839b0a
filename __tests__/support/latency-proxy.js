// @ts-check
// A loopback TCP relay that makes a local server feel far away: every byte takes half the round-trip
// time each way, and a new connection may carry data only one round trip after it was accepted, as
// if the TCP handshake had crossed the same distance. It relays bytes and never reads them, so TLS
// passes through untouched and the client verifies the server's own certificate.
import { connect, createServer } from 'node:net'
import { performance } from 'node:perf_hooks'

/**
 * @typedef {object} RelayedConnection
 * @property {number} acceptedAt   performance.now() when the client connected
 * @property {number} lastDeliveredAt  when the server's last bytes reached the client (after the delay)
 */

/**
 * @param {{target: string, rttMs: number}} options  target: the server's base URL (http or https)
 */
export async function startLatencyProxy({ target, rttMs }) {
  const { hostname, port } = new URL(target)
  const oneWay = rttMs / 2
  /** @type {RelayedConnection[]} */
  const connections = []
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set()
  /** @type {Set<NodeJS.Timeout>} */
  const timers = new Set()

  /**
   * Runs `action` at `at` (performance.now() time), in order with everything queued before it.
   * @param {{last: number}} lane
   * @param {number} at
   * @param {() => void} action
   */
  function schedule(lane, at, action) {
    lane.last = Math.max(lane.last, at)
    const timer = setTimeout(
      () => {
        timers.delete(timer)
        action()
      },
      Math.max(0, lane.last - performance.now())
    )
    timers.add(timer)
  }

  const server = createServer(client => {
    const record = { acceptedAt: performance.now(), lastDeliveredAt: 0 }
    connections.push(record)
    const upstream = connect(Number(port), hostname.replace(/^\[|\]$/g, ''))
    sockets.add(client).add(upstream)
    const up = { last: 0 }
    const down = { last: 0 }
    // The client's first byte could not have left before the handshake's round trip ended.
    const established = record.acceptedAt + rttMs
    client.on('data', chunk => schedule(up, Math.max(performance.now(), established) + oneWay, () => upstream.write(chunk)))
    client.on('end', () => schedule(up, performance.now() + oneWay, () => upstream.end()))
    upstream.on('data', chunk =>
      schedule(down, performance.now() + oneWay, () => {
        record.lastDeliveredAt = performance.now()
        client.write(chunk)
      })
    )
    upstream.on('end', () => schedule(down, performance.now() + oneWay, () => client.end()))
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', () => schedule(up, performance.now() + oneWay, drop))
    upstream.on('error', drop).on('close', () => schedule(down, performance.now() + oneWay, drop))
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(undefined))
  })
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  const scheme = new URL(target).protocol

  return {
    /** The target's URL with this relay's address. */
    url: `${scheme}//127.0.0.1:${address.port}`,
    rttMs,
    connections,
    /** @returns {Promise<void>} */
    close() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const socket of sockets) socket.destroy()
      return new Promise(resolve => server.close(() => resolve()))
    }
  }
}

/**
 * Round trips a client spent on a server, from the server's own record of its connections
 * (recordConnections): per connection one for the TCP handshake, the TLS handshake's (one in
 * TLS 1.3, two in 1.2), and one per request. A connection's handshake is off the critical path when
 * it was done at least half a round trip before the client sent its first request on it: the client
 * opened it ahead of need and did something else meanwhile. Requests that arrive within half a round
 * trip of the one before them were pipelined behind it, and share its round trip.
 * @param {import('../emulators/http-server.js').ConnectionRecord[]} connections
 * @param {number} rttMs
 */
export function countRoundTrips(connections, rttMs) {
  let total = 0
  let critical = 0
  for (const connection of connections) {
    const handshake = 1 + (connection.protocol === 'TLSv1.3' ? 1 : connection.protocol ? 2 : 0)
    const ready = connection.secureAt ?? connection.acceptedAt
    const first = connection.requests[0]
    const ahead = !first || first.receivedAt - ready >= rttMs / 2
    let trips = 0
    connection.requests.forEach((request, index) => {
      const previous = connection.requests[index - 1]
      if (!previous || rttMs === 0 || request.receivedAt - previous.receivedAt >= rttMs / 2) trips++
    })
    total += handshake + trips
    critical += (ahead ? 0 : handshake) + trips
  }
  return { total, critical, connections: connections.length }
}
