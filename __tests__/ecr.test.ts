import type { HttpClient } from '../src/http.js'
import { getEcrToken, explainEcrError } from '../src/ecr.js'
import { trackSecret } from '../src/untrusted.js'

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
