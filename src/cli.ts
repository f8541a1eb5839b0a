#!/usr/bin/env node
// The command-line tool: the action's refresh for any scheduler (docs/outside-github.md). Like index.ts,
// it checks the command line and the inputs before anything heavier is loaded.
import { ActionError, unexpectedErrorMessage } from './common/errors.js'
import { helpText, parseCommandLine } from './hosts/cli-args.js'
import { readInputs, type Inputs } from './common/inputs.js'
import { forLog } from './common/untrusted.js'

/** A bad command line or input: one line, exit code 2, nothing sent anywhere. */
function badInput(message: string): void {
  process.stderr.write(`error: ${forLog(message)}\n`)
  process.exitCode = 2
}

const commandLine = parseCommandLine(process.argv.slice(2), process.env)
let inputs: Inputs | undefined
if ('help' in commandLine) process.stdout.write(helpText())
else if ('problem' in commandLine) badInput(commandLine.problem)
else {
  try {
    inputs = readInputs(commandLine.env)
  } catch (error) {
    badInput(error instanceof ActionError ? error.message : unexpectedErrorMessage(error))
  }
}
if (inputs && 'json' in commandLine) {
  if (inputs.debug) process.setSourceMapsEnabled(true)
  const [{ run }, { cliHost }] = await Promise.all([import('./run/main.js'), import('./hosts/cli-host.js')])
  await run(inputs, cliHost({ json: commandLine.json, debug: inputs.debug }))
}
