import type { GuardedProcess } from '../run/ending.js'
import type { Host } from './host.js'

export interface LambdaHostOptions {
  /** Write DEBUG lines too (the function's AWS_LAMBDA_LOG_LEVEL is DEBUG or TRACE). */
  debug: boolean
  /** The invocation's request ID, on every line as Lambda's own JSON lines carry it. */
  requestId?: string
  stdout?: { write(text: string): unknown }
  now?: () => Date
}

/** A Host that also keeps what the handler returns or throws: the outputs, and the run's failure lines. */
export interface LambdaHost extends Host {
  outputs?: Record<string, string>
  failures: string[]
}

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'

/**
 * A Lambda function as a host: one JSON object per line on stdout, in the shape of Lambda's own JSON log
 * format ({"timestamp","level","requestId","message"}), which CloudWatch Logs Insights reads as fields.
 * A failure is kept for the handler to throw, which is what fails the invocation; the process is never
 * marked or ended. No mask: nothing reads one here, and every credential is redacted from each line anyway.
 */
export function lambdaHost(options: LambdaHostOptions): LambdaHost {
  const stdout = options.stdout ?? process.stdout
  const now = options.now ?? (() => new Date())
  const line = (level: LogLevel) => (message: string) =>
    void stdout.write(`${JSON.stringify({ timestamp: now().toISOString(), level, ...(options.requestId && { requestId: options.requestId }), message })}\n`)
  const result: LambdaHost = {
    info: line('INFO'),
    notice: line('INFO'),
    warning: line('WARN'),
    debug: options.debug ? line('DEBUG') : () => {},
    fail(message) {
      result.failures.push(message)
      line('ERROR')(message)
    },
    mask: () => {},
    setOutputs(outputs) {
      result.outputs = outputs
    },
    onGitHub: false,
    awsCredentialsFix: {
      missing:
        'a Lambda function gets them from its execution role: check that the function has one, and that its environment sets none of AWS_ACCESS_KEY_ID, AWS_PROFILE or AWS_CONTAINER_CREDENTIALS_FULL_URI that could hide it',
      expired:
        "the execution role's session expired during the run: invoke the function again; if it persists, remove any AWS_SESSION_TOKEN set in its environment",
      rejected:
        "check the function's execution role (Configuration, Permissions) and that its environment sets no AWS_ACCESS_KEY_ID or AWS_PROFILE of its own (see docs/outside-github.md)"
    },
    failures: []
  }
  return result
}

/**
 * The process as the run's guard sees it in a Lambda function, whose process serves one invocation after
 * another and must never exit: signals and an emptied event loop are Lambda's to handle (a stray rejection
 * fails the invocation there too), and where the guard would end the process, `ended` settles instead, so
 * the handler answers with the run's failure even if the run itself never returns.
 */
export interface InvocationProcess extends GuardedProcess {
  ended: Promise<void>
}

export function invocationProcess(): InvocationProcess {
  let settle!: () => void
  const ended = new Promise<void>(resolve => (settle = resolve))
  return {
    on: () => undefined,
    off: () => undefined,
    exit(code) {
      this.exitCode = code
      settle()
    },
    exitCode: 0,
    ended
  }
}
