// @ts-check
// AWS Secrets Manager, as far as GetSecretValue goes: what the Lambda handler calls to read the Pipecat Cloud
// key. Pointed here with AWS_ENDPOINT_URL_SECRETS_MANAGER, the real AWS SDK signs, sends and parses as in
// production (the JSON 1.1 protocol). It answers the secrets it holds by ARN, refuses the others as AWS
// does, and records every request so a test can count them.
import { Buffer } from 'node:buffer'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { closeServer, listen, parseJson, readBody } from './http-server.js'

const TARGET = 'secretsmanager.GetSecretValue'
const CONTENT_TYPE = 'application/x-amz-json-1.1'

/**
 * What the next answer should go wrong with.
 * @typedef {'access-denied' | 'kms-denied' | 'decryption-failure' | 'server-error'} SecretsManagerFault
 */

/**
 * @typedef {object} SecretsManagerRequest
 * @property {string | undefined} target         the X-Amz-Target header
 * @property {string | undefined} signedRegion   the region in the SigV4 Credential scope
 * @property {string | undefined} signedService  the service in the SigV4 Credential scope
 * @property {string | undefined} secretId       the SecretId asked for
 */

/**
 * @typedef {object} StoredSecret
 * @property {string} [secretString]  absent: a secret that holds binary data only
 */

/**
 * @typedef {object} SecretsManagerEmulatorOptions
 * @property {string} [region]     default 'us-east-1'; requests signed for another region are refused, as AWS does
 * @property {string} [accountId]  default '123456789012'
 */

/** @param {SecretsManagerEmulatorOptions} [options] */
export async function startSecretsManagerEmulator(options = {}) {
  const region = options.region ?? 'us-east-1'
  const accountId = options.accountId ?? '123456789012'
  /** @type {Map<string, StoredSecret>} */
  const secrets = new Map()
  /** ARNs the caller's role may not read: AccessDeniedException, as an IAM policy without them would give. */
  const denied = new Set()
  /** @type {SecretsManagerRequest[]} */
  const requests = []
  /** @type {SecretsManagerFault[]} */
  const faults = []

  /**
   * @param {string} raw
   * @param {import('node:http').IncomingHttpHeaders} headers
   * @returns {{status: number, body: Record<string, unknown>}}
   */
  function answer(raw, headers) {
    const authorization = headers.authorization
    if (!authorization?.startsWith('AWS4-HMAC-SHA256 Credential=')) {
      return awsError('UnrecognizedClientException', 'The security token included in the request is invalid.')
    }
    const [, , scopeRegion, scopeService] = authorization.slice(28).split(',')[0].split('/')
    if (scopeRegion !== region) return awsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${scopeRegion}'.`)
    if (scopeService !== 'secretsmanager') return awsError('InvalidSignatureException', "Credential should be scoped to correct service: 'secretsmanager'.")
    if (headers['x-amz-target'] !== TARGET) return awsError('UnknownOperationException', `Operation ${headers['x-amz-target']} is not served by this emulator`)
    const body = parseJson(raw)
    const secretId = /** @type {{SecretId?: unknown}} */ (body)?.SecretId
    if (typeof secretId !== 'string') return awsError('InvalidParameterException', 'SecretId is required.')
    const caller = `arn:aws:sts::${accountId}:assumed-role/pipecat-ecr-refresh/pipecat-ecr-refresh`
    switch (faults.shift()) {
      case 'access-denied':
        return deniedError(caller, secretId)
      case 'kms-denied':
        return awsError('AccessDeniedException', 'Access to KMS is not allowed')
      case 'decryption-failure':
        return awsError('DecryptionFailure', "Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
      case 'server-error':
        return awsError('InternalServiceError', 'An error occurred on the server side.', 500)
    }
    if (denied.has(secretId)) return deniedError(caller, secretId)
    const stored = secrets.get(secretId)
    if (!stored) return awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.")
    const name = secretId.split(':secret:')[1]
    return {
      status: 200,
      body: {
        ARN: secretId,
        Name: name.replace(/-[A-Za-z0-9]{6}$/, ''),
        VersionId: randomUUID(),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(Date.now() / 1000),
        ...(stored.secretString === undefined ? { SecretBinary: Buffer.from('binary').toString('base64') } : { SecretString: stored.secretString })
      }
    }
  }

  const server = createServer((req, res) => {
    readBody(req)
      .then(raw => {
        const scope = /^AWS4-HMAC-SHA256 Credential=[^/]+\/[^/]+\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? '')
        const target = req.headers['x-amz-target']
        requests.push({
          target: Array.isArray(target) ? target[0] : target,
          signedRegion: scope?.[1],
          signedService: scope?.[2],
          secretId: /** @type {{SecretId?: string} | undefined} */ (parseJson(raw))?.SecretId
        })
        const { status, body } =
          req.method === 'POST' && req.url === '/'
            ? answer(raw, req.headers)
            : awsError('UnknownOperationException', `${req.method} ${req.url} is not an operation`, 404)
        /** @type {Record<string, string>} */
        const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() }
        if ('__type' in body) headers['x-amzn-errortype'] = String(body.__type)
        res.writeHead(status, headers).end(JSON.stringify(body))
      })
      .catch(() => res.destroy())
  })
  const url = await listen(server, '127.0.0.1', 0, 'http')

  return {
    url,
    region,
    accountId,
    requests,
    /**
     * Stores a secret and returns its ARN (with the 6-character suffix AWS adds).
     * @param {string} name
     * @param {string | undefined} secretString  undefined: a secret with binary data only
     */
    put(name, secretString) {
      const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomUUID().replace(/-/g, '').slice(0, 6)}`
      secrets.set(arn, { secretString })
      return arn
    },
    /** @param {string} arn  a secret the caller's role may not read */
    deny(arn) {
      denied.add(arn)
    },
    /**
     * Make the next `times` calls go wrong; later calls succeed again.
     * @param {SecretsManagerFault} kind
     * @param {number} [times]
     */
    fail(kind, times = 1) {
      for (let i = 0; i < times; i++) faults.push(kind)
    },
    /** @returns {Promise<void>} */
    close: () => closeServer(server)
  }
}

/**
 * @param {string} caller
 * @param {string} secretId
 */
function deniedError(caller, secretId) {
  return awsError(
    'AccessDeniedException',
    `User: ${caller} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretId} because no identity-based policy allows the secretsmanager:GetSecretValue action`
  )
}

/**
 * A JSON 1.1 error as AWS sends it: the SDK names its exception after `__type`.
 * @param {string} type
 * @param {string} message
 * @param {number} [status]
 * @returns {{status: number, body: Record<string, unknown>}}
 */
function awsError(type, message, status = 400) {
  return { status, body: { __type: type, message } }
}
