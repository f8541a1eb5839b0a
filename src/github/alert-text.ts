/**
 * What the alert issue says: the bodies of the issue and its comments, and the hidden line that records
 * an expiry. alert.ts talks to GitHub; this module only writes text, every outside part already cleaned.
 */
import { relativeTime, whenWithRelative } from '../common/expiry.js'
import type { LastRun } from './run-history.js'
import type { SecretState } from '../run/summary.js'

// A recovery comment records the new expiry in a hidden line, so that the next failure,
// possibly weeks later, can tell people when the stored secret stops working. Anyone who can
// comment can write the same line, so alert.ts reads it only from comments by the token's own identity.
export const EXPIRY_PATTERN = /<!-- pipecat-pull-secret:expires-at=(\S+) -->/

// GitHub refuses an issue or comment body over 65,536 characters; a failure report must still arrive.
const MAX_BODY = 60_000

// How long an ECR token lasts (ECR.md): the estimate from the last successful run rests on it.
const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000

/** What the failed run left in Pipecat Cloud, for the issue to say truthfully. */
export interface Failure {
  message: string
  secret: SecretState
  /** With several targets, the ones that failed; `message` then holds each one's error line. */
  failedTargets?: { secretName: string; region?: string; secret: SecretState }[]
  /** When this run's token expires, if it got one. */
  expiresAt?: Date
}

/** What the issue's text names: the secret, or with several targets all of them and their registry. */
interface IssueTarget {
  secretName: string
  runUrl: string
  secretNames?: string[]
  registry?: string
}

/** One sentence on what the failed run left in Pipecat Cloud: stored but not ready is not "not updated". */
function whatHappened(failure: Pick<Failure, 'secret' | 'expiresAt'>, now: Date): string {
  switch (failure.secret) {
    case 'untouched':
    case 'checked':
      return 'Nothing was stored: the secret set keeps its previous token.'
    case 'unconfirmed':
      return 'Pipecat Cloud answered the store request with success but an answer that could not be read: whether the new token was stored is unknown.'
    case 'stored':
      return (
        `The new token was stored, but Pipecat Cloud did not report the set ready; if it becomes ready, it holds ` +
        `a token that expires at ${failure.expiresAt ? whenWithRelative(failure.expiresAt, now) : 'an unknown time'}.`
      )
    case 'ready':
      return 'The secret set was refreshed and is ready; a later step of the run failed.'
  }
}

/** With several targets: which failed and what each left behind, one item each. */
function failedTargets(failure: Failure, now: Date): string[] {
  if (!failure.failedTargets) return []
  return [
    '',
    ...failure.failedTargets.map(
      target => `- \`${target.secretName}\` (${target.region ?? 'default region'}): ${whatHappened(target, now)} Its error is below.`
    )
  ]
}

function opening(target: IssueTarget, failure: Failure, now: Date): string {
  if (!failure.failedTargets) return `The refresh of the Pipecat Cloud image pull secret \`${target.secretName}\` failed. ${whatHappened(failure, now)}`
  const names = failure.failedTargets.map(each => `\`${each.secretName}\``).join(', ')
  const all = (target.secretNames ?? []).map(name => `\`${name}\``).join(', ')
  return `The refresh of the Pipecat Cloud image pull secrets for \`${target.registry ?? ''}\` failed for ${names} (of ${all}); the others were refreshed.`
}

export function failureIssueBody(target: IssueTarget, failure: Failure, message: string, expiry: string, now: Date = new Date()): string {
  return capped(
    [
      opening(target, failure, now),
      ...failedTargets(failure, now),
      '',
      '**Error**',
      '',
      fenced(message),
      '',
      `**Run:** ${target.runUrl}`,
      '',
      `**Stored secret expires:** ${expiry}`,
      '',
      'This issue stays open while refreshes fail: each failing run adds a comment, and the next successful run comments and closes it.'
    ].join('\n')
  )
}

/**
 * The best known lower bound of the stored secret's expiry: the later of what the last recovery recorded and
 * twelve hours after the last successful run of this workflow started (each later success moves it on).
 */
export function expiryStatement(failure: Failure, known: { recorded?: Date; lastRun: LastRun }, now: Date): string {
  const consequence =
    'From then on Pipecat Cloud cannot pull the image with the stored secret: new agents, scale-outs and restarts fail ' +
    '(`ImagePullBackOff`) until a refresh succeeds. Agents already running keep running.'
  if (failure.secret === 'ready') {
    return `${whenWithRelative(failure.expiresAt as Date, now)}, the token this run stored. The next refresh must succeed before then. ${consequence}`
  }
  const { recorded, lastRun } = known
  const estimate = 'startedAt' in lastRun ? new Date(lastRun.startedAt.getTime() + TOKEN_LIFETIME_MS) : undefined
  const sources =
    'startedAt' in lastRun
      ? [
          `Estimated as 12 hours after the last successful run of this workflow started (${lastRun.url}, ` +
            `${relativeTime(lastRun.startedAt, now)}); a dry run stores nothing, so if that run was one, the secret is older.`
        ]
      : [`No estimate from this workflow's runs: ${lastRun.missing}.`]
  if (recorded && estimate) sources.push(`The last recovery recorded ${whenWithRelative(recorded, now)}.`)
  const best = [estimate, recorded].filter((at): at is Date => at !== undefined).sort((a, b) => b.getTime() - a.getTime())[0]
  let verdict: string
  if (best && best.getTime() > now.getTime()) {
    verdict = `${whenWithRelative(best, now)} at the earliest; the next refresh must succeed before then.`
  } else if (estimate) {
    // The last successful run is the latest refresh there is, unless a later run failed only in another
    // matrix job: a run succeeds only when all its jobs do.
    verdict =
      `already passed, about ${whenWithRelative(estimate, now)}, unless a later run that failed in another job ` +
      `refreshed this secret; a refresh was needed before then.`
  } else if (recorded) {
    verdict = `unknown: the last recorded expiry, ${whenWithRelative(recorded, now)}, has passed, and healthy runs do not record theirs.`
  } else {
    verdict = 'unknown. An ECR token lasts 12 hours, so the stored secret stops working 12 hours after the last successful refresh.'
  }
  return `${verdict} ${sources.join(' ')} ${consequence}`
}

export function failureComment(failure: Failure, message: string, runUrl: string, expiry: string, now: Date = new Date()): string {
  const happened = failure.failedTargets
    ? `Failed this time: ${failure.failedTargets.map(each => `\`${each.secretName}\``).join(', ')}; the others were refreshed.${failedTargets(failure, now).join('\n')}`
    : whatHappened(failure, now)
  return capped([`The refresh failed again: ${runUrl}`, '', happened, '', fenced(message), '', `**Stored secret expires:** ${expiry}`].join('\n'))
}

export function recoveryComment(secretNames: string[], recovery: { expiresAt: Date; registry: string }, runUrl: string, now: Date): string {
  const expiresAt = recovery.expiresAt.toISOString()
  const sets = secretNames.map(name => `\`${name}\``).join(', ')
  const holds = secretNames.length === 1 ? `The pull secret ${sets} now holds` : `The pull secrets ${sets} now hold`
  return [
    `The refresh succeeded: ${runUrl}`,
    '',
    `${holds} credentials for \`${recovery.registry}\` that expire at **${expiresAt}** ` +
      `(${relativeTime(recovery.expiresAt, now)}); the next refresh must succeed before then. Closing this issue.`,
    '',
    `<!-- pipecat-pull-secret:expires-at=${expiresAt} -->`
  ].join('\n')
}

/** Under GitHub's body limit whatever a message holds, saying so when cut. */
function capped(body: string): string {
  return body.length <= MAX_BODY ? body : `${body.slice(0, MAX_BODY)}\n\n(cut at ${MAX_BODY} characters)`
}

/** A code fence longer than any run of tildes in the text, so an error cannot break out of it. */
function fenced(text: string): string {
  const longest = Math.max(0, ...(text.match(/~+/g) ?? []).map(run => run.length))
  const fence = '~'.repeat(Math.max(3, longest + 1))
  return `${fence}text\n${text}\n${fence}`
}
