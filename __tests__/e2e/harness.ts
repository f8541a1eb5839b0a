import { execFile, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import type { startEcrEmulator } from '../emulators/ecr.js'
import type { startPipecatEmulator } from '../emulators/pipecat.js'
import { parseOutputFile } from '../support/runner-files.js'

export const BUNDLE = resolve('dist/index.js')

export type Ecr = Awaited<ReturnType<typeof startEcrEmulator>>
export type Pipecat = Awaited<ReturnType<typeof startPipecatEmulator>>

// The ECR emulator checks that requests are SigV4-signed, not who signed them; these are AWS's documented examples.
const AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'
export const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

export const SECRET_NAME = 'my-ecr-credentials'

/** The inputs every run needs to refresh the secret against these emulators; a test spreads its own on top. */
export function baseInputs(ecr: Ecr, pipecat: Pipecat): Record<string, string> {
  return {
    'aws-account-id': ecr.accountId,
    'aws-region': ecr.region,
    'secret-name': SECRET_NAME,
    'pipecat-api-token': pipecat.token,
    'pipecat-api-url': pipecat.url
  }
}

/** AWS credentials, and the SDK pointed at the ECR emulator instead of AWS. */
export function awsEnv(ecr: Ecr): Record<string, string> {
  return { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_ENDPOINT_URL_ECR: ecr.url }
}

/** Every credential the emulators and the AWS env hand the run: what the leak guard looks for. */
export function secretsOf(ecr: Ecr, pipecat: Pipecat): string[] {
  return [ecr.password, ecr.authorizationToken, pipecat.token, AWS_SECRET]
}

export interface ActionRun {
  code: number
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  durationMs: number
  /** The harness stopped the run at its `timeoutMs`: the run hung rather than ended by itself. */
  timedOut: boolean
  /** The `::error::` line's text, the way the runner shows a failed step. */
  error?: string
  /** The signal that ended the process, when one did (the harness's own timeout sends SIGTERM). */
  signal?: string
}

export interface RunOptions {
  inputs: Record<string, string>
  env?: Record<string, string>
  /** Node binary: the tests run the bundle on this machine's Node and on the declared node24. */
  node?: string
  /** Node options before the bundle's path, e.g. `--import` of a fault a test injects. */
  nodeArgs?: string[]
  cwd?: string
  timeoutMs?: number
}

/**
 * Runs the bundle the way the runner does: a child process with inputs as `INPUT_<NAME>` (hyphens
 * kept), and the output and summary files. The environment starts empty, so nothing from this
 * machine (proxies, AWS profiles) leaks in; IMDS is off so no test ever reaches for a cloud address.
 */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  return (await startAction(options)).result
}

export interface StartedAction {
  /** The running bundle, for a test that signals it as the runner does when a job is cancelled. */
  child: ChildProcess
  result: Promise<ActionRun>
}

/** runAction, with the child process in hand while it runs. */
export async function startAction(options: RunOptions): Promise<StartedAction> {
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
    // Under `npm run coverage` each run writes Node's V8 coverage, which maps back to src/ through dist/'s source maps.
    ...(process.env.ACTION_COVERAGE_DIR && { NODE_V8_COVERAGE: process.env.ACTION_COVERAGE_DIR }),
    ...options.env
  }
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  const started = Date.now()
  let child!: ChildProcess
  const finished = new Promise<{ code: number; stdout: string; stderr: string; signal?: string; timedOut: boolean }>(done => {
    child = execFile(
      options.node ?? process.execPath,
      [...(options.nodeArgs ?? []), BUNDLE],
      { env, cwd: options.cwd ?? dir, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr, signal: error?.signal ?? undefined, timedOut: error?.killed === true })
    )
  })
  const result = finished.then(async ({ code, stdout, stderr, signal, timedOut }) => {
    const durationMs = Date.now() - started
    const outputs = parseOutputFile(await readFile(outputFile, 'utf8'))
    const summary = await readFile(summaryFile, 'utf8')
    await rm(dir, { recursive: true, force: true })
    const error = /^::error::(.*)$/m.exec(stdout)?.[1]
    return { code, stdout, stderr, outputs, summary, durationMs, timedOut, error, signal }
  })
  return { child, result }
}

/** Forms a secret could take on its way out: as is, JSON-escaped, URL-encoded, base64. */
function variants(secret: string): string[] {
  return [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64')]
}

/**
 * The leak guard every end-to-end test runs: no secret outside `::add-mask::` lines, anywhere the run
 * wrote, in any form: encoded, decoded, reformatted, or a fragment long enough to give it away. The runner
 * would hide a masked value, but this action never prints one in the first place.
 */
export function expectNoLeaks(run: ActionRun, secrets: string[], extraTexts: string[] = []): void {
  const texts = { stdout: run.stdout, stderr: run.stderr, outputs: JSON.stringify(run.outputs), summary: run.summary }
  extraTexts.forEach((text, i) => Object.assign(texts, { [`extra${i}`]: text }))
  const leaks: string[] = []
  for (const secret of secrets.filter(s => s.length >= 4)) {
    const tell = tellsOf(secret)
    for (const [where, text] of Object.entries(texts)) {
      const lines = text.split('\n').filter(line => !line.startsWith('::add-mask::'))
      if (lines.some(line => gives(line, tell))) leaks.push(`${where} holds a secret (${secret.slice(0, 3)}…)`)
    }
  }
  expect(leaks).toEqual([])
}

/** The data of every workflow command of one kind (`add-mask`, `error`, ...) the run printed, in order. */
function commandData(run: ActionRun, command: string): string[] {
  const prefix = `::${command}::`
  return run.stdout
    .split('\n')
    .filter(line => line.startsWith(prefix))
    .map(line => line.slice(prefix.length))
}

/** The masks the run issued, in order. */
export const maskedValues = (run: ActionRun): string[] => commandData(run, 'add-mask')

/** How `core.setSecret` writes a value into its `::add-mask::` command. */
const escapeCommandData = (value: string): string => value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')

// A fragment this long identifies a secret as surely as the whole: a truncated token is still a leak, and
// so is a key cut into pieces this long.
const FRAGMENT = 12

/** What gives a secret away: runs of FRAGMENT characters, lower-cased, and whole forms shorter than that. */
interface Tell {
  fragments: Set<string>
  whole: string[]
}

/**
 * The parts of base64(prefix + text) that do not depend on the prefix or on what follows, for a prefix of
 * each length modulo 3: base64 of a secret inside a longer string.
 */
function base64Alignments(text: string): string[] {
  return ['', 'x', 'xx'].flatMap(prefix => {
    const inner = Buffer.from(prefix + text)
      .toString('base64')
      .slice(prefix ? 4 : 0, -4)
    return [inner, inner.replace(/\+/g, '-').replace(/\//g, '_')]
  })
}

const tellCache = new Map<string, Tell>()

/**
 * What a line could hold that gives a secret away: its encoded forms (base64 at any alignment among them),
 * what a base64 secret decodes to (ECR's token is base64 of `AWS:<password>`) and the password in it, and
 * any long enough fragment of those, in any case.
 */
function tellsOf(secret: string): Tell {
  const cached = tellCache.get(secret)
  if (cached) return cached
  const plain = [secret]
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(secret) && secret.length % 4 === 0) {
    const decoded = Buffer.from(secret, 'base64').toString('utf8')
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u001f\ufffd]/.test(decoded)) {
      plain.push(decoded)
      const colon = decoded.indexOf(':')
      if (colon !== -1 && decoded.length - colon > FRAGMENT) plain.push(decoded.slice(colon + 1))
    }
  }
  const forms = [...new Set(plain.flatMap(text => [...variants(text), ...base64Alignments(text)]).map(form => form.toLowerCase()))]
  const fragments = new Set<string>()
  for (const form of forms) for (let at = 0; at + FRAGMENT <= form.length; at++) fragments.add(form.slice(at, at + FRAGMENT))
  const tell = { fragments, whole: forms.filter(form => form.length < FRAGMENT) }
  tellCache.set(secret, tell)
  return tell
}

const withoutFormat = (text: string): string => text.replace(/\p{Cf}/gu, '')

/** Percent-encoding (UTF-8, or byte by byte where that fails) and `\u`/`\x` escapes decoded once. */
function decodeOnce(text: string): string {
  const byte = (hex: string) => String.fromCharCode(parseInt(hex, 16))
  return text
    .replace(/(?:%[0-9a-f]{2})+/gi, run => {
      try {
        return decodeURIComponent(run)
      } catch {
        return run.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => byte(hex))
      }
    })
    .replace(/\\u([0-9a-f]{4})/gi, (_, hex: string) => byte(hex))
    .replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => byte(hex))
}

/** The ways a person could read a line: as it is, without format characters, decoded once or twice; any case. */
function readings(line: string): string[] {
  const once = withoutFormat(decodeOnce(withoutFormat(line)))
  return [...new Set([line, withoutFormat(line), once, withoutFormat(decodeOnce(once))].map(text => text.toLowerCase()))]
}

function gives(line: string, tell: Tell): boolean {
  return readings(line).some(text => {
    if (tell.whole.some(form => text.includes(form))) return true
    for (let at = 0; at + FRAGMENT <= text.length; at++) if (tell.fragments.has(text.slice(at, at + FRAGMENT))) return true
    return false
  })
}

/**
 * The runner hides a value only from its `::add-mask::` line on, so for every secret the run masked, no
 * earlier line (the `::debug::` ones included) may mention it or anything derived from it. stderr is not
 * ordered against stdout, so a mention there counts as early. Secrets the run never masked are left to
 * `expectNoLeaks`.
 */
export function expectMasksFirst(run: ActionRun, secrets: string[]): void {
  const lines = run.stdout.split('\n')
  const problems: string[] = []
  for (const secret of secrets.filter(s => s.length >= 4)) {
    const maskAt = lines.indexOf(`::add-mask::${escapeCommandData(secret)}`)
    if (maskAt === -1) continue
    const tell = tellsOf(secret)
    const mentions = (line: string) => !line.startsWith('::add-mask::') && gives(line, tell)
    const early = lines.slice(0, maskAt).findIndex(mentions)
    if (early !== -1) problems.push(`stdout line ${early + 1} mentions a secret (${secret.slice(0, 3)}…) masked only on line ${maskAt + 1}`)
    if (run.stderr.split('\n').some(mentions)) problems.push(`stderr mentions a secret (${secret.slice(0, 3)}…)`)
  }
  expect(problems).toEqual([])
}

/** Every `::error::` line's text; the runner shows each as its own annotation. */
export const errorLines = (run: ActionRun): string[] => commandData(run, 'error')

/**
 * A failed run ends with exit code 1 and exactly one error, on one line (`core.setFailed` turns a line
 * break into %0A, which the runner shows as a second line).
 */
export function expectOneLineFailure(run: ActionRun, message: RegExp): void {
  expect({ code: run.code, errors: errorLines(run) }).toEqual({ code: 1, errors: [expect.stringMatching(message)] })
  expect(run.error).not.toMatch(/%0[AD]/)
}

/** Every file under `dir` (relative path to base64 bytes; directories as `dir`), to prove a run changed nothing. */
export async function snapshotFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    files[relative(dir, path)] = entry.isDirectory() ? 'dir' : (await readFile(path)).toString('base64')
  }
  return files
}

export interface NetworkTrap {
  /** Proxy settings for `RunOptions.env`: everything but loopback goes to the trap. */
  env: Record<string, string>
  /** What reached the trap: `CONNECT host:port` for https, `METHOD url` for http. */
  attempts: string[]
  close(): Promise<void>
}

/**
 * A proxy that refuses everything and remembers it. With its `env`, any request the action makes to a
 * host that is not loopback lands here instead of on the internet, so a test can assert there was none.
 */
export async function startNetworkTrap(): Promise<NetworkTrap> {
  const attempts: string[] = []
  const server = createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`)
    res.writeHead(502).end()
  })
  server.on('connect', (req, socket) => {
    attempts.push(`CONNECT ${req.url}`)
    socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
  })
  await new Promise<void>(done => server.listen(0, '127.0.0.1', done))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    env: { HTTPS_PROXY: url, HTTP_PROXY: url, NO_PROXY: '127.0.0.1,localhost,::1' },
    attempts,
    close: () =>
      new Promise<void>(done => {
        server.close(() => done())
        server.closeAllConnections()
      })
  }
}
