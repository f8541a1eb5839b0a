/**
 * The Pipecat Cloud key, read from AWS Secrets Manager at run time by the Lambda handler, with the
 * function's execution role. The secret's value is protected (masked and registered for redaction) the
 * moment it arrives, before it is parsed or checked. Each way the read can fail is one line with its fix.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { ActionError } from '../common/errors.js'
import { credentialsError } from './credentials.js'
import { sdkRequestHandler, unreadableAnswer, type SdkService } from './sdk-http.js'
import { type HttpClient } from '../http/http.js'
import { apiKeyFromSecret, secretValuesOf } from '../hosts/lambda-env.js'
import * as log from '../common/log.js'
import { untrusted } from '../common/untrusted.js'

export interface SecretReadOptions {
  /** The secret's own region, from its ARN: a function may read a secret kept in another region. */
  region: string
  /** Each request's limit; the read as a whole gets three of them. */
  requestTimeoutMs: number
  /** The project's HTTP client, so the read honours the same proxy settings as every other call. */
  http: HttpClient
}

const SECRETS_MANAGER: SdkService = {
  name: 'Secrets Manager',
  endpoints: 'AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SECRETS_MANAGER',
  region: "PIPECAT_API_KEY_SECRET_ARN's region",
  answer: 'a secret'
}

export async function readApiKey(secretArn: string, options: SecretReadOptions): Promise<string> {
  // AWS_ENDPOINT_URL_SECRETS_MANAGER, when set, points the client elsewhere (the tests' emulator).
  const client = new SecretsManagerClient({
    region: options.region,
    maxAttempts: 3,
    requestHandler: sdkRequestHandler(options.http, SECRETS_MANAGER)
  })
  let secretString: string | undefined
  try {
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretArn }), { abortSignal: AbortSignal.timeout(3 * options.requestTimeoutMs) })
    secretString = answer.SecretString
    // Each value, not the whole JSON text: its field names (PIPECAT_API_KEY) appear in messages.
    if (secretString !== undefined) secretValuesOf(secretString).forEach(log.protect)
  } catch (error) {
    throw explainSecretsManagerError(error, secretArn, options.region)
  } finally {
    client.destroy()
  }
  if (secretString === undefined) {
    throw new ActionError(
      `The secret ${secretArn} has no SecretString (it holds binary data, or no value yet): store the Pipecat Cloud Private API key in it as text (Secrets Manager console: Retrieve secret value, Edit, Plaintext).`
    )
  }
  const found = apiKeyFromSecret(secretString, secretArn)
  if ('problem' in found) throw new ActionError(found.problem)
  log.protect(found.key)
  return found.key
}

/** What the SDK throws, as one line naming the cause and the fix; AWS's own text is never quoted whole. */
export function explainSecretsManagerError(error: unknown, secretArn: string, region: string): ActionError {
  if (error instanceof ActionError) return error
  const name = (error as Error)?.name ?? ''
  const message = String((error as Error)?.message ?? error)
  const read = `secretsmanager:GetSecretValue on ${secretArn}`
  const credentials = credentialsError(error)
  if (credentials) return credentials
  // KMS refusals come back as AccessDeniedException or DecryptionFailure, naming KMS.
  if (name === 'DecryptionFailure' || (name === 'AccessDeniedException' && /\bKMS\b/i.test(message))) {
    return new ActionError(
      `Secrets Manager could not decrypt ${secretArn} with its KMS key (${name}): allow kms:Decrypt on that key to the function's execution role, in the role's policy and the key's policy.`
    )
  }
  switch (name) {
    case 'AccessDeniedException':
      return new ActionError(`AWS denied ${read} (AccessDeniedException): allow ${read} in the function's execution role's policy.`)
    case 'ResourceNotFoundException':
      return new ActionError(
        `Secrets Manager in ${region} has no secret ${secretArn} (ResourceNotFoundException): check PIPECAT_API_KEY_SECRET_ARN (the full ARN, with its 6-character suffix), or create the secret there.`
      )
    case 'TimeoutError':
    case 'NetworkError':
      return new ActionError(
        `Could not reach Secrets Manager in ${region} to read ${secretArn} (${untrusted(message, 200)}): check the function's network (in a VPC it needs a NAT gateway or a Secrets Manager VPC endpoint) and its HTTPS_PROXY / NO_PROXY settings, then rerun.`
      )
    case 'InvalidRequestException':
      return new ActionError(
        `Secrets Manager refused to read ${secretArn} (InvalidRequestException: it is scheduled for deletion or disabled): restore the secret, or point PIPECAT_API_KEY_SECRET_ARN at another.`
      )
  }
  return (
    unreadableAnswer(error, SECRETS_MANAGER, region) ??
    new ActionError(
      `Could not read ${secretArn} from Secrets Manager in ${region} (${untrusted(name, 60) || 'no answer'}): rerun; if it persists, check the service's status and the function's network (in a VPC it needs a NAT gateway or a Secrets Manager VPC endpoint).`
    )
  )
}
