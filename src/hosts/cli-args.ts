/**
 * The command line, turned into what readInputs reads: each `--<input> value` (or `--<input>=value`) of
 * action.yml becomes the `INPUT_<NAME>` variable the runner would set, so the same validation gives the
 * same messages. The Pipecat key comes from PIPECAT_API_KEY only: a flag would leave it in process lists
 * and shell history. GitHub's own inputs are refused with the reason. No I/O: cli.ts prints.
 */
import { ACTION_INPUTS } from './generated/action-inputs.js'

type Env = Record<string, string | undefined>

export type CommandLine =
  | { help: true }
  /** A bad command line: one line with the cause and the fix; exit code 2. */
  | { problem: string }
  | { env: Env; json: boolean }

const COMMAND = 'pipecat-ecr-pull-secret'
const HELP_HINT = `see ${COMMAND} --help`
const OPTIONS: Record<string, string> = {
  json: "print the outputs (action.yml's outputs, as strings) as one JSON object on stdout",
  debug: 'also print debug lines, and stack traces that point at the source',
  help: 'print this text'
}
/** Inputs that hold a credential: given on the command line they would stay in process lists and shell history. */
const FROM_ENVIRONMENT: Record<string, string> = { 'heartbeat-url': 'HEARTBEAT_URL', 'heartbeat-failure-url': 'HEARTBEAT_FAILURE_URL' }
const API_KEY = 'PIPECAT_API_KEY'

const envName = (input: string): string => `INPUT_${input.toUpperCase()}`

/** Why an input cannot be used here, for the inputs only GitHub Actions can serve. */
function refused(name: string, value: string): string | undefined {
  switch (name) {
    case 'pipecat-api-token':
      return `--pipecat-api-token is not accepted, so the key stays out of process lists and shell history: put the Pipecat Cloud Private API key in the environment variable ${API_KEY} instead.`
    case 'github-token':
      return '--github-token is for GitHub Actions (the alert issue and the staleness report), which a command line has neither of: remove it.'
    case 'alert-issue':
      // Asked for and silently absent, a failure would alert nobody: a monitoring service must take its place.
      return /^(true|True|TRUE)$/.test(value) || value === ''
        ? `--alert-issue needs GitHub Actions (it opens an issue in the workflow's repository): remove it, and set HEARTBEAT_URL so a monitoring service alerts you when a refresh fails or stops (${HELP_HINT}).`
        : undefined
  }
  return undefined
}

/** The command line and the environment, as readInputs's environment; or help; or the one problem with them. */
export function parseCommandLine(argv: string[], environment: Env): CommandLine {
  const known = new Map(ACTION_INPUTS.map(input => [input.name, input]))
  // Variables of the runner's shape from elsewhere must not stand in for flags.
  const env: Env = Object.fromEntries(Object.entries(environment).filter(([name]) => !name.startsWith('INPUT_')))
  const given = new Set<string>()
  let json = false
  for (let at = 0; at < argv.length; at++) {
    const arg = argv[at]
    const match = /^--([^=]+)(?:=([\s\S]*))?$/.exec(arg)
    if (!match) {
      return { problem: `Unexpected argument "${arg.startsWith('-') ? arg : arg.slice(0, 40)}": give inputs as --<input> value (${HELP_HINT}).` }
    }
    const [, name, inline] = match
    if (name === 'help') return { help: true }
    if (name === 'json' || name === 'debug') {
      if (inline !== undefined) return { problem: `--${name} takes no value: write --${name} alone.` }
      if (name === 'json') json = true
      else env.RUNNER_DEBUG = '1'
      continue
    }
    const input = known.get(name)
    if (!input) return { problem: `Unknown option --${name}: ${HELP_HINT} for the inputs, which are action.yml's.` }
    // Refused before its value is even read, so no message can show it.
    const credential = name === 'pipecat-api-token' || name === 'github-token' ? refused(name, '') : undefined
    if (credential) return { problem: credential }
    // A bare boolean flag means true; any other flag takes the next argument as its value.
    const next = argv[at + 1]
    let value: string
    if (inline !== undefined) value = inline
    else if (input.boolean && (next === undefined || next.startsWith('--'))) value = 'true'
    else if (next === undefined || next.startsWith('--')) {
      return { problem: `--${name} needs a value: write --${name} <value> or --${name}=<value> (${HELP_HINT}).` }
    } else value = argv[++at]
    const why = refused(name, value)
    if (why) return { problem: why }
    if (given.has(name)) return { problem: `--${name} is given twice: give it once.` }
    given.add(name)
    env[envName(name)] = value
  }

  for (const [name, variable] of Object.entries(FROM_ENVIRONMENT)) {
    if (!environment[variable]) continue
    if (given.has(name)) return { problem: `${name} is given both as --${name} and as ${variable}: keep ${variable}, which stays out of process lists.` }
    env[envName(name)] = environment[variable]
  }
  if (!given.has('aws-account-id')) return { problem: '--aws-account-id is missing: pass the 12-digit ID of the AWS account that owns the ECR registry.' }
  if (!given.has('secret-name')) {
    return { problem: '--secret-name is missing: pass the name of the Pipecat Cloud image pull secret set, e.g. --secret-name my-ecr-credentials.' }
  }
  if (!given.has('aws-region') && !environment.AWS_REGION && !environment.AWS_DEFAULT_REGION) {
    return { problem: `--aws-region is missing and AWS_REGION is not set: pass the ECR registry's region, e.g. --aws-region us-east-1.` }
  }
  const key = environment[API_KEY] ?? ''
  if (key === '') return { problem: `${API_KEY} is not set: put your Pipecat Cloud Private API key in it, from your scheduler's secret store.` }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(key)) {
    return { problem: `${API_KEY} holds a space, line break or control character, which no API key has: set it to the Private API key alone.` }
  }
  env[envName('pipecat-api-token')] = key
  return { env, json }
}

/** --help, from action.yml's inputs: every one of them, each with its description. */
export function helpText(): string {
  const flags = ACTION_INPUTS.filter(input => input.name !== 'pipecat-api-token')
  const width = Math.max(...flags.map(input => input.name.length), ...Object.keys(OPTIONS).map(name => name.length)) + 4
  const row = (flag: string, text: string) => `  ${flag.padEnd(width)}${text}`
  const inputRows = flags.map(input => {
    const notes = [
      input.required ? 'required' : undefined,
      input.boolean ? 'a bare flag means true' : undefined,
      input.name in FROM_ENVIRONMENT ? `better from ${FROM_ENVIRONMENT[input.name]}` : undefined,
      input.name === 'github-token' || input.name === 'alert-issue' ? 'GitHub Actions only: refused here' : undefined
    ].filter(Boolean)
    return row(`--${input.name}`, `${notes.length ? `(${notes.join('; ')}) ` : ''}${input.description}`)
  })
  return [
    `Usage: ${COMMAND} --aws-account-id <id> --secret-name <name> [--aws-region <region>] [inputs] [--json]`,
    '',
    'Refreshes a Pipecat Cloud image pull secret from Amazon ECR: the GitHub Action of the same name, for any scheduler.',
    '',
    "Inputs (action.yml's, with the same names and checks; --<input> <value> or --<input>=<value>):",
    ...inputRows,
    '',
    'Options:',
    ...Object.entries(OPTIONS).map(([name, text]) => row(`--${name}`, text)),
    '',
    'Environment:',
    row(API_KEY, "(required) the Pipecat Cloud Private API key: the action's pipecat-api-token input, never a flag."),
    row('HEARTBEAT_URL', 'heartbeat-url, kept out of process lists; HEARTBEAT_FAILURE_URL likewise for heartbeat-failure-url.'),
    row('AWS_REGION', 'the default for --aws-region (then AWS_DEFAULT_REGION).'),
    row('AWS_*', "the AWS SDK's default credential chain: keys, AWS_PROFILE (SSO too), AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE,"),
    row('', 'container credentials (ECS, EKS Pod Identity) and the instance role.'),
    row('HTTPS_PROXY', 'HTTP_PROXY and NO_PROXY, as in the action.'),
    '',
    'Log lines go to stderr. Exit codes: 0 refreshed (or the dry run passed), 1 the refresh failed, 2 a bad command line or input.',
    'Set-ups for GitLab CI, Kubernetes and cron: docs/outside-github.md.',
    ''
  ].join('\n')
}
