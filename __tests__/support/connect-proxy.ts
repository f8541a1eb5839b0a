/**
 * A forward proxy for tests, standing in for the corporate proxy a self-hosted runner sits behind.
 * It opens CONNECT tunnels, the way undici reaches every origin through a proxy (http ones too), and
 * forwards absolute-form requests (`GET http://host/path`), the way other clients send plain HTTP;
 * each is recorded under its target `host:port`, in order. It reaches loopback targets only, so a
 * request the action sends somewhere else is refused here and shows in `visits` instead of leaving the machine.
 */
import { STATUS_CODES, createServer, request as forward, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'

export interface ProxyVisit {
  /** `host:port` as the client asked for it. */
  target: string
  /** CONNECT for a tunnel, or the method of a forwarded plain-HTTP request. */
  method: string
  /** 200 when the tunnel opened or the request was forwarded; otherwise what the proxy answered. */
  status: number
}

export interface ConnectProxyOptions {
  /** Answer every tunnel and request with this status, as a proxy that wants credentials (407) or forbids the target (403). */
  refuseWith?: number
  /** Open every tunnel to this `host:port` instead of the one asked for, as a proxy that intercepts or is misrouted. */
  spliceTo?: string
}

export interface ConnectProxy {
  /** http://127.0.0.1:PORT, the form HTTPS_PROXY and HTTP_PROXY take. */
  url: string
  /** Every tunnel and forwarded request asked for, refused ones included, in order. */
  visits: ProxyVisit[]
  /** Targets of the tunnels opened and requests forwarded, in order. */
  targets(): string[]
  /** Tunnels opened and requests forwarded, per target. */
  counts(): Record<string, number>
  close(): Promise<void>
}

const isLoopback = (hostname: string): boolean => {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** `host:port`, `[v6]:port` included; undefined without a port, which CONNECT always names. */
function splitTarget(target: string): { hostname: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(target)
  return match ? { hostname: match[1].replace(/^\[|\]$/g, ''), port: Number(match[2]) } : undefined
}

function refusal(status: number): string {
  // A 407 without Proxy-Authenticate is not a valid answer; real proxies always send one.
  const challenge = status === 407 ? 'Proxy-Authenticate: Basic realm="test-proxy"\r\n' : ''
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Refused'}\r\n${challenge}Content-Length: 0\r\nConnection: close\r\n\r\n`
}

export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const visits: ProxyVisit[] = []
  // Tunnels leave the HTTP server's bookkeeping once CONNECT is answered, so close() must end them itself.
  const sockets = new Set<Duplex>()
  const track = (socket: Duplex) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }

  /** The status to refuse a target with, or undefined to let the visit through. */
  const refusalFor = (target: { hostname: string }): number | undefined => options.refuseWith ?? (isLoopback(target.hostname) ? undefined : 403)

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let url: URL | undefined
    try {
      url = new URL(req.url ?? '')
    } catch {
      // Origin-form (`GET /path`): a request meant for a server, not a proxy.
    }
    const name = url?.protocol === 'http:' ? (url.port ? url.host : `${url.host}:80`) : (req.url ?? '')
    const target = url?.protocol === 'http:' ? splitTarget(name) : undefined
    const refused = target ? refusalFor(target) : 400
    if (!url || !target || refused !== undefined) {
      const status = refused ?? 400
      visits.push({ target: name, method: req.method ?? 'GET', status })
      res.writeHead(status, status === 407 ? { 'proxy-authenticate': 'Basic realm="test-proxy"' } : {}).end()
      return
    }
    visits.push({ target: name, method: req.method ?? 'GET', status: 200 })
    const { 'proxy-connection': _, 'proxy-authorization': __, ...headers } = req.headers
    const upstream = forward({ hostname: target.hostname, port: target.port, method: req.method, path: `${url.pathname}${url.search}`, headers }, answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()))
    req.pipe(upstream)
  })

  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    track(client)
    client.on('error', () => client.destroy())
    const name = req.url ?? ''
    const target = splitTarget(name)
    const refused = target ? refusalFor(target) : 400
    if (!target || refused !== undefined) {
      const status = refused ?? 400
      visits.push({ target: name, method: 'CONNECT', status })
      client.end(refusal(status))
      return
    }
    let established = false
    const destination = (options.spliceTo && splitTarget(options.spliceTo)) || target
    const upstream: Socket = connect(destination.port, destination.hostname, () => {
      established = true
      visits.push({ target: name, method: 'CONNECT', status: 200 })
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
      upstream.once('close', () => client.destroy())
    })
    track(upstream)
    upstream.on('error', () => {
      if (!established) {
        visits.push({ target: name, method: 'CONNECT', status: 502 })
        client.end(refusal(502))
      } else {
        client.destroy()
      }
    })
    client.once('close', () => upstream.destroy())
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0

  const opened = () => visits.filter(visit => visit.status === 200).map(visit => visit.target)
  return {
    url: `http://127.0.0.1:${port}`,
    visits,
    targets: opened,
    counts: () => {
      const counts: Record<string, number> = {}
      for (const target of opened()) counts[target] = (counts[target] ?? 0) + 1
      return counts
    },
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
        for (const socket of sockets) socket.destroy()
      })
  }
}
