// Start-up trick: undici by its private modules (src/start-up/README.md), typed in undici-parts.d.ts.
// What: undici's index loads all of undici (fetch, WebSocket, caches, mocks) though a run needs only a
// pool, a proxy agent, the connector and request(): the parts it needs, loaded alone.
// Buys: 40 ms of a full refresh on node24 (median; quartiles 26-65 ms; CPU 52 ± 10 ms), nothing of a bad
// input (that loads none of it), measured 2026-12-07 against importing the same names from 'undici'.
// Breaks when: undici moves these modules or stops exporting these very ones from its index; then
// __tests__/start-up/start-up-layer.test.ts fails. Update this file and undici-parts.d.ts, or drop the trick.
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
