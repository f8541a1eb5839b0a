import { createHttpClient, type HttpClientOptions } from '../../src/http/http.js'
import type { PipecatApi } from '../../src/pipecat/pipecat.js'

/**
 * The Pipecat Cloud API as the action reaches it, on an emulator (anything with a url and a token), through
 * the real HTTP client: `attempts` tries with no wait between them, so a retry costs no time.
 */
export function emulatorApi(server: { url: string; token: string }, attempts = 1, options: Partial<HttpClientOptions> = {}): PipecatApi {
  const http = createHttpClient({
    timeoutMs: 2000,
    retry: { attempts, baseDelayMs: 0, maxDelayMs: 0, budgetMs: 60_000 },
    sleep: () => Promise.resolve(),
    ...options
  })
  return { http, apiUrl: server.url, token: server.token }
}
