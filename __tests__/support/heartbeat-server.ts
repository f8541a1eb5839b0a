import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HeartbeatServer {
  url: string
  /** `METHOD /path?query` of each ping, in order. */
  requests: string[]
  close(): Promise<void>
}

/** A stand-in for Healthchecks.io: answers every ping with `status`, or, with `silent`, never. */
export async function startHeartbeat(answer: { status?: number; silent?: boolean } = {}): Promise<HeartbeatServer> {
  const requests: string[] = []
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    if (!answer.silent) res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain' }).end('OK')
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>(done => {
        server.close(() => done())
        server.closeAllConnections()
      })
  }
}
