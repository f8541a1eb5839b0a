import pLimit from 'p-limit'
import * as log from '../common/log.js'
import { ActionError } from '../common/errors.js'
import type { HttpClient, HttpResponse } from '../http/http.js'
import type { Inputs } from '../common/inputs.js'
import type { PipecatApi } from './pipecat.js'
import type { Report } from '../run/summary.js'
import { errorFields, isObject, NOT_JSON, parseJson, SHAPES, shaped, untrusted } from '../common/untrusted.js'
import type { AgentProblem, AgentUse, AgentsReport } from './agents-report.js'

// Which agents pull with this secret set, and can they? Read-only, and never fatal: a refresh that worked
// stays a success whatever the agents endpoints answer; what could not be seen is reported as a gap.

const SERVICE = 'Pipecat Cloud'
const DEFAULT_LIMIT = 50
/** Agents read at once: each needs a connection of its own. */
export const CONCURRENCY = 4
// GitHub shows at most 10 warning annotations per step; the rest go to the summary only.
const MAX_WARNINGS = 8

export interface AgentCheck {
  api: PipecatApi
  secretName: string
  /** The set's region, when known: agents in another region can never pull with it. */
  secretRegion?: string
  /** Registry host the set holds credentials for. */
  registryHost: string
  /** How many agents are inspected at most. */
  limit?: number
  /** How many agents are inspected at a time. */
  concurrency?: number
}

/** Stops the listing or the inspection: the report says why and stays incomplete. */
class Gap extends Error {}

async function get(api: PipecatApi, path: string): Promise<HttpResponse> {
  try {
    return await api.http.send(
      { method: 'GET', url: `${api.apiUrl}/v1${path}`, headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' } },
      { service: SERVICE }
    )
  } catch (error) {
    if (error instanceof ActionError) throw new Gap(error.message)
    throw error
  }
}

function failure(answer: HttpResponse, what: string, url: string): Gap {
  // A body that is not JSON adds nothing a user can act on.
  const said = errorFields(answer.body, 120).message
  const detail = said ? ` (${said})` : ''
  if (answer.status === 401 || answer.status === 403) {
    return new Gap(
      `${SERVICE} refused pipecat-api-token for ${what} (${answer.status})${detail}: use a Private API key of the organization that owns the agents, or set check-agents: false.`
    )
  }
  if (answer.status === 404) {
    return new Gap(`${SERVICE} answered 404 for ${what} at ${url}${detail}: check pipecat-api-url, or set check-agents: false.`)
  }
  const tries = answer.attempts > 1 ? ` after ${answer.attempts} attempts` : ''
  return new Gap(`${SERVICE} answered ${what} with ${answer.status}${tries}${detail}: the service is busy or failing; the next run reports again.`)
}

function readBody(answer: HttpResponse, what: string): unknown {
  const body = parseJson(answer.body)
  if (body === NOT_JSON) {
    const type = untrusted(answer.headers['content-type'] || 'no content type', 60)
    throw new Gap(
      `${SERVICE} answered ${what} with a body that is not JSON (${type}): a proxy or a wrong pipecat-api-url may be in the way; check pipecat-api-url.`
    )
  }
  return body
}

/** The names of the organization's agents, sorted so the limit always picks the same ones. */
async function listAgentNames(api: PipecatApi, gaps: string[]): Promise<string[]> {
  const answer = await get(api, '/agents')
  if (answer.status !== 200) throw failure(answer, 'the agent list', `${api.apiUrl}/v1/agents`)
  const body = readBody(answer, 'the agent list')
  if (!isObject(body) || !Array.isArray(body.services)) {
    throw new Gap(
      `${SERVICE} answered the agent list without a "services" list (${untrusted(body, 80)}): check pipecat-api-url points at the Pipecat Cloud API.`
    )
  }
  const names = new Set<string>()
  const odd: string[] = []
  for (const item of body.services as unknown[]) {
    const name = isObject(item) ? shaped(item.name, SHAPES.agentName) : undefined
    if (!isObject(item) || name === undefined) odd.push(untrusted(isObject(item) ? item.name : item, 60))
    else if (item.deletedAt === undefined || item.deletedAt === null) names.add(name)
  }
  if (odd.length > 0) {
    gaps.push(
      `${SERVICE} listed ${odd.length} agent${odd.length === 1 ? '' : 's'} without a valid name (${odd.slice(0, 3).join(', ')}), not inspected; report it to Pipecat Cloud support if it persists.`
    )
  }
  return [...names].sort()
}

/** The registry an image is pulled from, by docker's rule: a first component with a dot, a port or localhost. */
export function registryOf(image: string): string {
  const withoutDigest = image.split('@')[0]
  const slash = withoutDigest.indexOf('/')
  const first = slash === -1 ? '' : withoutDigest.slice(0, slash)
  return /[.:]/.test(first) || first === 'localhost' ? first.toLowerCase() : 'docker.io'
}

interface Inspected {
  /** Set when the agent's deployment names this secret set. */
  use?: AgentUse
  /** Fields that did not have their documented shape, cleaned for a message. */
  odd: string[]
}

/**
 * Reads one agent's details (ServiceDetailsResponse). Only agents whose deployment names this set are
 * reported; their fields are checked one by one, and an odd one is shown as unknown, not passed on.
 */
export function readAgent(name: string, body: unknown, check: AgentCheck): Inspected {
  if (!isObject(body)) return { odd: [`the answer ${untrusted(body, 60)}`] }
  const deployment = body.deployment
  if (deployment === undefined || deployment === null) return { odd: [] }
  const spec = isObject(deployment) && isObject(deployment.manifest) ? deployment.manifest.spec : undefined
  if (!isObject(spec)) return { odd: [`deployment ${untrusted(deployment, 60)}`] }
  const pullSecret = spec.imagePullSecretName
  if (pullSecret === undefined || pullSecret === null) return { odd: [] }
  if (typeof pullSecret !== 'string') return { odd: [`imagePullSecretName ${untrusted(pullSecret, 60)}`] }
  if (pullSecret !== check.secretName) return { odd: [] }

  const odd: string[] = []
  const field = <T>(label: string, value: unknown, valid: (value: unknown) => T | undefined, optional = false): T | null => {
    if ((value === undefined || value === null) && optional) return null
    const checked = valid(value)
    if (checked === undefined) odd.push(`${label} ${untrusted(value, 60)}`)
    return checked ?? null
  }
  const health = isObject(body.currentRevision) ? body.currentRevision.health : undefined
  const healthFields = isObject(health) ? health : {}
  if (health !== undefined && health !== null && !isObject(health)) odd.push(`health ${untrusted(health, 60)}`)

  const region = field('region', body.region, value => shaped(value, SHAPES.pipecatRegion))
  const image = field('image', spec.image, value => shaped(value, SHAPES.imageReference, 512), true)
  const ready = field('ready', body.ready, value => (typeof value === 'boolean' ? value : undefined))
  const state = field('state', healthFields.state, value => shaped(value, SHAPES.agentState) as AgentUse['state'] | undefined, true)
  const reason = field('reason', healthFields.reason, value => shaped(value, SHAPES.agentReason), true)
  const restarts = field(
    'restartCount',
    healthFields.restartCount,
    value => (Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined),
    true
  )

  const problems: AgentProblem[] = []
  if (region !== null && check.secretRegion !== undefined && region !== check.secretRegion) problems.push('other-region')
  if (image !== null && registryOf(image) !== check.registryHost.toLowerCase()) problems.push('other-registry')
  if (ready === false) problems.push('not-ready')
  return { use: { name, region, image, ready, state, reason, restarts, problems }, odd }
}

/**
 * Lists the organization's agents and inspects up to `limit` of them, `concurrency` at a time, for the
 * ones whose deployment pulls with this set. Never throws: the first failure stops the inspection (the
 * next ones would most likely fail the same way) and is reported as a gap.
 */
export async function findAgents(check: AgentCheck): Promise<AgentsReport> {
  const limit = check.limit ?? DEFAULT_LIMIT
  const report: AgentsReport = {
    secretName: check.secretName,
    secretRegion: check.secretRegion,
    complete: true,
    listed: 0,
    inspected: 0,
    skipped: 0,
    skippedNames: [],
    limit,
    agents: [],
    gaps: []
  }
  try {
    return await inspect(check, report)
  } catch (error) {
    // A fault of this report's own must not turn a refresh that worked into a failed run.
    const reason = `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? error}`
    return { ...report, complete: false, agents: [], gaps: [`The agents report stopped (${untrusted(reason, 160)}); rerun, and report it if it persists.`] }
  }
}

async function inspect(check: AgentCheck, report: AgentsReport): Promise<AgentsReport> {
  const { limit, gaps } = report
  let names: string[]
  try {
    names = await listAgentNames(check.api, gaps)
  } catch (error) {
    if (!(error instanceof Gap)) throw error
    gaps.push(error.message)
    report.complete = false
    return report
  }
  report.listed = names.length
  report.skippedNames = names.slice(limit)
  report.skipped = report.skippedNames.length

  const run = pLimit(check.concurrency ?? CONCURRENCY)
  let stopped: string | undefined
  let notRead = 0
  const odd: string[] = []
  const results = await Promise.all(
    names.slice(0, limit).map(name =>
      run(async (): Promise<AgentUse | undefined> => {
        if (stopped) {
          notRead++
          return undefined
        }
        try {
          const answer = await get(check.api, `/agents/${encodeURIComponent(name)}`)
          // Deleted since the list was read: it pulls nothing any more.
          if (answer.status === 404) return undefined
          if (answer.status !== 200) throw failure(answer, `agent ${name}`, `${check.api.apiUrl}/v1/agents/${name}`)
          const inspected = readAgent(name, readBody(answer, `agent ${name}`), check)
          report.inspected++
          if (inspected.odd.length > 0) odd.push(`${name}: ${inspected.odd.join(', ')}`)
          return inspected.use
        } catch (error) {
          if (!(error instanceof Gap)) throw error
          notRead++
          stopped ??= error.message
          return undefined
        }
      })
    )
  )
  report.agents = results.filter((use): use is AgentUse => use !== undefined)
  if (stopped) gaps.push(`${notRead} agent${notRead === 1 ? '' : 's'} not read: ${stopped}`)
  if (odd.length > 0) {
    gaps.push(
      `${SERVICE} answered odd fields, shown as unknown (${odd.slice(0, 3).join('; ')}${odd.length > 3 ? '; …' : ''}): report it to Pipecat Cloud support if it persists.`
    )
  }
  report.complete = gaps.length === 0
  return report
}

function problemWarning(agent: AgentUse, problem: AgentProblem, report: AgentsReport, registryHost: string): string {
  const set = report.secretName
  if (problem === 'other-region') {
    return `Agent ${agent.name} runs in ${agent.region} but pulls with secret set ${set}, which lives in ${report.secretRegion}: it can never pull with a set from another region; create a set in ${agent.region} (another secret-name with pipecat-region: ${agent.region}) or redeploy the agent in ${report.secretRegion}.`
  }
  if (problem === 'other-registry') {
    const host = registryOf(agent.image ?? '')
    return `Agent ${agent.name} pulls ${agent.image} from ${host}, but secret set ${set} holds credentials for ${registryHost}: they do not apply to that image; deploy an image from ${registryHost}, or give the agent a pull secret for ${host}.`
  }
  const how = [agent.state, agent.reason, agent.restarts === null ? undefined : `${agent.restarts} restarts`].filter(Boolean).join(', ')
  const pullFails = agent.reason !== null && /ImagePull|ErrImage/i.test(agent.reason)
  const fix = pullFails
    ? `its image cannot be pulled: check that ${agent.image ?? 'the image'} exists and the AWS role may pull it (set image to check it here), then redeploy the agent`
    : `check its logs (pipecat cloud agent logs ${agent.name}), fix the cause and redeploy`
  return `Agent ${agent.name} pulls with secret set ${set} but is not ready${how ? ` (${how})` : ''}: ${fix}.`
}

/** The one-line warnings the report calls for: each says what to do. */
export function agentWarnings(report: AgentsReport, registryHost: string): string[] {
  const problems = report.agents.flatMap(agent => agent.problems.map(problem => problemWarning(agent, problem, report, registryHost)))
  const gaps = report.gaps.map(gap => `Agents report incomplete (the secret itself is unaffected): ${gap}`)
  const all = [...gaps, ...problems]
  if (all.length <= MAX_WARNINGS) return all
  return [...all.slice(0, MAX_WARNINGS - 1), `${all.length - MAX_WARNINGS + 1} more agent warnings: see the job summary.`]
}

/**
 * A client that reads each URL once: the reports of several secret sets share one listing and one read of
 * each agent, so a run with four targets costs what a run with one does.
 */
function readingOnce(http: HttpClient): HttpClient {
  const answers = new Map<string, Promise<HttpResponse>>()
  return {
    ...http,
    send(req, options) {
      if (req.method !== 'GET') return http.send(req, options)
      let answer = answers.get(req.url)
      if (!answer) {
        answer = http.send(req, options)
        answers.set(req.url, answer)
      }
      return answer
    }
  }
}

/** The step main runs after the refresh: finds the agents of every secret set, warns, and hands the reports to the summary. */
export async function checkAgents(inputs: Inputs, report: Report, http: HttpClient): Promise<AgentsReport[]> {
  const api = { http: report.targets.length > 1 ? readingOnce(http) : http, apiUrl: inputs.apiUrl, token: inputs.apiToken }
  const reports: AgentsReport[] = []
  for (const target of report.targets) {
    const found = await findAgents({ api, secretName: target.secretName, secretRegion: target.secretRegion, registryHost: inputs.registryHost })
    const using = found.agents.length
    log.info(
      `${using} of ${found.inspected} inspected agent${found.inspected === 1 ? '' : 's'} pull with ${target.secretName}${found.skipped ? `; ${found.skipped} not inspected (limit ${found.limit})` : ''}.`
    )
    agentWarnings(found, inputs.registryHost).forEach(warning => log.warning(warning))
    reports.push(found)
  }
  return reports
}

/** With fail-on-unhealthy-agents, an agent with a problem fails the run; the secret stays stored. */
export function assertAgentsHealthy(inputs: Pick<Inputs, 'failOnUnhealthyAgents' | 'dryRun'>, report: AgentsReport | undefined): void {
  if (!inputs.failOnUnhealthyAgents || !report) return
  const unhealthy = report.agents.filter(agent => agent.problems.length > 0)
  if (unhealthy.length === 0) return
  const list = unhealthy
    .slice(0, 5)
    .map(agent => `${agent.name}: ${agent.problems.join(', ')}`)
    .join('; ')
  const done = inputs.dryRun ? 'was checked (dry run)' : 'was refreshed'
  throw new ActionError(
    `Secret set ${report.secretName} ${done}, but ${unhealthy.length} agent${unhealthy.length === 1 ? '' : 's'} using it cannot pull or are not ready (${list}${unhealthy.length > 5 ? '; …' : ''}): fix them as the warnings say, or set fail-on-unhealthy-agents: false.`
  )
}
