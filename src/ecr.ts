import * as core from './core.js'
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'
import { ActionError } from './errors.js'
import { proxyRefusal, type HttpClient } from './http.js'

export interface EcrToken {
  /** base64 of `AWS:<password>`: what Pipecat Cloud stores and what a registry takes as Basic auth. */
  authorizationToken: string
  expiresAt: Date
}

type SmithyRequest = {
  method: string
  protocol: string
  hostname: string
  port?: number
  path: string
  query?: Record<string, string | string[] | null>
  headers: Record<string, string>
  body?: string | Uint8Array
}

/**
 * Sends the SDK's requests through the project's HTTP client, so ECR gets the same proxy settings and
 * timeouts as every other call. One try per call: the SDK's own retry strategy decides about retries.
 */
export function sdkRequestHandler(http: HttpClient) {
  return {
    async handle(request: SmithyRequest, options?: { abortSignal?: AbortSignal }) {
      const query = new URLSearchParams()
      for (const [key, value] of Object.entries(request.query ?? {})) {
        for (const item of Array.isArray(value) ? value : [value]) query.append(key, item ?? '')
      }
      const search = query.size ? `?${query}` : ''
      const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${search}`
      const { host: _host, ...headers } = request.headers
      try {
        const answer = await http.sendOnce(
          { method: request.method as 'POST', url, headers, body: request.body },
          options?.abortSignal
        )
        return { response: { statusCode: answer.status, headers: answer.headers, body: new Uint8Array(answer.body) } }
      } catch (error) {
        const refused = proxyRefusal(error, request.hostname)
        if (refused) throw new ActionError(`Could not reach ECR at ${request.hostname}: ${refused}.`)
        // Names the SDK's retry strategy recognises as transient, so resets and timeouts are retried.
        const code = (error as { code?: string }).code ?? ''
        const transient = new Error((error as Error).message, { cause: error })
        transient.name = code.includes('TIMEOUT') ? 'TimeoutError' : 'NetworkError'
        Object.assign(transient, { code: code.includes('TIMEOUT') ? 'ETIMEDOUT' : 'ECONNRESET' })
        throw transient
      }
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {}
  }
}

const SETUP = 'see docs/aws-setup.md'

const serverFault = (name: string, region: string) =>
  new ActionError(
    `ECR in ${region} kept answering with an internal error (${name || 'server error'}) after retries: the fault is on AWS's side; rerun later, and check the AWS Health Dashboard for ECR in ${region}.`
  )

/** Turns what the SDK throws into a message a person can act on; `who` is the IAM identity when AWS named it. */
export function explainEcrError(error: unknown, region: string): ActionError {
  if (error instanceof ActionError) return error
  const name = (error as Error)?.name ?? ''
  const message = (error as Error)?.message ?? String(error)
  const who = /arn:aws[\w-]*:[^\s]+/.exec(message)?.[0]
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new ActionError(
      'No AWS credentials found: give the job "permissions: id-token: write" and run aws-actions/configure-aws-credentials (role-to-assume, aws-region) before this step.'
    )
  }
  switch (name) {
    case 'AccessDeniedException':
      return new ActionError(
        `AWS denied ecr:GetAuthorizationToken${who ? ` to ${who}` : ''}: allow ecr:GetAuthorizationToken on Resource "*" in that role's policy (${SETUP}).`
      )
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return new ActionError(
        'The AWS session has expired: run aws-actions/configure-aws-credentials in the same job shortly before this step (or raise its role-duration-seconds).'
      )
    case 'ThrottlingException':
      return new ActionError(
        `ECR throttled GetAuthorizationToken in ${region} even after retries: rerun later, and give the refresh workflow a concurrency group so runs do not pile up.`
      )
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'InvalidClientTokenId':
      return new ActionError(
        `AWS rejected the credentials (${name}): check the role-to-assume given to aws-actions/configure-aws-credentials, or the access key if you pass one (${SETUP}).`
      )
    case 'ServerException':
    case 'InternalFailure':
    case 'ServiceUnavailable':
    case 'ServiceUnavailableException':
      return serverFault(name, region)
    case 'TimeoutError':
    case 'NetworkError':
      return new ActionError(
        `Could not reach ECR in ${region} (${message.split('\n')[0]}): check the runner's network and its HTTPS_PROXY / NO_PROXY settings, then rerun.`
      )
  }
  if (((error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0) >= 500) return serverFault(name, region)
  return new ActionError(`ECR GetAuthorizationToken failed in ${region} (${name}: ${message.split('\n')[0]}): check aws-region and the role's ECR permissions (${SETUP}).`)
}

/**
 * Asks ECR for a registry token with the SDK's default credential chain, which picks up what
 * aws-actions/configure-aws-credentials exported. Both credential forms are masked before any check.
 */
export async function getEcrToken(region: string, http: HttpClient, now: Date = new Date()): Promise<EcrToken> {
  const client = new ECRClient({ region, maxAttempts: 4, requestHandler: sdkRequestHandler(http) })
  let data
  try {
    data = (await client.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0]
  } catch (error) {
    throw explainEcrError(error, region)
  } finally {
    client.destroy()
  }
  const authorizationToken = data?.authorizationToken
  if (!authorizationToken) {
    throw new ActionError(`ECR answered GetAuthorizationToken in ${region} without a token: rerun; if it persists, check the AWS service health for ECR in ${region}.`)
  }
  core.setSecret(authorizationToken)
  const decoded = Buffer.from(authorizationToken, 'base64').toString('utf8')
  if (!decoded.startsWith('AWS:') || decoded.length <= 4) {
    throw new ActionError(
      'ECR returned a token that does not decode to AWS:<password>, so Pipecat Cloud could not use it: check that AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECR point at ECR itself.'
    )
  }
  core.setSecret(decoded.slice(4))
  const expiresAt = data?.expiresAt
  if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
    throw new ActionError('ECR returned a token without an expiry time: rerun; if it persists, check that AWS_ENDPOINT_URL_ECR points at ECR itself.')
  }
  if (expiresAt.getTime() <= now.getTime()) {
    throw new ActionError(
      `ECR returned a token that expired at ${expiresAt.toISOString()}, before now (${now.toISOString()}): check the runner's clock, then rerun.`
    )
  }
  return { authorizationToken, expiresAt }
}
