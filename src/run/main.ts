import * as log from '../common/log.js'
import { ActionError, unexpectedErrorMessage } from '../common/errors.js'
import { createHttpClient, dropEarlyConnections, preconnect, type HttpClient, type RunLimit } from '../http/http.js'
import { TARGET_CONCURRENCY, type Inputs } from '../common/inputs.js'
import { whenWithRelative } from '../common/expiry.js'
import { failureLines, mirrorSingleTarget, setOutputs, writeSummary, type Report } from './summary.js'
import { reportStaleness, sendHeartbeat, startRunHistory } from '../monitoring/run-report.js'
import { untrusted } from '../common/untrusted.js'
import { guardRun, type GuardedProcess } from './ending.js'
import { actionsHost, useHost, type Host } from '../hosts/host.js'

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
  const [{ readDeployConfig }, { planDeployConfig, pickConfigTarget }, { formatChanges }] = await Promise.all([
    import('../deploy-config/config-file.js'),
    import('../deploy-config/deploy-config.js'),
    import('../deploy-config/config-diff.js')
  ])
  const existing = await readDeployConfig(inputs.configFile, inputs.workspace)
  const target = inputs.configTargetByFile
    ? pickConfigTarget(existing, inputs.targets, inputs.configFile)
    : { secretName: inputs.secretName, region: inputs.pipecatRegion }
  if (inputs.targets.length > 1) {
    const why = inputs.configTargetByFile ? `the file's region` : 'pipecat-region'
    log.notice(`${inputs.configFile} names secret set ${target.secretName} (region ${target.region}), the target whose region matches ${why}.`)
  }
  const plan = planDeployConfig(
    existing,
    {
      imageCredentials: target.secretName,
      image: inputs.image?.full,
      region: target.region,
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

// A cancelled job gets about 10 s between the runner's SIGINT and its kill; the report must fit.
const CANCELLED_ALERT_MS = 5_000

/** The report a run starts with: only what the inputs say; each step adds what it learned. */
function startReport(inputs: Inputs): Report {
  return {
    dryRun: inputs.dryRun,
    registry: inputs.registryHost,
    secretName: inputs.secretName,
    requestedRegion: inputs.pipecatRegion,
    secret: 'untouched',
    targets: inputs.targets.map(target => ({ secretName: target.secretName, region: target.region, secret: 'untouched' })),
    waitForReady: inputs.waitForReady,
    image: inputs.image?.full,
    verifyImage: inputs.verifyImage,
    configFile: inputs.configFile
  }
}

/**
 * A failed target ends the run once every target is done: with one, its own message is the run's; with
 * several, each has its own line and the run's failure sums them up.
 */
function throwTargetFailures(report: Report): void {
  const failed = report.targets.filter(target => target.failure)
  if (failed.length === 0) return
  if (report.targets.length === 1) throw new ActionError(failed[0].failure)
  report.failureByTarget = true
  throw new ActionError(
    `${failed.length} of ${report.targets.length} secret sets failed (${failed.map(target => target.secretName).join(', ')}): each has its own error line with its cause and fix; fix those, then rerun the workflow.`
  )
}

/** What the run is doing now, in the user's words, for a message that must say where it stopped. */
interface Progress {
  doing: string
}

/** The story of a run. It fills `report` as it goes, so a failure still reports how far it got. */
async function refresh(inputs: Inputs, report: Report, http: HttpClient, runLimit: RunLimit, progress: Progress): Promise<void> {
  progress.doing = `reading ${inputs.configFile ?? 'the deploy config'}`
  const config = await planConfig(inputs)
  // Pipecat Cloud's handshakes happen while the AWS SDK loads and ECR answers, off the critical path.
  preconnect(inputs.apiUrl, inputs.proxy)
  if (config) {
    report.config = 'planned'
    report.configChanges = config.changes
  }
  progress.doing = 'getting the ECR token'
  const { getEcrToken } = await import('../aws/ecr.js')
  const token = await getEcrToken(inputs.awsRegion, http, { budgetMs: inputs.requestTimeoutMs + 60_000, runLimitSeconds: runLimit.seconds })
  report.expiresAt = token.expiresAt
  log.info(`Got an ECR token for ${inputs.registryHost}, valid until ${whenWithRelative(token.expiresAt)}.`)

  if (inputs.image && inputs.verifyImage) {
    progress.doing = `checking ${inputs.image.full} in the registry`
    const { verifyImage } = await import('../registry/registry.js')
    const check = await verifyImage(http, { registryUrl: inputs.registryUrl, image: inputs.image, authorizationToken: token.authorizationToken })
    log.info(`Image ${inputs.image.full} can be pulled: ${check.digest} (${check.platforms.join(', ')}).`)
    Object.assign(report, { imageDigest: check.digest, platforms: check.platforms })
  }

  const { storeTargets, checkTargets } = await import('../pipecat/targets.js')
  const api = { http, apiUrl: inputs.apiUrl, token: inputs.apiToken }
  const several = inputs.targets.length > 1
  const sets = several ? `${inputs.targets.length} secret sets` : `secret set ${inputs.secretName}`

  if (inputs.dryRun) {
    progress.doing = `checking ${sets} in Pipecat Cloud (dry run)`
    await checkTargets(api, report.targets, config ? ` and ${config.path} was not written` : '')
    throwTargetFailures(report)
    return
  }

  await storeTargets(
    api,
    report.targets,
    { host: inputs.registryUrl, registryHost: inputs.registryHost, authorizationToken: token.authorizationToken, expiresAt: token.expiresAt },
    { waitForReady: inputs.waitForReady, waitTimeoutMs: inputs.waitTimeoutMs, progress }
  )
  throwTargetFailures(report)

  if (config) {
    config.notices.forEach(notice => log.notice(notice))
    if (config.changed) {
      progress.doing = `writing ${config.path}`
      // A run that was ended (cancelled, or at its limit) while it waited must not write after its report.
      runLimit.signal.throwIfAborted()
      const { writeDeployConfig } = await import('../deploy-config/config-file.js')
      await writeDeployConfig(config.path, config.text, inputs.workspace)
      report.config = 'written'
      log.info(`Wrote ${config.path}.`)
    } else {
      report.config = 'unchanged'
      log.info(`${config.path} already up to date.`)
    }
  }
}

/** An alert that cannot be sent is a warning: it must never hide the refresh's own result. */
async function alert(inputs: Inputs, report: Report, urgent: boolean): Promise<void> {
  if (!inputs.alert || inputs.dryRun) return
  const timeoutMs = urgent ? Math.min(CANCELLED_ALERT_MS, alertTimeLimitMs(inputs)) : alertTimeLimitMs(inputs)
  const several = inputs.targets.length > 1
  const target = {
    ...inputs.alert,
    secretName: inputs.secretName,
    ...(several ? { secretNames: inputs.targets.map(each => each.secretName), registry: inputs.registryHost } : {}),
    timeoutMs,
    requestTimeoutMs: inputs.requestTimeoutMs,
    proxy: inputs.proxy
  }
  // Several targets: the ones that failed, or, when the run failed before or besides them, the ones it did not refresh.
  const notRefreshed = report.targets.filter(each => (report.failureByTarget ? each.failure : each.secret !== 'ready' && each.secret !== 'stored'))
  const failedTargets = several
    ? (notRefreshed.length > 0 ? notRefreshed : report.targets).map(each => ({ secretName: each.secretName, region: each.region, secret: each.secret }))
    : undefined
  const secret = failedTargets?.[0]?.secret ?? report.secret
  try {
    const { reportFailure, reportRecovery } = await import('../github/alert.js')
    const result = report.failure
      ? await reportFailure(
          target,
          { message: failureLines(report).join('\n'), secret, expiresAt: report.expiresAt, failedTargets },
          report.lastSuccess ?? { missing: 'the workflow runs were not read' }
        )
      : await reportRecovery(target, { expiresAt: report.expiresAt as Date, registry: report.registry })
    if (result.action !== 'none') log.info(`Alert issue #${result.issueNumber}: ${result.action}.`)
  } catch (error) {
    log.warning(`Could not update the alert issue: ${(error as Error).message}`)
  }
}

function failureMessage(error: unknown): string {
  return error instanceof ActionError ? error.message : unexpectedErrorMessage(error)
}

export interface RunOptions {
  /**
   * What the run's guard listens on and ends: the process, unless the entry runs in a process that must
   * outlive the run (a Lambda function's, reused across invocations), which hands a stand-in.
   */
  process?: GuardedProcess
}

/**
 * The credentials the inputs carry besides the Pipecat key, masked before anything is logged: from then on the
 * host hides them wherever they appear. The Lambda entry calls this before it reads its key.
 */
export function protectCredentials(inputs: Inputs): void {
  if (inputs.alert) log.protect(inputs.alert.token)
  inputs.environmentSecrets.forEach(log.protect)
  if ('token' in inputs.runHistory) log.protect(inputs.runHistory.token)
  if (inputs.heartbeat) [inputs.heartbeat.url, inputs.heartbeat.failureUrl].forEach(log.protect)
}

/** A run, written to `host`: GitHub Actions by default; the command line passes its own (cli.ts). */
export async function run(inputs: Inputs, host: Host = actionsHost, options: RunOptions = {}): Promise<void> {
  useHost(host)
  log.protect(inputs.apiToken)
  protectCredentials(inputs)
  const limitMs = runTimeLimitMs(inputs)
  const report = startReport(inputs)
  const progress: Progress = { doing: 'starting' }
  // Aborted at the run's limit, or when the run is ended some other way: no request outlives the run.
  const stop = new AbortController()
  const runLimit = { signal: stop.signal, seconds: limitMs / 1000 }

  // Without the run's time limit, so a run that reached it still reports; each request has request-timeout.
  const reporting = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy })
  // Read alongside the refresh, off its critical path; awaited only when the run reports.
  const history = startRunHistory(inputs, reporting)

  let errorLine = false
  let conclusion: Promise<void> | undefined
  /** The one ending: the error line, the outputs, the summary, the alert. Later calls get the first one's promise. */
  const conclude = (failure?: string, urgent = false): Promise<void> => {
    conclusion ??= (async () => {
      if (failure) {
        report.failure = untrusted(failure, 2000)
        stop.abort(new Error('the run was ended'))
      }
      mirrorSingleTarget(report)
      // A failure that ended the run early (a cancel, the time limit) is its own line, not the targets'.
      if (failure) report.failureByTarget = false
      for (const line of failureLines(report)) {
        log.fail(line)
        errorLine = true
      }
      // A cancelled job is killed about 10 s after its first signal: the summary comes first, and the
      // staleness read and the ping, each up to request-timeout, come after it or not at all.
      if (!urgent) {
        progress.doing = 'reading when this workflow last succeeded'
        if (host.onGitHub) await reportStaleness(inputs, report, history)
        progress.doing = 'pinging the heartbeat URL'
        await sendHeartbeat(inputs, report, reporting)
      }
      progress.doing = 'writing the outputs and the job summary'
      try {
        setOutputs(report)
      } catch (error) {
        log.warning(`Outputs not written: ${(error as Error).message}`)
      }
      if (host.onGitHub) await writeSummary(report)
      progress.doing = 'updating the alert issue'
      await Promise.all([alert(inputs, report, urgent), urgent ? sendHeartbeat(inputs, report, reporting) : undefined])
    })()
    return conclusion
  }
  const guard = guardRun({
    doing: () => progress.doing,
    conclude,
    limitMs,
    onLimit: () => stop.abort(new Error('the run reached its time limit')),
    lastWord: message => {
      if (!errorLine) log.fail(message)
    },
    process: options.process
  })

  // One client for the whole run, so each host's connection is reused, and one limit for all it does.
  // Several targets' PUTs go out back to back on that connection (pipelined) rather than a round trip each.
  const pipelining = Math.min(inputs.targets.length, TARGET_CONCURRENCY)
  const http = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy, runLimit, pipelining })
  try {
    await refresh(inputs, report, http, runLimit, progress)
    // Read-only and never fatal on its own: only fail-on-unhealthy-agents fails, once the report is complete.
    if (inputs.checkAgents) {
      progress.doing = `checking the agents that pull with ${inputs.targets.length > 1 ? 'the secret sets' : `secret set ${inputs.secretName}`}`
      const agents = await import('../pipecat/agents.js')
      // Its own client: the agents are read in parallel, a connection each.
      const parallel = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy, runLimit, connectionsPerHost: agents.CONCURRENCY })
      const found = await agents.checkAgents(inputs, report, parallel)
      if (found.length === 1) report.agents = found[0]
      else report.agentsBySet = found
      found.forEach(each => agents.assertAgentsHealthy(inputs, each))
    }
  } catch (error) {
    // With debug logging on, source maps make this stack name src/ files and lines.
    if (!(error instanceof ActionError)) log.debug(`Unexpected error: ${(error as Error)?.stack ?? String(error)}`)
    // Redacted once here: the summary and the alert issue show it too, and the runner masks only the log.
    // A run already being ended (cancelled, at its limit) keeps the message that ended it.
    if (!conclusion) report.failure = untrusted(failureMessage(error), 2000)
  }
  // A failed run reports too: what was done, what was not, and the outputs that are known.
  await conclude()
  // A run that failed before its first request to Pipecat Cloud leaves the early connection unused.
  dropEarlyConnections()
  guard.release()
}
