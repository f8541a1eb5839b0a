/**
 * A real container registry for tests and the demo: the CNCF distribution registry, started on a
 * loopback port with basic auth, and filled with small images pushed over the registry API itself.
 * It checks what ECR would check (auth, media types, referenced blobs), so no answer is made up here.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { access, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { Agent } from 'undici'

const REGISTRY_BIN = '/usr/bin/docker-registry'
const HTPASSWD_BIN = '/usr/bin/htpasswd'
const INSTALL_HINT = 'apt-get install docker-registry apache2-utils'

export type TestImageKind = 'arm64-index' | 'amd64-index' | 'arm64-manifest' | 'amd64-manifest'

export interface PushOptions {
  /** 'oci' (what buildx pushes, the default) or 'docker' (schema 2 manifests and manifest lists). */
  format?: 'oci' | 'docker'
}

export interface RegistryOptions {
  /** Serve https with this key and certificate (PEM), as ECR does; default: plain http. */
  tls?: { key: string; cert: string }
}

export interface TestRegistry {
  /** http://127.0.0.1:PORT, or https:// when started with tls */
  url: string
  /** 127.0.0.1:PORT, as it appears in an image reference */
  host: string
  /** base64 of username:password: the shape of an ECR authorization token. */
  authorizationToken: string
  /** Pushes a small image under repository:tag and returns the digest of its top manifest (or index). */
  pushImage(repository: string, tag: string, kind: TestImageKind, options?: PushOptions): Promise<string>
  /** A stored manifest or index, parsed: to find the digests a pull of it must touch. */
  readManifest(repository: string, reference: string): Promise<StoredManifest>
  close(): Promise<void>
}

export interface StoredManifest {
  mediaType: string
  config?: Descriptor
  manifests?: (Descriptor & { platform?: Platform })[]
}

export interface SkippedRegistry {
  skipped: string
}

/**
 * Starts a registry that accepts only these credentials. When the binaries are missing it returns
 * `{ skipped }` so a developer's machine can still run the rest; under CI it throws instead, so a
 * broken runner image fails the build rather than silently testing less.
 */
export async function startRegistry(
  credentials: { username: string; password: string },
  options: RegistryOptions = {}
): Promise<TestRegistry | SkippedRegistry> {
  const missing = await missingBinaries()
  if (missing) {
    const why = `${missing} not found; install it with: ${INSTALL_HINT}`
    if (process.env.CI === 'true') throw new Error(`The test registry cannot start under CI: ${why}`)
    return { skipped: why }
  }

  const workDir = await mkdtemp(join(tmpdir(), 'test-registry-'))
  // This process trusts the test certificate through its own dispatcher; the environment's CAs stay as they are.
  const dispatcher = options.tls ? new Agent({ connect: { ca: options.tls.cert } }) : undefined
  try {
    await writeFile(join(workDir, 'htpasswd'), await bcryptLine(credentials.username, credentials.password))
    if (options.tls) {
      await writeFile(join(workDir, 'cert.pem'), options.tls.cert)
      await writeFile(join(workDir, 'key.pem'), options.tls.key, { mode: 0o600 })
    }
    const scheme = options.tls ? 'https' : 'http'
    const { child, port } = await serveOnFreePort(workDir, scheme, dispatcher)
    const host = `127.0.0.1:${port}`
    const url = `${scheme}://${host}`
    const authorizationToken = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
    const pusher = new ImagePusher(url, `Basic ${authorizationToken}`, dispatcher)
    // A script (the demo) that exits without calling close() must not leave a registry behind. Under
    // jest this never fires, but the running child keeps jest from exiting, which points at the missing close().
    const cleanUpAtExit = () => {
      child.kill('SIGKILL')
      rmSync(workDir, { recursive: true, force: true })
    }
    process.once('exit', cleanUpAtExit)
    return {
      url,
      host,
      authorizationToken,
      pushImage: (repository, tag, kind, options) => pusher.push(repository, tag, kind, options?.format ?? 'oci'),
      readManifest: (repository, reference) => pusher.read(repository, reference),
      close: async () => {
        process.off('exit', cleanUpAtExit)
        await stop(child)
        await dispatcher?.close()
        await rm(workDir, { recursive: true, force: true })
      }
    }
  } catch (error) {
    await dispatcher?.close()
    await rm(workDir, { recursive: true, force: true })
    throw error
  }
}

/**
 * Why the registry tests cannot run here, for a developer's machine without the binaries, so a test
 * file can mark its tests skipped (with this reason) instead of passing them empty; undefined when they
 * can run, and under CI=true, where startRegistry fails the file instead.
 */
export async function registrySkipReason(): Promise<string | undefined> {
  const missing = await missingBinaries()
  return missing && process.env.CI !== 'true' ? `${missing} not found; install it with: ${INSTALL_HINT}` : undefined
}

async function missingBinaries(): Promise<string | undefined> {
  for (const bin of [REGISTRY_BIN, HTPASSWD_BIN]) {
    try {
      await access(bin)
    } catch {
      return bin
    }
  }
  return undefined
}

/** The password goes in on stdin, so it never shows in a process listing. */
function bcryptLine(username: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(HTPASSWD_BIN, ['-Bin', username], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', chunk => (out += chunk))
    child.stderr.on('data', chunk => (err += chunk))
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve(out) : reject(new Error(`htpasswd failed (${code}): ${err.trim()}`))))
    child.stdin.end(password)
  })
}

function registryConfig(workDir: string, port: number, scheme: Scheme): string {
  const tls = scheme === 'https' ? ['  tls:', `    certificate: ${join(workDir, 'cert.pem')}`, `    key: ${join(workDir, 'key.pem')}`] : []
  return [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(workDir, 'data')}`,
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
    ...tls,
    'auth:',
    '  htpasswd:',
    '    realm: test-registry',
    `    path: ${join(workDir, 'htpasswd')}`,
    ''
  ].join('\n')
}

/** Another process can take the port between our probe and the registry's bind, so try a few. */
async function serveOnFreePort(workDir: string, scheme: Scheme, dispatcher?: Agent): Promise<{ child: ChildProcess; port: number }> {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    const configPath = join(workDir, 'config.yml')
    await writeFile(configPath, registryConfig(workDir, port, scheme))
    // The log goes to a file rather than a pipe nobody reads once the registry is up.
    const logPath = join(workDir, 'registry.log')
    const log = await open(logPath, 'w')
    const child = spawn(REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', log.fd] })
    await log.close()
    try {
      await waitUntilReady(child, `${scheme}://127.0.0.1:${port}/v2/`, logPath, dispatcher)
      return { child, port }
    } catch (error) {
      lastError = error
      await stop(child)
    }
  }
  throw lastError
}

type Scheme = 'http' | 'https'

/** Node's fetch takes an undici dispatcher, though its RequestInit type does not say so (and types it against a newer undici). */
function withDispatcher(init: RequestInit, dispatcher: Agent | undefined): RequestInit {
  return dispatcher ? ({ ...init, dispatcher } as unknown as RequestInit) : init
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/** Ready means auth is on: /v2/ answers 401 to a request without credentials. */
async function waitUntilReady(child: ChildProcess, probeUrl: string, logPath: string, dispatcher?: Agent): Promise<void> {
  let exited = false
  child.once('exit', () => (exited = true))
  const deadline = Date.now() + 10_000
  while (!exited && Date.now() < deadline) {
    const status = await fetch(probeUrl, withDispatcher({}, dispatcher)).then(
      async answer => {
        await answer.arrayBuffer()
        return answer.status
      },
      () => undefined // not listening yet
    )
    if (status === 401) return
    if (status !== undefined) throw new Error(`The test registry answered ${status} on /v2/ without credentials; auth is not on`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const log = (await readFile(logPath, 'utf8').catch(() => '')).trim().slice(-2000)
  throw new Error(exited ? `The test registry exited at start: ${log}` : `The test registry did not answer on ${probeUrl} within 10s: ${log}`)
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise(resolve => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

const MEDIA = {
  oci: {
    index: 'application/vnd.oci.image.index.v1+json',
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip'
  },
  docker: {
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip'
  }
} as const

type Format = keyof typeof MEDIA

interface Descriptor {
  mediaType: string
  digest: string
  size: number
}

interface Manifest {
  schemaVersion: 2
  mediaType: string
  config?: Descriptor
  layers?: Descriptor[]
  manifests?: object[]
}

interface Platform {
  os: string
  architecture: string
  variant?: string
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** An empty tar archive (two zero blocks): the smallest layer the registry and a puller accept. */
const EMPTY_TAR = Buffer.alloc(1024)

class ImagePusher {
  constructor(
    private readonly url: string,
    private readonly authorization: string,
    private readonly dispatcher?: Agent
  ) {}

  async push(repository: string, tag: string, kind: TestImageKind, format: Format): Promise<string> {
    const arm64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' }
    const amd64: Platform = { os: 'linux', architecture: 'amd64' }
    switch (kind) {
      case 'arm64-manifest':
        return (await this.pushManifest(repository, tag, arm64, format)).digest
      case 'amd64-manifest':
        return (await this.pushManifest(repository, tag, amd64, format)).digest
      case 'arm64-index':
        return this.pushIndex(repository, tag, [amd64, arm64], format)
      case 'amd64-index':
        return this.pushIndex(repository, tag, [amd64], format)
    }
  }

  async read(repository: string, reference: string): Promise<StoredManifest> {
    const accept = [MEDIA.oci.index, MEDIA.docker.index, MEDIA.oci.manifest, MEDIA.docker.manifest].join(', ')
    const answer = await fetch(
      new URL(`/v2/${repository}/manifests/${reference}`, this.url),
      withDispatcher({ headers: { authorization: this.authorization, accept } }, this.dispatcher)
    )
    if (answer.status !== 200) throw new Error(`Test registry: reading ${repository}:${reference} answered ${answer.status}`)
    return (await answer.json()) as StoredManifest
  }

  /** Children go in by digest first: the registry refuses an index that names manifests it lacks. */
  private async pushIndex(repository: string, tag: string, platforms: Platform[], format: Format): Promise<string> {
    const manifests: object[] = []
    for (const platform of platforms) {
      const child = await this.pushManifest(repository, undefined, platform, format)
      manifests.push({ ...child, platform })
      // buildx adds a provenance attestation per platform; only OCI indexes can carry one.
      if (format === 'oci') manifests.push(await this.pushAttestation(repository, child.digest))
    }
    const index = await this.putManifest(repository, tag, { schemaVersion: 2, mediaType: MEDIA[format].index, manifests })
    return index.digest
  }

  private async pushManifest(repository: string, tag: string | undefined, platform: Platform, format: Format): Promise<Descriptor> {
    const media = MEDIA[format]
    const layer = await this.pushBlob(repository, gzipSync(EMPTY_TAR), media.layer)
    const imageConfig = {
      ...platform,
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(EMPTY_TAR)] }
    }
    const config = await this.pushBlob(repository, Buffer.from(JSON.stringify(imageConfig)), media.config)
    return this.putManifest(repository, tag, { schemaVersion: 2, mediaType: media.manifest, config, layers: [layer] })
  }

  /** Shaped like buildx's: platform unknown/unknown, an in-toto layer, a pointer to the image. */
  private async pushAttestation(repository: string, imageDigest: string): Promise<object> {
    const config = await this.pushBlob(
      repository,
      Buffer.from('{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}'),
      MEDIA.oci.config
    )
    const statement = await this.pushBlob(repository, Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}'), 'application/vnd.in-toto+json')
    const manifest = await this.putManifest(repository, undefined, { schemaVersion: 2, mediaType: MEDIA.oci.manifest, config, layers: [statement] })
    return {
      ...manifest,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': imageDigest }
    }
  }

  /** The two-step upload docker push uses: open a session, then close it with the digest. */
  private async pushBlob(repository: string, bytes: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = sha256(bytes)
    const opened = await this.call('POST', `/v2/${repository}/blobs/uploads/`, 202)
    const location = new URL(opened.headers.get('location') ?? '', this.url)
    location.searchParams.set('digest', digest)
    await this.call('PUT', location.href, 201, bytes, 'application/octet-stream')
    return { mediaType, digest, size: bytes.length }
  }

  /** The digest is of the exact bytes sent, which is what the registry stores and serves back. */
  private async putManifest(repository: string, tag: string | undefined, manifest: Manifest): Promise<Descriptor> {
    const bytes = Buffer.from(JSON.stringify(manifest))
    const digest = sha256(bytes)
    await this.call('PUT', `/v2/${repository}/manifests/${tag ?? digest}`, 201, bytes, manifest.mediaType)
    return { mediaType: manifest.mediaType, digest, size: bytes.length }
  }

  private async call(method: string, pathOrUrl: string, expected: number, body?: Buffer, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: this.authorization }
    if (contentType) headers['content-type'] = contentType
    const answer = await fetch(new URL(pathOrUrl, this.url), withDispatcher({ method, headers, body }, this.dispatcher))
    const text = await answer.text()
    if (answer.status !== expected) {
      throw new Error(`Test registry: ${method} ${pathOrUrl} answered ${answer.status}, expected ${expected}: ${text.trim()}`)
    }
    return answer
  }
}

/** What a gate or its blob store saw: enough to assert the path a pull took, never the credential itself. */
export interface SeenRequest {
  method: string
  path: string
  authorized: boolean
}

/**
 * How a gate treats blob downloads: pass them to the registry; refuse them with 403, as ECR does for an
 * identity without ecr:GetDownloadUrlForLayer; redirect them (307) to a loopback blob store, as ECR does
 * to S3; or redirect them to a fixed location.
 */
export type BlobPolicy = 'forward' | 'refuse' | 'redirect' | { location: string }

export interface GateAnswer {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface GateOptions {
  blobs?: BlobPolicy
  /** An answer the gate gives in the registry's place (a broken or hostile registry); undefined forwards. */
  answer?: (request: SeenRequest) => GateAnswer | undefined
}

export interface RegistryGate {
  /** http://127.0.0.1:PORT: point the action at this instead of the registry. */
  url: string
  host: string
  /** Every request that reached the gate, in order. */
  requests: SeenRequest[]
  /** Every request that reached the blob store a 'redirect' gate sends downloads to. */
  storageRequests: SeenRequest[]
  close(): Promise<void>
}

const BLOB_PATH = /^\/v2\/(.+)\/blobs\/(sha(?:256|512):[a-f0-9]+)$/

/**
 * A loopback front for a test registry that forwards everything to it, except what the options change.
 * The real registry still does the work (auth, content, digests); the gate only plays the parts of ECR
 * a local registry cannot: refusing blob downloads to a role that may read manifests, and handing
 * blobs out as signed links to another host.
 */
export async function startRegistryGate(registry: TestRegistry, options: GateOptions = {}): Promise<RegistryGate> {
  if (!registry.url.startsWith('http://')) throw new Error('The registry gate forwards to plain-http test registries only')
  const requests: SeenRequest[] = []
  const storageRequests: SeenRequest[] = []
  const signature = randomBytes(16).toString('hex')
  const upstream = new URL(registry.url)
  const seen = (req: IncomingMessage): SeenRequest => ({
    method: req.method ?? '',
    path: req.url ?? '',
    authorized: req.headers.authorization !== undefined
  })

  // Plays S3: a signed link is the only credential it takes, and it refuses a second one as S3 does.
  const storage = await listen(async (req, res) => {
    const request = seen(req)
    storageRequests.push(request)
    const url = new URL(request.path, 'http://storage')
    const blob = /^\/bucket\/(.+)\/(sha(?:256|512):[a-f0-9]+)$/.exec(url.pathname)
    if (request.authorized)
      return send(res, { status: 400, body: '<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>' })
    if (!blob || url.searchParams.get('X-Amz-Signature') !== signature) return send(res, { status: 403, body: '<Error><Code>AccessDenied</Code></Error>' })
    const answer = await fetch(`${registry.url}/v2/${blob[1]}/blobs/${blob[2]}`, { headers: { authorization: `Basic ${registry.authorizationToken}` } })
    const body = Buffer.from(await answer.arrayBuffer())
    res.writeHead(answer.status, { 'content-type': 'application/octet-stream', 'content-length': String(body.length) }).end(body)
  })

  const gate = await listen((req, res) => {
    const request = seen(req)
    requests.push(request)
    const own = options.answer?.(request)
    if (own) return send(res, own)
    const blob = req.method === 'GET' || req.method === 'HEAD' ? BLOB_PATH.exec(request.path) : null
    const policy = options.blobs ?? 'forward'
    if (blob && policy === 'refuse') {
      // The CNCF registry's own wording for DENIED: it names no IAM action, so a message that does was written by the action.
      return send(res, {
        status: 403,
        headers: { 'content-type': 'application/json' },
        body: '{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'
      })
    }
    if (blob && policy === 'redirect') {
      return send(res, { status: 307, headers: { location: `${storage.url}/bucket/${blob[1]}/${blob[2]}?X-Amz-Signature=${signature}` } })
    }
    if (blob && typeof policy === 'object') return send(res, { status: 307, headers: { location: policy.location } })
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    forwarded.on('error', () => res.destroy())
    req.pipe(forwarded)
  })

  return {
    url: gate.url,
    host: new URL(gate.url).host,
    requests,
    storageRequests,
    close: async () => {
      await Promise.all([gate.close(), storage.close()])
    }
  }
}

function send(res: ServerResponse, answer: GateAnswer): void {
  res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '')
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<{ url: string; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    Promise.resolve(handler(req, res)).catch(() => res.destroy())
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}
