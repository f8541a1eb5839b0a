// Start-up trick: @actions/core by its private modules (src/start-up/README.md).
// What: the parts of @actions/core a run uses (log lines, masks, annotations, outputs, the job summary).
// Its index also loads an OIDC client (with @actions/http-client and every module of undici) and its
// platform helpers (with @actions/exec), which a run never uses but would pay for in start-up. Its
// package exports only the index, so its modules are imported by path; the functions below are the
// index's own, over those modules.
// Buys: 44 ms of a full refresh on node24 (median; quartiles 19-79 ms; CPU 42 ± 8 ms), nothing of a
// bad input (it loads none of this), measured 2026-12-07 against `export ... from '@actions/core'`.
// Breaks when: @actions/core moves these modules or changes what its functions write; then
// __tests__/start-up/start-up-layer.test.ts fails. Update this file, or drop the trick (docs/performance.md).
import { EOL } from 'node:os'
import { issueCommand } from '../../node_modules/@actions/core/lib/command.js'
import { issueFileCommand, prepareKeyValueMessage } from '../../node_modules/@actions/core/lib/file-command.js'
import { toCommandProperties, toCommandValue } from '../../node_modules/@actions/core/lib/utils.js'
import type { AnnotationProperties } from '../../node_modules/@actions/core/lib/core.js'

export { summary } from '../../node_modules/@actions/core/lib/summary.js'

export function info(message: string): void {
  process.stdout.write(message + EOL)
}

export function debug(message: string): void {
  issueCommand('debug', {}, message)
}

export function setSecret(secret: string): void {
  issueCommand('add-mask', {}, secret)
}

export function notice(message: string, properties: AnnotationProperties = {}): void {
  issueCommand('notice', toCommandProperties(properties), message)
}

export function warning(message: string, properties: AnnotationProperties = {}): void {
  issueCommand('warning', toCommandProperties(properties), message)
}

export function error(message: string, properties: AnnotationProperties = {}): void {
  issueCommand('error', toCommandProperties(properties), message)
}

export function setFailed(message: string): void {
  process.exitCode = 1
  error(message)
}

export function setOutput(name: string, value: string): void {
  if (process.env['GITHUB_OUTPUT']) {
    issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value))
    return
  }
  process.stdout.write(EOL)
  issueCommand('set-output', { name }, toCommandValue(value))
}
