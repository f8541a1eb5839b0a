import { ActionError } from './errors.js'

export interface ImageRef {
  registry: string
  repository: string
  tag?: string
  digest?: string
  /** What a puller asks the registry's manifest endpoint for: the digest when there is one, else the tag. */
  reference: string
  /** `registry/repository:tag`, `registry/repository@digest`, or both: the form written to pcc-deploy.toml. */
  full: string
}

// The OCI distribution spec's grammar for names, tags and (for ECR) digests.
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/
const TAG = /^\w[\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/

/**
 * Reads an image reference and checks it lives in the registry the pull secret is for:
 * a pull secret for one registry does nothing for an image in another.
 * A reference without a registry (`my-agent:1.0`) means the pull secret's registry.
 */
export function parseImageReference(value: string, registryHost: string): ImageRef {
  const image = value.trim()
  const example = `${registryHost}/my-agent:1.0`
  if (image === '') {
    throw new ActionError(`Input image: the image reference is empty; give one such as ${example}.`)
  }
  // Credentials in front of the host would be echoed by every message below: refuse them unseen.
  if (/^(?:[a-z][a-z0-9+.-]*:\/\/)?[^/@]+@[^/]*\//i.test(image)) {
    throw new ActionError('Input image: the reference carries a user name or password; remove them: the pull secret holds the credentials.')
  }
  if (image.includes('://')) {
    throw new ActionError(`Input image: "${image}" starts with a URL scheme; drop it: ${image.replace(/^.*?:\/\//, '')}.`)
  }

  const [name, digest, ...extra] = image.split('@')
  const lastSlash = name.lastIndexOf('/')
  const colon = name.indexOf(':', lastSlash + 1)
  const path = colon === -1 ? name : name.slice(0, colon)
  const tag = colon === -1 ? undefined : name.slice(colon + 1)

  // Same rule as docker: a first component that looks like a host (a dot, a port, or localhost) is the registry.
  const firstSlash = path.indexOf('/')
  const first = firstSlash === -1 ? '' : path.slice(0, firstSlash)
  const hasRegistry = /[.:]/.test(first) || first === 'localhost'
  const registry = hasRegistry ? first.toLowerCase() : registryHost.toLowerCase()
  const repository = hasRegistry ? path.slice(firstSlash + 1) : path

  if (registry !== registryHost.toLowerCase()) {
    throw new ActionError(
      `Input image: "${image}" is in registry ${registry}, but the pull secret is for ${registryHost}, so Pipecat Cloud could not pull it with this secret; use an image in ${registryHost}, or a pull secret for ${registry}.`
    )
  }
  if (!REPOSITORY.test(repository)) {
    const hint = REPOSITORY.test(repository.toLowerCase()) ? `; repository names must be lowercase: "${repository.toLowerCase()}"` : ''
    throw new ActionError(
      `Input image: "${repository}" in "${image}" is not a valid repository name (lowercase letters, digits and . _ - separated by /)${hint}.`
    )
  }
  if (tag !== undefined && !TAG.test(tag)) {
    throw new ActionError(
      `Input image: the tag "${tag}" in "${image}" is not valid; a tag is 1 to 128 letters, digits, _ . or -, and does not start with . or -.`
    )
  }
  if (digest !== undefined && (extra.length > 0 || !DIGEST.test(digest))) {
    throw new ActionError(
      `Input image: the digest "${image.slice(name.length + 1)}" in "${image}" is not valid; write @sha256: followed by 64 lowercase hex characters.`
    )
  }
  if (tag === undefined && digest === undefined) {
    throw new ActionError(`Input image: "${image}" has no tag or digest; add :<tag> or @sha256:<digest>, e.g. ${registry}/${repository}:1.0.`)
  }

  const full = `${registry}/${repository}${tag === undefined ? '' : `:${tag}`}${digest === undefined ? '' : `@${digest}`}`
  const reference = digest ?? (tag as string)
  return { registry, repository, ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }), reference, full }
}
