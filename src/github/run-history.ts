/**
 * When this run's workflow last succeeded, read from the GitHub Actions API with the job's token. A stored
 * ECR token stops working 12 hours after the refresh that stored it, so a longer gap between successful
 * runs means pulls failed in between: the staleness report says so, and the alert issue dates the stored
 * secret from the same answer. Read with the run's own HTTP client, not @actions/github: loading that
 * costs every run's start-up, and this is two GET requests. Never fails the run: every problem becomes
 * the reason the report gives instead.
 */
import { relativeTime, whenWithRelative } from '../common/expiry.js'
import type { HttpClient } from '../http/http.js'
import type { RunHistoryInputs } from '../common/inputs.js'
import { untrusted } from '../common/untrusted.js'

/** The last successful run of this run's workflow, or why it could not be read. */
export type LastRun = { startedAt: Date; url: string } | { missing: string }

// How long an ECR token lasts (ECR.md).
export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000

export interface RunHistory {
  lastSuccess: LastRun
  /** When this run started, as GitHub recorded it; undefined when it could not be read. */
  thisRunStartedAt?: Date
  /**
   * The workflow runs on a schedule (this run or its last success was a scheduled one). Only then do its
   * gaps date the stored token: a release pipeline's runs are days apart while a schedule refreshes.
   */
  scheduled?: boolean
}

/** A failed lookup, with the reason the report gives. */
class Missing extends Error {}

/**
 * This run's workflow, then its latest successful run other than this one. The whole lookup gets one
 * request-timeout: it runs alongside the refresh and must not hold the run's end for longer.
 */
export async function readRunHistory(http: HttpClient, where: RunHistoryInputs | { missing: string }, timeoutMs: number): Promise<RunHistory> {
  if ('missing' in where) return { lastSuccess: { missing: where.missing } }
  const deadline = AbortSignal.timeout(timeoutMs)
  let thisRunStartedAt: Date | undefined
  try {
    const current = await getJson(http, where, `/actions/runs/${where.runId}`, deadline, timeoutMs)
    thisRunStartedAt = dateOf(current.run_started_at ?? current.created_at)
    const workflowId = current.workflow_id
    if (typeof workflowId !== 'number' || !Number.isInteger(workflowId)) {
      throw new Missing(`GitHub answered this run without a workflow id (${untrusted(workflowId, 40)})`)
    }
    // Two, since a re-run of a run that once succeeded lists itself.
    const listing = await getJson(http, where, `/actions/workflows/${workflowId}/runs?status=success&per_page=2`, deadline, timeoutMs)
    const runs: unknown[] = Array.isArray(listing.workflow_runs) ? listing.workflow_runs : []
    const last = runs.find(run => String((run as { id?: unknown })?.id) !== where.runId) as Record<string, unknown> | undefined
    if (!last) return { lastSuccess: { missing: 'this workflow has no successful run yet' }, thisRunStartedAt }
    const startedAt = dateOf(last.run_started_at ?? last.created_at)
    if (!Number.isInteger(last.id) || !startedAt) throw new Missing(`GitHub listed a run of an odd shape (${untrusted(last, 80)})`)
    const scheduled = current.event === 'schedule' || last.event === 'schedule'
    return { lastSuccess: { startedAt, url: `${where.runsUrl}/${String(last.id)}` }, thisRunStartedAt, scheduled }
  } catch (error) {
    const missing = error instanceof Missing ? error.message : `GitHub's API could not be read (${untrusted((error as Error)?.message ?? error, 120)})`
    return { lastSuccess: { missing }, thisRunStartedAt }
  }
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined
  const at = new Date(value)
  return Number.isNaN(at.getTime()) ? undefined : at
}

async function getJson(http: HttpClient, where: RunHistoryInputs, path: string, deadline: AbortSignal, timeoutMs: number): Promise<Record<string, unknown>> {
  let answer: Awaited<ReturnType<HttpClient['sendOnce']>>
  try {
    answer = await http.sendOnce(
      {
        method: 'GET',
        // Only ever GITHUB_API_URL: the token goes nowhere else, and undici follows no redirect.
        url: `${where.apiUrl}/repos/${where.repository}${path}`,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${where.token}`,
          'user-agent': 'pipecat-ecr-pull-secret',
          'x-github-api-version': '2022-11-28'
        }
      },
      deadline
    )
  } catch (error) {
    const reason = deadline.aborted ? `no answer within ${timeoutMs / 1000}s` : http.describeFailure(error)
    throw new Missing(`GitHub's API could not be reached (${reason})`)
  }
  if (answer.status === 401) throw new Missing('GitHub rejected github-token (401): leave github-token at its default, ${{ github.token }}')
  if (answer.status === 403) throw new Missing("the job cannot read its workflow runs (403): add `actions: read` to the job's `permissions`")
  if (answer.status === 404) {
    throw new Missing(
      `GitHub did not find run ${where.runId} of ${where.repository} (404), as it answers a token that may not read it: add \`actions: read\` to the job's \`permissions\``
    )
  }
  if (answer.status < 200 || answer.status > 299) throw new Missing(`GitHub's API answered ${answer.status}; the next run tries again`)
  try {
    const data: unknown = JSON.parse(answer.body.toString('utf8'))
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, unknown>
  } catch {
    // Said below, the same as any other shape.
  }
  throw new Missing("GitHub's API answered with something other than a JSON object")
}

/** The window in which the stored token had expired: from 12 hours after the last success until `until`. */
export interface Gap {
  lastSuccess: { startedAt: Date; url: string }
  expiredAt: Date
}

/** The gap before this run, when its scheduled workflow's last success started more than 12 hours before it. */
export function gapBefore(history: RunHistory, now: Date): Gap | undefined {
  if (!('startedAt' in history.lastSuccess) || !history.scheduled) return undefined
  const started = history.thisRunStartedAt ?? now
  if (started.getTime() - history.lastSuccess.startedAt.getTime() <= TOKEN_LIFETIME_MS) return undefined
  return { lastSuccess: history.lastSuccess, expiredAt: new Date(history.lastSuccess.startedAt.getTime() + TOKEN_LIFETIME_MS) }
}

/** How the run ended, for the gap's wording: only a run that stored a token ended the gap. */
export type Outcome = 'stored' | 'dry-run' | 'not-stored'

/** One line for the warning and the summary: when the token expired, until when pulls failed, and what to do. */
export function gapMessage(gap: Gap, outcome: Outcome, now: Date, heartbeat = false): string {
  const since =
    `The last successful run of this workflow started ${whenWithRelative(gap.lastSuccess.startedAt, now)}, more than 12 hours before this one ` +
    `(${gap.lastSuccess.url}): the stored token expired at ${whenWithRelative(gap.expiredAt, now)}`
  const watch = heartbeat
    ? "check the heartbeat check's period and grace (under 12 hours in all) and who it alerts"
    : 'set heartbeat-url so a stopped schedule is noticed before the next expiry'
  switch (outcome) {
    case 'stored':
      return `${since} and was replaced only by this run at ${now.toISOString()}, so pulls with the secret failed for ${span(gap.expiredAt, now)} in between: find out why the runs stopped or failed (a disabled or delayed schedule, failing runs), and ${watch}.`
    case 'dry-run':
      return `${since}, and this dry run stores nothing, so pulls with the secret have failed since then and still do: run the refresh without dry-run now, and ${watch}.`
    case 'not-stored':
      return `${since}, and this run did not replace it, so pulls with the secret have failed since then and still do: fix the error this run ended with and rerun, and ${watch}.`
  }
}

/** "8 h 3 m": how long from one time to a later one. */
function span(from: Date, to: Date): string {
  return relativeTime(from, to).replace(/ ago$/, '')
}
