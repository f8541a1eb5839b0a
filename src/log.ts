import * as core from './core.js'
import { trackSecret } from './redact.js'
import { forLog } from './untrusted.js'

// The only door to the runner's log: every line passes forLog, so outside text inside a message is
// redacted and cannot start a workflow command of its own. eslint keeps @actions/core out of other modules
// (summary.ts aside, which escapes for its own sinks).

export const info = (message: string): void => core.info(forLog(message))
export const notice = (message: string): void => core.notice(forLog(message))
export const warning = (message: string): void => core.warning(forLog(message))
export const debug = (message: string): void => core.debug(forLog(message))

/** Ends the run as failed with one line: the cause and the fix. */
export const fail = (message: string): void => core.setFailed(forLog(message))

/** Masks a credential in the runner's log and registers it for redaction, before it is used anywhere. */
export function protect(secret: string | undefined): void {
  if (!secret) return
  core.setSecret(secret)
  trackSecret(secret)
}
