// @ts-check
// Amazon ECR, as far as GetAuthorizationToken goes: enough for the real AWS SDK
// (pointed here with AWS_ENDPOINT_URL_ECR) to sign, send and parse as it would in production.
import { Buffer } from 'node:buffer'
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import { closeServer, listen, parseJson, readBody, recordConnections } from './http-server.js'

const TARGET = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken'
const CONTENT_TYPE = 'application/x-amz-json-1.1'
const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000

/**
 * What the next answer should go wrong with.
 * @typedef {'throttling' | 'access-denied' | 'expired-token' | 'server-error'
 *   | 'no-authorization-data' | 'bad-token' | 'expired'} EcrFault
 */

/**
 * @typedef {object} EcrRequest
 * @property {string | undefined} target         the X-Amz-Target header
 * @property {string | undefined} authorization  the SigV4 Authorization header
 * @property {string | undefined} accessKeyId    who signed: the key id in its Credential scope
 * @property {string | undefined} securityToken  the X-Amz-Security-Token header, sent with temporary credentials
 * @property {unknown} body                      parsed JSON, or the raw text when it is not JSON
 */

/**
 * @typedef {object} EcrEmulatorOptions
 * @property {string} [accountId]  default '123456789012'
 * @property {string} [region]     default 'us-east-1'; requests signed for another region are refused, as AWS does
 * @property {string} [password]   default: a fresh random one, shaped and sized like a real ECR password
 * @property {string} [host]       default '127.0.0.1'
 * @property {number} [port]       default 0 (any free port)
 * @property {{key: string | Buffer, cert: string | Buffer}} [tls]
 *   serve https with this key and certificate (PEM), as the real endpoint does; default: plain http
 */

/**
 * @param {EcrEmulatorOptions} [options]
 */
export async function startEcrEmulator(options = {}) {
  const accountId = options.accountId ?? '123456789012'
  const region = options.region ?? 'us-east-1'
  // Whole seconds, so the Date the SDK builds from the answer equals this one exactly.
  const expiresAt = new Date(Math.floor((Date.now() + TOKEN_LIFETIME_MS) / 1000) * 1000)
  const password = options.password ?? fakePassword(expiresAt)
  const authorizationToken = Buffer.from(`AWS:${password}`).toString('base64')
  const proxyEndpoint = `https://${accountId}.dkr.ecr.${region}.amazonaws.com`

  /** @type {EcrRequest[]} */
  const requests = []
  /** @type {EcrFault[]} */
  const faults = []
  /** @type {Promise<unknown>} */
  let held = Promise.resolve()

  /**
   * @param {string} raw
   * @param {import('node:http').IncomingHttpHeaders} headers
   * @returns {{status: number, body: object}}
   */
  function answer(raw, headers) {
    const authorization = headers.authorization
    if (!authorization?.startsWith('AWS4-HMAC-SHA256 Credential=')) {
      return awsError('UnrecognizedClientException', 'The security token included in the request is invalid.')
    }
    // Credential=<key id>/<date>/<region>/<service>/aws4_request
    const [, , scopeRegion, scopeService] = authorization.slice(28).split(',')[0].split('/')
    if (scopeRegion !== region) {
      return awsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${scopeRegion}'.`)
    }
    if (scopeService !== 'ecr') {
      return awsError('InvalidSignatureException', "Credential should be scoped to correct service: 'ecr'.")
    }
    if (headers['x-amz-target'] !== TARGET) {
      return awsError('UnknownOperationException', `Operation ${headers['x-amz-target']} is not served by this emulator`)
    }
    if (parseJson(raw) === undefined) {
      return awsError('SerializationException', 'Start of structure or map found where not expected.')
    }

    const fault = faults.shift()
    switch (fault) {
      case 'throttling':
        return awsError('ThrottlingException', 'Rate exceeded')
      case 'access-denied':
        return awsError(
          'AccessDeniedException',
          `User: arn:aws:sts::${accountId}:assumed-role/github-actions-ecr/GitHubActions is not authorized to perform: ` +
            'ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action'
        )
      case 'expired-token':
        return awsError('ExpiredTokenException', 'The security token included in the request is expired')
      case 'server-error':
        return awsError('ServerException', 'We encountered an internal error. Please try again.', 500)
      case 'no-authorization-data':
        return { status: 200, body: { authorizationData: [] } }
      case 'bad-token':
        return tokenAnswer(Buffer.from(`not-a-docker-login-${password.slice(0, 16)}`).toString('base64'), expiresAt)
      case 'expired':
        return tokenAnswer(authorizationToken, new Date(Date.now() - 60 * 60 * 1000))
      default:
        return tokenAnswer(authorizationToken, expiresAt)
    }
  }

  /**
   * @param {string} token
   * @param {Date} expiry
   */
  function tokenAnswer(token, expiry) {
    return { status: 200, body: { authorizationData: [{ authorizationToken: token, expiresAt: expiry.getTime() / 1000, proxyEndpoint }] } }
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  const handle = (req, res) => {
    readBody(req)
      .then(async raw => {
        await held
        requests.push({
          target: single(req.headers['x-amz-target']),
          authorization: req.headers.authorization,
          accessKeyId: /^AWS4-HMAC-SHA256 Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1],
          securityToken: single(req.headers['x-amz-security-token']),
          body: parseJson(raw) ?? raw
        })
        const { status, body } =
          req.method === 'POST' && req.url === '/'
            ? answer(raw, req.headers)
            : awsError('UnknownOperationException', `${req.method} ${req.url} is not an ECR operation`, 404)
        /** @type {Record<string, string>} */
        const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() }
        if ('__type' in body) headers['x-amzn-errortype'] = String(body.__type)
        res.writeHead(status, headers).end(JSON.stringify(body))
      })
      .catch(() => res.destroy())
  }
  const server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handle) : createServer(handle)
  const connections = recordConnections(server)
  const url = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0, options.tls ? 'https' : 'http')

  return {
    url,
    accountId,
    region,
    password,
    authorizationToken,
    expiresAt,
    requests,
    /** Every client connection and the requests it carried (see recordConnections). */
    connections,
    /**
     * Make the next `times` GetAuthorizationToken calls go wrong; later calls succeed again.
     * Faults queue up in the order given.
     * @param {EcrFault} kind
     * @param {number} [times]
     */
    fail(kind, times = 1) {
      for (let i = 0; i < times; i++) faults.push(kind)
    },
    /**
     * Hold every answer until `gate` settles: a test sees what the client does while it waits for ECR,
     * by the order of events rather than by a clock.
     * @param {Promise<unknown>} gate
     */
    holdAnswersUntil(gate) {
      held = gate
    },
    /** @returns {Promise<void>} */
    close: () => closeServer(server)
  }
}

/**
 * A JSON 1.1 error as AWS sends it: the SDK names its exception after `__type`
 * (falling back to the x-amzn-ErrorType header) and takes `message` as the message.
 * @param {string} type
 * @param {string} message
 * @param {number} [status]
 */
function awsError(type, message, status = 400) {
  return { status, body: { __type: type, message } }
}

/**
 * A real ECR password is base64 of a JSON envelope (payload, datakey, ...) and runs to a few
 * thousand characters with '+', '/' and '='; a look-alike exercises the same length and escaping paths.
 * @param {Date} expiresAt
 */
function fakePassword(expiresAt) {
  const envelope = {
    payload: randomBytes(1024).toString('base64'),
    datakey: randomBytes(200).toString('base64'),
    version: '2',
    type: 'DATA_KEY',
    expiration: Math.floor(expiresAt.getTime() / 1000)
  }
  return Buffer.from(JSON.stringify(envelope)).toString('base64')
}

/** @param {string | string[] | undefined} value */
function single(value) {
  return Array.isArray(value) ? value[0] : value
}
