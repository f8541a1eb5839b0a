// @ts-check
// `npm run demo`: run the bundled action once, the way a GitHub runner does, against the
// ECR and Pipecat Cloud emulators, then show what it printed, what it output and what got stored.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEcrEmulator } from '../__tests__/emulators/ecr.js'
import { startPipecatEmulator } from '../__tests__/emulators/pipecat.js'
import { parseOutputFile } from '../__tests__/support/runner-files.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const actionPath = join(root, 'dist', 'index.js')
const ACTION_TIMEOUT_MS = 5 * 60 * 1000

if (!existsSync(actionPath)) {
  console.error('dist/index.js is missing: run `npm run bundle` first, then `npm run demo` again.')
  process.exit(1)
}

const ecr = await startEcrEmulator()
const pipecat = await startPipecatEmulator()
const runnerTemp = mkdtempSync(join(tmpdir(), 'pipecat-ecr-demo-'))
const workspace = join(runnerTemp, 'workspace')
const outputFile = join(runnerTemp, 'github-output')
const summaryFile = join(runnerTemp, 'step-summary.md')
mkdirSync(workspace)
writeFileSync(outputFile, '')
writeFileSync(summaryFile, '')

/** @type {Record<string, string>} */
const inputs = {
  'aws-account-id': ecr.accountId,
  'aws-region': 'us-east-1',
  'secret-name': 'my-ecr-credentials',
  'pipecat-api-token': pipecat.token,
  'pipecat-api-url': pipecat.url,
  'pipecat-region': 'us-west',
  'wait-for-ready': 'true',
  'check-agents': 'true'
}

// A small fleet for the agents report: one healthy on this set, one in another region, one whose pull fails.
const agentImage = `${ecr.accountId}.dkr.ecr.us-east-1.amazonaws.com/voice-agent:1.4`
pipecat.seedAgent({ name: 'support-bot', imagePullSecretName: 'my-ecr-credentials', image: agentImage })
pipecat.seedAgent({ name: 'support-bot-eu', region: 'eu-central', imagePullSecretName: 'my-ecr-credentials', image: agentImage })
pipecat.seedAgent({
  name: 'sales-bot',
  imagePullSecretName: 'my-ecr-credentials',
  image: agentImage,
  ready: false,
  health: { ready: false, state: 'waiting', restartCount: 3, reason: 'ImagePullBackOff' }
})
pipecat.seedAgent({ name: 'docs-bot', imagePullSecretName: 'dockerhub-credentials' })

try {
  section(
    'Inputs',
    Object.entries(inputs).map(([name, value]) => `${name}: ${name === 'pipecat-api-token' ? '***' : value}`)
  )

  const run = await runAction({
    ...inheritedEnvironment(),
    ...inputEnvironment({ ...actionDefaults(), ...inputs }),
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: runnerTemp,
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_ECR: ecr.url,
    AWS_REGION: 'us-east-1'
  })

  // The runner hides each value the action registered with ::add-mask::, and so do we.
  const masked = [...run.log.matchAll(/^::add-mask::(.*)$/gm)].map(m => m[1].trim()).filter(Boolean)
  const hide = (/** @type {string} */ text) => revealLeaks(masked.reduce((out, value) => out.split(value).join('***'), text))

  section(
    'Action log',
    hide(run.log.replace(/^::add-mask::.*\r?\n?/gm, ''))
      .trimEnd()
      .split('\n')
  )
  section('Exit code', [run.timedOut ? `stopped after ${ACTION_TIMEOUT_MS / 1000} s without finishing` : String(run.code)])
  section(
    'Outputs',
    Object.entries(parseOutputFile(readFileSync(outputFile, 'utf8'))).map(
      ([name, value]) => `${name}: ${value === '' ? '(empty)' : hide(value).replace(/\n/g, '\n  ')}`
    )
  )
  section('Job summary', hide(readFileSync(summaryFile, 'utf8')).trimEnd().split('\n'))
  section('Stored in Pipecat Cloud (emulated)', storedSets())

  process.exitCode = run.code ?? 1
} finally {
  await Promise.all([ecr.close(), pipecat.close()])
  rmSync(runnerTemp, { recursive: true, force: true })
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{log: string, code: number | null, timedOut: boolean}>}
 */
function runAction(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [actionPath], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
    // One log in arrival order, as the runner shows stdout and stderr together.
    let log = ''
    child.stdout.on('data', chunk => (log += chunk))
    child.stderr.on('data', chunk => (log += chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGTERM')
    }, ACTION_TIMEOUT_MS)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({ log, code, timedOut })
    })
  })
}

/**
 * The developer's own AWS profile, proxy or runner state must not reach the action:
 * the demo talks to the emulators only.
 */
function inheritedEnvironment() {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(AWS_|INPUT_|GITHUB_|RUNNER_|ACTIONS_)/.test(name) && !/_proxy$/i.test(name)))
}

/**
 * The runner passes input `aws-account-id` as INPUT_AWS-ACCOUNT-ID: upper case, hyphens kept.
 * @param {Record<string, string>} values
 */
function inputEnvironment(values) {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]))
}

/**
 * The runner fills in action.yml defaults for inputs a workflow leaves out. Expressions such as
 * `${{ github.token }}` need a real run to evaluate, so those inputs stay unset.
 * @returns {Record<string, string>}
 */
function actionDefaults() {
  const actionYml = join(root, 'action.yml')
  if (!existsSync(actionYml)) return {}
  /** @type {Record<string, string>} */
  const defaults = {}
  let block = ''
  let input = ''
  for (const line of readFileSync(actionYml, 'utf8').split(/\r?\n/)) {
    block = /^(\S[^:]*):/.exec(line)?.[1] ?? block
    input = /^ {2}([\w-]+):\s*$/.exec(line)?.[1] ?? input
    const value = /^ {4}default:\s*(.*?)\s*$/.exec(line)?.[1]
    if (block === 'inputs' && value !== undefined && !value.includes('${{')) {
      defaults[input] = value.replace(/^(['"])(.*)\1$/, '$2')
    }
  }
  return defaults
}

/**
 * Secrets the action failed to mask are named rather than printed, so a leak shows without spilling.
 * @param {string} text
 */
function revealLeaks(text) {
  return text
    .split(ecr.authorizationToken)
    .join('[UNMASKED ECR TOKEN]')
    .split(ecr.password)
    .join('[UNMASKED ECR PASSWORD]')
    .split(pipecat.token)
    .join('[UNMASKED PIPECAT API TOKEN]')
}

/** What the emulated API holds and was sent, without any secret value or token. */
function storedSets() {
  const lines = []
  for (const set of pipecat.sets.values()) {
    lines.push(`${set.name}: type ${set.type}, region ${set.region}, status ${set.status}`)
    if (set.host) lines.push(`  host: ${set.host}`)
    if (set.errorMessage) lines.push(`  errorMessage: ${set.errorMessage}`)
    if (set.secretValue !== undefined) {
      lines.push(`  secretValue is the ECR authorization token: ${set.secretValue === ecr.authorizationToken ? 'yes' : 'NO'}`)
    }
  }
  if (lines.length === 0) lines.push('(no secret set)')
  for (const request of pipecat.requests.filter(r => r.method === 'PUT')) {
    const body = request.body
    const keys = typeof body === 'object' && body !== null ? Object.keys(body).join(', ') : '(not a JSON object)'
    lines.push(`PUT ${request.path} with keys: ${keys}`)
  }
  const lists = pipecat.requests.filter(r => r.method === 'GET' && r.path.startsWith('/v1/secrets')).length
  lines.push(`status reads: ${lists}, ECR token requests: ${ecr.requests.length}`)
  return lines
}

/**
 * @param {string} title
 * @param {string[]} lines
 */
function section(title, lines) {
  console.log(`\n=== ${title} ===`)
  console.log(lines.length === 0 || (lines.length === 1 && lines[0] === '') ? '(none)' : lines.join('\n'))
}
