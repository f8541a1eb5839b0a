import { ActionError } from './errors.js'
import { parseImageReference, type ImageRef } from './image.js'

/** The proxy settings a runner exports, read here so nothing else touches the environment. */
export interface ProxySettings {
  httpProxy?: string
  httpsProxy?: string
  noProxy?: string
}

/**
 * Everything a run needs, checked before any network call. The only module that reads the environment.
 * It loads nothing else, so a bad input fails before @actions/core or anything heavier is loaded.
 */
export interface Inputs {
  accountId: string
  awsRegion: string
  /** Host (and port, for a loopback test registry) of the registry, no scheme. */
  registryHost: string
  /** Scheme and host: https, or http for a loopback registry. */
  registryUrl: string
  /**
   * The secret set config-file names and, with one target, the only one. With several targets and a
   * config-file, the target whose region matches the file's (main picks it once the file is read).
   */
  secretName: string
  apiToken: string
  pipecatRegion?: string
  /** Every secret set this run stores the token in: at least one, from `targets` or from secret-name and pipecat-region. */
  targets: Target[]
  /** Several targets, a config-file and no pipecat-region: the file's own region picks the target it names. */
  configTargetByFile: boolean
  /** Pipecat Cloud API base, without a trailing slash or `/v1`. */
  apiUrl: string
  waitForReady: boolean
  waitTimeoutMs: number
  requestTimeoutMs: number
  dryRun: boolean
  proxy: ProxySettings
  image?: ImageRef
  verifyImage: boolean
  configFile?: string
  /** The folder config-file must stay inside, links resolved: the checkout (GITHUB_WORKSPACE), else the working directory. */
  workspace: string
  deployConfig: DeployConfigInputs
  alert?: AlertInputs
  /** A dead-man's-switch service to ping after each run; its URLs are credentials. */
  heartbeat?: HeartbeatInputs
  /** Where this run's workflow history is read, for the staleness report, or why it cannot be. */
  runHistory: RunHistoryInputs | { missing: string }
  /** Report the agents that pull with this secret set, and warn about the ones that cannot. */
  checkAgents: boolean
  /** End the run as failed when an agent using this set has a problem (after the refresh). */
  failOnUnhealthyAgents: boolean
  /** The runner's debug logging is on (RUNNER_DEBUG=1, "Enable debug logging"). */
  debug: boolean
  /** Credentials the environment holds that no message may show: the AWS secret key and session token. */
  environmentSecrets: string[]
}

/** One secret set to refresh: its name and the Pipecat Cloud region it lives in (undefined: the organization's default). */
export interface Target {
  secretName: string
  region?: string
}

/** More would be a job for a matrix: each target is a PUT and a share of the status reads. */
export const MAX_TARGETS = 20
/** Targets stored at once: their PUTs share the run's one connection to Pipecat Cloud, pipelined. */
export const TARGET_CONCURRENCY = 4

export interface DeployConfigInputs {
  agentName?: string
  secretSet?: string
  agentProfile?: string
  minAgents?: number
  maxAgents?: number
}

export interface AlertInputs {
  token: string
  repository: string
  runUrl: string
  apiUrl?: string
}

export interface HeartbeatInputs {
  /** Pinged after a successful run. */
  url: string
  /** Pinged after a failed run; without it, heartbeat.ts derives it from url by the service's convention. */
  failureUrl?: string
}

export interface RunHistoryInputs {
  token: string
  /** GitHub API base, without a trailing slash: the only place the token is sent. */
  apiUrl: string
  /** owner/repo */
  repository: string
  /** This run's id: the Actions API tells its workflow, whose last successful run dates the stored secret. */
  runId: string
  /** Links to runs are this followed by /<run id>. */
  runsUrl: string
}

type Env = Record<string, string | undefined>

/** An input as the runner passes it, the way @actions/core's getInput reads it. */
function input(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
}

// Pipecat Cloud's own rule for set names (OpenAPI `setName`), so a bad name fails here and not at the API.
const SET_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/
/** Pipecat Cloud region codes (us-west, eu-central): also the shape a region from the API must have. */
export const PIPECAT_REGION = /^[a-z]{2,}(-[a-z0-9]+)*$/
const HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)(:\d{1,5})?$/

const fail = (message: string): never => {
  throw new ActionError(message)
}

/** Loopback only: the token must never travel in clear over a network. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

/** The registry host ECR serves for an account and region (ECR.md: "Registry hostnames"). */
export function defaultRegistryHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`
}

// The YAML 1.2 core schema booleans, as core.getBooleanInput accepts them, with a one-line error.
function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = input(env, name)
  if (raw === '') return fallback
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE'].includes(raw)) return false
  return fail(`Input ${name} is "${raw}", not a boolean: use true or false.`)
}

function readWholeNumber(env: Env, name: string, min: number, max: number, unit = ''): number | undefined {
  const raw = input(env, name)
  if (raw === '') return undefined
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    fail(`Input ${name} is "${raw}": use a whole number from ${min} to ${max}${unit}.`)
  }
  return Number(raw)
}

function readAccountId(env: Env): string {
  const raw = input(env, 'aws-account-id')
  if (raw === '') fail('Input aws-account-id is empty: set it to the 12-digit ID of the AWS account that owns the ECR registry, quoted.')
  if (/^\d{12}$/.test(raw)) return raw
  if (/^\d{1,11}$/.test(raw)) {
    fail(
      `Input aws-account-id is "${raw}", ${raw.length} digits instead of 12: YAML drops leading zeros from an unquoted number, so quote it (aws-account-id: '${raw.padStart(12, '0')}').`
    )
  }
  return fail(`Input aws-account-id is "${raw}": use the 12-digit ID of the AWS account that owns the ECR registry.`)
}

function readAwsRegion(env: Env): string {
  const given = input(env, 'aws-region')
  const [raw, source] = given
    ? [given, 'Input aws-region']
    : env.AWS_REGION
      ? [env.AWS_REGION, 'AWS_REGION (set by aws-actions/configure-aws-credentials)']
      : [env.AWS_DEFAULT_REGION ?? '', 'AWS_DEFAULT_REGION']
  if (raw === '') {
    fail(
      'Input aws-region is not set and neither is AWS_REGION: set aws-region, or run aws-actions/configure-aws-credentials with aws-region before this step.'
    )
  }
  if (!AWS_REGION.test(raw)) {
    fail(
      given
        ? `Input aws-region is "${raw}": use an AWS region code such as us-east-1.`
        : `${source} is "${raw}", not an AWS region code: fix aws-region where it is set, or set this action's aws-region input.`
    )
  }
  return raw
}

const SET_NAME_RULE = 'Pipecat Cloud set names are 3 to 63 characters of lowercase letters, digits, "-" and ".", starting and ending with a letter or digit.'
const isSetName = (raw: string): boolean => raw.length >= 3 && raw.length <= 63 && SET_NAME.test(raw)

function readSetName(env: Env, name: string, required: boolean): string | undefined {
  const raw = input(env, name)
  if (raw === '' && required) fail(`Input ${name} is empty: set it to the name of the Pipecat Cloud image pull secret set, e.g. my-ecr-credentials.`)
  if (raw === '') return undefined
  if (!isSetName(raw)) fail(`Input ${name} is "${raw}": ${SET_NAME_RULE}`)
  return raw
}

/**
 * `targets`: one `secret-name: pipecat-region` per line; blank lines and `#` comments are skipped. Each
 * region is required, since a set serves only agents of its own region and two defaults would collide.
 */
function readTargets(raw: string): Target[] {
  const targets: Target[] = []
  const lines = raw.split(/\r?\n/)
  lines.forEach((text, index) => {
    const line = text.replace(/(^|\s)#.*$/, '').trim()
    if (line === '') return
    const at = `Input targets, line ${index + 1}`
    const match = /^([^:\s]+)\s*:\s*(\S*)$/.exec(line)
    if (!match) fail(`${at} is "${line}": write one secret set per line as secret-name: pipecat-region, e.g. ecr-pull-us-west: us-west.`)
    const [, secretName, region] = match as RegExpExecArray
    if (!isSetName(secretName)) fail(`${at} names the secret set "${secretName}": ${SET_NAME_RULE}`)
    if (region === '') fail(`${at} gives secret set ${secretName} no region: add its Pipecat Cloud region, e.g. ${secretName}: us-west.`)
    if (!PIPECAT_REGION.test(region)) fail(`${at} gives the region "${region}": use a Pipecat Cloud region such as us-west.`)
    const sameName = targets.findIndex(target => target.secretName === secretName)
    if (sameName !== -1) fail(`${at} names secret set ${secretName} again: a set lives in one region, so list each name once.`)
    const sameRegion = targets.find(target => target.region === region)
    if (sameRegion) {
      fail(
        `${at} gives region ${region} a second secret set (${sameRegion.secretName} is there already): agents use one pull secret per region, so keep one line per region.`
      )
    }
    targets.push({ secretName, region })
  })
  if (targets.length === 0) fail('Input targets holds no secret set: write one per line as secret-name: pipecat-region, or remove targets and use secret-name.')
  if (targets.length > MAX_TARGETS)
    fail(`Input targets lists ${targets.length} secret sets, more than ${MAX_TARGETS}: split them over several steps or a matrix.`)
  return targets
}

function readApiUrl(env: Env): string {
  const raw = input(env, 'pipecat-api-url') || 'https://api.pipecat.daily.co'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return fail(`Input pipecat-api-url is "${raw}", not a URL: use https://api.pipecat.daily.co or leave it empty.`)
  }
  if (url.username || url.password) {
    fail('Input pipecat-api-url carries a user name or password: remove them; the API token goes in pipecat-api-token.')
  }
  if (url.search || url.hash) fail(`Input pipecat-api-url is "${raw}": remove the query or fragment.`)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    fail(`Input pipecat-api-url is "${raw}": use https (http is allowed only for loopback test servers), so the API token never travels in clear.`)
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '').replace(/\/v1$/, '')
}

function readRegistry(env: Env, accountId: string, awsRegion: string): { registryHost: string; registryUrl: string } {
  const raw = input(env, 'registry')
  if (/^(?:[a-z]+:\/\/)?[^/]*@/i.test(raw)) {
    fail('Input registry carries a user name or password: remove them; the action stores the ECR token itself.')
  }
  if (raw === '') {
    const registryHost = defaultRegistryHost(accountId, awsRegion)
    return { registryHost, registryUrl: `https://${registryHost}` }
  }
  const match = /^(?:(https?):\/\/)?([^/]+)\/?$/i.exec(raw)
  const host = match?.[2].toLowerCase() ?? ''
  if (!match || !HOST.test(host)) {
    return fail(`Input registry is "${raw}": use a registry host such as ${defaultRegistryHost(accountId, awsRegion)}, without a path.`)
  }
  const scheme = (match[1] ?? 'https').toLowerCase()
  if (scheme === 'http' && !isLoopback(host.replace(/:\d+$/, ''))) {
    fail(`Input registry is "${raw}": http is allowed only for loopback test registries; use https or just the host.`)
  }
  return { registryHost: host, registryUrl: `${scheme}://${host}` }
}

function readVerifyImage(env: Env, image: ImageRef | undefined): boolean {
  const raw = input(env, 'verify-image') || 'auto'
  if (raw === 'auto') return image !== undefined
  const wanted = raw === 'true' ? true : raw === 'false' ? false : fail(`Input verify-image is "${raw}": use auto, true or false.`)
  if (wanted && !image) fail('Input verify-image is true but image is empty: set image to the image to check, or use verify-image: auto.')
  return wanted
}

// A scheduled or manual run is where someone reads the report; a release pipeline wants its seconds back.
const REPORTING_EVENTS = ['schedule', 'workflow_dispatch']

function readAgentChecks(env: Env): { checkAgents: boolean; failOnUnhealthyAgents: boolean } {
  const failOnUnhealthyAgents = readBoolean(env, 'fail-on-unhealthy-agents', false)
  const raw = input(env, 'check-agents') || 'auto'
  if (raw === 'auto') return { checkAgents: failOnUnhealthyAgents || REPORTING_EVENTS.includes(env.GITHUB_EVENT_NAME ?? ''), failOnUnhealthyAgents }
  const checkAgents = raw === 'true' ? true : raw === 'false' ? false : fail(`Input check-agents is "${raw}": use auto, true or false.`)
  if (!checkAgents && failOnUnhealthyAgents) {
    fail('Input fail-on-unhealthy-agents is true but check-agents is false: set check-agents to auto or true, or remove fail-on-unhealthy-agents.')
  }
  return { checkAgents, failOnUnhealthyAgents }
}

function readDeployConfig(env: Env): DeployConfigInputs {
  const agentName = input(env, 'agent-name') || undefined
  if (agentName !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(agentName)) {
    fail(`Input agent-name is "${agentName}": use lowercase letters, digits and "-", starting and ending with a letter or digit.`)
  }
  const agentProfile = input(env, 'agent-profile') || undefined
  if (agentProfile !== undefined && !/^[a-z0-9][-a-z0-9]*$/.test(agentProfile)) {
    fail(`Input agent-profile is "${agentProfile}": use a Pipecat Cloud profile name such as agent-1x.`)
  }
  const minAgents = readWholeNumber(env, 'min-agents', 0, 1000)
  const maxAgents = readWholeNumber(env, 'max-agents', 1, 1000)
  if (minAgents !== undefined && maxAgents !== undefined && minAgents > maxAgents) {
    fail(`Input min-agents (${minAgents}) is greater than max-agents (${maxAgents}): lower min-agents or raise max-agents.`)
  }
  return { agentName, secretSet: readSetName(env, 'secret-set', false), agentProfile, minAgents, maxAgents }
}

function readAlert(env: Env): AlertInputs | undefined {
  if (!readBoolean(env, 'alert-issue', false)) return undefined
  const token = input(env, 'github-token')
  const repository = env.GITHUB_REPOSITORY ?? ''
  if (!token) fail('Input alert-issue is true but github-token is empty: leave github-token at its default (${{ github.token }}) or pass a token.')
  if (!repository) fail('Input alert-issue is true but GITHUB_REPOSITORY is not set: alerts work only inside a GitHub Actions run.')
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  return { token, repository, runUrl: `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID ?? ''}`, apiUrl: env.GITHUB_API_URL }
}

/** A URL the action sends a credential to: https, or http to a loopback test server; undefined when neither. */
function credentialUrl(raw: string): URL | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return undefined
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)) ? url : undefined
}

/** A heartbeat URL is a credential (anyone holding it can report for you), so no message here shows any of it. */
function readHeartbeatUrl(env: Env, name: string): string | undefined {
  const raw = input(env, name)
  if (raw === '') return undefined
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(raw)) {
    fail(`Input ${name} holds a space, line break or control character: copy the ping URL again into the secret, as one line.`)
  }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return fail(`Input ${name} is not a URL: pass the full ping URL your monitoring service shows, starting with https://, from a secret.`)
  }
  if (url.username || url.password) fail(`Input ${name} carries a user name or password: use the ping URL as the monitoring service shows it, without them.`)
  if (!credentialUrl(raw)) {
    fail(`Input ${name} is not an https URL: use the service's https ping URL (http is allowed only for loopback test servers), so it never travels in clear.`)
  }
  url.hash = ''
  return url.href
}

function readHeartbeat(env: Env): HeartbeatInputs | undefined {
  const url = readHeartbeatUrl(env, 'heartbeat-url')
  const failureUrl = readHeartbeatUrl(env, 'heartbeat-failure-url')
  if (failureUrl && !url) fail('Input heartbeat-failure-url is set but heartbeat-url is empty: set heartbeat-url too, or remove heartbeat-failure-url.')
  return url ? { url, failureUrl } : undefined
}

// Why a run cannot tell when its workflow last succeeded; the staleness report says it instead.
function readRunHistory(env: Env): RunHistoryInputs | { missing: string } {
  const { GITHUB_RUN_ID: runId, GITHUB_REPOSITORY: repository, GITHUB_API_URL: apiUrl } = env
  if (!runId || !repository || !apiUrl) {
    return {
      missing: 'this is not a GitHub Actions run (GITHUB_RUN_ID, GITHUB_REPOSITORY or GITHUB_API_URL is not set), so there are no workflow runs to read'
    }
  }
  if (!/^\d+$/.test(runId) || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
    return { missing: 'GITHUB_RUN_ID or GITHUB_REPOSITORY does not have the shape GitHub gives them: do not override them in the workflow' }
  }
  const api = credentialUrl(apiUrl)
  if (!api || api.search || api.username || api.password) {
    return { missing: 'GITHUB_API_URL is not an https URL, so the token is not sent there: do not override it in the workflow' }
  }
  const token = input(env, 'github-token')
  if (!token) return { missing: 'github-token is empty: leave it at its default, ${{ github.token }}' }
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  return { token, apiUrl: `${api.origin}${api.pathname}`.replace(/\/+$/, ''), repository, runId, runsUrl: `${server}/${repository}/actions/runs` }
}

/** A proxy variable that is set must be a URL undici can use; the message names the variable, never its value's password. */
function readProxyUrl(env: Env, names: [string, string]): string | undefined {
  const name = names.find(n => env[n])
  if (!name) return undefined
  const raw = (env[name] as string).trim()
  let url: URL | undefined
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    url = undefined
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname) {
    fail(`The environment variable ${name} is not a proxy URL: set it to http://host:port (or http://user:password@host:port), or unset it.`)
  }
  return raw
}

function readProxy(env: Env): ProxySettings {
  // Lower case first, as curl and undici read them; runners behind corporate proxies set either.
  return {
    httpProxy: readProxyUrl(env, ['http_proxy', 'HTTP_PROXY']),
    httpsProxy: readProxyUrl(env, ['https_proxy', 'HTTPS_PROXY']),
    noProxy: env.no_proxy || env.NO_PROXY || undefined
  }
}

export function readInputs(env: Env = process.env): Inputs {
  // Masked by main before anything is logged; no message here ever holds it.
  const apiToken = input(env, 'pipecat-api-token')

  const accountId = readAccountId(env)
  const awsRegion = readAwsRegion(env)
  const targetsInput = input(env, 'targets')
  if (targetsInput && input(env, 'secret-name')) {
    fail('Input targets and secret-name are both set: list every secret set in targets (secret-name: pipecat-region per line), or remove targets.')
  }
  const listed = targetsInput ? readTargets(targetsInput) : undefined
  const secretName = listed ? listed[0].secretName : (readSetName(env, 'secret-name', true) as string)
  if (!apiToken) fail('Input pipecat-api-token is empty: pass your Pipecat Cloud Private API key from a secret, e.g. ${{ secrets.PIPECAT_API_KEY }}.')
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(apiToken)) {
    fail(
      'Input pipecat-api-token holds a space, line break or control character, which no API key has: copy the Private API key again into the repository secret, without extra lines.'
    )
  }
  const pipecatRegion = input(env, 'pipecat-region') || undefined
  if (pipecatRegion !== undefined && !PIPECAT_REGION.test(pipecatRegion)) {
    fail(`Input pipecat-region is "${pipecatRegion}": use a Pipecat Cloud region such as us-west, or leave it empty for your organization's default.`)
  }
  const configFile = input(env, 'config-file') || undefined
  const targets = listed ?? [{ secretName, region: pipecatRegion }]
  // With several targets, pipecat-region only says which of them config-file gets.
  const configTarget = listed && pipecatRegion ? listed.find(target => target.region === pipecatRegion) : targets[0]
  if (listed && pipecatRegion && !configFile) {
    fail(
      'Input pipecat-region is set with targets but config-file is empty: the regions are in targets; remove pipecat-region (it only picks the target config-file gets).'
    )
  }
  if (!configTarget) {
    fail(
      `Input pipecat-region is ${pipecatRegion}, which no line of targets has: set it to the region of the secret set config-file should name (${listed!.map(target => target.region).join(', ')}).`
    )
  }
  const apiUrl = readApiUrl(env)
  const { registryHost, registryUrl } = readRegistry(env, accountId, awsRegion)
  const waitForReady = readBoolean(env, 'wait-for-ready', true)
  const waitTimeout = readWholeNumber(env, 'wait-timeout', 1, 3600, ' seconds') ?? 120
  const requestTimeout = readWholeNumber(env, 'request-timeout', 1, 300, ' seconds') ?? 30
  const dryRun = readBoolean(env, 'dry-run', false)

  const imageInput = input(env, 'image')
  const image = imageInput ? parseImageReference(imageInput, registryHost) : undefined
  const verifyImage = readVerifyImage(env, image)
  const deployConfig = readDeployConfig(env)
  if (!configFile) {
    const stray = (['agent-name', 'secret-set', 'agent-profile', 'min-agents', 'max-agents'] as const).find(name => input(env, name) !== '')
    if (stray) fail(`Input ${stray} is set but config-file is empty: set config-file (e.g. pcc-deploy.toml) so it is written, or remove ${stray}.`)
  }

  return {
    accountId,
    awsRegion,
    registryHost,
    registryUrl,
    secretName: configTarget!.secretName,
    apiToken,
    pipecatRegion: configTarget!.region,
    targets,
    configTargetByFile: targets.length > 1 && configFile !== undefined && pipecatRegion === undefined,
    apiUrl,
    waitForReady,
    waitTimeoutMs: waitTimeout * 1000,
    requestTimeoutMs: requestTimeout * 1000,
    dryRun,
    proxy: readProxy(env),
    image,
    verifyImage,
    configFile,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    deployConfig,
    alert: readAlert(env),
    heartbeat: readHeartbeat(env),
    runHistory: readRunHistory(env),
    ...readAgentChecks(env),
    debug: env.RUNNER_DEBUG === '1',
    environmentSecrets: [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].filter((value): value is string => Boolean(value))
  }
}
