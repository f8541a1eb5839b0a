// The command line's flags and --help come from action.yml, so the two never drift: this writes
// src/hosts/generated/action-inputs.ts from it. `npm run bundle` runs it first; `node scripts/action-inputs.js`
// runs it alone, and `--check` fails when the committed file is not what action.yml gives.
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import prettier from 'prettier'
import { parse } from 'yaml'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const GENERATED = join(ROOT, 'src/hosts/generated/action-inputs.ts')

/** action.yml's inputs as the command line needs them: name, description, required, and whether it is a boolean. */
export function actionInputs(actionYml) {
  return Object.entries(parse(actionYml).inputs).map(([name, input]) => ({
    name,
    description: String(input.description).trim(),
    required: input.required === true,
    boolean: input.default === 'true' || input.default === 'false'
  }))
}

export async function generatedText(root = ROOT) {
  const inputs = actionInputs(readFileSync(join(root, 'action.yml'), 'utf8'))
  const text =
    '// Generated from action.yml by scripts/action-inputs.js (npm run bundle): edit action.yml, not this file.\n' +
    'export interface ActionInput {\n  name: string\n  description: string\n  required: boolean\n  boolean: boolean\n}\n\n' +
    `export const ACTION_INPUTS: readonly ActionInput[] = ${JSON.stringify(inputs)}\n`
  const options = (await prettier.resolveConfig(GENERATED)) ?? {}
  return prettier.format(text, { ...options, parser: 'typescript' })
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const text = await generatedText()
  if (process.argv.includes('--check')) {
    if (readFileSync(GENERATED, 'utf8') !== text) {
      console.error('src/hosts/generated/action-inputs.ts is not what action.yml gives: run npm run bundle and commit it with dist/')
      process.exitCode = 1
    }
  } else writeFileSync(GENERATED, text)
}
