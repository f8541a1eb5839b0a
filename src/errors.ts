/**
 * A failure written for the person reading a failed run: one line that names the cause and the fix.
 * Only these messages reach `core.setFailed` verbatim; anything else is wrapped by main.
 */
export class ActionError extends Error {
  override name = 'ActionError'
}
