// @ts-check
// `npm run demo [-- SCENARIO]`: run the bundled action the way a GitHub runner does, against the ECR, Pipecat
// Cloud, registry and GitHub emulators, then show what it printed, what it output and what it changed.
// `npm run demo -- --list` names the scenarios. The demo exits 0 when every run ended as its scenario expects.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEcrEmulator } from '../__tests__/emulators/ecr.js'
import { startGitHubEmulator } from '../__tests__/emulators/github.js'
import { startPipecatEmulator } from '../__tests__/emulators/pipecat.js'
import { startRegistryEmulator } from '../__tests__/emulators/registry.js'
import { parseOutputFile } from '../__tests__/support/runner-files.js'
import { findNode24 } from './node24.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const actionPath = join(root, 'dist', 'index.js')
const ACTION_TIMEOUT_MS = 5 * 60 * 1000
// The runner runs the action on node24 (action.yml): so does the demo, when node24 is installed (npm ci installs it).
const actionNode = findNode24()?.path ?? process.execPath
const SECRET_NAME = 'my-ecr-credentials'
// The emulated GitHub API accepts only this token; it stands in for the job's GITHUB_TOKEN.
const GITHUB_TOKEN = 'ghs_demo0000000000000000000000000000000000'

/**
 * @typedef {object} World
 * @property {Awaited<ReturnType<typeof startEcrEmulator>>} ecr
 * @property {Awaited<ReturnType<typeof startPipecatEmulator>>} pipecat
 * @property {Awaited<ReturnType<typeof startRegistryEmulator>>} registry
 * @property {Awaited<ReturnType<typeof startGitHubEmulator>>} github
 * @property {string} workspace
 * @property {string} registryHost  the ECR host the action derives from the account and region
 *
 * @typedef {object} Step
 * @property {string} [title]                 shown before the run's sections when a scenario runs more than once
 * @property {Record<string, string>} inputs  on top of the inputs every run has
 * @property {Record<string, string>} [env]
 * @property {0 | 1} expect                   the exit code this run should end with
 *
 * @typedef {object} Scenario
 * @property {string} about
 * @property {(world: World) => Step[]} steps
 * @property {(world: World) => void} [before]
 * @property {(world: World) => Array<[string, string[]]>} [after]  further sections, once the runs are done
 */

const CONFIG_BEFORE = [
  '# Read by `pipecat cloud deploy`. The action edits only the keys it owns; comments and the rest stay.',
  'agent_name = "support-bot"',
  'image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/support-bot:1.3" # the release pipeline sets this',
  'secret_set = "support-bot-secrets"',
  '',
  '[scaling]',
  "min_instances = 0 # the CLI's old name: the action renames it",
  ''
].join('\n')

/** @type {Record<string, Scenario>} */
const SCENARIOS = {
  refresh: {
    about: 'the default: store the ECR token as an image pull secret, wait until it is ready, report the agents',
    before: seedFleet,
    steps: () => [{ inputs: { 'check-agents': 'true' }, expect: 0 }]
  },
  'dry-run': {
    about: 'dry-run: true: get the token and check Pipecat Cloud read-only; nothing is stored, no file is written',
    steps: () => [{ inputs: { 'dry-run': 'true' }, expect: 0 }]
  },
  failure: {
    about: 'a revoked Pipecat Cloud key: the one-line error, the outputs a failed run still sets, the summary it writes',
    steps: () => [{ inputs: { 'pipecat-api-token': 'pk_revoked_demo_key_0123456789' }, expect: 1 }]
  },
  config: {
    about: 'config-file: pcc-deploy.toml edited in place for the deploy that follows: the file before, after, and the diff',
    before: world => writeFileSync(join(world.workspace, 'pcc-deploy.toml'), CONFIG_BEFORE),
    steps: world => [
      {
        inputs: {
          'config-file': 'pcc-deploy.toml',
          image: `${world.registryHost}/support-bot:1.4`,
          'verify-image': 'false',
          'agent-profile': 'agent-1x',
          'min-agents': '1',
          'max-agents': '5'
        },
        expect: 0
      }
    ],
    after: world => {
      const after = readFileSync(join(world.workspace, 'pcc-deploy.toml'), 'utf8')
      return [
        ['pcc-deploy.toml before', CONFIG_BEFORE.trimEnd().split('\n')],
        ['pcc-deploy.toml after', after.trimEnd().split('\n')],
        ['Diff', lineDiff(CONFIG_BEFORE, after)]
      ]
    }
  },
  preflight: {
    about: 'image: the pre-flight asks the registry, with the token Pipecat Cloud will pull with, for a linux/arm64 image',
    before: world => world.registry.pushImage('voice-agent', '1.4', ['linux/amd64', 'linux/arm64']),
    steps: world => [{ inputs: { registry: world.registry.url, image: 'voice-agent:1.4' }, expect: 0 }],
    after: world => [['Registry requests (emulated)', registryRequests(world)]]
  },
  'preflight-fail': {
    about: 'image built for linux/amd64 only: the pre-flight fails the run before anything is stored',
    before: world => world.registry.pushImage('voice-agent', '1.5', ['linux/amd64']),
    steps: world => [{ inputs: { registry: world.registry.url, image: 'voice-agent:1.5' }, expect: 1 }],
    after: world => [['Registry requests (emulated)', registryRequests(world)]]
  },
  agents: {
    about: 'check-agents and fail-on-unhealthy-agents: which agents pull with the set and cannot; the run fails after storing',
    before: seedFleet,
    steps: () => [{ inputs: { 'check-agents': 'true', 'fail-on-unhealthy-agents': 'true' }, expect: 1 }]
  },
  targets: {
    about: 'targets: one token stored in a secret set per region, side by side; one in a region the organization lacks fails alone',
    steps: () => [
      {
        inputs: { 'secret-name': '', 'pipecat-region': '', targets: 'ecr-pull-us-west: us-west\necr-pull-eu-central: eu-central\necr-pull-ap-south: ap-south' },
        expect: 1
      }
    ]
  },
  alert: {
    about: 'alert-issue: a failed run opens an issue (emulated GitHub), the next successful run closes it',
    // This workflow's last successful run, 2 hours ago: the issue estimates from it when the stored secret expires.
    before: world => {
      const repository = 'acme/agents'
      world.github.addRun({ id: 1, workflow_id: 42, repository, status: 'in_progress', conclusion: null, run_started_at: new Date().toISOString() })
      world.github.addRun({ id: 2, workflow_id: 42, repository, status: 'queued', conclusion: null, run_started_at: new Date().toISOString() })
      world.github.addRun({ id: 0, workflow_id: 42, repository, run_started_at: new Date(Date.now() - 2 * 3600_000).toISOString() })
    },
    steps: () => [
      { title: 'Run 1: the key was revoked', inputs: { ...alertInputs(), 'pipecat-api-token': 'pk_revoked_demo_key_0123456789' }, env: alertEnv(1), expect: 1 },
      { title: 'Run 2: a good key again', inputs: alertInputs(), env: alertEnv(2), expect: 0 }
    ],
    after: world => [['Alert issue (emulated GitHub)', alertIssues(world)]]
  }
}

const args = process.argv.slice(2)
if (args.includes('--list')) {
  const width = Math.max(...Object.keys(SCENARIOS).map(name => name.length))
  for (const [name, scenario] of Object.entries(SCENARIOS)) console.log(`${name.padEnd(width)}  ${scenario.about}`)
  process.exit(0)
}
const scenarioName = args[0] ?? 'refresh'
const scenario = SCENARIOS[scenarioName]
if (!scenario || args.length > 1) {
  console.error(
    `npm run demo: no scenario ${JSON.stringify(args.join(' '))}; choose one of: ${Object.keys(SCENARIOS).join(', ')} (npm run demo -- --list says what each shows).`
  )
  process.exit(2)
}
if (!existsSync(actionPath)) {
  console.error('dist/index.js is missing: run `npm run bundle` first, then `npm run demo` again.')
  process.exit(1)
}

const ecr = await startEcrEmulator()
const pipecat = await startPipecatEmulator()
const registry = await startRegistryEmulator({ authorizationToken: ecr.authorizationToken })
const github = await startGitHubEmulator({ token: GITHUB_TOKEN })
const runnerTemp = mkdtempSync(join(tmpdir(), 'pipecat-ecr-demo-'))
const workspace = join(runnerTemp, 'workspace')
mkdirSync(workspace)
/** @type {World} */
const world = { ecr, pipecat, registry, github, workspace, registryHost: `${ecr.accountId}.dkr.ecr.us-east-1.amazonaws.com` }

/** @type {string[]} every value any run registered with ::add-mask:: */
const masked = []
// The runner hides each value the action registered with ::add-mask::, and so do we.
const hide = (/** @type {string} */ text) => revealLeaks(masked.reduce((out, value) => out.split(value).join('***'), text))

try {
  console.log(`demo: ${scenarioName}: ${scenario.about}`)
  scenario.before?.(world)
  const steps = scenario.steps(world)
  let asExpected = true
  for (const [at, step] of steps.entries()) {
    if (step.title) console.log(`\n##### ${step.title}`)
    asExpected = (await showRun(step, at)) && asExpected
  }
  section('Stored in Pipecat Cloud (emulated)', storedSets())
  for (const [title, lines] of scenario.after?.(world) ?? []) section(title, lines.map(hide))
  process.exitCode = asExpected ? 0 : 1
} finally {
  await Promise.all([ecr.close(), pipecat.close(), registry.close(), github.close()])
  rmSync(runnerTemp, { recursive: true, force: true })
}

/**
 * Runs the action once and prints its sections; true when it ended with the exit code the step expects.
 * @param {Step} step
 * @param {number} at
 */
async function showRun(step, at) {
  const inputs = {
    'aws-account-id': ecr.accountId,
    'aws-region': 'us-east-1',
    'secret-name': SECRET_NAME,
    'pipecat-api-token': pipecat.token,
    'pipecat-api-url': pipecat.url,
    'pipecat-region': 'us-west',
    'wait-for-ready': 'true',
    ...step.inputs
  }
  const outputFile = join(runnerTemp, `github-output-${at}`)
  const summaryFile = join(runnerTemp, `step-summary-${at}.md`)
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')

  section(
    'Inputs',
    Object.entries(inputs).map(([name, value]) => `${name}: ${name === 'pipecat-api-token' || name === 'github-token' ? '***' : value}`)
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
    AWS_REGION: 'us-east-1',
    ...step.env
  })
  masked.push(...[...run.log.matchAll(/^::add-mask::(.*)$/gm)].map(m => m[1].trim()).filter(Boolean))

  section(
    'Action log',
    hide(run.log.replace(/^::add-mask::.*\r?\n?/gm, ''))
      .trimEnd()
      .split('\n')
  )
  const expected = run.code === step.expect ? ` (as this scenario expects)` : ` (this scenario expects ${step.expect})`
  section('Exit code', [
    run.timedOut ? `stopped after ${ACTION_TIMEOUT_MS / 1000} s without finishing` : `${run.code}${step.expect === 0 && run.code === 0 ? '' : expected}`
  ])
  section(
    'Outputs',
    Object.entries(parseOutputFile(readFileSync(outputFile, 'utf8'))).map(
      ([name, value]) => `${name}: ${value === '' ? '(empty)' : hide(value).replace(/\n/g, '\n  ')}`
    )
  )
  section('Job summary', hide(readFileSync(summaryFile, 'utf8')).trimEnd().split('\n'))
  return !run.timedOut && run.code === step.expect
}

/** A small fleet for the agents report: one healthy on this set, one in another region, one whose pull fails. */
function seedFleet(/** @type {World} */ { pipecat, registryHost }) {
  const agentImage = `${registryHost}/voice-agent:1.4`
  pipecat.seedAgent({ name: 'support-bot', imagePullSecretName: SECRET_NAME, image: agentImage })
  pipecat.seedAgent({ name: 'support-bot-eu', region: 'eu-central', imagePullSecretName: SECRET_NAME, image: agentImage })
  pipecat.seedAgent({
    name: 'sales-bot',
    imagePullSecretName: SECRET_NAME,
    image: agentImage,
    ready: false,
    health: { ready: false, state: 'waiting', restartCount: 3, reason: 'ImagePullBackOff' }
  })
  pipecat.seedAgent({ name: 'docs-bot', imagePullSecretName: 'dockerhub-credentials' })
}

function alertInputs() {
  return { 'alert-issue': 'true', 'github-token': GITHUB_TOKEN, 'wait-for-ready': 'false' }
}

/** @param {number} runId */
function alertEnv(runId) {
  return { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/agents', GITHUB_RUN_ID: String(runId) }
}

/** @param {World} world */
function alertIssues(world) {
  const lines = []
  for (const issue of world.github.issues) {
    lines.push(
      `#${issue.number} ${issue.title}`,
      `  state: ${issue.state}, labels: ${issue.labels.map((/** @type {any} */ l) => l.name ?? l).join(', ')}`,
      '  body:'
    )
    lines.push(
      ...String(issue.body)
        .split('\n')
        .map(line => `    ${line}`)
    )
    for (const comment of world.github.comments.filter((/** @type {any} */ c) => c.issue_number === issue.number)) {
      lines.push(
        '  comment:',
        ...String(comment.body)
          .split('\n')
          .map(line => `    ${line}`)
      )
    }
  }
  return lines.length > 0 ? lines : ['(no issue)']
}

/** @param {World} world */
function registryRequests(world) {
  return world.registry.requests.map(r => `${r.method} ${r.path}${r.authorized ? '' : ' (refused: not the ECR token)'}`)
}

/**
 * The lines removed (-) and added (+), with the unchanged ones between, from a longest common subsequence.
 * @param {string} before
 * @param {string} after
 */
function lineDiff(before, after) {
  const a = before.trimEnd().split('\n')
  const b = after.trimEnd().split('\n')
  const common = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1])
  }
  const lines = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push(`  ${a[i++]}`)
      j++
    } else if (i < a.length && (j === b.length || common[i + 1][j] >= common[i][j + 1])) lines.push(`- ${a[i++]}`)
    else lines.push(`+ ${b[j++]}`)
  }
  return lines
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{log: string, code: number | null, timedOut: boolean}>}
 */
function runAction(env) {
  return new Promise((resolve, reject) => {
    const child = spawn(actionNode, [actionPath], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
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
    .split(GITHUB_TOKEN)
    .join('[UNMASKED GITHUB TOKEN]')
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
