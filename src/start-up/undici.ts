// undici's index loads all of undici (fetch, WebSocket, caches, mocks) though a run needs only
// an agent and requests: the parts it needs, loaded alone, cost a run less start-up.
// First, so the parser undici compiles as it loads is compiled with these settings.
import './wasm-tiering.js'
import api from 'undici/lib/api/index.js'
import buildConnector from 'undici/lib/core/connect.js'
import DispatcherBase from 'undici/lib/dispatcher/dispatcher.js'
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js'
import Pool from 'undici/lib/dispatcher/pool.js'
import type { Dispatcher } from 'undici'

// As undici's index does: request() and connect() (which proxy tunnels use) are methods of every dispatcher.
Object.assign(DispatcherBase.prototype, api)

export { buildConnector, EnvHttpProxyAgent, Pool, type Dispatcher }

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher: Dispatcher }

/** undici's request(url, options), which its index builds the same way around the same method. */
export function request(url: string, { dispatcher, ...options }: RequestOptions): Promise<Dispatcher.ResponseData> {
  const target = new URL(url)
  return dispatcher.request({ ...options, origin: target.origin, path: `${target.pathname}${target.search}` })
}
