/**
 * What a run tells the world beyond its outputs: when its workflow last succeeded (and whether the stored
 * token had expired in between), and the heartbeat ping. Neither ever fails a run, nor changes its
 * one error line: a problem is a warning, or the reason the summary gives.
 */
import type { HttpClient } from '../http/http.js'
import type { HeartbeatInputs, Inputs } from '../common/inputs.js'
import type { PingKind } from './heartbeat.js'
import * as log from '../common/log.js'
import { whenWithRelative } from '../common/expiry.js'
import { gapBefore, gapMessage, readRunHistory, type RunHistory } from '../github/run-history.js'
import type { Report } from '../run/summary.js'

/** Starts the lookup now, so it runs alongside the refresh; the promise never rejects. */
export function startRunHistory(inputs: Inputs, http: HttpClient): Promise<RunHistory> {
  return readRunHistory(http, inputs.runHistory, inputs.requestTimeoutMs).catch((error: unknown) => ({
    lastSuccess: { missing: `the workflow runs could not be read (${(error as Error)?.name ?? 'error'})` }
  }))
}

/** Adds the last success to the report, and warns when the stored token had expired before this run. */
export async function reportStaleness(inputs: Inputs, report: Report, history: Promise<RunHistory>, now: Date = new Date()): Promise<void> {
  const read = await history
  report.lastSuccess = read.lastSuccess
  if ('missing' in read.lastSuccess) {
    log.info(`When this workflow last succeeded is unknown: ${read.lastSuccess.missing}.`)
    return
  }
  if (!read.scheduled) report.lastSuccessNote = 'not a scheduled workflow, so its gaps do not date the stored token'
  const gap = gapBefore(read, now)
  if (!gap) {
    log.info(`The last successful run of this workflow started ${whenWithRelative(read.lastSuccess.startedAt, now)}.`)
    return
  }
  const stored = report.targets.some(target => target.secret === 'stored' || target.secret === 'ready')
  report.gap = gapMessage(gap, report.dryRun ? 'dry-run' : stored ? 'stored' : 'not-stored', now, inputs.heartbeat !== undefined)
  log.warning(report.gap)
}

/** Pings the heartbeat after a run that did its work, its failure form after one that failed; a dry run never. */
export async function sendHeartbeat(inputs: Inputs, report: Report, http: HttpClient): Promise<void> {
  if (!inputs.heartbeat) return
  if (inputs.dryRun) {
    report.heartbeat = 'not pinged (dry run)'
    return
  }
  report.heartbeat = await pingHeartbeat(inputs.heartbeat, report.failure ? 'failure' : 'success', http, inputs.requestTimeoutMs)
}

/**
 * Pings one form of the heartbeat and says how it went in the log; returns the summary's row. Also for an
 * invocation that fails before its run starts (the Lambda function's key unreadable), which has no report.
 */
export async function pingHeartbeat(heartbeat: HeartbeatInputs, kind: PingKind, http: HttpClient, requestTimeoutMs: number): Promise<string> {
  const { ping } = await import('./heartbeat.js')
  const problem = await ping(http, heartbeat, kind, requestTimeoutMs)
  if (!problem) {
    log.info(`Pinged the heartbeat URL (${kind}).`)
    return `${kind} pinged`
  }
  log.warning(
    kind === 'success'
      ? `Could not ping the heartbeat URL (${problem}), so the monitoring service may alert although this run succeeded: check that the URL in the secret is the one the service shows, and the service's status; the next run pings again.`
      : `Could not ping the heartbeat URL's failure form (${problem}), so the monitoring service alerts only once its grace period passes: check the URL in the secret, or set heartbeat-failure-url to the service's failure URL.`
  )
  return `${kind} ping failed: ${problem}`
}
