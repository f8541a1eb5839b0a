import { ActionError, failedCommand, unexpectedErrorMessage } from './common/errors.js'
import { readInputs, type Inputs } from './common/inputs.js'

// Start-up is most of this action's run time, and a bad input is a common way to end, so the inputs
// are checked before @actions/core (which brings an HTTP stack) or anything heavier is loaded.

let inputs: Inputs | undefined
try {
  inputs = readInputs()
} catch (error) {
  const message = error instanceof ActionError ? error.message : unexpectedErrorMessage(error)
  process.stdout.write(failedCommand(message))
  process.exitCode = 1
}
if (inputs) {
  // A debug run's stack traces point at src/ (dist/ ships maps); reading maps costs start-up, so only then.
  if (inputs.debug) process.setSourceMapsEnabled(true)
  const { run } = await import('./run/main.js')
  await run(inputs)
}
