import type { HttpClient } from '../../src/http/http.js'
import { getEcrToken, explainEcrError } from '../../src/aws/ecr.js'
import { trackSecret } from '../../src/common/redact.js'

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
