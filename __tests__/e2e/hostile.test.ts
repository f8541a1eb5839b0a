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
// how the run ends, that it ends in bounded time (a bound on a hang, not a measure of speed), that no
// credential (whole, encoded, reformatted or a 12-character fragment) reaches anything it wrote, that no
// format character does, that nothing reaches the host a server points elsewhere to, and that no line
// the runner would read as a command comes from what a server sent. Rows have their own servers, so they
// run side by side.

/** What a hostile server slips into text it controls: workflow commands on lines of their own, and HTML. */
const INJECTED = 'INJECTED'
const INJECTION = `x\n::warning::${INJECTED}\n##[error]${INJECTED}\r\n::set-output name=secret-region::${INJECTED}\n<b>${INJECTED}</b>`
const GITHUB_TOKEN = 'ghs_H0st1leT3stT0kenForAl3rtIssu3s0001'
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEHostileTestSessionToken0001/AbCdEf+GhIjKl='

interface World {
  ecr: Ecr
  pipecat: Pipecat
  hostile: HostileServer
  /** Another origin, where a hostile server may point: nothing may ever reach it. */
  elsewhere: HostileServer
  configDir: string
}

interface Row {
  name: string
  /** Which service the hostile server stands in for; the others are the emulators. */
  plays: 'pipecat' | 'ecr' | 'registry' | 'github'
  handler: (req: SeenRequest, res: ServerResponse, world: World) => void
  inputs?: Record<string, string>
  env?: Record<string, string>
  /** Opens the alert issue on failure, so its text is checked for leaks and injected commands too. */
  alert?: boolean
  /** maxMs: only in rows about a deadline or a cap, the bound of a hang (never under 10 s). */
  expected: { code: 0 | 1; message?: RegExp; maxMs?: number; outputs?: Record<string, string> }
  /** The most the action's process may hold, where a server could make it hold more. */
  maxRssMiB?: number
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

/** The Pipecat API key the request carried, as a hostile server would read it back. */
const keyOf = (req: SeenRequest) => String(req.headers.authorization).replace(/^Bearer /, '')
const pieces = (text: string, size: number) => text.match(new RegExp(`.{1,${size}}`, 'g')) ?? []
/** A Pipecat Cloud that refuses the PUT with an error that holds `echo(key)`, for the alert issue to show. */
const refusing = (echo: (key: string) => string) => (req: SeenRequest, res: ServerResponse) =>
  json(res, 400, { error: `denied ${echo(keyOf(req))} ${INJECTION}`, code: 'BAD' })
const REFUSED = /^Pipecat Cloud refused the image pull secret my-ecr-credentials \(400 BAD: denied /

/** A GitHub API that answers the issue listing with `page` and a link to the next page, `next(req)`. */
function githubPaging(next: (req: SeenRequest, world: World) => string, page: () => unknown = () => []) {
  return (req: SeenRequest, res: ServerResponse, world: World) => {
    if (!req.url.startsWith('/repos/acme/agents/issues?')) return json(res, 404, { message: 'Not Found' })
    json(res, 200, page(), { link: `<${next(req, world)}>; rel="next"` })
  }
}
const issuePages = (w: World) => w.hostile.requests.filter(r => r.url.startsWith('/repos/acme/agents/issues?'))
/** 100 issues of 30,000 characters each: a page of 3 MiB, under the byte cap. */
const LARGE_PAGE = Array.from({ length: 100 }, (_, i) => ({ number: i + 1, title: `issue ${i}`, body: 'b'.repeat(30_000) }))

/** An ECR token answer, for rows about what ECR claims. */
const ecrToken = (password: string, expiresAt: number) => (_req: SeenRequest, res: ServerResponse) =>
  json(
    res,
    200,
    { authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt }] },
    { 'content-type': 'application/x-amz-json-1.1' }
  )
const REAL_LENGTH_PASSWORD = 'Q'.repeat(1500)

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
  },

  // Reformatted secrets: each reformatting of the key, in the error message, the summary and the alert issue.
  {
    name: 'Pipecat Cloud echoes the key in 15-character pieces',
    plays: 'pipecat',
    alert: true,
    handler: refusing(key => pieces(key, 15).join(' | ')),
    expected: { code: 1, message: REFUSED, maxMs: 20_000 }
  },
  {
    name: 'Pipecat Cloud echoes the key with a zero-width space every 10 characters',
    plays: 'pipecat',
    alert: true,
    handler: refusing(key => pieces(key, 10).join('\u200b')),
    expected: { code: 1, message: REFUSED, maxMs: 20_000 }
  },
  {
    name: 'Pipecat Cloud echoes the key upper-cased',
    plays: 'pipecat',
    alert: true,
    handler: refusing(key => key.toUpperCase()),
    expected: { code: 1, message: REFUSED, maxMs: 20_000 }
  },
  {
    name: 'Pipecat Cloud echoes the key as base64 of prefixed strings, at each alignment',
    plays: 'pipecat',
    alert: true,
    handler: refusing(key => ['Bearer ', 'k=', 'x'].map(prefix => Buffer.from(`${prefix}${key}!`).toString('base64')).join(' ')),
    expected: { code: 1, message: REFUSED, maxMs: 20_000 }
  },
  {
    name: 'Pipecat Cloud echoes the key fully percent-encoded',
    plays: 'pipecat',
    alert: true,
    handler: refusing(key => [...Buffer.from(key)].map(byte => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('')),
    expected: { code: 1, message: REFUSED, maxMs: 20_000 }
  },
  {
    name: 'Pipecat Cloud echoes the key as literal \\u escapes',
    plays: 'pipecat',
    alert: true,
    handler: refusing(key => [...key].map(char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')),
    expected: { code: 1, message: REFUSED, maxMs: 20_000 }
  },
  {
    name: 'Pipecat Cloud splits the key across a retried 503 and the final 400',
    plays: 'pipecat',
    alert: true,
    handler: (req, res, w) => {
      const key = keyOf(req)
      if (puts(w).length === 1) return json(res, 503, { error: `busy ${key.slice(0, 17)}`, code: 'UNAVAILABLE' })
      json(res, 400, { error: `denied ${key.slice(17, 34)} then ${key.slice(34)}`, code: 'BAD' })
    },
    expected: { code: 1, message: REFUSED, maxMs: 30_000 },
    check: (_run, w) => expect(puts(w)).toHaveLength(2)
  },
  ...(
    [
      ['U+200B', '\u200b'],
      ['U+200E', '\u200e'],
      ['U+061C', '\u061c']
    ] as const
  ).map(([name, mark]): Row => ({
    name: `the format character ${name} in an error survives nowhere`,
    plays: 'pipecat',
    alert: true,
    handler: refusing(key => `here${mark}and${mark}there ${pieces(key, 6).join(mark)}`),
    expected: { code: 1, message: /^Pipecat Cloud refused the image pull secret my-ecr-credentials \(400 BAD: denied hereandthere \*\*\*/, maxMs: 20_000 }
    // The generic checks below look for the mark in every sink.
  })),

  // The GitHub client follows the same rules: its token stays on its origin, pages and bytes are capped.
  {
    name: 'GitHub points the next page of issues at another host',
    plays: 'github',
    handler: githubPaging((_req, w) => `${w.elsewhere.url}/repos/acme/agents/issues?page=2`),
    expected: { code: 0, maxMs: 20_000, outputs: { 'secret-name': SECRET_NAME, 'secret-region': 'us-west' } },
    check: (run, w) => {
      expect(run.stdout).toMatch(
        /^::warning::Could not update the alert issue: GitHub's answer when asked to list open issues pointed to http:\/\/127\.0\.0\.1:\d+ for more/m
      )
      expect(issuePages(w)).toHaveLength(1)
    }
  },
  {
    name: 'GitHub links the issue list to itself, without end',
    plays: 'github',
    handler: githubPaging(req => `http://${req.headers.host}${req.url}`),
    expected: { code: 0, maxMs: 30_000, outputs: { 'secret-name': SECRET_NAME } },
    check: (run, w) => {
      expect(run.stdout).toMatch(/^::warning::Could not update the alert issue: GitHub answered the list of open issues with more than 10 pages/m)
      expect(issuePages(w)).toHaveLength(10)
    }
  },
  {
    name: 'GitHub sends pages of 3 MiB of issues, without end',
    plays: 'github',
    handler: githubPaging(
      req => `http://${req.headers.host}${req.url}&more`,
      () => LARGE_PAGE
    ),
    expected: { code: 0, maxMs: 30_000, outputs: { 'secret-name': SECRET_NAME } },
    maxRssMiB: 250,
    check: (run, w) => {
      expect(run.stdout).toMatch(/^::warning::Could not update the alert issue: GitHub answered the list of open issues with more than 10 pages/m)
      expect(issuePages(w)).toHaveLength(10)
    }
  },
  {
    name: 'GitHub answers the issue list with 256 MiB',
    plays: 'github',
    handler: (_req, res) => huge(res, 200, 256 * 1024 * 1024),
    expected: { code: 0, maxMs: 30_000, outputs: { 'secret-name': SECRET_NAME } },
    maxRssMiB: 200,
    check: run =>
      expect(run.stdout).toMatch(/^::warning::Could not update the alert issue: The GitHub API at http:\/\/127\.0\.0\.1:\d+ sent an answer larger than 4 MiB/m)
  },

  // Claims checked against what was asked.
  {
    name: 'Pipecat Cloud stores the set in another region than pipecat-region',
    plays: 'pipecat',
    inputs: { 'pipecat-region': 'us-west' },
    handler: (_req, res) => json(res, 202, { status: 'OK', region: 'eu-central' }),
    expected: {
      code: 1,
      message:
        /^Pipecat Cloud answered the store request for secret set my-ecr-credentials with region eu-central, but pipecat-region is us-west: check pipecat-api-url/,
      maxMs: 20_000,
      outputs: { 'secret-region': '' }
    },
    check: run => expect(run.summary).toContain('<td>Status</td><td>unknown: the answer to the store request could not be read</td>')
  },
  {
    name: 'Pipecat Cloud lists the set in another region than pipecat-region',
    plays: 'pipecat',
    inputs: { 'pipecat-region': 'us-west', 'wait-for-ready': 'true' },
    handler: pipecatListing(() => ({ sets: [{ name: SECRET_NAME, type: 'imagePullSecret', region: 'eu-central', status: 'ready' }] })),
    expected: {
      code: 1,
      message: /^Pipecat Cloud answered the secret list for secret set my-ecr-credentials with region eu-central, but pipecat-region is us-west:/,
      maxMs: 20_000
    },
    check: run => expect(run.outputs['secret-region']).not.toBe('eu-central')
  },
  {
    name: 'ECR answers with a token that expires in the year 2500',
    plays: 'ecr',
    handler: ecrToken(REAL_LENGTH_PASSWORD, Date.parse('2500-01-01T00:00:00Z') / 1000),
    expected: { code: 1, message: /^ECR returned a token that expires at 2500-01-01T00:00:00\.000Z, more than 24 hours after now/, maxMs: 20_000 },
    check: (run, w) => {
      expect(run.stdout.split('\n').filter(line => line.startsWith('::add-mask::') && line.includes('QQQQ'))).toEqual([])
      expect(w.pipecat.requests).toEqual([])
      expect(run.outputs['expires-at']).toBe('')
    }
  },
  {
    name: 'ECR answers with a one-character password',
    plays: 'ecr',
    handler: ecrToken('e', Date.now() / 1000 + 43_200),
    expected: { code: 1, message: /^ECR returned a token whose password is 1 characters, where a real one runs to over a thousand;/, maxMs: 20_000 },
    check: (run, w) => {
      expect(run.stdout.split('\n')).not.toContain('::add-mask::e')
      expect(run.stdout.split('\n').filter(line => line.startsWith('::add-mask::QVdTOm'))).toEqual([])
      expect(w.pipecat.requests).toEqual([])
    }
  }
]

/** A preload that writes the process's peak memory (KiB) to a file as it exits. */
async function rssProbe(): Promise<{ options: string; read: () => Promise<number> }> {
  const probe = join(await mkdtemp(join(tmpdir(), 'rss-')), 'rss.cjs')
  const rssFile = `${probe}.out`
  await writeFile(probe, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)))\n`)
  return { options: `--require ${probe}`, read: async () => Number(await readFile(rssFile, 'utf8')) }
}

async function runRow(row: Row) {
  const ecr = await startEcrEmulator()
  const pipecat = await startPipecatEmulator()
  const configDir = await mkdtemp(join(tmpdir(), 'hostile-'))
  await writeFile(join(configDir, 'pcc-deploy.toml'), CONFIG)
  const world = {} as World
  const hostile = await startHostileServer((req, res) => row.handler(req, res, world))
  const elsewhere = await startHostileServer((_req, res) => json(res, 200, []))
  Object.assign(world, { ecr, pipecat, hostile, elsewhere, configDir })
  const github = row.alert ? await startGitHubEmulator({ token: GITHUB_TOKEN }) : undefined
  const probe = row.maxRssMiB ? await rssProbe() : undefined
  const alerting = github !== undefined || row.plays === 'github'
  try {
    const inputs: Record<string, string> = {
      ...baseInputs(ecr, pipecat),
      // The alert may take 3 x request-timeout in all: rows that write to GitHub get room for it on a busy machine.
      'request-timeout': alerting ? '5' : '1',
      'wait-for-ready': 'false',
      'config-file': 'pcc-deploy.toml',
      ...(row.plays === 'pipecat' && { 'pipecat-api-url': hostile.url }),
      ...(row.plays === 'registry' && { registry: hostile.url, image: `${hostile.host}/my-agent:1.0` }),
      ...(alerting && { 'alert-issue': 'true', 'github-token': GITHUB_TOKEN }),
      ...row.inputs
    }
    const env: Record<string, string> = {
      ...awsEnv(ecr),
      ...(row.plays === 'ecr' && { AWS_ENDPOINT_URL_ECR: hostile.url }),
      ...(alerting && {
        GITHUB_API_URL: github?.url ?? hostile.url,
        GITHUB_REPOSITORY: 'acme/agents',
        GITHUB_RUN_ID: '7',
        GITHUB_SERVER_URL: 'https://github.com'
      }),
      ...(probe && { NODE_OPTIONS: probe.options }),
      ...row.env
    }
    const run = await runAction({ inputs, env, cwd: configDir, timeoutMs: (row.expected.maxMs ?? 20_000) + 10_000 })
    const config = await readFile(join(configDir, 'pcc-deploy.toml'), 'utf8')
    const issueTexts = github ? [...github.issues.map((i: { body: string }) => i.body), ...github.comments.map((c: { body: string }) => c.body)] : []
    const maxRssMiB = probe ? (await probe.read()) / 1024 : undefined
    return { run, world, config, issueTexts, maxRssMiB }
  } finally {
    await Promise.all([ecr.close(), pipecat.close(), hostile.close(), elsewhere.close(), github?.close(), rm(configDir, { recursive: true, force: true })])
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
      const { run, world, config, issueTexts, maxRssMiB } = await runRow(row)
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
      // No zero-width or direction mark from a server reaches a sink, and no request reaches another host.
      const sinks = { stdout: run.stdout, stderr: run.stderr, outputs: JSON.stringify(run.outputs), summary: run.summary, issues: issueTexts.join('\n') }
      expect(Object.entries(sinks).filter(([, text]) => /\p{Cf}/u.test(text))).toEqual([])
      expect(world.elsewhere.requests).toEqual([])
      if (row.alert) expect(issueTexts.length).toBeGreaterThan(0)
      if (row.maxRssMiB) expect(maxRssMiB).toBeLessThan(row.maxRssMiB)
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
