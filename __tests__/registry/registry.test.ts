import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ActionError } from '../../src/common/errors.js'
import { createHttpClient } from '../../src/http/http.js'
import type { ImageRef } from '../../src/common/image.js'
import { verifyImage } from '../../src/registry/registry.js'
import { startRegistry, startRegistryGate, type BlobPolicy, type RegistryGate, type TestRegistry } from '../support/registry-server.js'

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

/** The digests a pull of an index's linux/arm64 image touches: its manifest, then that manifest's config blob. */
async function arm64Of(live: TestRegistry, repository: string, reference: string): Promise<{ manifest: string; config: string }> {
  const index = await live.readManifest(repository, reference)
  const entry = index.manifests?.find(candidate => candidate.platform?.architecture === 'arm64')
  if (!entry) throw new Error(`${repository}:${reference} has no arm64 entry`)
  const manifest = await live.readManifest(repository, entry.digest)
  if (!manifest.config) throw new Error(`${entry.digest} has no config`)
  return { manifest: entry.digest, config: manifest.config.digest }
}

/** Every fragment of a secret long enough to give it away: what no message may hold. */
function fragmentsOf(secret: string, length = 16): string[] {
  const out: string[] = []
  for (let at = 0; at + length <= secret.length; at++) out.push(secret.slice(at, at + length))
  return out
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
    const pulled = await arm64Of(live, 'team/agent', `multi-${format}`)
    const result = await check('team/agent', `multi-${format}`)
    expect(result).toEqual({
      digest,
      mediaType: format === 'oci' ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.docker.distribution.manifest.list.v2+json',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
      platformManifest: pulled.manifest,
      configBlob: pulled.config
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

  describe('through a gate that plays the parts of ECR a local registry cannot', () => {
    const gates: RegistryGate[] = []
    afterEach(async () => {
      await Promise.all(gates.splice(0).map(gate => gate.close()))
    })
    async function through(blobs: BlobPolicy) {
      const gate = await startRegistryGate(live, { blobs })
      gates.push(gate)
      const run = (repository: string, reference: string) =>
        verifyImage(http, { registryUrl: gate.url, image: imageRef(gate.host, repository, reference), authorizationToken: live.authorizationToken })
      return { gate, run }
    }

    test.each(['oci', 'docker'] as const)('reads the linux/arm64 manifest of a two-platform %s index, then downloads its config blob', async format => {
      await live.pushImage('team/agent', `pull-${format}`, 'arm64-index', { format })
      const pulled = await arm64Of(live, 'team/agent', `pull-${format}`)
      const { gate, run } = await through('forward')

      const result = await run('team/agent', `pull-${format}`)

      expect(result.platformManifest).toBe(pulled.manifest)
      expect(result.configBlob).toBe(pulled.config)
      expect(gate.requests).toEqual([
        { method: 'GET', path: `/v2/team/agent/manifests/pull-${format}`, authorized: true },
        { method: 'GET', path: `/v2/team/agent/manifests/${pulled.manifest}`, authorized: true },
        { method: 'GET', path: `/v2/team/agent/blobs/${pulled.config}`, authorized: true }
      ])
    })

    test.each(['arm64-index', 'arm64-manifest'] as const)(
      'a registry that refuses blob downloads (403) fails a %s, naming ecr:GetDownloadUrlForLayer',
      async kind => {
        await live.pushImage('team/agent', `refused-${kind}`, kind)
        const { gate, run } = await through('refuse')

        const message = await failureOf(run('team/agent', `refused-${kind}`), secrets)

        expect(message).toContain(`refused to download its config blob (403: DENIED: requested access to the resource is denied)`)
        expect(message).toContain(`lacks ecr:GetDownloadUrlForLayer on repository team/agent; allow it that action`)
        expect(message).not.toContain('ecr:BatchGetImage')
        expect(gate.requests.at(-1)?.path).toMatch(/^\/v2\/team\/agent\/blobs\/sha256:/)
      }
    )

    test('follows the redirect a registry answers a blob download with, without the token, to a blob store', async () => {
      await live.pushImage('team/agent', 'redirected', 'arm64-index')
      const pulled = await arm64Of(live, 'team/agent', 'redirected')
      const { gate, run } = await through('redirect')

      const result = await run('team/agent', 'redirected')

      expect(result.configBlob).toBe(pulled.config)
      expect(gate.requests.at(-1)).toEqual({ method: 'GET', path: `/v2/team/agent/blobs/${pulled.config}`, authorized: true })
      expect(gate.storageRequests).toHaveLength(1)
      expect(gate.storageRequests[0]).toMatchObject({ method: 'GET', authorized: false })
      expect(gate.storageRequests[0].path).toMatch(new RegExp(`^/bucket/team/agent/${pulled.config}\\?X-Amz-Signature=`))
    })
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
const OCI_INDEX_TYPE = 'application/vnd.oci.image.index.v1+json'
const OCI_MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json'
const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

function imageManifest(config: string, configMediaType = 'application/vnd.oci.image.config.v1+json'): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_TYPE,
    config: { mediaType: configMediaType, digest: sha(config), size: config.length },
    layers: []
  })
}
const CONFIG = JSON.stringify({ os: 'linux', architecture: 'arm64' })
const CONFIG_DIGEST = sha(CONFIG)
const MANIFEST = imageManifest(CONFIG)
const MANIFEST_DIGEST = sha(MANIFEST)

function indexOf(entries: { digest: string; platform?: unknown }[]): string {
  return JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX_TYPE, manifests: entries.map(entry => ({ mediaType: OCI_MANIFEST_TYPE, size: 1, ...entry })) })
}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, headers).end(body)
}

interface Document {
  body: string
  type?: string
  /** Headers on top of (or, set to '', in place of) the ones a real registry sends. */
  headers?: Record<string, string>
}

/** Answers by path under /v2/team/agent/ as a registry would: content type, Docker-Content-Digest, 404 otherwise. */
function serving(documents: Record<string, Document>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const document = documents[(req.url ?? '').replace(/^\/v2\/team\/agent\//, '')]
    if (!document) return reply(res, 404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
    const headers: Record<string, string> = {
      'content-type': document.type ?? 'application/octet-stream',
      'docker-content-digest': sha(document.body),
      ...document.headers
    }
    for (const [name, value] of Object.entries(headers)) if (value === '') delete headers[name]
    reply(res, 200, document.body, headers)
  }
}

/** An index with one linux/arm64 image that the registry holds in full. */
const arm64Image = (index: string, extra: Record<string, Document> = {}): Record<string, Document> => ({
  'manifests/v1': { body: index, type: OCI_INDEX_TYPE },
  [`manifests/${MANIFEST_DIGEST}`]: { body: MANIFEST, type: OCI_MANIFEST_TYPE },
  [`blobs/${CONFIG_DIGEST}`]: { body: CONFIG },
  ...extra
})

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
  const check = (url: string, reference = 'v1', authorizationToken = TOKEN) =>
    verifyImage(http, { registryUrl: url, image: imageRef('registry.test', 'team/agent', reference), authorizationToken })

  test('follows a blob redirect once, without the Authorization header, as ECR to S3 needs', async () => {
    const storage = await start((_req, res) => reply(res, 200, CONFIG))
    const registryServer = await start((req, res) => {
      if (req.url?.includes('/manifests/')) return serving({ 'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE } })(req, res)
      reply(res, 307, '', { location: `${storage.url}/layer-bucket/config?X-Amz-Signature=abc` })
    })

    const result = await check(registryServer.url)

    expect(result).toEqual({
      digest: MANIFEST_DIGEST,
      mediaType: OCI_MANIFEST_TYPE,
      platforms: ['linux/arm64'],
      platformManifest: MANIFEST_DIGEST,
      configBlob: CONFIG_DIGEST
    })
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
    const index = indexOf([{ digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64' } }])
    const documents = arm64Image(index)
    for (const document of Object.values(documents)) document.headers = { 'docker-content-digest': '' }
    const server = await start(serving(documents))
    const result = await check(server.url)
    expect(result.digest).toBe(sha(index))
    expect(result.platformManifest).toBe(MANIFEST_DIGEST)
  })

  test('asks for the linux/arm64 entry with the manifest media types only', async () => {
    const server = await start(serving(arm64Image(indexOf([{ digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64' } }]))))
    await check(server.url)
    expect(server.seen[1].headers.accept).toBe('application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json')
  })

  test('refuses an answer whose digest is not the one asked for', async () => {
    const asked = `sha256:${'a'.repeat(64)}`
    const server = await start((_req, res) => reply(res, 200, MANIFEST, { 'content-type': OCI_MANIFEST_TYPE, 'docker-content-digest': MANIFEST_DIGEST }))
    const message = await failureOf(check(server.url, asked), [TOKEN])
    expect(message).toContain(`answered with manifest ${MANIFEST_DIGEST} when asked for ${asked}`)
  })

  describe('picks the linux/arm64 entry of an index as containerd on an arm64 host does', () => {
    const other = (n: string) => `sha256:${n.repeat(64)}`
    test.each([
      [
        'no variant after arm64/v9 and arm/v7',
        [
          { digest: other('1'), platform: { os: 'linux', architecture: 'arm64', variant: 'v9' } },
          { digest: other('2'), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
          { digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64' } }
        ]
      ],
      [
        'variant v8 before one without',
        [
          { digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
          { digest: other('3'), platform: { os: 'linux', architecture: 'arm64' } }
        ]
      ],
      [
        'no variant before variant v8',
        [
          { digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64' } },
          { digest: other('4'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }
        ]
      ],
      [
        'aarch64, as containerd normalises it',
        [
          { digest: other('5'), platform: { os: 'windows', architecture: 'arm64' } },
          { digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'aarch64' } }
        ]
      ]
    ])('%s', async (_name, entries) => {
      const server = await start(serving(arm64Image(indexOf(entries))))
      const result = await check(server.url)
      expect(result.platformManifest).toBe(MANIFEST_DIGEST)
      expect(server.seen.map(request => request.url)).toEqual([
        '/v2/team/agent/manifests/v1',
        `/v2/team/agent/manifests/${MANIFEST_DIGEST}`,
        `/v2/team/agent/blobs/${CONFIG_DIGEST}`
      ])
    })

    test('an index whose linux/arm64 manifest the registry lacks says the image cannot be pulled', async () => {
      const index = indexOf([{ digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64' } }])
      const server = await start(serving({ 'manifests/v1': { body: index, type: OCI_INDEX_TYPE } }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(
        `The image index of registry.test/team/agent:v1 names the linux/arm64 manifest ${MANIFEST_DIGEST}, which the registry registry.test does not have`
      )
    })

    test('an index whose linux/arm64 entry is another index is refused, not followed', async () => {
      const nested = indexOf([{ digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64' } }])
      const index = indexOf([{ digest: sha(nested), platform: { os: 'linux', architecture: 'arm64' } }])
      const server = await start(serving({ ...arm64Image(index), [`manifests/${sha(nested)}`]: { body: nested, type: OCI_INDEX_TYPE } }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(`its linux/arm64 entry is of media type "${OCI_INDEX_TYPE}", not an image manifest`)
      expect(server.seen).toHaveLength(2)
    })

    test('an index with arm64/v9 and arm/v7 only is not linux/arm64', async () => {
      const entries = [
        { digest: other('1'), platform: { os: 'linux', architecture: 'arm64', variant: 'v9' } },
        { digest: other('2'), platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }
      ]
      const server = await start(serving(arm64Image(indexOf(entries))))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain('is built for linux/arm/v7, linux/arm64/v9 only, but Pipecat Cloud runs linux/arm64 only')
      expect(server.seen).toHaveLength(1)
    })
  })

  describe('every byte from the registry is checked before it is used or shown', () => {
    test.each([
      ['markup', 'sha256:<b>x</b>'],
      ['an upper-case digest', `sha256:${'A'.repeat(64)}`],
      ['a workflow command', 'sha256:abc ::warning::pwned']
    ])('a Docker-Content-Digest that is %s fails without being shown', async (_name, header) => {
      const server = await start(serving({ 'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE, headers: { 'docker-content-digest': header } } }))
      const message = await failureOf(check(server.url), [TOKEN, header])
      expect(message).toContain('with a Docker-Content-Digest header that is not a digest')
      expect(message).not.toMatch(/<b>|::warning|AAAA/)
      expect(server.seen).toHaveLength(1)
    })

    test('a Docker-Content-Digest that is not the digest of the manifest received fails', async () => {
      const claimed = `sha256:${'b'.repeat(64)}`
      const server = await start(serving({ 'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE, headers: { 'docker-content-digest': claimed } } }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(`as content with digest ${MANIFEST_DIGEST}, not the ${claimed} its Docker-Content-Digest header names`)
    })

    test('a linux/arm64 manifest whose content is not the digest the index names fails', async () => {
      const named = sha('another manifest')
      const index = indexOf([{ digest: named, platform: { os: 'linux', architecture: 'arm64' } }])
      const server = await start(
        serving({ ...arm64Image(index), [`manifests/${named}`]: { body: MANIFEST, type: OCI_MANIFEST_TYPE, headers: { 'docker-content-digest': '' } } })
      )
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(`sent the linux/arm64 manifest ${named} of registry.test/team/agent:v1 as content with digest ${MANIFEST_DIGEST}`)
      expect(server.seen).toHaveLength(2)
    })

    test('a config blob whose content is not its digest fails', async () => {
      const server = await start(
        serving({
          'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE },
          [`blobs/${CONFIG_DIGEST}`]: { body: '{"os":"linux","architecture":"arm64","x":1}' }
        })
      )
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(`The config blob ${CONFIG_DIGEST} of registry.test/team/agent:v1 arrived as content with digest sha256:`)
    })

    test('platform names that are not plain names are shown as (invalid) and never match', async () => {
      const index = indexOf([
        { digest: MANIFEST_DIGEST, platform: { os: 'linux\n::warning::pwned', architecture: 'arm64' } },
        { digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: '<b>arm64</b>' } },
        { digest: MANIFEST_DIGEST, platform: { os: 'linux', architecture: 'arm64', variant: { v: 8 } } },
        { digest: MANIFEST_DIGEST, platform: 'linux/arm64' }
      ])
      const server = await start(serving(arm64Image(index)))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain('is built for (invalid)/arm64, linux/(invalid), linux/arm64/(invalid) only')
      expect(message).not.toMatch(/::warning|<b>|pwned/)
      expect(server.seen).toHaveLength(1)
    })

    test('an index entry that is not an object fails with a clear message', async () => {
      const server = await start(serving({ 'manifests/v1': { body: JSON.stringify({ schemaVersion: 2, manifests: [null] }), type: OCI_INDEX_TYPE } }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain('an image index this action cannot read (entry 1 of its "manifests" list is null, not an object)')
    })

    test('an index entry whose digest is not a digest is never asked for', async () => {
      const index = indexOf([{ digest: '../../../etc/passwd', platform: { os: 'linux', architecture: 'arm64' } }])
      const server = await start(serving({ 'manifests/v1': { body: index, type: OCI_INDEX_TYPE } }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(`its linux/arm64 entry's digest ../../../etc/passwd is not a digest`)
      expect(server.seen).toHaveLength(1)
    })

    test('a config digest that is not a digest is never asked for', async () => {
      const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST_TYPE, config: { digest: 'sha256:../../x' }, layers: [] })
      const server = await start(serving({ 'manifests/v1': { body: manifest, type: OCI_MANIFEST_TYPE } }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain('its config blob digest sha256:../../x is not a digest')
      expect(server.seen).toHaveLength(1)
    })

    test('a registry error that echoes the Authorization header gives away no fragment of the token', async () => {
      // ECR tokens run to thousands of characters; cutting the echo short would still print most of one.
      const password = randomBytes(600).toString('base64')
      const token = Buffer.from(`AWS:${password}`).toString('base64')
      const echo = JSON.stringify({ errors: [{ code: 'DENIED', message: `bad request: Authorization: Basic ${token}` }] })
      const server = await start((_req, res) => reply(res, 400, echo, { 'content-type': 'application/json' }))
      const error = await check(server.url, 'v1', token).then(
        () => undefined,
        (thrown: Error) => thrown
      )
      expect(error).toBeInstanceOf(ActionError)
      const message = (error as Error).message
      expect(message).toContain('answered 400 (DENIED: bad request: Authorization: Basic ***')
      for (const fragment of [...fragmentsOf(token), ...fragmentsOf(password)]) expect(message).not.toContain(fragment)
    })

    test.each([
      [404, 'answered 404 for registry.test/team/agent:v1: check that repository team/agent exists and holds tag v1'],
      [503, 'answered 503 when asked for the manifest of registry.test/team/agent:v1; it is failing or limiting requests']
    ])('an error body with entries that are not objects still gives the status (%d) and the fix', async (status, expected) => {
      const server = await start((_req, res) => reply(res, status, '{"errors":[null,"x"]}'))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(expected)
    })

    test.each([
      ['plain http to another host', 'http://bucket.example.com/config?X-Amz-Signature=s3cr3t', '"http://bucket.example.com"'],
      ['file:', 'file:///etc/passwd', '"file:"'],
      ['data:', 'data:application/json,{"os":"linux","architecture":"arm64"}', '"data:"'],
      ['ftp:', 'ftp://files.example.com/config?sig=s3cr3t', '"ftp://files.example.com"'],
      ['javascript:', 'javascript:alert(1)', '"javascript:"']
    ])('a blob redirect to %s is not followed', async (_name, location, shown) => {
      const server = await start((req, res) => {
        if (req.url?.includes('/manifests/')) return serving({ 'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE } })(req, res)
        reply(res, 307, '', { location })
      })
      const message = await failureOf(check(server.url), [TOKEN, 's3cr3t'])
      expect(message).toContain(`sent the config blob of registry.test/team/agent:v1 to ${shown}, which is not an https address, so it was not followed`)
      expect(message).not.toMatch(/passwd|alert|architecture/)
      expect(server.seen).toHaveLength(2)
    })

    test('a blob redirect to what is not a URL is shown only through the redaction', async () => {
      const location = `http://[${TOKEN}`
      const server = await start((req, res) => {
        if (req.url?.includes('/manifests/')) return serving({ 'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE } })(req, res)
        reply(res, 307, '', { location })
      })
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain('to "http://[***", which is not a URL, so it was not followed')
    })

    test.each([
      ['null', 'null', 'a manifest this action cannot read (JSON null, not an object)'],
      ['a list', '[]', 'a manifest this action cannot read (JSON a list, not an object)'],
      ['a number', '42', 'a manifest this action cannot read (JSON a number, not an object)'],
      ['an HTML page', '<html>Sign in</html>', 'not JSON, content type "text/html": an HTML page, as a sign-in or proxy error page is']
    ])('a manifest that is %s fails with a clear message', async (_name, body, expected) => {
      const server = await start((_req, res) => reply(res, 200, body, { 'content-type': body.startsWith('<') ? 'text/html' : OCI_MANIFEST_TYPE }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain(expected)
    })

    test('an image config that is JSON null fails with a clear message', async () => {
      const manifest = imageManifest('null')
      const server = await start(serving({ 'manifests/v1': { body: manifest, type: OCI_MANIFEST_TYPE }, [`blobs/${sha('null')}`]: { body: 'null' } }))
      const message = await failureOf(check(server.url), [TOKEN])
      expect(message).toContain('an image config this action cannot read (JSON null, not an object)')
    })
  })

  test.each([401, 403])('a blob download refused with %d names ecr:GetDownloadUrlForLayer', async status => {
    const server = await start((req, res) => {
      if (req.url?.includes('/manifests/')) return serving({ 'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE } })(req, res)
      reply(res, status, '{"errors":[{"code":"DENIED","message":"denied"}]}')
    })
    const message = await failureOf(check(server.url), [TOKEN])
    expect(message).toContain(`refused to download its config blob (${status}: DENIED: denied)`)
    expect(message).toContain('lacks ecr:GetDownloadUrlForLayer on repository team/agent')
  })

  test('a blob store that refuses the signed link says the link may have expired', async () => {
    const storage = await start((_req, res) => reply(res, 403, '<Error><Code>AccessDenied</Code></Error>'))
    const server = await start((req, res) => {
      if (req.url?.includes('/manifests/')) return serving({ 'manifests/v1': { body: MANIFEST, type: OCI_MANIFEST_TYPE } })(req, res)
      reply(res, 307, '', { location: `${storage.url}/bucket/config?X-Amz-Signature=abc` })
    })
    const message = await failureOf(check(server.url), [TOKEN])
    expect(message).toContain(`to ${new URL(storage.url).host}, which answered 403; the download link may have expired`)
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

  test('after the retries, a 503 tells the user to rerun later', async () => {
    const server = await start((_req, res) => reply(res, 503, '{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}'))
    const message = await failureOf(check(server.url), [TOKEN])
    expect(message).toContain('answered 503 (UNAVAILABLE: try later)')
    expect(message).toContain('rerun the workflow later')
    expect(server.seen).toHaveLength(2)
  })
})
