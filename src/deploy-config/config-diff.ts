// The deploy config's changes as the job summary shows them.
import type { KeyChange } from './deploy-config.js'
import { tomlValue } from './toml-edit.js'

/** A Markdown diff of the changed keys; empty when nothing changed. */
export function formatChanges(changes: KeyChange[]): string {
  if (changes.length === 0) return ''
  const lines = changes.flatMap(({ key, before, after }) => [
    ...(before === undefined ? [] : [`- ${key} = ${tomlValue(before)}`]),
    ...(after === undefined ? [] : [`+ ${key} = ${tomlValue(after)}`])
  ])
  return ['```diff', ...lines, '```', ''].join('\n')
}
