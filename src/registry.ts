import { createHash } from 'node:crypto'
import { ActionError } from './errors.js'
import type { HttpClient, HttpResponse } from './http.js'
import type { ImageRef } from './image.js'

/** What the registry said about the image, asked with the credentials Pipecat Cloud will pull with. */
export interface ImageCheck {
  digest: string
  mediaType: string
  /** `os/architecture[/variant]`, sorted; attestation entries (unknown/unknown) left out. */
  platforms: string[]
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const INDEX_TYPES = [OCI_INDEX, DOCKER_LIST]
const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST]
const KNOWN_TYPES = [...INDEX_TYPES, ...MANIFEST_TYPES]
const IMAGE_CONFIG_TYPES = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']
// The same list a puller sends: without it a registry may answer with an older schema or refuse.
const ACCEPT = KNOWN_TYPES.join(', ')

const SERVICE = 'the registry'
const BUILD_HINT = 'docker buildx build --platform linux/arm64'

interface Platform {
  os?: string
  architecture?: string
  variant?: string
}

/**
 * Asks the registry, as Pipecat Cloud will, for the image's manifest and checks it runs on linux/arm64,
 * the only platform Pipecat Cloud runs. Fails with an ActionError that names the cause and the fix.
 */
export async function verifyImage(
  http: HttpClient,
  args: { registryUrl: string; image: ImageRef; authorizationToken: string }
): Promise<ImageCheck> {
  const { registryUrl, image } = args
  const authorization = `Basic ${args.authorizationToken}`
  const repositoryUrl = `${registryUrl.replace(/\/+$/, '')}/v2/${image.repository}`

  const answer = await http.send(
    { method: 'GET', url: `${repositoryUrl}/manifests/${image.reference}`, headers: { authorization, accept: ACCEPT } },
    { service: SERVICE }
  )
  if (answer.status === 404) throw await notFound(http, image, answer, { repositoryUrl, authorization })
  if (answer.status !== 200) throw unexpectedStatus(image, answer, 'the manifest')

  const digest = answer.headers['docker-content-digest'] ?? `sha256:${createHash('sha256').update(answer.body).digest('hex')}`
  if (image.digest && digest !== image.digest) {
    throw new ActionError(
      `The registry ${image.registry} answered with manifest ${digest} when asked for ${image.digest}; a proxy or cache between the runner and the registry may be serving other content: check the runner's proxy settings, then rerun.`
    )
  }

  const manifest = readJson(answer, image, 'a manifest')
  const contentType = (answer.headers['content-type'] ?? '').split(';')[0].trim()
  const mediaType = KNOWN_TYPES.includes(contentType) ? contentType : String(manifest.mediaType ?? contentType)

  if (INDEX_TYPES.includes(mediaType)) {
    return { digest, mediaType, platforms: checkIndex(image, manifest) }
  }
  if (MANIFEST_TYPES.includes(mediaType)) {
    const config = await fetchImageConfig(http, image, manifest, { repositoryUrl, authorization })
    return { digest, mediaType, platforms: checkSinglePlatform(image, config) }
  }
  throw new ActionError(
    `${image.full} has media type "${mediaType || 'none'}", which is not an image index or image manifest Pipecat Cloud can pull; push a container image to it (${BUILD_HINT} -t <image> --push .), then rerun.`
  )
}

/** An index (multi-platform image) only has to list linux/arm64; Pipecat Cloud picks that entry. */
function checkIndex(image: ImageRef, index: Record<string, unknown>): string[] {
  if (!Array.isArray(index.manifests)) throw unreadable(image, 'an image index', 'it has no "manifests" list')
  const platforms = (index.manifests as { platform?: Platform }[]).map(entry => entry.platform ?? {})
  // Attestations (buildx provenance, SBOMs) sit in the index as unknown/unknown: they are not platforms.
  const names = platforms.map(platformName).filter(name => name !== 'unknown/unknown')
  const found = [...new Set(names)].sort()
  if (!platforms.some(isLinuxArm64)) throw notArm64(image, found)
  return found
}

function checkSinglePlatform(image: ImageRef, config: Platform): string[] {
  const found = [platformName(config)]
  if (!isLinuxArm64(config)) throw notArm64(image, found)
  return found
}

/** A single-platform image says its platform only in its config blob, so that one blob is read too. */
async function fetchImageConfig(
  http: HttpClient,
  image: ImageRef,
  manifest: Record<string, unknown>,
  repo: { repositoryUrl: string; authorization: string }
): Promise<Platform> {
  const config = manifest.config as { digest?: unknown; mediaType?: unknown } | undefined
  if (typeof config?.digest !== 'string') throw unreadable(image, 'an image manifest', 'it names no config blob')
  if (typeof config.mediaType === 'string' && !IMAGE_CONFIG_TYPES.includes(config.mediaType)) {
    throw new ActionError(
      `${image.full} is not a container image (its config has media type "${config.mediaType}"), so Pipecat Cloud cannot run it; push a container image to it (${BUILD_HINT} -t <image> --push .), then rerun.`
    )
  }

  const blobUrl = `${repo.repositoryUrl}/blobs/${config.digest}`
  const answer = await http.send({ method: 'GET', url: blobUrl, headers: { authorization: repo.authorization } }, { service: SERVICE })
  if (answer.status === 404) {
    throw new ActionError(
      `The registry ${image.registry} lists config blob ${config.digest} for ${image.full} but does not have it, so the image cannot be pulled; push the image again, then rerun.`
    )
  }
  if (isRedirect(answer.status) && answer.headers.location) {
    // ECR hands blobs out as pre-signed S3 links. The link carries its own signature: S3 refuses a
    // request that also has an Authorization header, and the token has no business leaving the registry.
    // undici does not follow redirects by default, and one hop is all a registry needs.
    const target = new URL(answer.headers.location, blobUrl)
    const stored = await http.send({ method: 'GET', url: target.href }, { service: "the registry's blob storage" })
    if (stored.status !== 200) {
      throw new ActionError(
        `The registry ${image.registry} sent the config blob of ${image.full} to ${target.host}, which answered ${stored.status}; the download link may have expired on the way or the runner may not reach that host: check the runner's network and proxy settings, then rerun.`
      )
    }
    return readJson(stored, image, 'an image config') as Platform
  }
  if (answer.status !== 200) throw unexpectedStatus(image, answer, `config blob ${config.digest}`)
  return readJson(answer, image, 'an image config') as Platform
}

async function notFound(
  http: HttpClient,
  image: ImageRef,
  answer: HttpResponse,
  repo: { repositoryUrl: string; authorization: string }
): Promise<ActionError> {
  const codes = errorCodes(answer.body)
  const what = image.digest ? `digest ${image.digest}` : `tag ${image.reference}`
  if (codes.includes('NAME_UNKNOWN') || (codes.includes('MANIFEST_UNKNOWN') && (await repositoryIsUnknown(http, repo)))) {
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
async function repositoryIsUnknown(http: HttpClient, repo: { repositoryUrl: string; authorization: string }): Promise<boolean> {
  try {
    const answer = await http.send(
      { method: 'GET', url: `${repo.repositoryUrl}/tags/list?n=1`, headers: { authorization: repo.authorization } },
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
  const detail = registryErrors(answer.body)
  const fix = answer.status >= 500 || answer.status === 429 ? 'it is failing or limiting requests: rerun the workflow later' : 'check the image input, then rerun'
  return new ActionError(`The registry ${image.registry} answered ${answer.status}${detail} when asked for ${what} of ${image.full}; ${fix}.`)
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
  let parsed: unknown
  try {
    parsed = JSON.parse(answer.body.toString('utf8'))
  } catch {
    throw unreadable(image, what, `not JSON, content type "${answer.headers['content-type'] ?? 'none'}"`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw unreadable(image, what, 'not a JSON object')
  return parsed as Record<string, unknown>
}

/** The registry API's error body: {"errors": [{"code": "...", "message": "..."}]}. */
function parseErrors(body: Buffer): { code?: unknown; message?: unknown }[] {
  try {
    const errors = (JSON.parse(body.toString('utf8')) as { errors?: unknown }).errors
    return Array.isArray(errors) ? errors : []
  } catch {
    return []
  }
}

const errorCodes = (body: Buffer): string[] => parseErrors(body).map(error => String(error.code))

/** " (CODE: message)" for a message, kept to one short line; empty when the body says nothing usable. */
function registryErrors(body: Buffer): string {
  const first = parseErrors(body)[0]
  if (!first) return ''
  const text = [first.code, first.message].filter(part => typeof part === 'string' && part !== '').join(': ')
  const oneLine = text.replace(/\s+/g, ' ').trim().slice(0, 200)
  return oneLine ? ` (${oneLine})` : ''
}

const isRedirect = (status: number): boolean => [301, 302, 303, 307, 308].includes(status)
const isLinuxArm64 = (platform: Platform): boolean => platform.os === 'linux' && platform.architecture === 'arm64'
const platformName = (platform: Platform): string =>
  [platform.os ?? 'unknown', platform.architecture ?? 'unknown', platform.variant].filter(Boolean).join('/')
