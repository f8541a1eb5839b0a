/**
 * Where a run's words go: the seam between the refresh and the place it runs. GitHub Actions (the default)
 * gets workflow commands, masks and output files; the command line (cli-host.ts) gets plain lines on
 * stderr and the outputs as JSON. A run writes nothing itself: log.ts and summary.ts hand every line, mask
 * and output to the host in use, so another place to run (a Lambda function, say) is one more Host.
 */
import * as core from '../start-up/core.js'

export interface Host {
  /** Log lines, each already redacted and on one line: log.ts passes every message through forLog. */
  info(line: string): void
  notice(line: string): void
  warning(line: string): void
  debug(line: string): void
  /** The run's one failure line: the host also marks the process as failed (exit code 1). */
  fail(line: string): void
  /** Hides a credential wherever the host shows text. log.ts registers it for redaction either way. */
  mask(secret: string): void
  /** action.yml's outputs, all of them at once, when the run ends (also when it failed). */
  setOutputs(outputs: Record<string, string>): void
  /** The job summary, the alert issue and the workflow's run history: GitHub's, so only there. */
  onGitHub: boolean
  /** The fix for AWS credentials that are missing, expired or refused, as a user gives them here. */
  awsCredentialsFix: { missing: string; expired: string; rejected: string }
}

export const actionsHost: Host = {
  info: core.info,
  notice: line => core.notice(line),
  warning: line => core.warning(line),
  debug: core.debug,
  fail: core.setFailed,
  mask: core.setSecret,
  setOutputs: outputs => Object.entries(outputs).forEach(([name, value]) => core.setOutput(name, value)),
  onGitHub: true,
  awsCredentialsFix: {
    missing: 'give the job "permissions: id-token: write" and run aws-actions/configure-aws-credentials (role-to-assume, aws-region) before this step',
    expired: 'run aws-actions/configure-aws-credentials in the same job shortly before this step (or raise its role-duration-seconds)',
    rejected: 'check the role-to-assume given to aws-actions/configure-aws-credentials, or the access key if you pass one (see docs/aws-setup.md)'
  }
}

let current: Host = actionsHost

/** The host the run writes to: GitHub Actions unless the entry chose another. */
export const host = (): Host => current

export function useHost(next: Host): void {
  current = next
}
