/**
 * A loopback HTTP server that answers the way a broken or hostile service would: it drips, sends
 * endless interim answers, never answers, sends far too much, or echoes what it was sent. Each test
 * gives it a handler; the helpers below are the misbehaviours, written once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void

export interface HostileServer {
  url: string
  host: string
  requests: SeenRequest[]
  close(): Promise<void>
}

/** Repeats `step` every `ms` until the connection closes (the server's close destroys every socket). */
function every(res: ServerResponse, ms: number, step: () => void): void {
  const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : step()), ms)
  res.on('close', () => clearInterval(timer))
}

/** Headers at once, then one byte of body every `ms`: each byte restarts a per-chunk timeout. */
export function drip(res: ServerResponse, status = 200, ms = 700): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.write('{')
  every(res, ms, () => res.write(' '))
}

/** `103 Early Hints`, again and again, and never the answer. */
export function earlyHintsForever(res: ServerResponse, ms = 300): void {
  every(res, ms, () => res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' }))
}

/** Takes the request and says nothing. */
export function silent(res: ServerResponse): void {
  every(res, 60_000, () => {})
}

export function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value))
}

export function text(res: ServerResponse, status: number, body: string, type = 'text/html'): void {
  res.writeHead(status, { 'content-type': type }).end(body)
}

/** `bytes` of JSON-ish filler, streamed without ever holding it all, as fast as the client reads. */
export function huge(res: ServerResponse, status: number, bytes: number): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  const chunk = Buffer.alloc(64 * 1024, 'a')
  let sent = 0
  const pump = () => {
    while (sent < bytes && !res.destroyed) {
      sent += chunk.length
      if (!res.write(chunk)) return void res.once('drain', pump)
    }
    if (!res.destroyed) res.end()
  }
  pump()
}

export async function startHostileServer(handler: Handler): Promise<HostileServer> {
  const requests: SeenRequest[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(seen)
      handler(seen, res)
    })
  })
  server.on('connection', socket => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `http://${host}`,
    host,
    requests,
    close: () =>
      new Promise<void>(done => {
        for (const socket of sockets) socket.destroy()
        server.close(() => done())
      })
  }
}
