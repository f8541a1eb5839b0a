// @ts-check
// An ECR registry as the image pre-flight reads it, in-process: manifests, image indexes and config blobs
// under /v2/, answered only to `Authorization: Basic <ECR authorization token>`, as ECR answers only to the
// token it issued. It holds image metadata, no layers: enough for `npm run demo` to show the pre-flight on
// a machine without docker-registry (the end-to-end suite uses the real one, __tests__/support/registry-server.ts).
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { closeServer, listen } from './http-server.js'

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'

/** @param {string} text */
const sha256 = text => `sha256:${createHash('sha256').update(text).digest('hex')}`

/**
 * @param {{ authorizationToken: string, host?: string }} options
 */
export async function startRegistryEmulator({ authorizationToken, host = '127.0.0.1' }) {
  /** @type {Map<string, {type: string, body: string}>} by digest */
  const blobs = new Map()
  /** @type {Map<string, {type: string, body: string, digest: string}>} by `repository@tag or digest` */
  const manifests = new Map()
  /** @type {Array<{method: string, path: string, authorized: boolean}>} */
  const requests = []

  /**
   * @param {string} repository
   * @param {string} reference
   * @param {string} type
   * @param {object} value
   */
  function storeManifest(repository, reference, type, value) {
    const body = JSON.stringify(value)
    const entry = { type, body, digest: sha256(body) }
    manifests.set(`${repository}@${entry.digest}`, entry)
    if (reference !== entry.digest) manifests.set(`${repository}@${reference}`, entry)
    return entry
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  function handle(req, res) {
    const path = new URL(req.url ?? '/', 'http://registry').pathname
    const authorized = req.headers.authorization === `Basic ${authorizationToken}`
    requests.push({ method: req.method ?? 'GET', path, authorized })
    const send = (/** @type {number} */ status, /** @type {string} */ body, /** @type {Record<string, string>} */ headers = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body)
    const error = (/** @type {number} */ status, /** @type {string} */ code, /** @type {string} */ message) =>
      send(status, JSON.stringify({ errors: [{ code, message }] }))

    if (!authorized) return error(401, 'UNAUTHORIZED', 'authentication required')
    const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(path)
    if (manifest) {
      const found = manifests.get(`${manifest[1]}@${manifest[2]}`)
      if (!found) return error(404, 'MANIFEST_UNKNOWN', 'manifest unknown')
      return send(200, found.body, { 'content-type': found.type, 'docker-content-digest': found.digest })
    }
    const blob = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(path)
    if (blob) {
      const found = blobs.get(blob[2])
      return found ? send(200, found.body, { 'content-type': 'application/octet-stream' }) : error(404, 'BLOB_UNKNOWN', 'blob unknown')
    }
    const tags = /^\/v2\/(.+)\/tags\/list$/.exec(path)
    if (tags) {
      const known = [...manifests.keys()].filter(key => key.startsWith(`${tags[1]}@`) && !key.includes('@sha256:'))
      if (known.length === 0) return error(404, 'NAME_UNKNOWN', 'repository name not known to registry')
      return send(200, JSON.stringify({ name: tags[1], tags: known.map(key => key.slice(tags[1].length + 1)) }))
    }
    return error(404, 'UNSUPPORTED', 'not served by this emulator')
  }

  const server = createServer(handle)
  const url = await listen(server, host, 0, 'http')

  return {
    url,
    /** host:port, as an image reference names the registry */
    host: new URL(url).host,
    requests,
    /**
     * Pushes an image's metadata: an OCI index with one manifest per platform (`linux/arm64`, ...), each
     * with its config blob. Returns the index's digest.
     * @param {string} repository
     * @param {string} tag
     * @param {string[]} platforms
     */
    pushImage(repository, tag, platforms) {
      const entries = platforms.map(platform => {
        const [os, architecture] = platform.split('/')
        const config = JSON.stringify({ architecture, os, rootfs: { type: 'layers', diff_ids: [] }, config: {} })
        const configDigest = sha256(config)
        blobs.set(configDigest, { type: OCI_CONFIG, body: config })
        const image = { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length }, layers: [] }
        const stored = storeManifest(repository, sha256(JSON.stringify(image)), OCI_MANIFEST, image)
        return { mediaType: OCI_MANIFEST, digest: stored.digest, size: stored.body.length, platform: { os, architecture } }
      })
      return storeManifest(repository, tag, OCI_INDEX, { schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }).digest
    },
    /** @returns {Promise<void>} */
    close: () => closeServer(server)
  }
}
