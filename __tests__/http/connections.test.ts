import { createServer, type Server } from 'node:http'
import { closeServer, listen, readBody, recordConnections, type ConnectionRecord } from '../emulators/http-server.js'
import { createHttpClient, dropEarlyConnections, preconnect } from '../../src/http/http.js'

// Every new connection to a distant host costs round trips before the first byte of a request, so the
// client keeps one per host and can open it ahead of need.

let server: Server
let url: string
let connections: ConnectionRecord[]

beforeEach(async () => {
  server = createServer((req, res) => {
    void readBody(req).then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"sets":[]}'))
  })
  connections = recordConnections(server)
  url = await listen(server, '127.0.0.1', 0, 'http')
})

afterEach(() => closeServer(server))

const methods = () => connections.map(c => c.requests.map(r => r.method))

// Waits for what must happen; the bound only ends a wait for what never does.
async function until(condition: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!condition() && Date.now() < end) await new Promise(resolve => setTimeout(resolve, 5))
}

test('a request sent the moment the previous answer ends reuses its connection', async () => {
  const http = createHttpClient({ timeoutMs: 5000 })
  await http.send({ method: 'PUT', url: `${url}/v1/secrets/a-set`, body: '{}' }, { service: 'Pipecat Cloud' })
  await http.send({ method: 'GET', url: `${url}/v1/secrets` }, { service: 'Pipecat Cloud' })
  await http.send({ method: 'GET', url: `${url}/v1/secrets` }, { service: 'Pipecat Cloud' })
  expect(methods()).toEqual([['PUT', 'GET', 'GET']])
})

test('preconnect opens the connection before any request, and the first request uses it', async () => {
  preconnect(url)
  await until(() => connections.length === 1)
  expect(methods()).toEqual([[]])
  const http = createHttpClient({ timeoutMs: 5000 })
  await http.send({ method: 'PUT', url: `${url}/v1/secrets/a-set`, body: '{}' }, { service: 'Pipecat Cloud' })
  await http.send({ method: 'GET', url: `${url}/v1/secrets` }, { service: 'Pipecat Cloud' })
  expect(methods()).toEqual([['PUT', 'GET']])
})

test('a request still gets through when the early connection was closed before it', async () => {
  preconnect(url)
  await until(() => connections.length === 1)
  server.closeAllConnections()
  await new Promise(resolve => setTimeout(resolve, 50))
  const http = createHttpClient({ timeoutMs: 5000 })
  const answer = await http.send({ method: 'GET', url: `${url}/v1/secrets` }, { service: 'Pipecat Cloud' })
  expect(answer).toMatchObject({ status: 200, attempts: 1 })
  expect(methods()).toEqual([[], ['GET']])
})

test('an early connection no request took is closed when the run ends, and the next run opens its own', async () => {
  const closed: boolean[] = []
  server.on('connection', socket => {
    const at = closed.push(false) - 1
    socket.on('close', () => (closed[at] = true))
  })
  preconnect(url)
  await until(() => connections.length === 1)

  dropEarlyConnections()
  await until(() => closed[0] === true)
  const http = createHttpClient({ timeoutMs: 5000 })
  const answer = await http.send({ method: 'GET', url: `${url}/v1/secrets` }, { service: 'Pipecat Cloud' })

  expect(closed[0]).toBe(true)
  expect(answer).toMatchObject({ status: 200, attempts: 1 })
  expect(methods()).toEqual([[], ['GET']])
})

test('preconnect leaves hosts that go through a proxy to the proxy', async () => {
  preconnect(url, { httpProxy: 'http://127.0.0.1:9' })
  preconnect(url.replace('http:', 'https:'), { httpProxy: 'http://127.0.0.1:9' })
  await new Promise(resolve => setTimeout(resolve, 100))
  expect(connections).toHaveLength(0)
})
