// Runs scripts/actionlint.js the way CI does, to prove it passes on this repository's
// workflows and examples and that it fails, readably, when a workflow is broken.
import { afterAll, describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

const script = path.resolve('scripts/actionlint.js')

function actionlint(...dirs: string[]) {
  const run = spawnSync(process.execPath, [script, ...dirs], { encoding: 'utf8', timeout: 60_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

const made: string[] = []
afterAll(() => made.forEach(dir => rmSync(dir, { recursive: true, force: true })))

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'actionlint-'))
  made.push(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  return dir
}

const valid = `name: ok
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "\${{ github.sha }}"
`

describe('scripts/actionlint.js', () => {
  it('passes on the workflows and examples in this repository', () => {
    const run = actionlint()

    expect(run.stdout).toMatch(/^actionlint: \d+ files, no problems$/m)
    expect(run.status).toBe(0)
  })

  it('prints each problem as file:line:col: message [kind] and exits 1', () => {
    const dir = tempDir({
      'ok.yml': valid,
      'broken.yaml': valid.replace('github.sha', 'steps.build.outputs.digest').replace('name: ok', 'name: broken')
    })

    const run = actionlint(dir)

    expect(run.status).toBe(1)
    expect(run.stdout).toContain(`${path.join(dir, 'broken.yaml')}:9:`)
    expect(run.stdout).toMatch(/property "build" is not defined .* \[expression\]$/m)
    expect(run.stdout).not.toContain('ok.yml')
    expect(run.stderr).toContain('actionlint: 1 problem(s) in 2 files')
  })

  it('fails when it finds no workflow files, since that means the paths broke', () => {
    const run = actionlint(tempDir({ 'README.md': '# not a workflow' }))

    expect(run.status).toBe(1)
    expect(run.stderr).toContain('no workflow files found')
  })
})
