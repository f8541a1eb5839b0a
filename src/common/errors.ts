import { EOL } from 'node:os'

/**
 * A failure written for the person reading a failed run: one line that names the cause and the fix.
 * Only these messages reach `core.setFailed` verbatim; anything else is wrapped by main.
 */
export class ActionError extends Error {
  override name = 'ActionError'
}

/**
 * The workflow command @actions/core's setFailed prints, escaped the same way, for the one failure that
 * ends a run before @actions/core is loaded: a bad input.
 */
export function failedCommand(message: string): string {
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  return `::error::${data}${EOL}`
}

/** The one line for a failure nobody foresaw: what it was, what the run was doing, and what to do. */
export function unexpectedErrorMessage(error: unknown, doing?: string): string {
  const name = (error as Error)?.name ?? 'unknown'
  const message = String((error as Error)?.message ?? error).split('\n')[0]
  return `Unexpected error (${name}: ${message})${doing ? ` while ${doing}` : ''}; rerun, and report it with this log if it persists.`
}
