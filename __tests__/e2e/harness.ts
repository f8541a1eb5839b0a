import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const BUNDLE = resolve('dist/index.js')

export interface ActionRun {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  durationMs: number
  /** The `::error::` line's text, the way the runner shows a failed step. */
  error?: string
}

export interface RunOptions {
  inputs: Record<string, string>
  env?: Record<string, string>
  /** Node binary: the tests run the bundle on this machine's Node and on the declared node24. */
  node?: string
  cwd?: string
  timeoutMs?: number
}

/** GITHUB_OUTPUT holds `name<<DELIMITER` blocks (and `name=value` lines from older runners). */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const block = /^([^=<]+)<<(.+)$/.exec(lines[i])
    if (block) {
      const end = lines.indexOf(block[2], i + 1)
      outputs[block[1]] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

/**
 * Runs the bundle the way the runner does: a child process with inputs as `INPUT_<NAME>` (hyphens
 * kept), and the output and summary files. The environment starts empty, so nothing from this
 * machine (proxies, AWS profiles) leaks in; IMDS is off so no test ever reaches for a cloud address.
 */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  const dir = await mkdtemp(join(tmpdir(), 'action-run-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  await writeFile(outputFile, '')
  await writeFile(summaryFile, '')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: dir,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    ...options.env
  }
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const started = Date.now()
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(done => {
    execFile(
      options.node ?? process.execPath,
      [BUNDLE],
      { env, cwd: options.cwd ?? dir, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })
  const durationMs = Date.now() - started
  const outputs = parseOutputFile(await readFile(outputFile, 'utf8'))
  const summary = await readFile(summaryFile, 'utf8')
  await rm(dir, { recursive: true, force: true })
  const error = /^::error::(.*)$/m.exec(stdout)?.[1]
  return { code, stdout, stderr, outputs, summary, durationMs, error }
}

/** Forms a secret could take on its way out: as is, JSON-escaped, URL-encoded, base64. */
function variants(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64')]
}

/**
 * The leak guard every end-to-end test runs: no secret in any form outside `::add-mask::` lines,
 * anywhere the run wrote, and each mask given before the first line that follows it could print it.
 */
export function expectNoLeaks(run: ActionRun, secrets: string[], extraTexts: string[] = []): void {
  const texts = { stdout: run.stdout, stderr: run.stderr, outputs: JSON.stringify(run.outputs), summary: run.summary }
  extraTexts.forEach((text, i) => Object.assign(texts, { [`extra${i}`]: text }))
  const leaks: string[] = []
  for (const secret of secrets.filter(s => s.length >= 4)) {
    for (const [where, text] of Object.entries(texts)) {
      const lines = text.split('\n').filter(line => !line.startsWith('::add-mask::'))
      for (const form of variants(secret)) {
        if (lines.some(line => line.includes(form))) leaks.push(`${where} holds a secret (${secret.slice(0, 3)}…)`)
      }
    }
  }
  expect(leaks).toEqual([])
}

/** The masks the run issued, in order. */
export function maskedValues(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter(line => line.startsWith('::add-mask::'))
    .map(line => line.slice('::add-mask::'.length))
}
