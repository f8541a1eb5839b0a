import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals'
import { reportRecovery } from '../../src/github/alert.js'
import { getEcrToken } from '../../src/aws/ecr.js'
import { createHttpClient, MAX_BODY_BYTES, type HttpClient } from '../../src/http/http.js'
import { parseImageReference } from '../../src/common/image.js'
import { MAX_PAGES } from '../../src/http/outside-policy.js'
import { storePullSecret } from '../../src/pipecat/pipecat.js'
import { verifyImage } from '../../src/registry/registry.js'
import { huge, json, silent, startHostileServer, type Handler, type HostileServer } from '../support/hostile-server.js'

// Each outside client held to the same rules (src/http/outside-policy.ts): its credential goes to its own origin
// only, every request ends by the deadline, and an answer over the byte cap is refused. A second server
// stands for "somewhere else": nothing may reach it.

const TOKEN = Buffer.from(`AWS:${'P'.repeat(1500)}`).toString('base64')
const KEY = 'pk_policyTestKey0123456789abcdef0123'
const GITHUB_TOKEN = 'ghs_policyTestToken0123456789abcdef01'
const DEADLINE_MS = 500

let server: HostileServer
let elsewhere: HostileServer
let handler: Handler
const http = (timeoutMs: number): HttpClient => createHttpClient({ timeoutMs, retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0, budgetMs: 0 } })

beforeAll(async () => {
  server = await startHostileServer((req, res) => handler(req, res))
  elsewhere = await startHostileServer((_req, res) => json(res, 200, []))
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
})
afterEach(() => {
  server.requests.length = 0
  expect(elsewhere.requests).toEqual([])
  delete process.env.AWS_ENDPOINT_URL_ECR
})
afterAll(async () => {
  await Promise.all([server.close(), elsewhere.close()])
})

/** Each client's one call, against `server`, and what its message says for each broken rule. */
const clients = {
  ECR: {
    call: (timeoutMs = DEADLINE_MS) => {
      process.env.AWS_ENDPOINT_URL_ECR = server.url
      return getEcrToken('us-east-1', http(timeoutMs), { budgetMs: 5000, runLimitSeconds: 100 })
    },
    tooLarge: /^ECR at 127\.0\.0\.1 sent an answer larger than a token answer ever is/,
    late: /^Could not reach ECR in us-east-1 \(no answer within 0\.5s\)/
  },
  'Pipecat Cloud': {
    call: (timeoutMs = DEADLINE_MS) =>
      storePullSecret({ http: http(timeoutMs), apiUrl: server.url, token: KEY }, { secretName: 'set', host: 'https://r', authorizationToken: TOKEN }),
    tooLarge: /^Pipecat Cloud at 127\.0\.0\.1:\d+ sent an answer larger than 4 MiB/,
    late: /^Could not reach Pipecat Cloud at 127\.0\.0\.1:\d+ \(no answer within 0\.5s/
  },
  'the registry': {
    call: (timeoutMs = DEADLINE_MS) =>
      verifyImage(http(timeoutMs), { registryUrl: server.url, image: parseImageReference(`${server.host}/agent:1`, server.host), authorizationToken: TOKEN }),
    tooLarge: /^the registry at 127\.0\.0\.1:\d+ sent an answer larger than 4 MiB/,
    late: /^Could not reach the registry at 127\.0\.0\.1:\d+ \(no answer within 0\.5s/
  },
  GitHub: {
    call: (timeoutMs = DEADLINE_MS) =>
      reportRecovery(
        {
          token: GITHUB_TOKEN,
          repository: 'acme/agents',
          runUrl: 'https://github.com/acme/agents/actions/runs/7',
          secretName: 'set',
          apiUrl: server.url,
          timeoutMs: 10_000,
          requestTimeoutMs: timeoutMs
        },
        { expiresAt: new Date(), registry: 'r' }
      ),
    tooLarge: /^The GitHub API at http:\/\/127\.0\.0\.1:\d+ sent an answer larger than 4 MiB when asked to list open issues/,
    late: /^Could not reach the GitHub API at http:\/\/127\.0\.0\.1:\d+ to list open issues \(no answer within 0\.5s\)/
  }
}

describe.each(Object.entries(clients))('%s', (_name, client) => {
  test('an answer over the byte cap is refused', async () => {
    handler = (_req, res) => huge(res, 200, MAX_BODY_BYTES + 64 * 1024)
    // A deadline long enough for 4 MiB on a busy machine: the cap, not the clock, must end this one.
    await expect(client.call(30_000)).rejects.toThrow(client.tooLarge)
  })

  test('a request that gets no answer ends at the deadline', async () => {
    handler = (_req, res) => silent(res)
    await expect(client.call()).rejects.toThrow(client.late)
  })

  test('a redirect elsewhere is not followed with the credential', async () => {
    handler = (_req, res) => void res.writeHead(307, { location: `${elsewhere.url}/steal` }).end()
    // Whether the client then fails or reads the redirect as an empty answer, nothing reaches the other server (afterEach).
    // A deadline a busy machine cannot reach: this row is about where the request goes, not when it ends.
    await client.call(30_000).catch(() => undefined)
    expect(server.requests).toHaveLength(1)
  })
})

describe('GitHub listings', () => {
  const issuesPage = (link: string) => (_req: unknown, res: Parameters<Handler>[1]) => json(res, 200, [], { link: `<${link}>; rel="next"` })

  test('a next page on another origin is refused before the token goes there', async () => {
    handler = issuesPage(`${elsewhere.url}/repos/acme/agents/issues?page=2`)
    await expect(clients.GitHub.call()).rejects.toThrow(
      /^GitHub's answer when asked to list open issues pointed to http:\/\/127\.0\.0\.1:\d+ for more, which is not the API at http:\/\/127\.0\.0\.1:\d+; the token goes only to GITHUB_API_URL/
    )
    expect(server.requests).toHaveLength(1)
  })

  test(`a link loop ends after ${MAX_PAGES} pages`, async () => {
    handler = issuesPage(`${server.url}/repos/acme/agents/issues?page=2`)
    await expect(clients.GitHub.call()).rejects.toThrow(/^GitHub answered the list of open issues with more than 10 pages/)
    expect(server.requests).toHaveLength(MAX_PAGES)
  })

  test('an error answer is shown by its message field only', async () => {
    handler = (req, res) => json(res, 403, { message: 'Forbidden', echoed: `${req.headers.authorization}` })
    const error = (await clients.GitHub.call().catch((e: unknown) => e)) as Error
    expect(error.message).toMatch(/\(403 Forbidden\)/)
    expect(error.message).not.toMatch(/echoed|ghs_|token /)
  })
})
