/**
 * The alert issue: one open GitHub issue per pull secret while its refresh keeps failing.
 *
 * Scheduled runs fail quietly (GitHub mails only some people, and only sometimes), and a
 * stored ECR token simply stops working 12 hours after the last good refresh. An issue is
 * where a team already looks. main.ts loads this module only when `alert-issue` is true and
 * turns any error thrown here into a warning, so alerting never hides the refresh's result.
 */
import { getOctokit } from '@actions/github'
import { ActionError } from '../common/errors.js'
import { AnswerTooLargeError, createHttpClient, MAX_BODY_BYTES, type HttpClient, type HttpRequest, type ProxySettings } from '../http/http.js'
import { ForeignOriginError, MAX_PAGES, pinnedOrigin } from '../http/outside-policy.js'
import { EXPIRY_PATTERN, expiryStatement, failureComment, failureIssueBody, recoveryComment, type Failure } from './alert-text.js'
import type { LastRun } from './run-history.js'
import { trackSecret } from '../common/redact.js'
import { errorFields, untrusted } from '../common/untrusted.js'

export interface AlertTarget {
  token: string
  /** owner/repo */
  repository: string
  runUrl: string
  secretName: string
  /** With several targets, every secret set of the run: they share one issue, keyed by `registry`. */
  secretNames?: string[]
  /** The registry host the sets hold credentials for; names the shared issue of several targets. */
  registry?: string
  /** GitHub API base URL; @actions/github falls back to GITHUB_API_URL, then api.github.com */
  apiUrl?: string
  /** The most the whole alert may take: a hung API must not hold the job. */
  timeoutMs: number
  /** The most one request may take (request-timeout); the whole alert's limit when not given. */
  requestTimeoutMs?: number
  proxy?: ProxySettings
}

export interface AlertResult {
  action: 'opened' | 'commented' | 'closed' | 'none'
  issueNumber?: number
}

/** Every alert issue carries this label, so one filtered listing finds them all. */
export const ALERT_LABEL = 'pipecat-pull-secret'

/**
 * The title names the secret: that is what makes it one issue per secret. Several targets refreshed by one
 * step share one issue, named after their registry, so it stays the same whichever of them fail.
 */
export function alertTitle(secretName: string, several?: { registry: string }): string {
  if (several) return `Pipecat Cloud pull secret refresh failing: secret sets for ${several.registry}`
  return `Pipecat Cloud pull secret refresh failing: ${secretName}`
}

const titleOf = (target: AlertTarget): string =>
  alertTitle(target.secretName, (target.secretNames?.length ?? 1) > 1 ? { registry: target.registry ?? '' } : undefined)

/**
 * Who writes with the default GITHUB_TOKEN. `GET /user` names the owner of a personal token; for an
 * installation token it answers 403, and the workflow's GITHUB_TOKEN writes as this bot.
 */
const GITHUB_TOKEN_AUTHOR = 'github-actions[bot]'

export type { Failure }

type GitHub = ReturnType<typeof getOctokit>
interface Repo {
  owner: string
  repo: string
}
/** What every call needs to explain its own failure. */
interface Context {
  target: AlertTarget
  /** the base URL the client really uses, for messages */
  api: string
}
interface IssueRef {
  number: number
  title: string
  pull_request?: unknown
}

/** `lastRun` is what main read for the staleness report (run-history.ts), so the runs are read once per run. */
export async function reportFailure(target: AlertTarget, failure: Failure, lastRun: LastRun, now: Date = new Date()): Promise<AlertResult> {
  const { github, repo, title, context } = connect(target)
  const message = untrusted(failure.message, 4000)

  const [open] = await attempt('list open issues', context, () => findAlertIssues(github, repo, title, 'open'))
  // Said again on every failure: the time left is what the person on call needs, and it shrinks.
  const recorded = await attempt('read closed issues', context, () => lastRecordedExpiry(github, repo, title))
  const expiry = expiryStatement(failure, { recorded, lastRun }, now)
  if (open) {
    await attempt('comment on an issue', context, () =>
      github.rest.issues.createComment({ ...repo, issue_number: open.number, body: failureComment(failure, message, target.runUrl, expiry, now) })
    )
    return { action: 'commented', issueNumber: open.number }
  }

  await attempt('create a label', context, () => ensureLabel(github, repo))
  const created = await attempt('open an issue', context, () =>
    github.rest.issues.create({
      ...repo,
      title,
      labels: [ALERT_LABEL],
      body: failureIssueBody(target, failure, message, expiry, now)
    })
  )
  return { action: 'opened', issueNumber: created.data.number }
}

export async function reportRecovery(target: AlertTarget, recovery: { expiresAt: Date; registry: string }, now: Date = new Date()): Promise<AlertResult> {
  const { github, repo, title, context } = connect(target)
  // A healthy run with nothing open writes nothing: no noise, no API writes.
  const open = await attempt('list open issues', context, () => findAlertIssues(github, repo, title, 'open'))
  if (open.length === 0) return { action: 'none' }

  const body = recoveryComment(target.secretNames ?? [target.secretName], recovery, target.runUrl, now)
  // Closes every match, in case a person opened a duplicate by hand.
  for (const issue of open) {
    await attempt('comment on an issue', context, () => github.rest.issues.createComment({ ...repo, issue_number: issue.number, body }))
    await attempt('close an issue', context, () =>
      github.rest.issues.update({ ...repo, issue_number: issue.number, state: 'closed', state_reason: 'completed' })
    )
  }
  return { action: 'closed', issueNumber: open[0].number }
}

function connect(target: AlertTarget): { github: GitHub; repo: Repo; title: string; context: Context } {
  if (!target.token) {
    throw new ActionError(
      'No GitHub token for the alert issue: pass one in `github-token` (its default, `${{ github.token }}`, works) or set `alert-issue: false`.'
    )
  }
  // Registered here too, so an error GitHub echoes the token in is redacted like every other secret.
  trackSecret(target.token)
  const [owner, repo, ...extra] = target.repository.split('/')
  if (!owner || !repo || extra.length > 0) {
    throw new ActionError(`Cannot tell which repository gets the alert issue from "${target.repository}": expected owner/repo.`)
  }
  const baseUrl = (target.apiUrl || 'https://api.github.com').replace(/\/+$/, '')
  const http = createHttpClient({ timeoutMs: target.requestTimeoutMs ?? target.timeoutMs, proxy: target.proxy })
  const github = getOctokit(target.token, {
    baseUrl,
    // The options merge shallowly: this replaces @actions/github's own fetch, which knows no caps.
    request: { fetch: pinnedFetch(http, new URL(baseUrl).origin), signal: AbortSignal.timeout(target.timeoutMs) }
  })
  const context = { target, api: baseUrl }
  return { github, repo: { owner, repo }, title: titleOf(target), context }
}

/** What octokit hands its fetch; it reads only the status, the headers and the body of the answer. */
interface FetchInit {
  method?: string
  headers?: Record<string, string>
  body?: string
  signal?: AbortSignal
}

/**
 * The GitHub client's fetch: the project's HTTP client (its deadline, its byte cap, its proxy settings),
 * to the API's own origin only. A pagination link elsewhere is refused before the token goes anywhere.
 */
function pinnedFetch(http: HttpClient, origin: string) {
  return async (url: string, init: FetchInit = {}): Promise<Response> => {
    pinnedOrigin(url, origin)
    const method = (init.method ?? 'GET').toUpperCase() as HttpRequest['method']
    const answer = await http.sendOnce({ method, url, headers: init.headers, body: init.body }, init.signal)
    const empty = [101, 103, 204, 205, 304].includes(answer.status)
    return new Response(empty ? null : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers })
  }
}

/**
 * Every page of a listing, up to MAX_PAGES, each reduced by `keep` as it arrives, so only what the
 * alert needs is held. More pages than that is no listing of alert issues: the alert stops.
 */
async function listPages<T, R>(pages: AsyncIterable<{ data: T[]; headers: { link?: string } }>, what: string, keep: (item: T) => R | undefined): Promise<R[]> {
  const kept: R[] = []
  let count = 0
  for await (const page of pages) {
    for (const item of page.data) {
      const value = keep(item)
      if (value !== undefined) kept.push(value)
    }
    if (++count >= MAX_PAGES && /rel="next"/.test(page.headers.link ?? '')) {
      throw new ActionError(
        `GitHub answered the ${what} with more than ${MAX_PAGES} pages, far more than an alert ever reads: check GITHUB_API_URL and the runner's proxy settings; the next run tries again.`
      )
    }
  }
  return kept
}

async function findAlertIssues(github: GitHub, repo: Repo, title: string, state: 'open'): Promise<IssueRef[]> {
  const pages = github.paginate.iterator(github.rest.issues.listForRepo, { ...repo, labels: ALERT_LABEL, state, per_page: 100 })
  // The issues endpoint also lists pull requests, and other secrets share the label.
  return listPages(pages, `list of ${state} issues`, (issue: IssueRef) =>
    !issue.pull_request && issue.title === title ? { number: issue.number, title: issue.title } : undefined
  )
}

/** The login this token writes as (see GITHUB_TOKEN_AUTHOR); undefined when GitHub would not say, so nothing is trusted. */
async function ownLogin(github: GitHub): Promise<string | undefined> {
  try {
    const { data } = await github.rest.users.getAuthenticated()
    return typeof data?.login === 'string' && data.login ? data.login : undefined
  } catch (error) {
    const status = (error as { status?: unknown })?.status
    return status === 403 || status === 404 ? GITHUB_TOKEN_AUTHOR : undefined
  }
}

/** The expiry the most recent recovery recorded, read from the latest closed alert issue, from our own comments only. */
async function lastRecordedExpiry(github: GitHub, repo: Repo, title: string): Promise<Date | undefined> {
  const { data: closed } = await github.rest.issues.listForRepo({
    ...repo,
    labels: ALERT_LABEL,
    state: 'closed',
    sort: 'updated',
    direction: 'desc',
    per_page: 30
  })
  const latest = closed.find(issue => !issue.pull_request && issue.title === title)
  if (!latest) return undefined
  const pages = github.paginate.iterator(github.rest.issues.listComments, { ...repo, issue_number: latest.number, per_page: 100 })
  const marked = await listPages(pages, `comments of issue #${latest.number}`, (comment: { body?: string; user?: { login?: string } | null }) => {
    const recorded = typeof comment.body === 'string' ? EXPIRY_PATTERN.exec(comment.body)?.[1] : undefined
    return recorded === undefined ? undefined : { login: comment.user?.login, recorded }
  })
  if (marked.length === 0) return undefined
  const self = await ownLogin(github)
  if (!self) return undefined
  for (const comment of marked.reverse()) {
    if (comment.login !== self) continue
    const at = new Date(comment.recorded)
    if (!Number.isNaN(at.getTime())) return at
  }
  return undefined
}

async function ensureLabel(github: GitHub, repo: Repo): Promise<void> {
  try {
    await github.rest.issues.createLabel({
      ...repo,
      name: ALERT_LABEL,
      color: 'd93f0b',
      description: 'Opened and closed by the Pipecat Cloud pull secret refresh'
    })
  } catch (error) {
    if (!isAlreadyExists(error)) throw error
  }
}

/** Runs one API call and turns its failure into a one-line cause and fix. */
async function attempt<T>(doing: string, context: Context, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw explain(error, doing, context)
  }
}

function explain(error: unknown, doing: string, { target, api }: Context): ActionError {
  if (error instanceof ActionError) return error
  const status = (error as { status?: unknown })?.status
  const response = (error as { response?: { data?: unknown } })?.response
  const cause = (error as { cause?: unknown })?.cause
  if (cause instanceof ForeignOriginError) {
    return new ActionError(
      `GitHub's answer when asked to ${doing} pointed to ${untrusted(cause.origin, 100)} for more, which is not the API at ${api}; the token goes only to GITHUB_API_URL, so nothing was sent there: check GITHUB_API_URL and the runner's proxy settings; the next run tries again.`
    )
  }
  if (cause instanceof AnswerTooLargeError) {
    return new ActionError(
      `The GitHub API at ${api} sent an answer larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB when asked to ${doing}, far more than an alert ever reads: check GITHUB_API_URL and the runner's proxy settings; the next run tries again.`
    )
  }
  // The answer's message field only: an error body GitHub echoes a request into is never shown whole.
  const said = response ? errorFields(response.data).message || 'no message' : untrusted((error as Error)?.message ?? error, 200)
  const where = target.repository
  if (!response || typeof status !== 'number') {
    return new ActionError(
      `Could not reach the GitHub API at ${api} to ${doing} (${said}): check the runner's network and proxy settings; the next run tries again.`
    )
  }
  if (status === 401) {
    return new ActionError(
      `GitHub rejected the token given to update the alert issue (401 ${said}): pass a valid token in \`github-token\` (its default, \`\${{ github.token }}\`, works).`
    )
  }
  if (status === 403 && /rate limit/i.test(said)) {
    return new ActionError(`GitHub's API rate limit stopped the alert issue (403 ${said}): the next run tries again.`)
  }
  if (status === 403) {
    return new ActionError(`GitHub did not let this job ${doing} in ${where} (403 ${said}): add \`issues: write\` to the job's \`permissions\`.`)
  }
  if (status === 404) {
    return new ActionError(
      `GitHub answered 404 when asked to ${doing} in ${where}: check that the repository exists, that the token can see it, and that the job has \`issues: write\`.`
    )
  }
  if (status === 410) {
    return new ActionError(`Issues are turned off in ${where} (410): turn them on under Settings > General > Features, or set \`alert-issue: false\`.`)
  }
  return new ActionError(`GitHub answered ${status} when asked to ${doing} in ${where} (${said}): the next run tries again.`)
}

function isAlreadyExists(error: unknown): boolean {
  const { status, response } = error as { status?: number; response?: { data?: { errors?: { code?: string }[] } } }
  return status === 422 && (response?.data?.errors ?? []).some(e => e.code === 'already_exists')
}
