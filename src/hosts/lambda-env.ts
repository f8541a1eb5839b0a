/**
 * A Lambda function's configuration, turned into what readInputs reads: each action.yml input comes from
 * the environment variable named by upper-casing it with `_` for `-` (`aws-account-id` is AWS_ACCOUNT_ID,
 * `aws-region` is Lambda's own AWS_REGION), set as the `INPUT_<NAME>` variable the runner would set, so the
 * same validation gives the same messages. The Pipecat Cloud key is never in the environment: the function
 * reads it from the Secrets Manager secret PIPECAT_API_KEY_SECRET_ARN names (secrets-manager.ts). Inputs
 * that need GitHub Actions or a checkout are refused with the reason. No I/O.
 */
import { ACTION_INPUTS } from './generated/action-inputs.js'

type Env = Record<string, string | undefined>

export const SECRET_ARN = 'PIPECAT_API_KEY_SECRET_ARN'
const API_KEY = 'PIPECAT_API_KEY'
/** What readInputs sees as the key until the function has read the real one: it checks everything else first. */
export const KEY_PENDING = 'read-from-secrets-manager'

// Secrets Manager's ARN: arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>.
const SECRET_ARN_SHAPE = /^arn:aws[a-z-]*:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$/

export type FunctionConfig =
  /** A bad configuration: one line with the cause and the fix; the invocation fails before any request. */
  { problem: string } | { env: Env; secretArn: string; secretRegion: string }

/** The environment variable that carries an action.yml input. */
export const variableFor = (input: string): string => input.toUpperCase().replace(/-/g, '_')

// config-file and the keys it writes edit pcc-deploy.toml in a checkout, and a function has neither a
// checkout nor a file system that outlives the invocation.
const DEPLOY_CONFIG = ['config-file', 'agent-name', 'secret-set', 'agent-profile', 'min-agents', 'max-agents']

/** Why an input cannot be used in a Lambda function, for the inputs only GitHub Actions or a checkout can serve. */
function refused(name: string, value: string): string | undefined {
  const variable = variableFor(name)
  if (name === 'pipecat-api-token') {
    return `${variable} is set in the function's configuration, where anyone who may read the function sees it: remove it, and keep the Pipecat Cloud Private API key in the Secrets Manager secret ${SECRET_ARN} names.`
  }
  if (name === 'github-token')
    return `${variable} is for GitHub Actions (the alert issue and the staleness report), which a Lambda function has neither of: remove it.`
  if (name === 'alert-issue') {
    return /^(true|True|TRUE)$/.test(value)
      ? `${variable} needs GitHub Actions (it opens an issue in the workflow's repository): remove it, and alarm on the function's Errors metric or set HEARTBEAT_URL so you hear when a refresh fails or stops.`
      : undefined
  }
  if (DEPLOY_CONFIG.includes(name)) {
    return `${variable} is for config-file, which edits pcc-deploy.toml in a checkout that a Lambda function does not have: remove it, and let the workflow that deploys your agent keep pcc-deploy.toml.`
  }
  return undefined
}

/** The function's environment as readInputs's environment (the key still pending), and the secret to read it from; or the one problem with them. */
export function readFunctionConfig(environment: Env): FunctionConfig {
  // Variables of the runner's shape must not stand in for the function's own.
  const env: Env = Object.fromEntries(Object.entries(environment).filter(([name]) => !name.startsWith('INPUT_')))
  for (const input of ACTION_INPUTS) {
    const value = environment[variableFor(input.name)]
    if (value === undefined || value.trim() === '') continue
    const why = refused(input.name, value.trim())
    if (why) return { problem: why }
    env[`INPUT_${input.name.toUpperCase()}`] = value
  }
  if (environment[API_KEY]) {
    return {
      problem: `${API_KEY} is set in the function's configuration, where anyone who may read the function sees it: remove it, and keep the key in the Secrets Manager secret ${SECRET_ARN} names.`
    }
  }
  if (!environment.AWS_ACCOUNT_ID?.trim()) {
    return { problem: `AWS_ACCOUNT_ID is not set: set it in the function's environment to the 12-digit ID of the AWS account that owns the ECR registry.` }
  }
  if (!environment.SECRET_NAME?.trim() && !environment.TARGETS?.trim()) {
    return {
      problem: `SECRET_NAME is not set: set it in the function's environment to the name of the Pipecat Cloud image pull secret set, e.g. my-ecr-credentials.`
    }
  }
  const secretArn = (environment[SECRET_ARN] ?? '').trim()
  if (!secretArn) {
    return { problem: `${SECRET_ARN} is not set: set it to the ARN of the Secrets Manager secret that holds the Pipecat Cloud Private API key.` }
  }
  const shape = SECRET_ARN_SHAPE.exec(secretArn)
  if (!shape) {
    return {
      problem: `${SECRET_ARN} is not a Secrets Manager secret ARN: set it to the secret's full ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (aws secretsmanager describe-secret shows it).`
    }
  }
  // Lambda's own log level (its advanced logging controls) turns on the run's debug lines.
  if (/^(DEBUG|TRACE)$/i.test(environment.AWS_LAMBDA_LOG_LEVEL ?? '')) env.RUNNER_DEBUG = '1'
  env['INPUT_PIPECAT-API-TOKEN'] = KEY_PENDING
  return { env, secretArn, secretRegion: shape[1] }
}

/** A JSON object's string values, or the text itself: what a secret's value may reveal, and must be redacted. Field names are not secret. */
export function secretValuesOf(secretString: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(secretString)
  } catch {
    return [secretString]
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [secretString]
  return Object.values(parsed).filter((value): value is string => typeof value === 'string')
}

/**
 * The key in a secret's SecretString: the string itself, or, when it is a JSON object (the console's
 * key/value form), its PIPECAT_API_KEY field, or its one field when it has only one. The message for a
 * value that is not a key never quotes it.
 */
export function apiKeyFromSecret(secretString: string, secretArn: string): { key: string } | { problem: string } {
  let key = secretString.trim()
  if (key.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(key)
    } catch {
      parsed = undefined
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      const fields = Object.entries(parsed as Record<string, unknown>)
      const chosen = API_KEY in parsed ? (parsed as Record<string, unknown>)[API_KEY] : fields.length === 1 ? fields[0][1] : undefined
      if (typeof chosen !== 'string') {
        return {
          problem: `The secret ${secretArn} holds a JSON object with ${fields.length} fields and no string field ${API_KEY}: store the Pipecat Cloud Private API key as plain text, or under the key ${API_KEY}.`
        }
      }
      key = chosen.trim()
    }
  }
  if (key === '') return { problem: `The secret ${secretArn} holds an empty value: store the Pipecat Cloud Private API key in it.` }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(key)) {
    return {
      problem: `The secret ${secretArn} holds a space, line break or control character, which no API key has: store the Private API key alone, as plain text or under the key ${API_KEY}.`
    }
  }
  return { key }
}
