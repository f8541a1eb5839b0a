import { createHash } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ActionError } from '../src/errors.js'
import { createHttpClient } from '../src/http.js'
import type { ImageRef } from '../src/image.js'
import { verifyImage } from '../src/registry.js'
import { startRegistry, type TestRegistry } from './support/registry-server.js'

const PASSWORD = 'not-the-real-ecr-password'
const WRONG_TOKEN = Buffer.from('AWS:wrong-password').toString('base64')
const http = createHttpClient({ timeoutMs: 5000, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 10, budgetMs: 1000 } })

function imageRef(host: string, repository: string, reference: string): ImageRef {
  const isDigest = reference.startsWith('sha256:')
  return {
    registry: host,
    repository,
    ...(isDigest ? { digest: reference } : { tag: reference }),
    reference,
    full: `${host}/${repository}${isDigest ? '@' : ':'}${reference}`
  }
}

/** Every failure must be an ActionError on one line that gives nothing secret away. */
async function failureOf(check: Promise<unknown>, secrets: string[]): Promise<string> {
  const error = await check.then(
    () => undefined,
    (thrown: unknown) => thrown
  )
  expect(error).toBeInstanceOf(ActionError)
  const message = (error as ActionError).message
  expect(message).not.toContain('\n')
  for (const secret of secrets) expect(message).not.toContain(secret)
  return message
}

const registry = await startRegistry({ username: 'AWS', password: PASSWORD })
const skipped = 'skipped' in registry ? registry.skipped : undefined
if (skipped) console.warn(`SKIPPING the real-registry tests of verifyImage: ${skipped}`)
afterAll(async () => {
  if (!skipped) await (registry as TestRegistry).close()
})

;(skipped ? describe.skip : describe)('verifyImage against a real registry', () => {
  const live = registry as TestRegistry
  const secrets = [live.authorizationToken, PASSWORD, WRONG_TOKEN]
  const check = (repository: string, reference: string, authorizationToken = live.authorizationToken) =>
    verifyImage(http, { registryUrl: live.url, image: imageRef(live.host, repository, reference), authorizationToken })

  test.each(['oci', 'docker'] as const)('passes a multi-platform image (%s index) that lists linux/arm64', async format => {
    const digest = await live.pushImage('team/agent', `multi-${format}`, 'arm64-index', { format })
    const result = await check('team/agent', `multi-${format}`)
    expect(result).toEqual({
      digest,
      mediaType: format === 'oci' ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json',
      platforms: ['linux/amd64', 'linux/arm64/v8']
    })
  })

  test('fails an index built for amd64 only, naming what it found and how to build for arm64', async () => {
    await live.pushImage('team/agent', 'amd64-only', 'amd64-index')
    const message = await failureOf(check('team/agent', 'amd64-only'), secrets)
    expect(message).toContain(`${live.host}/team/agent:amd64-only is built for linux/amd64 only`)
    expect(message).toContain(`docker buildx build --platform linux/arm64 -t ${live.host}/team/agent:amd64-only --push .`)
    // The index also holds an attestation entry; it is not a platform and must not be named as one.
    expect(message).not.toContain('unknown')
  })

  test.each(['oci', 'docker'] as const)('passes a single-platform image (%s manifest) whose config says linux/arm64', async format => {
    const digest = await live.pushImage('team/agent', `arm64-${format}`, 'arm64-manifest', { format })
    const result = await check('team/agent', `arm64-${format}`)
    expect(result.digest).toBe(digest)
    expect(result.platforms).toEqual(['linux/arm64/v8'])
  })

  test('fails a single manifest whose config says linux/amd64', async () => {
    await live.pushImage('team/agent', 'amd64', 'amd64-manifest')
    const message = await failureOf(check('team/agent', 'amd64'), secrets)
    expect(message).toContain('is built for linux/amd64 only, but Pipecat Cloud runs linux/arm64 only')
  })

  test('passes a digest reference and returns that digest', async () => {
    const digest = await live.pushImage('team/agent', 'pinned', 'arm64-index')
    const result = await check('team/agent', digest)
    expect(result.digest).toBe(digest)
  })

  test('names the tag, repository and registry when the tag is missing', async () => {
    await live.pushImage('team/agent', 'present', 'arm64-manifest')
    const message = await failureOf(check('team/agent', 'missing-tag'), secrets)
    expect(message).toContain(`The tag missing-tag was not found in repository team/agent in the registry ${live.host}`)
  })

  test('names the digest when a digest is missing', async () => {
    const absent = `sha256:${'0'.repeat(64)}`
    const message = await failureOf(check('team/agent', absent), secrets)
    expect(message).toContain(`The digest ${absent} was not found in repository team/agent`)
  })

  test('says the repository is missing, not the tag, when it is', async () => {
    const message = await failureOf(check('team/never-pushed', 'latest'), secrets)
    expect(message).toContain(`Repository team/never-pushed was not found in the registry ${live.host}`)
  })

  test('a refused token names the IAM actions the pulling identity needs', async () => {
    await live.pushImage('team/agent', 'guarded', 'arm64-manifest')
    const message = await failureOf(check('team/agent', 'guarded', WRONG_TOKEN), secrets)
    expect(message).toContain('refused the ECR token (401)')
    expect(message).toContain('ecr:BatchGetImage and ecr:GetDownloadUrlForLayer')
    expect(message).toContain('the identity Pipecat Cloud pulls with')
  })

  test('no failure message carries the token or the password', async () => {
    await live.pushImage('team/agent', 'amd64-only', 'amd64-index')
    const failures = [
      () => check('team/agent', 'amd64-only'),
      () => check('team/agent', 'missing-tag'),
      () => check('team/never-pushed', 'latest'),
      () => check('team/agent', 'amd64-only', WRONG_TOKEN)
    ]
    for (const failure of failures) await failureOf(failure(), secrets)
  })
})

interface SeenRequest {
  url: string
  headers: IncomingHttpHeaders
}

/** A hand-written registry for answers a real one will not give on demand: redirects, odd bodies. */
async function fakeServer(answer: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: SeenRequest[] = []
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers })
    answer(req, res)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url, seen, close: () => new Promise<void>(resolve => server.close(() => resolve())) }
}

const TOKEN = Buffer.from('AWS:fake-password').toString('base64')
const CONFIG_DIGEST = `sha256:${'c'.repeat(64)}`
const OCI_MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: CONFIG_DIGEST, size: 2 },
  layers: []
})

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, headers).end(body)
}

describe('verifyImage against a hand-written registry', () => {
  const servers: { close(): Promise<void> }[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(server => server.close()))
  })
  async function start(answer: (req: IncomingMessage, res: ServerResponse) => void) {
    const server = await fakeServer(answer)
    servers.push(server)
    return server
  }
  const check = (url: string, reference = 'v1') =>
    verifyImage(http, { registryUrl: url, image: imageRef('registry.test', 'team/agent', reference), authorizationToken: TOKEN })

  test('follows a blob redirect once, without the Authorization header, as ECR to S3 needs', async () => {
    const storage = await start((_req, res) => reply(res, 200, JSON.stringify({ os: 'linux', architecture: 'arm64' })))
    const registryServer = await start((req, res) => {
      if (req.url?.includes('/manifests/')) {
        return reply(res, 200, OCI_MANIFEST, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': `sha256:${'d'.repeat(64)}` })
      }
      reply(res, 307, '', { location: `${storage.url}/layer-bucket/config?X-Amz-Signature=abc` })
    })

    const result = await check(registryServer.url)

    expect(result).toEqual({ digest: `sha256:${'d'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', platforms: ['linux/arm64'] })
    expect(registryServer.seen.map(request => request.url)).toEqual(['/v2/team/agent/manifests/v1', `/v2/team/agent/blobs/${CONFIG_DIGEST}`])
    expect(registryServer.seen.map(request => request.headers.authorization)).toEqual([`Basic ${TOKEN}`, `Basic ${TOKEN}`])
    expect(registryServer.seen[0].headers.accept).toBe(
      'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
    )
    expect(storage.seen).toHaveLength(1)
    expect(storage.seen[0].url).toBe('/layer-bucket/config?X-Amz-Signature=abc')
    expect(storage.seen[0].headers.authorization).toBeUndefined()
  })

  test('takes the digest from the body when the registry sends no Docker-Content-Digest', async () => {
    const index = JSON.stringify({ schemaVersion: 2, manifests: [{ digest: CONFIG_DIGEST, platform: { os: 'linux', architecture: 'arm64' } }] })
    const server = await start((_req, res) => reply(res, 200, index, { 'content-type': 'application/vnd.oci.image.index.v1+json' }))
    const result = await check(server.url)
    expect(result.digest).toBe(`sha256:${createHash('sha256').update(index).digest('hex')}`)
  })

  test('refuses an answer whose digest is not the one asked for', async () => {
    const asked = `sha256:${'a'.repeat(64)}`
    const server = await start((_req, res) =>
      reply(res, 200, OCI_MANIFEST, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': `sha256:${'b'.repeat(64)}` })
    )
    const message = await failureOf(check(server.url, asked), [TOKEN])
    expect(message).toContain(`when asked for ${asked}`)
  })

  test("reads ECR's NAME_UNKNOWN as a missing repository without asking again", async () => {
    const body = JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: "The repository with name 'team/agent' does not exist" }] })
    const server = await start((_req, res) => reply(res, 404, body, { 'content-type': 'application/json' }))
    const message = await failureOf(check(server.url), [TOKEN])
    expect(message).toContain('Repository team/agent was not found in the registry registry.test')
    expect(server.seen).toHaveLength(1)
  })

  test('says so when the media type is not one a puller understands', async () => {
    const server = await start((_req, res) =>
      reply(res, 200, '{"schemaVersion":1}', { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' })
    )
    const message = await failureOf(check(server.url), [TOKEN])
    expect(message).toContain('has media type "application/vnd.docker.distribution.manifest.v1+prettyjws"')
  })

  test('says so when the answer is not JSON, as when a proxy answers in the registry’s place', async () => {
    const server = await start((_req, res) => reply(res, 200, '<html>Sign in</html>', { 'content-type': 'text/html' }))
    const message = await failureOf(check(server.url), [TOKEN])
    expect(message).toContain('not JSON, content type "text/html"')
  })

  test('after the retries, a 503 tells the user to rerun later', async () => {
    const server = await start((_req, res) => reply(res, 503, '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}'))
    const message = await failureOf(check(server.url), [TOKEN])
    expect(message).toContain('answered 503 (UNAVAILABLE: try later)')
    expect(message).toContain('rerun the workflow later')
    expect(server.seen).toHaveLength(2)
  })
})
