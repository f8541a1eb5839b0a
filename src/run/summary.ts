import * as core from '../start-up/core.js'
import { agentsOutput, agentsSummaryHtml, type AgentsReport } from '../pipecat/agents-report.js'
import { whenWithRelative } from '../common/expiry.js'
import * as log from '../common/log.js'
import { host } from '../hosts/host.js'
import type { SecretStatus } from '../pipecat/pipecat.js'
import type { LastRun } from '../github/run-history.js'
import { escapeHtml } from '../common/untrusted.js'

/**
 * How far the secret got. Each state holds only once the one before it did, so a failed run says
 * exactly what Pipecat Cloud has: `stored` is a new token that was accepted but never reported ready.
 */
export type SecretState = 'untouched' | 'checked' | 'unconfirmed' | 'stored' | 'ready'

/** One secret set of the run and what became of it. Never holds a credential. */
export interface TargetReport {
  secretName: string
  /** As asked for; undefined: the organization's default. */
  region?: string
  /** As Pipecat Cloud answered it; undefined while unknown. */
  secretRegion?: string
  secret: SecretState
  /** A dry run: the status of the image pull secret already under this name, if any. */
  existingStatus?: SecretStatus
  /** Why this set failed, in one line; the others went on without it. */
  failure?: string
}

/** What happened to the deploy config file, when one was asked for. */
export type ConfigState = 'planned' | 'written' | 'unchanged'

/** What a run did, in the terms the job summary and the outputs use. Never holds a credential. */
export interface Report {
  dryRun: boolean
  registry: string
  secretName: string
  /** As Pipecat Cloud answered it; undefined while unknown. */
  secretRegion?: string
  /** The `pipecat-region` input: what the summary shows until Pipecat Cloud names a region. */
  requestedRegion?: string
  secret: SecretState
  /** A dry run: the status of the image pull secret already under this name, if any. */
  existingStatus?: SecretStatus
  waitForReady: boolean
  /** Set once the ECR token exists. */
  expiresAt?: Date
  image?: string
  verifyImage: boolean
  imageDigest?: string
  platforms?: string[]
  configFile?: string
  config?: ConfigState
  /** Markdown from the deploy config planner: the keys that changed, or would. */
  configChanges?: string
  /** The agents that pull with this set, when check-agents is on. */
  agents?: AgentsReport
  /** With several targets: the agents report of each set, in the order of `targets`. */
  agentsBySet?: AgentsReport[]
  /** Every secret set of the run; with one, the fields above say the same of it. */
  targets: TargetReport[]
  /** The one-line message the run failed with. */
  failure?: string
  /** The run failed because some targets did: each has its own error line, and `failure` sums them up. */
  failureByTarget?: boolean
  /** When this workflow last succeeded, or why that is unknown; undefined until read. */
  lastSuccess?: LastRun
  /** Why the last success says less than it seems, when it does. */
  lastSuccessNote?: string
  /** The window in which the stored token had expired before this run, in one line, when there was one. */
  gap?: string
  /** What became of the heartbeat ping, when heartbeat-url is set. */
  heartbeat?: string
}

/** Only what is known: a value the run never reached is an empty output, never a guess. */
export function setOutputs(report: Report): void {
  const configDone = report.config === 'written' || report.config === 'unchanged'
  const single = report.targets.length === 1
  host().setOutputs({
    registry: report.registry,
    'expires-at': report.expiresAt?.toISOString() ?? '',
    'secret-name': single ? report.secretName : '',
    'secret-region': single ? (report.secretRegion ?? '') : '',
    targets: targetsOutput(report),
    image: report.image ?? '',
    'image-digest': report.imageDigest ?? '',
    'config-file': configDone ? (report.configFile ?? '') : '',
    agents: report.agentsBySet ? `[${report.agentsBySet.map(agentsOutput).join(',')}]` : report.agents ? agentsOutput(report.agents) : ''
  })
}

/**
 * The `targets` output: one entry per secret set. A failure's message stays in its error line and the
 * summary: it may quote a server, and later steps read outputs into their scripts.
 */
export function targetsOutput(report: Report): string {
  return JSON.stringify(
    report.targets.map(target => ({
      secretName: target.secretName,
      region: target.secretRegion ?? target.region ?? '',
      status: target.failure ? 'failed' : target.secret
    }))
  )
}

/** The lines the run fails with: its one failure, or with several targets one per failed set. */
export function failureLines(report: Report): string[] {
  if (!report.failure) return []
  if (!report.failureByTarget || report.targets.length < 2) return [report.failure]
  return report.targets
    .filter(target => target.failure)
    .map(target => `Secret set ${target.secretName} (${target.region ?? 'default region'}): ${target.failure}`)
}

/** With one target, the report's own fields say what became of it. */
export function mirrorSingleTarget(report: Report): void {
  if (report.targets.length !== 1) return
  const [target] = report.targets
  report.secret = target.secret
  report.secretRegion = target.secretRegion
  report.existingStatus = target.existingStatus
}

/** The Status row: what Pipecat Cloud holds now, in a few words. */
function secretStatus(report: Pick<Report, 'secret' | 'existingStatus' | 'dryRun' | 'waitForReady'>): string {
  switch (report.secret) {
    case 'untouched':
      return report.dryRun ? 'not stored (dry run)' : 'not stored'
    case 'checked':
      return report.existingStatus
        ? `not stored (dry run): an image pull secret of this name exists, ${report.existingStatus}`
        : 'not stored (dry run): the name is free'
    case 'unconfirmed':
      return 'unknown: the answer to the store request could not be read'
    case 'stored':
      return report.waitForReady ? 'stored, not ready' : 'stored (not waited for ready)'
    case 'ready':
      return 'ready'
  }
}

function targetsTableHtml(report: Report): string {
  const cell = (text: string, tag = 'td') => `<${tag}>${escapeHtml(text)}</${tag}>`
  const header = ['Secret set', 'Pipecat region', 'Status', 'Error'].map(text => cell(text, 'th')).join('')
  const rows = report.targets.map(target => {
    const status = target.failure ? `failed; ${secretStatus({ ...report, ...target })}` : secretStatus({ ...report, ...target })
    const region = target.secretRegion ?? (target.region ? `${target.region} (requested)` : 'organization default')
    return `<tr>${[target.secretName, region, status, target.failure ?? ''].map(text => cell(text)).join('')}</tr>`
  })
  return `<table><tr>${header}</tr>${rows.join('')}</table>`
}

function heading(report: Report): string {
  if (report.failure) return 'Pipecat Cloud pull secret refresh failed'
  return report.dryRun ? 'Pipecat Cloud pull secret (dry run: nothing stored)' : 'Pipecat Cloud pull secret refreshed'
}

/** What the failure leaves behind and what to do next, from the state the run reached. */
function nextStep(report: Report): string {
  const rerun = report.dryRun ? 'fix the cause named above, then run the dry run again' : 'fix the cause named above, then rerun the workflow'
  if (report.targets.length > 1) {
    return `The secret sets marked ready or stored above hold the new token; the others keep their previous one, which stops working 12 hours after their last successful refresh. To recover, ${rerun.replace('the cause named above', 'each cause named above')}.`
  }
  switch (report.secret) {
    case 'untouched':
    case 'checked':
      return `Nothing was stored: the secret set in Pipecat Cloud keeps its previous token, which stops working 12 hours after the last successful refresh. To recover, ${rerun}.`
    case 'unconfirmed':
      return `Pipecat Cloud answered the store request with success but an answer that could not be read, so whether the new token was stored is unknown. To recover, ${rerun}.`
    case 'stored':
      return `The new token was stored, but Pipecat Cloud did not report the set ready: deploys that bind it are rejected until it is. To recover, ${rerun}.`
    case 'ready':
      return `The secret set was refreshed and is ready; the rest of the run was not done. To finish, ${rerun}.`
  }
}

function imageRow(report: Report): string | undefined {
  if (!report.image) return undefined
  if (report.imageDigest) return `can be pulled: ${report.imageDigest}`
  return report.verifyImage ? 'not checked' : 'not checked (verify-image: false)'
}

function configVerb(report: Report): string {
  if (report.dryRun) return 'would change'
  if (report.config === 'written') return 'written'
  if (report.config === 'unchanged') return 'already up to date'
  return 'not written'
}

/** The region Pipecat Cloud named, else the one asked for (marked so), else what the API will pick. */
function regionRow(report: Report, stored: boolean): string {
  if (report.secretRegion) return report.secretRegion
  if (report.requestedRegion) return `${report.requestedRegion} (requested)`
  return stored ? 'organization default' : 'unknown'
}

function tokenExpiry(report: Report, stored: boolean, now: Date): string {
  if (!report.expiresAt) return 'no token obtained'
  const when = whenWithRelative(report.expiresAt, now)
  return stored ? `${when}; the next refresh must succeed before then` : `${when}: this run's token, not stored`
}

function lastSuccessRow(report: Report, now: Date): string | undefined {
  const last = report.lastSuccess
  if (!last) return undefined
  if ('missing' in last) return `unknown: ${last.missing}`
  const notes = [report.lastSuccessNote, report.dryRun ? 'this dry run stores nothing: the stored token dates from the last real refresh' : undefined]
  const note = notes
    .filter(Boolean)
    .map(text => ` (${text})`)
    .join('')
  return `${whenWithRelative(last.startedAt, now)}${note}, ${last.url}`
}

export async function writeSummary(report: Report, now: Date = new Date()): Promise<void> {
  const single = report.targets.length === 1
  const stored = report.targets.some(target => target.secret === 'stored' || target.secret === 'ready')
  const rows: [string, string | undefined][] = [
    ['Registry', report.registry],
    ['Secret set', single ? report.secretName : undefined],
    ['Pipecat region', single ? regionRow(report, stored) : undefined],
    ['Status', single ? secretStatus(report) : undefined],
    ['Token expires', tokenExpiry(report, stored, now)],
    ['Image', report.image],
    ['Image check', imageRow(report)],
    ['Platforms', report.platforms ? report.platforms.join(', ') || 'none' : undefined],
    ['Last successful run', lastSuccessRow(report, now)],
    ['Heartbeat', report.heartbeat]
  ]
  const table = rows.filter((row): row is [string, string] => row[1] !== undefined).map(([item, value]) => [escapeHtml(item), escapeHtml(value)])
  core.summary.addHeading(heading(report), 3).addTable([
    [
      { data: 'Item', header: true },
      { data: 'Value', header: true }
    ],
    ...table
  ])
  if (!single) core.summary.addHeading(`Secret sets (${report.targets.length})`, 4).addRaw(targetsTableHtml(report), true)
  if (report.failure) {
    core.summary
      .addRaw(`<p><strong>Error:</strong> ${escapeHtml(report.failure)}</p>`, true)
      .addRaw(`<p><strong>Next step:</strong> ${escapeHtml(nextStep(report))}</p>`, true)
  }
  if (report.gap) core.summary.addRaw(`<p><strong>The stored token had expired before this run:</strong> ${escapeHtml(report.gap)}</p>`, true)
  if (report.configFile && report.config) {
    core.summary.addHeading(escapeHtml(`${report.configFile} (${configVerb(report)})`), 4).addRaw(report.configChanges || 'No change needed.', true)
  }
  for (const agents of report.agentsBySet ?? (report.agents ? [report.agents] : [])) core.summary.addRaw(agentsSummaryHtml(agents), true)
  try {
    await core.summary.write()
  } catch (error) {
    // The summary is a convenience; a runner without the file must not fail a refresh that worked.
    log.warning(`Job summary not written: ${(error as Error).message}`)
  }
}
