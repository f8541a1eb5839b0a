// @ts-check
// AWS STS, as far as AssumeRoleWithWebIdentity goes: the call the AWS SDK's web identity step makes with
// AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (GitLab CI's OIDC, EKS IRSA). Pointed here with
// AWS_ENDPOINT_URL_STS, it checks the token and the role as a trust policy would, and answers with
// temporary credentials in the Query protocol's XML, which the SDK then signs ECR requests with.
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { URLSearchParams } from 'node:url'
import { closeServer, listen, readBody } from './http-server.js'

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/'
const SESSION_LIFETIME_MS = 60 * 60 * 1000

/**
 * @typedef {object} StsRequest
 * @property {string | undefined} action
 * @property {string | undefined} roleArn
 * @property {string | undefined} roleSessionName
 * @property {string | undefined} webIdentityToken
 * @property {string | undefined} authorization  an unsigned call: AssumeRoleWithWebIdentity takes no credentials
 */

/**
 * @typedef {object} StsEmulatorOptions
 * @property {string} [roleArn]  the one role the trust policy lets the token assume; default arn:aws:iam::123456789012:role/pipecat-ecr-refresh
 * @property {string} [token]    the one web identity token accepted; default: a fresh JWT-shaped random one
 */

/** @param {StsEmulatorOptions} [options] */
export async function startStsEmulator(options = {}) {
  const roleArn = options.roleArn ?? 'arn:aws:iam::123456789012:role/pipecat-ecr-refresh'
  const token = options.token ?? ['eyJhbGciOiJSUzI1NiJ9', randomBytes(96).toString('base64url'), randomBytes(64).toString('base64url')].join('.')
  // The temporary credentials it hands out: ASIA key ids are AWS's for session credentials.
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`
  const secretAccessKey = randomBytes(30).toString('base64')
  const sessionToken = randomBytes(180).toString('base64')
  /** @type {StsRequest[]} */
  const requests = []

  /** @param {URLSearchParams} form */
  function answer(form) {
    if (form.get('Action') !== 'AssumeRoleWithWebIdentity') return stsError(400, 'InvalidAction', `Could not find operation ${form.get('Action')}`)
    if (form.get('WebIdentityToken') !== token) return stsError(400, 'InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider")
    if (form.get('RoleArn') !== roleArn) {
      return stsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity')
    }
    const session = form.get('RoleSessionName') ?? 'session'
    const expiration = new Date(Math.floor((Date.now() + SESSION_LIFETIME_MS) / 1000) * 1000).toISOString()
    const [, account, , role] = /^arn:aws:iam::(\d{12}):(role\/)?(.+)$/.exec(roleArn) ?? []
    return {
      status: 200,
      body:
        `<AssumeRoleWithWebIdentityResponse xmlns="${XMLNS}"><AssumeRoleWithWebIdentityResult>` +
        `<SubjectFromWebIdentityToken>project_path:group/project:ref_type:branch:ref:main</SubjectFromWebIdentityToken>` +
        `<Audience>sts.amazonaws.com</Audience>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/${role}/${session}</Arn><AssumedRoleId>AROA${accessKeyId.slice(4)}:${session}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><SessionToken>${sessionToken}</SessionToken><SecretAccessKey>${secretAccessKey}</SecretAccessKey>` +
        `<Expiration>${expiration}</Expiration><AccessKeyId>${accessKeyId}</AccessKeyId></Credentials>` +
        `<Provider>gitlab.com</Provider></AssumeRoleWithWebIdentityResult>` +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`
    }
  }

  const server = createServer((req, res) => {
    readBody(req)
      .then(raw => {
        const form = new URLSearchParams(raw)
        requests.push({
          action: form.get('Action') ?? undefined,
          roleArn: form.get('RoleArn') ?? undefined,
          roleSessionName: form.get('RoleSessionName') ?? undefined,
          webIdentityToken: form.get('WebIdentityToken') ?? undefined,
          authorization: req.headers.authorization
        })
        const formEncoded = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
        const { status, body } =
          req.method === 'POST' && formEncoded ? answer(form) : stsError(400, 'InvalidAction', `${req.method} ${req.url} is not an STS operation`)
        res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() }).end(body)
      })
      .catch(() => res.destroy())
  })
  const url = await listen(server, '127.0.0.1', 0, 'http')
  return {
    url,
    roleArn,
    /** The web identity token: what the token file must hold. */
    token,
    /** The temporary credentials STS hands out for it. */
    credentials: { accessKeyId, secretAccessKey, sessionToken },
    requests,
    /** @returns {Promise<void>} */
    close: () => closeServer(server)
  }
}

/**
 * An error in the Query protocol's XML, as STS sends it: the SDK names its exception after Code.
 * @param {number} status
 * @param {string} code
 * @param {string} message
 */
function stsError(status, code, message) {
  return {
    status,
    body:
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
      `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  }
}
