import type { Host } from './host.js'

export interface CliOptions {
  /** Print the outputs as one JSON object on stdout. */
  json: boolean
  /** Print debug lines too. */
  debug: boolean
  stdout?: { write(text: string): unknown }
  stderr?: { write(text: string): unknown }
}

/**
 * The command line as a host: plain lines on stderr (a failure as `error: ...`), stdout left to the JSON
 * result. No mask command: nothing reads one here, and every credential is redacted from each line anyway.
 */
export function cliHost(options: CliOptions): Host {
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const line = (prefix: string) => (text: string) => void stderr.write(`${prefix}${text}\n`)
  return {
    info: line(''),
    notice: line('notice: '),
    warning: line('warning: '),
    debug: options.debug ? line('debug: ') : () => {},
    fail(text) {
      process.exitCode = 1
      line('error: ')(text)
    },
    mask: () => {},
    setOutputs(outputs) {
      if (options.json) stdout.write(`${JSON.stringify(outputs, null, 2)}\n`)
    },
    onGitHub: false,
    awsCredentialsFix: {
      missing:
        'set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, or run where a container or instance role is available (see docs/outside-github.md)',
      expired:
        'renew the credentials this command picks up (aws sso login for a profile, fresh keys, or a fresh AWS_WEB_IDENTITY_TOKEN_FILE), then run it again',
      rejected: 'check the profile, keys or role this command picks up (aws sts get-caller-identity shows which; see docs/outside-github.md)'
    }
  }
}
