import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServerResponse } from 'node:http'
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { drip, earlyHintsForever, huge, json, silent, startHostileServer, text, type HostileServer, type SeenRequest } from '../support/hostile-server.js'
import { AWS_SECRET, awsEnv, baseInputs, expectNoLeaks, runAction, SECRET_NAME, secretsOf, type ActionRun, type Ecr, type Pipecat } from './harness.js'

// The action run against services that misbehave as a broken or hostile server would. Every row asserts
// how the run ends, that it ends in bounded time, that no credential (whole, encoded or a 16-character
// fragment) reaches anything it wrote, and that no line the runner would read as a command comes from
// what a server sent. Rows have their own servers, so they run side by side.

/** What a hostile server slips into text it controls: workflow commands on lines of their own, and HTML. */
const INJECTED = 'INJECTED'
const INJECTION = `x\n::warning::${INJECTED}\n##[error]${INJECTED}\r\n::set-output name=secret-region::${INJECTED}\n<b>${INJECTED}</b>`
const GITHUB_TOKEN = 'ghs_H0st1leT3stT0kenForAl3rtIssu3s0001'
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEHostileTestSessionToken0001/AbCdEf+GhIjKl='

interface World {
  ecr: Ecr
  pipecat: Pipecat
  hostile: HostileServer
  configDir: string
}

interface Row {
  name: string
  /** Which service the hostile server stands in for; the others are the emulators. */
  plays: 'pipecat' | 'ecr' | 'registry'
  handler: (req: SeenRequest, res: ServerResponse, world: World) => void
  inputs?: Record<string, string>
  env?: Record<string, string>
  /** Opens the alert issue on failure, so its text is checked for leaks and injected commands too. */
  alert?: boolean
  /** maxMs: only in rows about a deadline, the bound of a hang (HANG_BOUND_MS). */
  expected: { code: 0 | 1; message?: RegExp; maxMs?: number; outputs?: Record<string, string> }
  check?: (run: ActionRun, world: World) => void
}

const CONFIG = 'agent_name = "support-bot"\n'
// With request-timeout 1 the run's own limit is 66 s (60 s + 6 x 1 s): a request that ignored its deadline
// would run until then. Rows about a deadline must end well before it, whatever the machine's load.
const HANG_BOUND_MS = 30_000
const puts = (w: World) => w.hostile.requests.filter(r => r.method === 'PUT')

/** A Pipecat Cloud that takes the PUT and answers the list with `list`, for rows about the status watch. */
function pipecatListing(list: (req: SeenRequest) => unknown) {
  return (req: SeenRequest, res: ServerResponse) => {
    if (req.method === 'PUT') return json(res, 202, { name: SECRET_NAME, region: 'us-west' })
    json(res, 200, list(req))
  }
}

/** The registry answers every manifest request with `manifest` and the headers given. */
function registryManifest(manifest: unknown, headers: Record<string, string> = {}) {
  return (req: SeenRequest, res: ServerResponse) => {
    if (req.url.includes('/manifests/')) {
      return json(res, 200, manifest, { 'content-type': 'application/vnd.oci.image.index.v1+json', ...headers })
    }
    json(res, 404, { errors: [{ code: 'BLOB_UNKNOWN', message: 'not here' }] })
  }
}

const ARM64_INDEX = {
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: `sha256:${'a'.repeat(64)}`,
      size: 500,
      platform: { os: 'linux', architecture: 'arm64', variant: `v8${INJECTION}` }
    }
  ]
}

const rows: Row[] = [
  // Deadlines: every request ends within request-timeout, whatever the server does.
  {
    name: 'Pipecat Cloud drips the PUT answer one byte at a time',
    plays: 'pipecat',
    handler: (_req, res) => drip(res),
    expected: {
      code: 1,
      message: /^Could not reach Pipecat Cloud at 127\.0\.0\.1:\d+ \(no answer within 1s, after \d attempts\); check the runner's network/,
      maxMs: HANG_BOUND_MS
    }
  },
  {
    name: 'Pipecat Cloud sends 103 Early Hints forever',
    plays: 'pipecat',
    handler: (_req, res) => earlyHintsForever(res),
    expected: { code: 1, message: /^Could not reach Pipecat Cloud at .*no answer within 1s/, maxMs: HANG_BOUND_MS }
  },
  {
    name: 'Pipecat Cloud takes the PUT, then drips the status list',
    plays: 'pipecat',
    handler: (req, res) => (req.method === 'PUT' ? json(res, 202, { region: 'us-west' }) : drip(res)),
    inputs: { 'wait-for-ready': 'true', 'wait-timeout': '30' },
    expected: { code: 1, message: /^Could not reach Pipecat Cloud at .*no answer within 1s/, maxMs: HANG_BOUND_MS }
  },
  {
    name: 'ECR takes the request and never answers',
    plays: 'ecr',
    handler: (_req, res) => silent(res),
    expected: { code: 1, message: /^Could not reach ECR in us-east-1 \(no answer within 1s\): check the runner's network/, maxMs: HANG_BOUND_MS },
    check: (_run, w) => expect(w.hostile.requests.length).toBeLessThanOrEqual(4)
  },
  {
    name: 'ECR drips its answer',
    plays: 'ecr',
    handler: (_req, res) => drip(res),
    expected: { code: 1, message: /^Could not reach ECR in us-east-1 \(no answer within 1s\)/, maxMs: HANG_BOUND_MS }
  },
  {
    name: 'the registry drips the manifest',
    plays: 'registry',
    handler: (_req, res) => drip(res),
    expected: { code: 1, message: /^Could not reach the registry at 127\.0\.0\.1:\d+ \(no answer within 1s/, maxMs: HANG_BOUND_MS },
    check: (_run, w) => expect(w.pipecat.requests).toEqual([])
  },

  // Size caps: memory stays bounded, and the message says what came back.
  {
    name: 'Pipecat Cloud answers the PUT with 256 MiB',
    plays: 'pipecat',
    handler: (_req, res) => huge(res, 200, 256 * 1024 * 1024),
    expected: {
      code: 1,
      message: /^Pipecat Cloud at 127\.0\.0\.1:\d+ sent an answer larger than 4 MiB, .*check the URL this action was given for it/
    }
  },
  {
    name: 'Pipecat Cloud answers 500 with 256 MiB of error, every time',
    plays: 'pipecat',
    handler: (_req, res) => huge(res, 500, 256 * 1024 * 1024),
    expected: {
      code: 1,
      message: /^Pipecat Cloud answered 500 after \d attempts: the service is busy or failing; rerun the workflow later\.$/,
      maxMs: HANG_BOUND_MS
    }
  },

  // Secrets echoed back by a server are never shown, whole or in part, anywhere.
  {
    name: 'Pipecat Cloud echoes the request (secretValue and Authorization) in its error',
    plays: 'pipecat',
    alert: true,
    handler: (req, res) => json(res, 400, { error: `bad request ${req.body} ${req.headers.authorization} ${INJECTION}`, code: 'BAD' }),
    expected: { code: 1, message: /^Pipecat Cloud refused the image pull secret my-ecr-credentials \(400 BAD: bad request .*\*\*\*/ }
  },
  {
    name: 'Pipecat Cloud echoes the token base64-decoded, URL-encoded and cut into pieces',
    plays: 'pipecat',
    alert: true,
    handler: (req, res) => {
      const token = (JSON.parse(req.body) as { secretValue: string }).secretValue
      const decoded = Buffer.from(token, 'base64').toString('utf8')
      const pieces = [decoded, encodeURIComponent(token), token.slice(5, 30), token.slice(-40), decoded.slice(10, 27)].join(' | ')
      json(res, 422, { error: pieces })
    },
    expected: { code: 1, message: /^Pipecat Cloud refused the image pull secret my-ecr-credentials \(422: / }
  },
  {
    name: 'the set fails to provision with an errorMessage holding the token',
    plays: 'pipecat',
    alert: true,
    inputs: { 'wait-for-ready': 'true' },
    handler: (req, res, w) => {
      if (req.method === 'PUT') return json(res, 202, { region: 'us-west' })
      json(res, 200, {
        sets: [
          {
            name: SECRET_NAME,
            type: 'imagePullSecret',
            region: 'us-west',
            status: 'failed',
            errorMessage: `denied for ${w.ecr.authorizationToken} ${INJECTION}`
          }
        ]
      })
    },
    expected: { code: 1, message: /^Pipecat Cloud could not provision secret set my-ecr-credentials: denied for \*\*\*/ }
  },
  {
    name: 'ECR answers with a token of 1 MiB',
    plays: 'ecr',
    handler: (_req, res) => {
      const token = Buffer.from(`AWS:${'p'.repeat(768 * 1024)}`).toString('base64')
      json(
        res,
        200,
        { authorizationData: [{ authorizationToken: token, expiresAt: Date.now() / 1000 + 43_200 }] },
        { 'content-type': 'application/x-amz-json-1.1' }
      )
    },
    expected: {
      code: 1,
      message: /^ECR returned a token that does not decode to AWS:<password>, .*AWS_ENDPOINT_URL_ECR point at ECR itself\.$/
    },
    // Refused before it was masked: a megabyte mask is no credential anyone could have, and the run never used it.
    check: (run, w) => {
      expect(run.stdout.split('\n').filter(line => line.startsWith('::add-mask::') && line.length > 64 * 1024)).toEqual([])
      expect(w.pipecat.requests).toEqual([])
    }
  },
  {
    name: 'ECR echoes the AWS secret key in its error',
    plays: 'ecr',
    handler: (_req, res) =>
      json(
        res,
        400,
        { __type: 'InvalidSignatureException', message: `The signature for ${AWS_SECRET} does not match ${INJECTION}` },
        { 'content-type': 'application/x-amz-json-1.1' }
      ),
    expected: { code: 1, message: /^AWS rejected the credentials \(InvalidSignatureException\)/ }
  },
  {
    name: 'ECR echoes the AWS session token in its error',
    plays: 'ecr',
    env: { AWS_SESSION_TOKEN: SESSION_TOKEN },
    handler: (_req, res) =>
      json(
        res,
        400,
        { __type: 'ValidationException', message: `The security token ${SESSION_TOKEN} is invalid ${INJECTION}` },
        { 'content-type': 'application/x-amz-json-1.1' }
      ),
    expected: {
      code: 1,
      message: /^ECR GetAuthorizationToken failed in us-east-1 \(ValidationException: The security token \*\*\* is invalid x ::warning::INJECTED/
    },
    check: run => {
      expect(run.stdout.split('\n')).toContain(`::add-mask::${SESSION_TOKEN}`)
      expectNoLeaks(run, [SESSION_TOKEN])
    }
  },
  {
    name: 'the registry echoes "Basic <token>" in a long error',
    plays: 'registry',
    handler: (req, res) => json(res, 400, { errors: [{ code: 'DENIED', message: `${' '.repeat(20)}${req.headers.authorization} ${INJECTION}` }] }),
    expected: { code: 1, message: /^The registry 127\.0\.0\.1:\d+ answered 400/ }
  },

  // Workflow commands, HTML and odd values in fields: validated by shape, never passed on.
  {
    name: 'Pipecat Cloud names the region with a line break and a command',
    plays: 'pipecat',
    handler: (_req, res) => json(res, 202, { region: `us-west${INJECTION}` }),
    expected: {
      code: 1,
      message: /^Pipecat Cloud stored the secret set my-ecr-credentials but named its region as .*which is not a region name/
    },
    // The set may hold the new token: the summary must not claim either way.
    check: run => expect(run.summary).toContain('<td>Status</td><td>unknown: the answer to the store request could not be read</td>')
  },
  {
    name: 'Pipecat Cloud names the region as an object',
    plays: 'pipecat',
    handler: (_req, res) => json(res, 202, { region: { name: 'us-west', note: INJECTION } }),
    expected: { code: 1, message: /which is not a region name: check that pipecat-api-url points at the Pipecat Cloud API/ }
  },
  {
    name: 'a status with a command after it',
    plays: 'pipecat',
    inputs: { 'wait-for-ready': 'true' },
    handler: pipecatListing(() => ({ sets: [{ name: SECRET_NAME, type: 'imagePullSecret', region: 'us-west', status: `pending${INJECTION}` }] })),
    expected: {
      code: 1,
      message: /^Pipecat Cloud answered the secret list with an entry for my-ecr-credentials that does not read as a secret set/
    }
  },
  {
    name: 'a status in another case',
    plays: 'pipecat',
    inputs: { 'wait-for-ready': 'true' },
    handler: pipecatListing(() => ({ sets: [{ name: SECRET_NAME, type: 'imagePullSecret', region: 'us-west', status: 'READY' }] })),
    expected: { code: 1, message: /its status must be pending, ready or failed/ }
  },
  {
    name: 'a set without a status',
    plays: 'pipecat',
    inputs: { 'wait-for-ready': 'true' },
    handler: pipecatListing(() => ({ sets: [{ name: SECRET_NAME, type: 'imagePullSecret', region: 'us-west' }] })),
    expected: { code: 1, message: /its status must be pending, ready or failed/ }
  },
  {
    name: 'sets: [null]',
    plays: 'pipecat',
    inputs: { 'wait-for-ready': 'true' },
    handler: pipecatListing(() => ({ sets: [null] })),
    expected: { code: 1, message: /^Pipecat Cloud answered the secret list with entries that are not secret sets/ }
  },
  {
    name: 'a null body to the PUT',
    plays: 'pipecat',
    handler: (_req, res) => text(res, 200, 'null', 'application/json'),
    expected: { code: 1, message: /^Pipecat Cloud answered the secret update with 200 but null where a JSON object belongs/ }
  },
  {
    name: 'a 204 to the PUT is a success',
    plays: 'pipecat',
    handler: (_req, res) => void res.writeHead(204).end(),
    expected: { code: 0, outputs: { 'secret-name': SECRET_NAME, 'secret-region': '' } },
    check: (_run, w) => expect(puts(w)).toHaveLength(1)
  },
  {
    name: 'a 302 from the status list',
    plays: 'pipecat',
    inputs: { 'wait-for-ready': 'true' },
    handler: (req, res) =>
      req.method === 'PUT'
        ? json(res, 202, { region: 'us-west' })
        : void res.writeHead(302, { location: `https://login.example.test/\t::warning::${INJECTED} <b>${INJECTED}</b>` }).end(),
    expected: { code: 1, message: /^Pipecat Cloud answered with a redirect \(302 to https:\/\/login\.example\.test\/ ::warning::INJECTED/ }
  },
  {
    name: 'HTML where JSON was expected',
    plays: 'pipecat',
    handler: (_req, res) => text(res, 200, `<html><body>${INJECTION}</body></html>`),
    expected: { code: 1, message: /^Pipecat Cloud answered the secret update with 200 but a body that is not JSON \(text\/html\)/ }
  },
  {
    name: 'the registry sends a digest header with HTML in it',
    plays: 'registry',
    handler: registryManifest(ARM64_INDEX, { 'docker-content-digest': `sha256:<b>${INJECTED}</b>` }),
    expected: { code: 1, message: /digest/i },
    check: (run, w) => {
      expect(run.outputs['image-digest'] ?? '').toBe('')
      expect(w.pipecat.requests).toEqual([])
    }
  }
]

async function runRow(row: Row) {
  const ecr = await startEcrEmulator()
  const pipecat = await startPipecatEmulator()
  const configDir = await mkdtemp(join(tmpdir(), 'hostile-'))
  await writeFile(join(configDir, 'pcc-deploy.toml'), CONFIG)
  const world = {} as World
  const hostile = await startHostileServer((req, res) => row.handler(req, res, world))
  Object.assign(world, { ecr, pipecat, hostile, configDir })
  const github = row.alert ? await startGitHubEmulator({ token: GITHUB_TOKEN }) : undefined
  try {
    const inputs: Record<string, string> = {
      ...baseInputs(ecr, pipecat),
      'request-timeout': '1',
      'wait-for-ready': 'false',
      'config-file': 'pcc-deploy.toml',
      ...(row.plays === 'pipecat' && { 'pipecat-api-url': hostile.url }),
      ...(row.plays === 'registry' && { registry: hostile.url, image: `${hostile.host}/my-agent:1.0` }),
      ...(github && { 'alert-issue': 'true', 'github-token': GITHUB_TOKEN }),
      ...row.inputs
    }
    const env: Record<string, string> = {
      ...awsEnv(ecr),
      ...(row.plays === 'ecr' && { AWS_ENDPOINT_URL_ECR: hostile.url }),
      ...(github && { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/agents', GITHUB_RUN_ID: '7', GITHUB_SERVER_URL: 'https://github.com' }),
      ...row.env
    }
    const run = await runAction({ inputs, env, cwd: configDir, timeoutMs: (row.expected.maxMs ?? 20_000) + 10_000 })
    const config = await readFile(join(configDir, 'pcc-deploy.toml'), 'utf8')
    const issueTexts = github ? [...github.issues.map((i: { body: string }) => i.body), ...github.comments.map((c: { body: string }) => c.body)] : []
    return { run, world, config, issueTexts }
  } finally {
    await Promise.all([ecr.close(), pipecat.close(), hostile.close(), github?.close(), rm(configDir, { recursive: true, force: true })])
  }
}

/** The runner reads a line as a command when it starts with `::` or `##[`; only the action's own may. */
function expectNoInjectedCommands(run: ActionRun, texts: string[]): void {
  const commandLines = [...run.stdout.split('\n'), ...run.stderr.split('\n')].filter(line => /^\s*(::|##\[)/.test(line))
  for (const line of commandLines) expect(line).toMatch(/^::(add-mask|error|warning|notice|debug)::/)
  for (const line of commandLines) expect(line).not.toMatch(new RegExp(`^::[\\w-]+::\\s*${INJECTED}`))
  // Outputs and the summary hold no line break from a server, and no HTML of a server's.
  for (const value of Object.values(run.outputs)) expect(value).not.toMatch(/[\r\n]|INJECTED/)
  expect(run.summary).not.toContain(`<b>${INJECTED}`)
  for (const issueText of texts) expect(issueText.split('\n').filter(line => line.startsWith(`::warning::${INJECTED}`))).toEqual([])
}

describe('hostile servers', () => {
  test.concurrent.each(rows.map(row => [row.name, row] as const))(
    '%s',
    async (_name, row) => {
      const { run, world, config, issueTexts } = await runRow(row)
      expect({ code: run.code, error: run.error }).toEqual({
        code: row.expected.code,
        error: row.expected.code === 1 ? expect.stringMatching(row.expected.message ?? /./) : undefined
      })
      if (row.expected.maxMs) expect(run.durationMs).toBeLessThan(row.expected.maxMs)
      if (row.expected.code === 1) {
        // One line, and the deploy config untouched: nothing half-done.
        expect(run.stdout.split('\n').filter(line => line.startsWith('::error::'))).toHaveLength(1)
        expect(run.error).not.toMatch(/%0[AD]/)
        expect(config).toBe(CONFIG)
      }
      if (row.expected.outputs) expect(run.outputs).toMatchObject(row.expected.outputs)
      expectNoLeaks(run, [...secretsOf(world.ecr, world.pipecat), GITHUB_TOKEN], [config, ...issueTexts])
      expectNoInjectedCommands(run, issueTexts)
      if (row.alert) expect(issueTexts.length).toBeGreaterThan(0)
      row.check?.(run, world)
    },
    60_000
  )
})

test('memory stays bounded while a server sends a 256 MiB answer', async () => {
  const probe = join(await mkdtemp(join(tmpdir(), 'rss-')), 'rss.cjs')
  const rssFile = `${probe}.out`
  await writeFile(probe, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)))\n`)
  const ecr = await startEcrEmulator()
  const pipecat = await startPipecatEmulator()
  const hostile = await startHostileServer((_req, res) => huge(res, 200, 256 * 1024 * 1024))
  try {
    const run = await runAction({
      inputs: { ...baseInputs(ecr, pipecat), 'pipecat-api-url': hostile.url, 'request-timeout': '5', 'wait-for-ready': 'false' },
      env: { ...awsEnv(ecr), NODE_OPTIONS: `--require ${probe}` }
    })
    expect(run.code).toBe(1)
    const maxRssKiB = Number(await readFile(rssFile, 'utf8'))
    // A bare node is about 45 MiB and a refresh about 85 MiB here; a body read whole would be 256 MiB more.
    expect(maxRssKiB).toBeLessThan(160 * 1024)
    expectNoLeaks(run, secretsOf(ecr, pipecat))
  } finally {
    await Promise.all([ecr.close(), pipecat.close(), hostile.close()])
  }
}, 40_000)

/** A proxy that takes the connection and then stalls: silent, or dripping its answer to CONNECT. */
async function startStallingProxy(mode: 'silent' | 'drip') {
  const sockets = new Set<Socket>()
  const server = createTcpServer(socket => {
    sockets.add(socket)
    socket.on('error', () => {})
    if (mode === 'silent') return
    const answer = 'HTTP/1.1 200 Connection established\r\n\r\n'
    let at = 0
    const timer = setInterval(() => (at < answer.length - 1 ? socket.write(answer[at++]) : undefined), 300)
    socket.on('close', () => clearInterval(timer))
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>(done => {
        for (const socket of sockets) socket.destroy()
        server.close(() => done())
      })
  }
}

describe('a proxy that stalls', () => {
  test.concurrent.each(['silent', 'drip'] as const)(
    '%s: the run ends within its bounds, naming the first service it was reaching',
    async mode => {
      const ecr = await startEcrEmulator()
      const pipecat = await startPipecatEmulator()
      const proxy = await startStallingProxy(mode)
      try {
        const run = await runAction({
          inputs: { ...baseInputs(ecr, pipecat), 'request-timeout': '1', 'wait-for-ready': 'false' },
          env: { ...awsEnv(ecr), HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url },
          timeoutMs: HANG_BOUND_MS + 15_000
        })
        expect(run.code).toBe(1)
        expect(run.error).toMatch(
          /^Could not reach ECR in us-east-1 \(no answer within 1s\): check the runner's network and its HTTPS_PROXY \/ NO_PROXY settings/
        )
        expect(run.durationMs).toBeLessThan(HANG_BOUND_MS)
        expect({ ecr: ecr.requests.length, pipecat: pipecat.requests.length }).toEqual({ ecr: 0, pipecat: 0 })
        expectNoLeaks(run, secretsOf(ecr, pipecat))
      } finally {
        await Promise.all([ecr.close(), pipecat.close(), proxy.close()])
      }
    },
    60_000
  )
})
