import { createHash } from 'node:crypto'
import { ActionError } from '../common/errors.js'
import type { HttpClient, HttpResponse } from '../http/http.js'
import type { ImageRef } from '../common/image.js'
import { isLoopback } from '../common/inputs.js'
import { trackSecret } from '../common/redact.js'
import { errorFields, isObject, jsonShape, NOT_JSON, parseJson, SHAPES, shaped, untrusted } from '../common/untrusted.js'

/** What the registry said about the image, asked with the credentials Pipecat Cloud will pull with. */
export interface ImageCheck {
  digest: string
  mediaType: string
  /** `os/architecture[/variant]`, sorted; attestation entries (unknown/unknown) left out. */
  platforms: string[]
  /** The linux/arm64 manifest that was read: the index's entry for it, or the image's own manifest. */
  platformManifest: string
  /** The config blob that was downloaded, as a puller does before the layers. */
  configBlob: string
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const INDEX_TYPES = [OCI_INDEX, DOCKER_LIST]
const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST]
const KNOWN_TYPES = [...INDEX_TYPES, ...MANIFEST_TYPES]
const IMAGE_CONFIG_TYPES = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']
// The same lists a puller sends: without them a registry may answer with an older schema or refuse.
const ACCEPT_ANY = KNOWN_TYPES.join(', ')
const ACCEPT_MANIFEST = MANIFEST_TYPES.join(', ')

const SERVICE = 'the registry'
const STORAGE = "the registry's blob storage"
const BUILD_HINT = 'docker buildx build --platform linux/arm64'
const NO_PROXY_HINT = "check that the registry input names the ECR registry and that no proxy answers in the registry's place, then rerun"
/** Shown in place of a platform part that is not a plain name; parentheses keep it from passing for one. */
const INVALID = '(invalid)'

/** Platform parts as read from the registry: each a valid name, INVALID, or absent. */
interface Platform {
  os?: string
  architecture?: string
  variant?: string
}

interface Repository {
  http: HttpClient
  image: ImageRef
  url: string
  authorization: string
}

interface Manifest {
  digest: string
  mediaType: string
  json: Record<string, unknown>
}

/**
 * Pulls the image's metadata as Pipecat Cloud will, with the same credentials: the manifest (for an
 * index, its linux/arm64 entry's manifest) and the config blob, through the download link the registry
 * hands out. So a token that may read manifests but not download layers fails here, not in production.
 * Fails with an ActionError that names the cause and the fix.
 */
export async function verifyImage(http: HttpClient, args: { registryUrl: string; image: ImageRef; authorizationToken: string }): Promise<ImageCheck> {
  // Registered here too, so no registry answer that echoes it can carry it into a message.
  trackSecret(args.authorizationToken)
  const { image } = args
  const repo: Repository = {
    http,
    image,
    url: `${args.registryUrl.replace(/\/+$/, '')}/v2/${image.repository}`,
    authorization: `Basic ${args.authorizationToken}`
  }

  const top = await getManifest(repo, image.reference, ACCEPT_ANY, 'the manifest')
  if (image.digest && top.digest !== image.digest) {
    throw new ActionError(
      `The registry ${image.registry} answered with manifest ${top.digest} when asked for ${image.digest}; a proxy or cache between the runner and the registry may be serving other content: check the runner's proxy settings, then rerun.`
    )
  }

  if (INDEX_TYPES.includes(top.mediaType)) {
    const { platforms, entry } = pickArm64(image, top.json)
    const child = await getManifest(repo, entry, ACCEPT_MANIFEST, `the linux/arm64 manifest ${entry}`)
    if (child.digest !== entry) throw altered(image, `the linux/arm64 manifest ${entry}`, child.digest)
    if (!MANIFEST_TYPES.includes(child.mediaType)) {
      throw unreadable(image, 'an image index', `its linux/arm64 entry is of media type "${untrusted(child.mediaType, 100)}", not an image manifest`)
    }
    const config = await readConfig(repo, child.json)
    return { digest: top.digest, mediaType: top.mediaType, platforms, platformManifest: child.digest, configBlob: config.digest }
  }
  if (MANIFEST_TYPES.includes(top.mediaType)) {
    const config = await readConfig(repo, top.json)
    const found = [platformName(config.platform)]
    if (!isArm64(config.platform)) throw notArm64(image, found)
    return { digest: top.digest, mediaType: top.mediaType, platforms: found, platformManifest: top.digest, configBlob: config.digest }
  }
  throw new ActionError(
    `${image.full} has media type "${untrusted(top.mediaType, 100) || 'none'}", which is not an image index or image manifest Pipecat Cloud can pull; push a container image to it (${BUILD_HINT} -t <image> --push .), then rerun.`
  )
}

async function getManifest(repo: Repository, reference: string, accept: string, what: string): Promise<Manifest> {
  const { image } = repo
  const answer = await repo.http.send(
    { method: 'GET', url: `${repo.url}/manifests/${reference}`, headers: { authorization: repo.authorization, accept } },
    { service: SERVICE }
  )
  if (answer.status === 404) {
    if (reference !== image.reference) {
      throw new ActionError(
        `The image index of ${image.full} names ${what}, which the registry ${image.registry} does not have, so the image cannot be pulled; push the image again, then rerun.`
      )
    }
    throw await notFound(repo, answer)
  }
  if (answer.status !== 200) throw unexpectedStatus(image, answer, what)

  const digest = contentDigest(image, answer, reference, what)
  const json = readJson(answer, image, 'a manifest')
  const contentType = (answer.headers['content-type'] ?? '').split(';')[0].trim()
  const declared = typeof json.mediaType === 'string' ? json.mediaType : contentType
  return { digest, mediaType: KNOWN_TYPES.includes(contentType) ? contentType : declared, json }
}

/**
 * The digest of the bytes received. The Docker-Content-Digest header is only a claim about them: it
 * must be a digest and name these bytes, or something between us and the registry changed them.
 */
function contentDigest(image: ImageRef, answer: HttpResponse, reference: string, what: string): string {
  const header = answer.headers['docker-content-digest']
  const actual = digestOf(answer.body, [header, reference].some(claim => claim?.startsWith('sha512:')) ? 'sha512' : 'sha256')
  if (header === undefined) return actual
  if (!shaped(header, SHAPES.digest)) {
    // The odd value is not shown: it is the kind of text that turns into markup or a command downstream.
    throw new ActionError(
      `The registry ${image.registry} answered for ${what} of ${image.full} with a Docker-Content-Digest header that is not a digest; ${NO_PROXY_HINT}.`
    )
  }
  if (header !== actual) throw altered(image, what, actual, header)
  return actual
}

function altered(image: ImageRef, what: string, actual: string, claimed?: string): ActionError {
  const instead = claimed ? `, not the ${claimed} its Docker-Content-Digest header names` : ''
  return new ActionError(
    `The registry ${image.registry} sent ${what} of ${image.full} as content with digest ${actual}${instead}; a proxy or cache between the runner and the registry may be altering it: check the runner's proxy settings, then rerun.`
  )
}

/**
 * An index must have a linux/arm64 entry, which is read next. Like containerd on an arm64 host, an
 * entry with variant v8 and one with no variant are the same platform, and the first in the index wins.
 */
function pickArm64(image: ImageRef, index: Record<string, unknown>): { platforms: string[]; entry: string } {
  if (!Array.isArray(index.manifests)) throw unreadable(image, 'an image index', 'it has no "manifests" list')
  const entries = index.manifests.map((entry: unknown, at) => {
    if (!isObject(entry)) throw unreadable(image, 'an image index', `entry ${at + 1} of its "manifests" list is ${untrusted(entry, 40)}, not an object`)
    return { digest: entry.digest, platform: readPlatform(entry.platform) }
  })
  // Attestations (buildx provenance, SBOMs) sit in the index as unknown/unknown: they are not platforms.
  const names = entries.map(entry => platformName(entry.platform)).filter(name => name !== 'unknown/unknown')
  const platforms = [...new Set(names)].sort()
  const chosen = entries.find(entry => isArm64(entry.platform))
  if (!chosen) throw notArm64(image, platforms)
  const digest = shaped(chosen.digest, SHAPES.digest)
  if (!digest) throw unreadable(image, 'an image index', `its linux/arm64 entry's digest ${untrusted(chosen.digest, 80)} is not a digest`)
  return { platforms, entry: digest }
}

/** The config blob names the platform the image was built for; downloading it is what a pull needs the most. */
async function readConfig(repo: Repository, manifest: Record<string, unknown>): Promise<{ digest: string; platform: Platform }> {
  const { image } = repo
  const config = manifest.config
  if (!isObject(config) || config.digest === undefined) throw unreadable(image, 'an image manifest', 'it names no config blob')
  const digest = shaped(config.digest, SHAPES.digest)
  if (!digest) throw unreadable(image, 'an image manifest', `its config blob digest ${untrusted(config.digest, 80)} is not a digest`)
  if (typeof config.mediaType === 'string' && !IMAGE_CONFIG_TYPES.includes(config.mediaType)) {
    throw new ActionError(
      `${image.full} is not a container image (its config has media type "${untrusted(config.mediaType, 100)}"), so Pipecat Cloud cannot run it; push a container image to it (${BUILD_HINT} -t <image> --push .), then rerun.`
    )
  }
  const answer = await downloadBlob(repo, digest)
  const actual = digestOf(answer.body, digest.startsWith('sha512:') ? 'sha512' : 'sha256')
  if (actual !== digest) {
    throw new ActionError(
      `The config blob ${digest} of ${image.full} arrived as content with digest ${actual}; a proxy or cache between the runner and the registry may be altering it: check the runner's proxy settings, then rerun.`
    )
  }
  return { digest, platform: readPlatform(readJson(answer, image, 'an image config')) }
}

async function downloadBlob(repo: Repository, digest: string): Promise<HttpResponse> {
  const { image } = repo
  const blobUrl = `${repo.url}/blobs/${digest}`
  const answer = await repo.http.send({ method: 'GET', url: blobUrl, headers: { authorization: repo.authorization } }, { service: SERVICE })
  if (answer.status === 401 || answer.status === 403) {
    const detail = registryError(answer.body)
    throw new ActionError(
      `The registry ${image.registry} let the ECR token read the manifest of ${image.full} but refused to download its config blob (${answer.status}${detail ? `: ${detail}` : ''}): the IAM identity that asked for the token, which is the identity Pipecat Cloud pulls with, lacks ecr:GetDownloadUrlForLayer on repository ${image.repository}; allow it that action (the managed policy AmazonEC2ContainerRegistryReadOnly has it), then rerun.`
    )
  }
  if (answer.status === 404) {
    throw new ActionError(
      `The registry ${image.registry} lists config blob ${digest} for ${image.full} but does not have it, so the image cannot be pulled; push the image again, then rerun.`
    )
  }
  const location = answer.headers.location
  if (isRedirect(answer.status) && location !== undefined) {
    // ECR hands blobs out as pre-signed S3 links. The link carries its own signature: S3 refuses a
    // request that also has an Authorization header, and the token has no business leaving the registry.
    // undici does not follow redirects by default, and one hop is all a registry needs.
    const target = redirectTarget(image, location, blobUrl)
    const stored = await repo.http.send({ method: 'GET', url: target.href }, { service: STORAGE })
    if (stored.status !== 200) {
      throw new ActionError(
        `The registry ${image.registry} sent the config blob of ${image.full} to ${untrusted(target.host, 100)}, which answered ${stored.status}; the download link may have expired on the way or the runner may not reach that host: check the runner's network and proxy settings, then rerun.`
      )
    }
    return stored
  }
  if (answer.status !== 200) throw unexpectedStatus(image, answer, `config blob ${digest}`)
  return answer
}

/**
 * Only https leaves the machine: a plain-http link would expose the download to the network, and other
 * schemes (file:, data:, ftp:) are no blob store. Plain http stays allowed to this machine itself.
 */
function redirectTarget(image: ImageRef, location: string, base: string): URL {
  let target: URL | undefined
  try {
    target = new URL(location, base)
  } catch {
    target = undefined
  }
  if (target && (target.protocol === 'https:' || (target.protocol === 'http:' && isLoopback(target.hostname)))) return target
  // Only the scheme and host are shown: the rest of a download link is its signature.
  const shown = target ? `${target.protocol}${target.host ? `//${target.host}` : ''}` : location
  const why = target ? 'which is not an https address' : 'which is not a URL'
  throw new ActionError(
    `The registry ${image.registry} sent the config blob of ${image.full} to "${untrusted(shown, 100)}", ${why}, so it was not followed; ${NO_PROXY_HINT}.`
  )
}

async function notFound(repo: Repository, answer: HttpResponse): Promise<ActionError> {
  const { image } = repo
  const codes = errorCodes(answer.body)
  const what = image.digest ? `digest ${image.digest}` : `tag ${image.reference}`
  if (codes.includes('NAME_UNKNOWN') || (codes.includes('MANIFEST_UNKNOWN') && (await repositoryIsUnknown(repo)))) {
    return new ActionError(
      `Repository ${image.repository} was not found in the registry ${image.registry}: check the image input's repository name and the registry's account and region, or create the repository and push the image, then rerun.`
    )
  }
  if (codes.includes('MANIFEST_UNKNOWN')) {
    return new ActionError(
      `The ${what} was not found in repository ${image.repository} in the registry ${image.registry}: push the image${image.digest ? '' : ` with that tag (${BUILD_HINT} -t ${image.full} --push .)`} or correct the image input, then rerun.`
    )
  }
  return new ActionError(
    `The registry ${image.registry} answered 404 for ${image.full}: check that repository ${image.repository} exists and holds ${what}, then rerun.`
  )
}

/**
 * ECR says NAME_UNKNOWN for a missing repository, but registries built on the CNCF distribution say
 * MANIFEST_UNKNOWN; their tag list still tells the two apart. Anything but a clear NAME_UNKNOWN
 * (no permission to list tags, say) leaves the message about the tag, which is then the likelier cause.
 */
async function repositoryIsUnknown(repo: Repository): Promise<boolean> {
  try {
    const answer = await repo.http.send(
      { method: 'GET', url: `${repo.url}/tags/list?n=1`, headers: { authorization: repo.authorization } },
      { service: SERVICE }
    )
    return answer.status === 404 && errorCodes(answer.body).includes('NAME_UNKNOWN')
  } catch {
    return false
  }
}

function unexpectedStatus(image: ImageRef, answer: HttpResponse, what: string): ActionError {
  if (answer.status === 401 || answer.status === 403) {
    return new ActionError(
      `The registry ${image.registry} refused the ECR token (${answer.status}) when asked for ${what} of ${image.full}: the IAM identity that asked for the token, which is the identity Pipecat Cloud pulls with, may not pull repository ${image.repository}; allow it ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on that repository (the managed policy AmazonEC2ContainerRegistryReadOnly has both), then rerun.`
    )
  }
  const detail = registryError(answer.body)
  const fix =
    answer.status >= 500 || answer.status === 429 ? 'it is failing or limiting requests: rerun the workflow later' : 'check the image input, then rerun'
  return new ActionError(
    `The registry ${image.registry} answered ${answer.status}${detail ? ` (${detail})` : ''} when asked for ${what} of ${image.full}; ${fix}.`
  )
}

function notArm64(image: ImageRef, found: string[]): ActionError {
  const builtFor = found.length > 0 ? `built for ${found.join(', ')} only` : 'built for no platform the registry names'
  const target = image.tag ? `${image.registry}/${image.repository}:${image.tag}` : '<image>'
  return new ActionError(
    `${image.full} is ${builtFor}, but Pipecat Cloud runs linux/arm64 only: build and push it for arm64 with ${BUILD_HINT} -t ${target} --push . (add linux/amd64 to the platforms to keep both)${image.digest ? ', point the image input at the new digest' : ''}, then rerun.`
  )
}

function unreadable(image: ImageRef, what: string, why: string): ActionError {
  return new ActionError(
    `The registry ${image.registry} answered for ${image.full} with ${what} this action cannot read (${why}); check that the image input names a container image and that no proxy answers in the registry's place, then rerun.`
  )
}

function readJson(answer: HttpResponse, image: ImageRef, what: string): Record<string, unknown> {
  const parsed = parseJson(answer.body)
  if (parsed === NOT_JSON) {
    const contentType = untrusted(answer.headers['content-type'] ?? 'none', 100)
    const page = /html/i.test(contentType) || /^\s*</.test(answer.body.toString('utf8', 0, 256)) ? ': an HTML page, as a sign-in or proxy error page is' : ''
    throw unreadable(image, what, `not JSON, content type "${contentType}"${page}`)
  }
  if (isObject(parsed)) return parsed
  throw unreadable(image, what, `JSON ${jsonShape(parsed)}, not an object`)
}

/** The registry API's error body: {"errors": [{"code": "...", "message": "..."}]}. */
function parseErrors(body: Buffer): Record<string, unknown>[] {
  const parsed = parseJson(body)
  const errors = isObject(parsed) ? parsed.errors : undefined
  return Array.isArray(errors) ? errors.filter(isObject) : []
}

const errorCodes = (body: Buffer): string[] => parseErrors(body).map(error => String(error.code))

/** "CODE: message" of the first error, one short redacted line; empty when the body says nothing usable. */
function registryError(body: Buffer): string {
  const { code, message } = errorFields(body)
  return [code, message].filter(Boolean).join(': ')
}

/** Each part a plain name, INVALID, or absent: server text never passes on as a platform. */
function readPlatform(value: unknown): Platform {
  const platform = isObject(value) ? value : {}
  const part = (field: unknown): string | undefined => (field === undefined || field === '' ? undefined : (shaped(field, SHAPES.platformPart) ?? INVALID))
  return { os: part(platform.os), architecture: part(platform.architecture), variant: part(platform.variant) }
}

/** containerd's normalisation for an arm64 host: aarch64 is arm64, and v8 is the variant it assumes. */
const isArm64 = (platform: Platform): boolean =>
  platform.os === 'linux' && (platform.architecture === 'arm64' || platform.architecture === 'aarch64') && [undefined, 'v8', '8'].includes(platform.variant)

const platformName = (platform: Platform): string => [platform.os ?? 'unknown', platform.architecture ?? 'unknown', platform.variant].filter(Boolean).join('/')

const digestOf = (body: Buffer, algorithm: 'sha256' | 'sha512'): string => `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`
const isRedirect = (status: number): boolean => [301, 302, 303, 307, 308].includes(status)
