import * as log from './log.js'
import { ActionError, unexpectedErrorMessage } from './errors.js'
import { createHttpClient, preconnect, type HttpClient, type RunLimit } from './http.js'
import type { Inputs } from './inputs.js'
import { whenWithRelative } from './expiry.js'
import { setOutputs, writeSummary, type Report } from './summary.js'
import { untrusted } from './untrusted.js'

// Heavy modules (the AWS SDK, the TOML parser, the GitHub client) are imported where a run needs
// them, after the inputs are checked: start-up is most of this action's run time.

interface ConfigPlan {
  path: string
  text: string
  changed: boolean
  changes: string
  notices: string[]
}

/** Reads and plans the deploy config before any network call, so a broken file stops the run early. */
async function planConfig(inputs: Inputs): Promise<ConfigPlan | undefined> {
  if (!inputs.configFile) return undefined
  const [{ readDeployConfig }, { planDeployConfig }, { formatChanges }] = await Promise.all([
    import('./config-file.js'),
    import('./deploy-config.js'),
    import('./config-diff.js')
  ])
  const existing = await readDeployConfig(inputs.configFile)
  const plan = planDeployConfig(
    existing,
    {
      imageCredentials: inputs.secretName,
      image: inputs.image?.full,
      region: inputs.pipecatRegion,
      ...inputs.deployConfig
    },
    inputs.configFile
  )
  return { path: inputs.configFile, text: plan.text, changed: plan.changes.length > 0, changes: formatChanges(plan.changes), notices: plan.notices }
}

/**
 * The most a run may take, from the inputs: each request is bounded by request-timeout, retries by a
 * budget, and the wait by wait-timeout, and this covers them all, so a hung or dripping server cannot hold
 * a scheduled job until GitHub's six-hour limit. The README states the same formula.
 */
export function runTimeLimitMs(inputs: Pick<Inputs, 'requestTimeoutMs' | 'waitTimeoutMs' | 'waitForReady' | 'dryRun'>): number {
  return 60_000 + 6 * inputs.requestTimeoutMs + (inputs.waitForReady && !inputs.dryRun ? inputs.waitTimeoutMs : 0)
}

/** The alert's few calls to GitHub together get three request timeouts, and never more than 30 s. */
export function alertTimeLimitMs(inputs: Pick<Inputs, 'requestTimeoutMs'>): number {
  return Math.min(30_000, 3 * inputs.requestTimeoutMs)
}

// Past the run's limit and the alert's own, something ignored its deadline: end the process rather than hang.
const WATCHDOG_GRACE_MS = 45_000

/** The report a run starts with: only what the inputs say; each step adds what it learned. */
function startReport(inputs: Inputs): Report {
  return {
    dryRun: inputs.dryRun,
    registry: inputs.registryHost,
    secretName: inputs.secretName,
    requestedRegion: inputs.pipecatRegion,
    secret: 'untouched',
    waitForReady: inputs.waitForReady,
    image: inputs.image?.full,
    verifyImage: inputs.verifyImage,
    configFile: inputs.configFile
  }
}

/** The story of a run. It fills `report` as it goes, so a failure still reports how far it got. */
async function refresh(inputs: Inputs, report: Report, http: HttpClient, runLimit: RunLimit): Promise<void> {
  const config = await planConfig(inputs)
  // Pipecat Cloud's handshakes happen while the AWS SDK loads and ECR answers, off the critical path.
  preconnect(inputs.apiUrl, inputs.proxy)
  if (config) {
    report.config = 'planned'
    report.configChanges = config.changes
  }
  const { getEcrToken } = await import('./ecr.js')
  const token = await getEcrToken(inputs.awsRegion, http, { budgetMs: inputs.requestTimeoutMs + 60_000, runLimitSeconds: runLimit.seconds })
  report.expiresAt = token.expiresAt
  log.info(`Got an ECR token for ${inputs.registryHost}, valid until ${whenWithRelative(token.expiresAt)}.`)

  if (inputs.image && inputs.verifyImage) {
    const { verifyImage } = await import('./registry.js')
    const check = await verifyImage(http, { registryUrl: inputs.registryUrl, image: inputs.image, authorizationToken: token.authorizationToken })
    log.info(`Image ${inputs.image.full} can be pulled: ${check.digest} (${check.platforms.join(', ')}).`)
    Object.assign(report, { imageDigest: check.digest, platforms: check.platforms })
  }

  const pipecat = await import('./pipecat.js')
  const api = { http, apiUrl: inputs.apiUrl, token: inputs.apiToken }
  const secret = { secretName: inputs.secretName, region: inputs.pipecatRegion }

  if (inputs.dryRun) {
    const { existing } = await pipecat.checkPullSecret(api, secret)
    report.secret = 'checked'
    report.secretRegion = existing?.region
    report.existingStatus = existing?.status
    const found = existing
      ? `secret set ${inputs.secretName} is an image pull secret in region ${existing.region} (${existing.status})`
      : `the name ${inputs.secretName} is free${inputs.pipecatRegion ? ` and region ${inputs.pipecatRegion} is offered` : ''}`
    log.info(`Dry run: Pipecat Cloud accepts the key and ${found}; nothing was stored${config ? ` and ${config.path} was not written` : ''}.`)
    return
  }

  const stored = await pipecat.storePullSecret(api, { ...secret, host: inputs.registryUrl, authorizationToken: token.authorizationToken }).catch(error => {
    if (error instanceof pipecat.UnreadableSuccessError) report.secret = 'unconfirmed'
    throw error
  })
  report.secret = 'stored'
  report.secretRegion = stored.region ?? inputs.pipecatRegion
  log.info(`Stored the image pull secret ${inputs.secretName} for ${inputs.registryHost} in Pipecat region ${report.secretRegion ?? '(default)'}.`)

  if (inputs.waitForReady) {
    const state = await pipecat.waitForReady(api, inputs.secretName, { timeoutMs: inputs.waitTimeoutMs })
    report.secretRegion = state.region || report.secretRegion
    report.secret = 'ready'
    log.info(`Secret set ${inputs.secretName} is ready; the next refresh must succeed before ${whenWithRelative(token.expiresAt)}.`)
  }

  if (config) {
    config.notices.forEach(notice => log.notice(notice))
    if (config.changed) {
      const { writeDeployConfig } = await import('./config-file.js')
      await writeDeployConfig(config.path, config.text)
      report.config = 'written'
      log.info(`Wrote ${config.path}.`)
    } else {
      report.config = 'unchanged'
      log.info(`${config.path} already up to date.`)
    }
  }
}

/** An alert that cannot be sent is a warning: it must never hide the refresh's own result. */
async function alert(inputs: Inputs, report: Report): Promise<void> {
  if (!inputs.alert || inputs.dryRun) return
  const target = { ...inputs.alert, secretName: inputs.secretName, timeoutMs: alertTimeLimitMs(inputs) }
  try {
    const { reportFailure, reportRecovery } = await import('./alert.js')
    const result = report.failure
      ? await reportFailure(target, { message: report.failure, secret: report.secret, expiresAt: report.expiresAt })
      : await reportRecovery(target, { expiresAt: report.expiresAt as Date, registry: report.registry })
    if (result.action !== 'none') log.info(`Alert issue #${result.issueNumber}: ${result.action}.`)
  } catch (error) {
    log.warning(`Could not update the alert issue: ${(error as Error).message}`)
  }
}

function failureMessage(error: unknown): string {
  return error instanceof ActionError ? error.message : unexpectedErrorMessage(error)
}

export async function run(inputs: Inputs): Promise<void> {
  // Masked before anything is logged: from here on the runner hides them wherever they appear.
  log.protect(inputs.apiToken)
  if (inputs.alert) log.protect(inputs.alert.token)
  inputs.environmentSecrets.forEach(log.protect)
  const limitMs = runTimeLimitMs(inputs)
  const watchdog = setTimeout(() => {
    log.fail(
      `The run did not end within its time limit (${limitMs / 1000}s: 60s + 6 x request-timeout + wait-timeout): rerun; if it persists, report it with this log.`
    )
    process.exit(1)
  }, limitMs + WATCHDOG_GRACE_MS)
  watchdog.unref()
  const report = startReport(inputs)
  // One client for the whole run, so each host's connection is reused, and one limit for all it does.
  const runLimit = { signal: AbortSignal.timeout(limitMs), seconds: limitMs / 1000 }
  const http = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy, runLimit })
  try {
    await refresh(inputs, report, http, runLimit)
    // Read-only and never fatal on its own: only fail-on-unhealthy-agents fails, once the report is complete.
    if (inputs.checkAgents) {
      const agents = await import('./agents.js')
      // Its own client: the agents are read in parallel, a connection each.
      const parallel = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy, runLimit, connectionsPerHost: agents.CONCURRENCY })
      report.agents = await agents.checkAgents(inputs, report, parallel)
      agents.assertAgentsHealthy(inputs, report.agents)
    }
  } catch (error) {
    // With debug logging on, source maps make this stack name src/ files and lines.
    if (!(error instanceof ActionError)) log.debug(`Unexpected error: ${(error as Error)?.stack ?? String(error)}`)
    // Redacted once here: the summary and the alert issue show it too, and the runner masks only the log.
    report.failure = untrusted(failureMessage(error), 2000)
    log.fail(report.failure)
  }
  // A failed run reports too: what was done, what was not, and the outputs that are known.
  setOutputs(report)
  await writeSummary(report)
  await alert(inputs, report)
}
