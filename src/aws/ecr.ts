import * as log from '../common/log.js'
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'
import { ActionError } from '../common/errors.js'
import { type HttpClient } from '../http/http.js'
import { untrusted } from '../common/untrusted.js'
import { credentialsError } from './credentials.js'
import { sdkRequestHandler, unreadableAnswer, type SdkService } from './sdk-http.js'

export interface EcrToken {
  /** base64 of `AWS:<password>`: what Pipecat Cloud stores and what a registry takes as Basic auth. */
  authorizationToken: string
  expiresAt: Date
}

const SETUP = 'see docs/aws-setup.md'

const ECR: SdkService = { name: 'ECR', endpoints: 'AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR', region: 'aws-region', answer: 'a token answer' }

// ECR tokens run to a few kilobytes; this is far past any, and short of what would cost a run to mask.
const MAX_TOKEN_LENGTH = 64 * 1024
// A real ECR password is base64 of an encrypted envelope (payload, data key, expiry) and runs to well over
// a thousand characters. A short one is no ECR password, and masking it would hide every match of that
// short text in the rest of the log (a one-letter password masks every "e"). 64 is far under any real
// one and far over any word a mask could garble; it also lets the end-to-end tests pull from a real
// registry, whose bcrypt password file holds at most 72 bytes.
const MIN_PASSWORD_LENGTH = 64
// ECR tokens last 12 hours; a day leaves room for a skewed clock, not for a token from somewhere else.
const MAX_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000

const serverFault = (name: string, region: string) =>
  new ActionError(
    `ECR in ${region} kept answering with an internal error (${untrusted(name, 60) || 'server error'}) after retries: the fault is on AWS's side; rerun later, and check the AWS Health Dashboard for ECR in ${region}.`
  )

/** Turns what the SDK throws into a message a person can act on; `who` is the IAM identity when AWS named it. */
export function explainEcrError(error: unknown, region: string): ActionError {
  if (error instanceof ActionError) return error
  const name = (error as Error)?.name ?? ''
  const message = untrusted((error as Error)?.message ?? error)
  const who = /arn:aws[\w-]*:[\w+=,.@/:-]{1,200}/.exec(message)?.[0]
  const credentials = credentialsError(error)
  if (credentials) return credentials
  switch (name) {
    case 'AccessDeniedException':
      return new ActionError(
        `AWS denied ecr:GetAuthorizationToken${who ? ` to ${who}` : ''}: allow ecr:GetAuthorizationToken on Resource "*" in that role's policy (${SETUP}).`
      )
    case 'ThrottlingException':
      return new ActionError(
        `ECR throttled GetAuthorizationToken in ${region} even after retries: rerun later, and give the refresh workflow a concurrency group so runs do not pile up.`
      )
    case 'ServerException':
    case 'InternalFailure':
    case 'ServiceUnavailable':
    case 'ServiceUnavailableException':
      return serverFault(name, region)
    case 'TimeoutError':
    case 'NetworkError':
      return new ActionError(`Could not reach ECR in ${region} (${message}): check the runner's network and its HTTPS_PROXY / NO_PROXY settings, then rerun.`)
  }
  if (((error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0) >= 500) return serverFault(name, region)
  const unreadable = unreadableAnswer(error, ECR, region)
  if (unreadable) return unreadable
  const cause = [untrusted(name, 60), message].filter(Boolean).join(': ')
  return new ActionError(`ECR GetAuthorizationToken failed in ${region} (${cause}): check aws-region and the role's ECR permissions (${SETUP}).`)
}

/**
 * Asks ECR for a registry token with the SDK's default credential chain, which picks up what
 * aws-actions/configure-aws-credentials exported. Both credential forms are masked before any check.
 */
export interface EcrOptions {
  /** No new try after this long, as for every other service: the SDK's retries know no budget of their own. */
  budgetMs: number
  runLimitSeconds: number
  now?: Date
}

export async function getEcrToken(region: string, http: HttpClient, options: EcrOptions): Promise<EcrToken> {
  const now = options.now ?? new Date()
  const client = new ECRClient({
    region,
    maxAttempts: 4,
    requestHandler: sdkRequestHandler(http, { ...ECR, runLimitSeconds: options.runLimitSeconds })
  })
  const budget = AbortSignal.timeout(options.budgetMs)
  let data
  try {
    data = (await client.send(new GetAuthorizationTokenCommand({}), { abortSignal: budget })).authorizationData?.[0]
  } catch (error) {
    if (budget.aborted && !(error instanceof ActionError)) {
      throw new ActionError(
        `Could not reach ECR in ${region} (no token after ${Math.round(options.budgetMs / 1000)}s of tries): check the runner's network and its HTTPS_PROXY / NO_PROXY settings, then rerun.`
      )
    }
    throw explainEcrError(error, region)
  } finally {
    client.destroy()
  }
  const authorizationToken = data?.authorizationToken
  if (!authorizationToken) {
    throw new ActionError(
      `ECR answered GetAuthorizationToken in ${region} without a token: rerun; if it persists, check the AWS service health for ECR in ${region}.`
    )
  }
  const notAToken = new ActionError(
    'ECR returned a token that does not decode to AWS:<password>, so Pipecat Cloud could not use it: check that AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR point at ECR itself.'
  )
  // Every check comes before the mask: masking indexes every run of the value, which a server's megabytes
  // must not reach, and a value that is no ECR token must be neither masked nor stored.
  if (authorizationToken.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9+/]+={0,2}$/.test(authorizationToken)) throw notAToken
  const decoded = Buffer.from(authorizationToken, 'base64').toString('utf8')
  if (!decoded.startsWith('AWS:') || decoded.length <= 4) throw notAToken
  const password = decoded.slice(4)
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ActionError(
      `ECR returned a token whose password is ${password.length} characters, where a real one runs to over a thousand; something other than ECR may be answering: check that AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR point at ECR itself, then rerun.`
    )
  }
  const expiresAt = data?.expiresAt
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
    throw new ActionError('ECR returned a token without an expiry time: rerun; if it persists, check that AWS_ENDPOINT_URL_ECR points at ECR itself.')
  }
  if (expiresAt.getTime() <= now.getTime()) {
    throw new ActionError(
      `ECR returned a token that expired at ${expiresAt.toISOString()}, before now (${now.toISOString()}): check the runner's clock, then rerun.`
    )
  }
  if (expiresAt.getTime() > now.getTime() + MAX_TOKEN_LIFETIME_MS) {
    throw new ActionError(
      `ECR returned a token that expires at ${expiresAt.toISOString()}, more than 24 hours after now (${now.toISOString()}), where ECR tokens last 12 hours: check the runner's clock and that AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR point at ECR itself, then rerun.`
    )
  }
  log.protect(authorizationToken)
  log.protect(password)
  return { authorizationToken, expiresAt }
}
