import { jest } from '@jest/globals'
import * as sdk from '@aws-sdk/client-ecr'
import { ActionError } from '../../src/common/errors.js'
import { AnswerTooLargeError, RunTimeLimitError, type HttpClient, type HttpRequest } from '../../src/http/http.js'
import { trackSecret } from '../../src/common/redact.js'

// The real SDK client, which also keeps the request handler it was given: the handler serves any request the
// SDK may send, and GetAuthorizationToken alone never sends one with a query string.
const handlers: NonNullable<sdk.ECRClientConfig['requestHandler']>[] = []
class RecordingEcrClient extends sdk.ECRClient {
  constructor(config: sdk.ECRClientConfig) {
    super(config)
    if (config.requestHandler) handlers.push(config.requestHandler)
  }
}
jest.unstable_mockModule('@aws-sdk/client-ecr', () => ({ ...sdk, ECRClient: RecordingEcrClient }))
const { getEcrToken, explainEcrError } = await import('../../src/aws/ecr.js')

beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
})

/** An ECR that takes every request and answers none, until the caller gives up. */
const hungEcr: HttpClient = {
  send: () => Promise.reject(new Error('not used')),
  sendOnce: (_req, signal) => new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true })),
  describeFailure: String
}

// hungEcr answers nothing until aborted, so only the budget can end this: the budget's message is the proof,
// and jest's test timeout the bound of a hang.
test('the SDK retries end with the budget, whatever the per-request timeout', async () => {
  await expect(getEcrToken('us-east-1', hungEcr, { budgetMs: 1000, runLimitSeconds: 100 })).rejects.toThrow(
    /^Could not reach ECR in us-east-1 \(no token after 1s of tries\): check the runner's network/
  )
})

test('an SDK error that echoes a secret or holds line breaks is shown redacted, on one line', () => {
  const secret = 'AKIAsecretSECRETsecretSECRET0123456789'
  trackSecret(secret)
  const error = Object.assign(new Error(`Bad thing ${secret}\n::error::injected`), { name: 'SomethingNew' })
  const message = explainEcrError(error, 'us-east-1').message
  expect(message).toBe(
    "ECR GetAuthorizationToken failed in us-east-1 (SomethingNew: Bad thing *** ::error::injected): check aws-region and the role's ECR permissions (see docs/aws-setup.md)."
  )
})

/** An ECR that answers every request with this token and expiry. */
function ecrAnswering(authorizationToken: string, expiresAt: number): HttpClient {
  const body = Buffer.from(JSON.stringify({ authorizationData: [{ authorizationToken, expiresAt }] }))
  return {
    send: () => Promise.reject(new Error('not used')),
    sendOnce: () => Promise.resolve({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body }),
    describeFailure: String
  }
}

describe('a token is believed only when it looks like one, and refused before anything is masked', () => {
  const now = new Date('2026-06-01T00:00:00Z')
  const inHours = (hours: number) => now.getTime() / 1000 + hours * 3600
  const token = (password: string) => Buffer.from(`AWS:${password}`).toString('base64')
  const realistic = 'A'.repeat(1500)
  let written: string[]
  let write: typeof process.stdout.write
  beforeEach(() => {
    written = []
    write = process.stdout.write
    process.stdout.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stdout.write
  })
  afterEach(() => {
    process.stdout.write = write
  })

  test.each([
    ['a one-character password', token('e'), inHours(12), /^ECR returned a token whose password is 1 characters, where a real one runs to over a thousand;/],
    ['a 63-character password', token('p'.repeat(63)), inHours(12), /whose password is 63 characters/],
    [
      'an expiry in the year 2500',
      token(realistic),
      Date.parse('2500-01-01T00:00:00Z') / 1000,
      /^ECR returned a token that expires at 2500-01-01T00:00:00\.000Z, more than 24 hours after now/
    ],
    ['an expiry 25 hours ahead', token(realistic), inHours(25), /more than 24 hours after now/],
    ['an expiry in the past', token(realistic), inHours(-1), /^ECR returned a token that expired at .*before now/]
  ])('%s', async (_what, authorizationToken, expiresAt, message) => {
    await expect(getEcrToken('us-east-1', ecrAnswering(authorizationToken, expiresAt), { budgetMs: 5000, runLimitSeconds: 100, now })).rejects.toThrow(message)
    expect(written.filter(line => line.startsWith('::add-mask::'))).toEqual([])
  })

  test('a token of real length that lasts 12 hours is masked and returned', async () => {
    const authorizationToken = token(realistic)
    const got = await getEcrToken('us-east-1', ecrAnswering(authorizationToken, inHours(12)), { budgetMs: 5000, runLimitSeconds: 100, now })
    expect(got.authorizationToken).toBe(authorizationToken)
    expect(written.filter(line => line.startsWith('::add-mask::'))).toHaveLength(2)
  })
})

/** A fake ECR behind the SDK: answers (or fails) every try as `answer` says, and keeps each request it was sent. */
function fakeEcr(answer: () => Promise<{ status: number; body: unknown }>, describeFailure: ((error: unknown) => string) | { raw: true } = String) {
  // raw: the body is sent as the text it is, not as JSON.
  const raw = typeof describeFailure === 'object'
  const requests: HttpRequest[] = []
  const http: HttpClient = {
    send: () => Promise.reject(new Error('not used')),
    sendOnce: async request => {
      requests.push(request)
      const { status, body } = await answer()
      return { status, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: Buffer.from(raw ? String(body) : JSON.stringify(body)) }
    },
    describeFailure: typeof describeFailure === 'function' ? describeFailure : String
  }
  return { http, requests }
}

/** What the run writes to stdout (workflow commands such as ::add-mask::) during each test of the calling describe. */
function captureStdout(): { lines: string[] } {
  const captured = { lines: [] as string[] }
  let write: typeof process.stdout.write
  beforeEach(() => {
    captured.lines = []
    write = process.stdout.write
    process.stdout.write = ((chunk: string) => captured.lines.push(String(chunk)) > 0) as typeof process.stdout.write
  })
  afterEach(() => {
    process.stdout.write = write
  })
  return captured
}
const masks = (lines: string[]) => lines.filter(line => line.startsWith('::add-mask::'))

const now = new Date('2026-06-01T00:00:00Z')
const password = 'P'.repeat(1500)
const realToken = Buffer.from(`AWS:${password}`).toString('base64')
const inTwelveHours = now.getTime() / 1000 + 12 * 3600
const options = { budgetMs: 60_000, runLimitSeconds: 321, now }

describe('the token request', () => {
  const stdout = captureStdout()

  test('is one signed POST to the regional endpoint, without a host header of its own', async () => {
    const ecr = fakeEcr(async () => ({ status: 200, body: { authorizationData: [{ authorizationToken: realToken, expiresAt: inTwelveHours }] } }))

    const got = await getEcrToken('eu-west-1', ecr.http, options)

    expect(got).toEqual({ authorizationToken: realToken, expiresAt: new Date('2026-06-01T12:00:00Z') })
    expect(ecr.requests).toHaveLength(1)
    const [request] = ecr.requests
    expect(request).toMatchObject({ method: 'POST', url: 'https://api.ecr.eu-west-1.amazonaws.com/' })
    expect(request.headers).toMatchObject({ 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' })
    expect(request.headers?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/eu-west-1\/ecr\/aws4_request,/)
    expect(Object.keys(request.headers ?? {})).not.toContain('host')
    expect(new TextDecoder().decode(request.body as Uint8Array)).toBe('{}')
    expect(masks(stdout.lines)).toEqual([`::add-mask::${realToken}\n`, `::add-mask::${password}\n`])
  })

  test('carries a query string, each value of a list and an empty one included, when the SDK sends one, and none otherwise', async () => {
    const ecr = fakeEcr(async () => ({ status: 200, body: { authorizationData: [{ authorizationToken: realToken, expiresAt: inTwelveHours }] } }))
    await getEcrToken('eu-west-1', ecr.http, options)
    const handler = handlers.at(-1) as { handle(request: unknown): Promise<{ response: { statusCode: number; body: Uint8Array } }> }

    const { response } = await handler.handle({
      method: 'GET',
      protocol: 'https:',
      hostname: 'api.ecr.eu-west-1.amazonaws.com',
      path: '/v1/list',
      query: { page: '2', tag: ['a b', 'c&d'], empty: null },
      headers: { host: 'api.ecr.eu-west-1.amazonaws.com', accept: 'application/json' }
    })

    expect(ecr.requests.at(-1)).toEqual({
      method: 'GET',
      url: 'https://api.ecr.eu-west-1.amazonaws.com/v1/list?page=2&tag=a+b&tag=c%26d&empty=',
      headers: { accept: 'application/json' },
      body: undefined
    })
    expect(response.statusCode).toBe(200)
    expect(JSON.parse(new TextDecoder().decode(response.body))).toEqual({
      authorizationData: [{ authorizationToken: realToken, expiresAt: inTwelveHours }]
    })

    await handler.handle({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4510, path: '/', headers: {}, body: '{}' })
    expect(ecr.requests.at(-1)).toEqual({ method: 'POST', url: 'http://127.0.0.1:4510/', headers: {}, body: '{}' })
  })

  test('goes to AWS_ENDPOINT_URL_ECR with its port, and names the host when the proxy wants credentials', async () => {
    process.env.AWS_ENDPOINT_URL_ECR = 'http://127.0.0.1:4510'
    try {
      const ecr = fakeEcr(() => Promise.reject(new Error('Proxy response (407) !== 200 when HTTP Tunneling')))

      const error = await getEcrToken('us-east-1', ecr.http, options).catch((e: unknown) => e)

      expect(ecr.requests.map(request => request.url)).toEqual(['http://127.0.0.1:4510/'])
      expect(error).toBeInstanceOf(ActionError)
      expect((error as Error).message).toBe(
        'Could not reach ECR at 127.0.0.1: the proxy asks for credentials (407): put them in the proxy URL, http://user:password@proxy:port.'
      )
    } finally {
      delete process.env.AWS_ENDPOINT_URL_ECR
    }
  })
})

describe('a failure to reach ECR ends the run at once with its cause, tried once', () => {
  const host = 'api.ecr.us-east-1.amazonaws.com'
  test.each([
    [
      'a proxy that refuses the tunnel',
      new Error('Proxy response (403) !== 200 when HTTP Tunneling'),
      `Could not reach ECR at ${host}: the proxy refused to connect to ${host} (403): ask for ${host} to be allowed, or add it to NO_PROXY.`
    ],
    [
      'a certificate for another name',
      Object.assign(new Error('Hostname/IP does not match certificate'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      `ECR at ${host} presented a certificate that is not for ${host}: a proxy or endpoint is misconfigured, or the connection is being intercepted, and retrying will not help; check aws-region and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR and the runner's HTTPS_PROXY / NO_PROXY settings (a proxy that inspects TLS needs its CA in NODE_EXTRA_CA_CERTS).`
    ],
    [
      'an untrusted certificate, named in the cause',
      new Error('fetch failed', { cause: Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }) }),
      `ECR at ${host} presented a certificate this runner does not trust (SELF_SIGNED_CERT_IN_CHAIN): a proxy or endpoint is misconfigured, or the connection is being intercepted, and retrying will not help; check aws-region and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR and the runner's HTTPS_PROXY / NO_PROXY settings (a proxy that inspects TLS needs its CA in NODE_EXTRA_CA_CERTS).`
    ],
    [
      "the run's time limit",
      new RunTimeLimitError('run time limit reached'),
      `The run reached its time limit (321s: 60s + 6 x request-timeout + wait-timeout) while waiting for ECR at ${host}, which answers too slowly or not at all: rerun later; if it persists, check the service's status and the runner's network.`
    ],
    [
      'an answer larger than any token answer',
      new AnswerTooLargeError('answer larger than 4194304 bytes'),
      `ECR at ${host} sent an answer larger than a token answer ever is: something other than ECR may be answering; check AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR and the runner's proxy settings.`
    ]
  ])('%s', async (_what, failure, message) => {
    const ecr = fakeEcr(() => Promise.reject(failure))

    const error = await getEcrToken('us-east-1', ecr.http, options).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toBe(message)
    expect(ecr.requests).toHaveLength(1)
  })
})

// The SDK waits between its tries; a fake clock lets the four tries run without that wait.
describe('what the SDK retries is tried four times, then explained', () => {
  beforeEach(() => jest.useFakeTimers())
  afterEach(() => jest.useRealTimers())

  // Captured before the fake clock replaces it: a real turn of the event loop lets the SDK's own file reads
  // (its shared config) finish between steps of the fake clock, however slow the machine is.
  const realSetImmediate = setImmediate
  async function settle(promise: Promise<unknown>): Promise<unknown> {
    let settled = false
    const outcome = promise.catch((e: unknown) => e).finally(() => (settled = true))
    while (!settled) {
      await jest.advanceTimersByTimeAsync(1_000)
      await new Promise(resolve => realSetImmediate(resolve))
    }
    return outcome
  }

  test.each([
    ['a reset connection', 'ECONNRESET', 'the connection was reset'],
    ['a request that timed out', 'UND_ERR_HEADERS_TIMEOUT', 'no answer within 30s'],
    ['a failure without a code', undefined, 'other side hung up']
  ])('%s', async (_what, code, described) => {
    const thrown: Error[] = []
    const failures: unknown[] = []
    const ecr = fakeEcr(
      () => {
        thrown.push(Object.assign(new Error('socket trouble'), code ? { code } : {}))
        return Promise.reject(thrown.at(-1))
      },
      error => (failures.push(error), described)
    )

    const error = await settle(getEcrToken('us-east-1', ecr.http, options))

    expect((error as Error).message).toBe(
      `Could not reach ECR in us-east-1 (${described}): check the runner's network and its HTTPS_PROXY / NO_PROXY settings, then rerun.`
    )
    expect(ecr.requests).toHaveLength(4)
    // Each failure is described from the very error the HTTP client threw, not from the SDK's wrapping of it.
    expect(failures).toHaveLength(4)
    failures.forEach((failure, i) => expect(failure).toBe(thrown[i]))
  })

  test('throttling', async () => {
    const ecr = fakeEcr(async () => ({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }))

    const error = await settle(getEcrToken('ap-south-1', ecr.http, options))

    expect((error as Error).message).toBe(
      'ECR throttled GetAuthorizationToken in ap-south-1 even after retries: rerun later, and give the refresh workflow a concurrency group so runs do not pile up.'
    )
    expect(ecr.requests).toHaveLength(4)
  })

  test('an internal error on AWS side', async () => {
    const ecr = fakeEcr(async () => ({ status: 500, body: { __type: 'ServerException', message: 'Internal error' } }))

    const error = await settle(getEcrToken('us-east-1', ecr.http, options))

    expect((error as Error).message).toBe(
      "ECR in us-east-1 kept answering with an internal error (ServerException) after retries: the fault is on AWS's side; rerun later, and check the AWS Health Dashboard for ECR in us-east-1."
    )
    expect(ecr.requests).toHaveLength(4)
  })
})

test('AWS denying the call names the identity it denied, and is not retried', async () => {
  const ecr = fakeEcr(async () => ({
    status: 400,
    body: {
      __type: 'AccessDeniedException',
      message:
        'User: arn:aws:sts::123456789012:assumed-role/deploy/run-42 is not authorized to perform: ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action'
    }
  }))

  const error = await getEcrToken('us-east-1', ecr.http, options).catch((e: unknown) => e)

  expect((error as Error).message).toBe(
    'AWS denied ecr:GetAuthorizationToken to arn:aws:sts::123456789012:assumed-role/deploy/run-42: allow ecr:GetAuthorizationToken on Resource "*" in that role\'s policy (see docs/aws-setup.md).'
  )
  expect(ecr.requests).toHaveLength(1)
})

describe('an answer that holds no usable token is refused before anything is masked or returned', () => {
  const stdout = captureStdout()

  const noToken = 'ECR answered GetAuthorizationToken in us-east-1 without a token: rerun; if it persists, check the AWS service health for ECR in us-east-1.'
  const notAToken =
    'ECR returned a token that does not decode to AWS:<password>, so Pipecat Cloud could not use it: check that AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR point at ECR itself.'
  const base64 = (text: string) => Buffer.from(text).toString('base64')
  test.each([
    ['no authorizationData at all', {}, noToken],
    ['an empty authorizationData list', { authorizationData: [] }, noToken],
    ['an entry without a token', { authorizationData: [{ expiresAt: inTwelveHours }] }, noToken],
    ['an empty token', { authorizationData: [{ authorizationToken: '', expiresAt: inTwelveHours }] }, noToken],
    ['a token that is not base64', { authorizationData: [{ authorizationToken: `${password}!`, expiresAt: inTwelveHours }] }, notAToken],
    ['a token longer than 64 KiB', { authorizationData: [{ authorizationToken: 'QUFB'.repeat(16 * 1024 + 1), expiresAt: inTwelveHours }] }, notAToken],
    ['a token for another user', { authorizationData: [{ authorizationToken: base64(`admin:${password}`), expiresAt: inTwelveHours }] }, notAToken],
    ['a token with no password', { authorizationData: [{ authorizationToken: base64('AWS:'), expiresAt: inTwelveHours }] }, notAToken],
    [
      'a token without an expiry',
      { authorizationData: [{ authorizationToken: realToken }] },
      'ECR returned a token without an expiry time: rerun; if it persists, check that AWS_ENDPOINT_URL_ECR points at ECR itself.'
    ]
  ])('%s', async (_what, body, message) => {
    const ecr = fakeEcr(async () => ({ status: 200, body }))

    const error = await getEcrToken('us-east-1', ecr.http, options).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toBe(message)
    expect((error as Error).message).not.toContain(password.slice(0, 16))
    expect(masks(stdout.lines)).toEqual([])
    expect(ecr.requests).toHaveLength(1)
  })

  test('an expiry that is not a number fails as an answer ECR would not give, without the token in the message', async () => {
    const ecr = fakeEcr(async () => ({ status: 200, body: { authorizationData: [{ authorizationToken: realToken, expiresAt: 'soon' }] } }))

    const error = await getEcrToken('us-east-1', ecr.http, options).catch((e: unknown) => e)

    expect((error as Error).message).toMatch(
      /^ECR in us-east-1 gave an answer that is not ECR's \(HTTP 200: [^\n]+\): a proxy, or AWS_ENDPOINT_URL \/ AWS_ENDPOINT_URL_ECR, may be sending the request somewhere else; check them, then rerun\.$/
    )
    expect((error as Error).message).not.toContain(realToken.slice(0, 16))
    expect((error as Error).message).not.toContain('hidden field')
    expect(masks(stdout.lines)).toEqual([])
  })

  test('an answer that is not JSON (a proxy login page) names the proxy and the endpoint, not the permissions', async () => {
    const ecr = fakeEcr(async () => ({ status: 200, body: '<html><body>Sign in to the proxy</body></html>' }), { raw: true })

    const error = await getEcrToken('us-east-1', ecr.http, options).catch((e: unknown) => e)

    expect((error as Error).message).toMatch(
      /^ECR in us-east-1 gave an answer that is not ECR's \(HTTP 200: [^\n]+\): a proxy, or AWS_ENDPOINT_URL \/ AWS_ENDPOINT_URL_ECR, may be sending the request somewhere else; check them, then rerun\.$/
    )
    expect((error as Error).message).not.toContain('hidden field')
    expect(ecr.requests).toHaveLength(1)
  })
})

describe('explainEcrError', () => {
  const named = (name: string, message = 'from AWS', fields: object = {}) => Object.assign(new Error(message), { name }, fields)

  test.each([
    [
      'an access denial that names nobody',
      named('AccessDeniedException', 'not authorized'),
      'AWS denied ecr:GetAuthorizationToken: allow ecr:GetAuthorizationToken on Resource "*" in that role\'s policy (see docs/aws-setup.md).'
    ],
    [
      'throttling',
      named('ThrottlingException', 'Rate exceeded'),
      'ECR throttled GetAuthorizationToken in us-east-1 even after retries: rerun later, and give the refresh workflow a concurrency group so runs do not pile up.'
    ],
    ...['ServerException', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException'].map(name => [
      `a server fault named ${name}`,
      named(name),
      `ECR in us-east-1 kept answering with an internal error (${name}) after retries: the fault is on AWS's side; rerun later, and check the AWS Health Dashboard for ECR in us-east-1.`
    ]),
    [
      'an error of another name with a 5xx status',
      named('BadGateway', 'bad gateway', { $metadata: { httpStatusCode: 502 } }),
      "ECR in us-east-1 kept answering with an internal error (BadGateway) after retries: the fault is on AWS's side; rerun later, and check the AWS Health Dashboard for ECR in us-east-1."
    ],
    [
      'a 5xx status with no name at all',
      { $metadata: { httpStatusCode: 503 } },
      "ECR in us-east-1 kept answering with an internal error (server error) after retries: the fault is on AWS's side; rerun later, and check the AWS Health Dashboard for ECR in us-east-1."
    ],
    [
      'a network failure',
      named('NetworkError', 'connection refused'),
      "Could not reach ECR in us-east-1 (connection refused): check the runner's network and its HTTPS_PROXY / NO_PROXY settings, then rerun."
    ],
    [
      'a 4xx of a name it does not know',
      named('RepositoryPolicyNotFoundException', 'odd', { $metadata: { httpStatusCode: 400 } }),
      "ECR GetAuthorizationToken failed in us-east-1 (RepositoryPolicyNotFoundException: odd): check aws-region and the role's ECR permissions (see docs/aws-setup.md)."
    ],
    [
      'a thrown string',
      'socket hang up',
      "ECR GetAuthorizationToken failed in us-east-1 (socket hang up): check aws-region and the role's ECR permissions (see docs/aws-setup.md)."
    ],
    [
      'no credentials',
      named('CredentialsProviderError', 'Could not load credentials from any providers'),
      'No AWS credentials found: give the job "permissions: id-token: write" and run aws-actions/configure-aws-credentials (role-to-assume, aws-region) before this step.'
    ],
    [
      'STS refusing the web identity token',
      named('InvalidIdentityToken', 'Incorrect token audience'),
      "AWS STS refused to assume AWS_ROLE_ARN with the token in AWS_WEB_IDENTITY_TOKEN_FILE (InvalidIdentityToken: Incorrect token audience): check that the role's trust policy names this OIDC provider and audience (docs/outside-github.md)."
    ],
    [
      'an expired session',
      named('ExpiredTokenException', 'The security token included in the request is expired'),
      'The AWS session has expired: run aws-actions/configure-aws-credentials in the same job shortly before this step (or raise its role-duration-seconds).'
    ],
    [
      'keys AWS does not know',
      named('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      'AWS rejected the credentials (UnrecognizedClientException): check the role-to-assume given to aws-actions/configure-aws-credentials, or the access key if you pass one (see docs/aws-setup.md).'
    ]
  ] as [string, unknown, string][])('%s', (_what, error, message) => {
    const explained = explainEcrError(error, 'us-east-1')
    expect(explained).toBeInstanceOf(ActionError)
    expect(explained.message).toBe(message)
  })

  test('an error already written for the user is passed on as it is', () => {
    const ours = new ActionError('Could not reach ECR at example: because.')
    expect(explainEcrError(ours, 'us-east-1')).toBe(ours)
  })

  test('a secret key echoed in an error from STS is redacted', () => {
    const secretKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
    trackSecret(secretKey)
    const message = explainEcrError(named('IDPRejectedClaim', `rejected ${secretKey}`), 'us-east-1').message
    expect(message).not.toContain(secretKey)
    expect(message).toContain('(IDPRejectedClaim: rejected ***)')
  })
})
