import { host } from '../hosts/host.js'
import { trackSecret } from './redact.js'
import { forLog } from './untrusted.js'

// The only door to the run's log: every line passes forLog, so outside text inside a message is
// redacted and cannot start a workflow command of its own, then goes to the host the run writes to
// (host.ts: GitHub Actions' workflow commands, or the command line's stderr). eslint keeps @actions/core out
// of other modules (summary.ts aside, which escapes for its own sinks).

export const info = (message: string): void => host().info(forLog(message))
export const notice = (message: string): void => host().notice(forLog(message))
export const warning = (message: string): void => host().warning(forLog(message))
export const debug = (message: string): void => host().debug(forLog(message))

/** Ends the run as failed with one line: the cause and the fix. */
export const fail = (message: string): void => host().fail(forLog(message))

/** Masks a credential in the host's log and registers it for redaction, before it is used anywhere. */
export function protect(secret: string | undefined): void {
  if (!secret) return
  host().mask(secret)
  trackSecret(secret)
}
