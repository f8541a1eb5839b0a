// The Lambda handler: the action's refresh, run by EventBridge Scheduler in the registry's own AWS account
// (docs/outside-github.md). Inputs come from the function's environment (lambda-env.ts), the Pipecat Cloud
// key from Secrets Manager; the outputs are the invocation's result, and a failed refresh fails the
// invocation with its one line, so Lambda's errorMessage and the Errors metric show it. Like index.ts, it
// checks the configuration before anything heavier is loaded. The process serves invocation after
// invocation: nothing here may end it, and every invocation starts from its own host.
import { LIMIT_GRACE_MS } from './run/ending.js'
import { ActionError, unexpectedErrorMessage } from './common/errors.js'
import { PING_LIMIT_MS } from './monitoring/heartbeat.js'
import { useHost } from './hosts/host.js'
import { readInputs, type Inputs } from './common/inputs.js'
import { invocationProcess, lambdaHost, type LambdaHost } from './hosts/lambda-host.js'
import { readFunctionConfig } from './hosts/lambda-env.js'
import * as log from './common/log.js'
import { forLog } from './common/untrusted.js'

/** The parts of Lambda's context object used here. */
export interface LambdaContext {
  awsRequestId?: string
  getRemainingTimeInMillis?(): number
}

/** What a failed invocation throws: its message is the one line, already redacted. */
export class RefreshFailed extends Error {
  override name = 'RefreshFailed'
}

// After the run's own limit: the guard's grace, the heartbeat's ping, and a margin for the answer itself.
const ENDING_MS = LIMIT_GRACE_MS + PING_LIMIT_MS + 5_000

/** The most an invocation may take: the key's read (three request timeouts), the run's limit, and its ending. */
export function invocationLimitMs(inputs: Pick<Inputs, 'requestTimeoutMs' | 'waitTimeoutMs' | 'waitForReady' | 'dryRun'>, runLimitMs: number): number {
  return 3 * inputs.requestTimeoutMs + runLimitMs + ENDING_MS
}

function fail(host: LambdaHost, message: string): never {
  const line = forLog(message)
  host.fail(line)
  throw new RefreshFailed(line)
}

export async function handler(_event: unknown, context: LambdaContext = {}): Promise<Record<string, string>> {
  const config = readFunctionConfig(process.env)
  let inputs: Inputs | undefined
  let problem = 'problem' in config ? config.problem : undefined
  if (!('problem' in config)) {
    try {
      inputs = readInputs(config.env)
    } catch (error) {
      problem = error instanceof ActionError ? error.message : unexpectedErrorMessage(error)
    }
  }
  const host = lambdaHost({ debug: inputs?.debug ?? false, requestId: context.awsRequestId })
  // Every invocation writes to its own host, even one that fails before its run starts.
  useHost(host)
  if (!inputs || 'problem' in config) return fail(host, problem as string)
  if (inputs.debug) process.setSourceMapsEnabled(true)

  const [{ run, runTimeLimitMs, protectCredentials }, { readApiKey }, { createHttpClient }] = await Promise.all([
    import('./run/main.js'),
    import('./aws/secrets-manager.js'),
    import('./http/http.js')
  ])
  // The execution role's AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the heartbeat URLs, are redacted from the first request on.
  protectCredentials(inputs)
  const http = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy })
  const { heartbeat, dryRun, requestTimeoutMs } = inputs
  /** An invocation that fails before its run starts pings the heartbeat's failure form too, as a failed run does. */
  async function failBeforeRun(message: string): Promise<never> {
    const line = forLog(message)
    // The line first: a ping the function's timeout cuts short must not take the line with it.
    host.fail(line)
    const leftMs = (context.getRemainingTimeInMillis?.() ?? Infinity) - 2_000
    if (heartbeat && !dryRun && leftMs > 0) {
      const { pingHeartbeat } = await import('./monitoring/run-report.js')
      await pingHeartbeat(heartbeat, 'failure', http, Math.min(requestTimeoutMs, leftMs))
    }
    throw new RefreshFailed(line)
  }

  const needMs = invocationLimitMs(inputs, runTimeLimitMs(inputs))
  const remainingMs = context.getRemainingTimeInMillis?.()
  if (remainingMs !== undefined && remainingMs < needMs) {
    const need = Math.ceil(needMs / 1000)
    await failBeforeRun(
      `The function's timeout leaves this invocation ${Math.floor(remainingMs / 1000)}s, less than the ${need}s a refresh may take (3 x REQUEST_TIMEOUT for the key, 60s + 6 x REQUEST_TIMEOUT + WAIT_TIMEOUT for the run, ${ENDING_MS / 1000}s for its report): raise the function's timeout to at least ${need}s (Lambda allows 900s), or lower REQUEST_TIMEOUT or WAIT_TIMEOUT.`
    )
  }
  if (remainingMs !== undefined) log.debug(`The invocation has ${Math.floor(remainingMs / 1000)}s left; a refresh may take up to ${Math.ceil(needMs / 1000)}s.`)
  let apiToken: string
  try {
    apiToken = await readApiKey(config.secretArn, { region: config.secretRegion, requestTimeoutMs, http })
  } catch (error) {
    return failBeforeRun(error instanceof ActionError ? error.message : unexpectedErrorMessage(error, 'reading the Pipecat Cloud key from Secrets Manager'))
  }
  log.info(`Read the Pipecat Cloud key from ${config.secretArn}.`)

  const guarded = invocationProcess()
  await Promise.race([run({ ...inputs, apiToken }, host, { process: guarded }), guarded.ended])
  if (host.failures.length > 0) throw new RefreshFailed(host.failures.join(' | '))
  return host.outputs ?? {}
}
