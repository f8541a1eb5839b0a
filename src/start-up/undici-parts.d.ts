// Part of the start-up trick in undici.ts (src/start-up/README.md): types for the undici modules it loads
// directly, since undici publishes types for its index only. Goes when that trick goes.
declare module 'undici/lib/api/index.js' {
  const api: Record<string, unknown>
  export = api
}
declare module 'undici/lib/core/connect.js' {
  import { buildConnector } from 'undici'
  export = buildConnector
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  import { Dispatcher } from 'undici'
  export = Dispatcher
}
declare module 'undici/lib/dispatcher/env-http-proxy-agent.js' {
  import { EnvHttpProxyAgent } from 'undici'
  export = EnvHttpProxyAgent
}
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici'
  export = Pool
}
