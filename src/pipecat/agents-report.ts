import { escapeHtml } from '../common/untrusted.js'

// The agents report as the job summary and the `agents` output show it. Small and dependency-free, so
// summary.ts can load it with the rest of the run; the HTTP side lives in agents.ts, loaded only when needed.

/** Why an agent cannot pull with this secret set, or is not running. */
export type AgentProblem = 'other-region' | 'other-registry' | 'not-ready'

/** One agent whose deployment names this secret set. Every value was checked against its shape; null is unknown. */
export interface AgentUse {
  name: string
  region: string | null
  /** null when Pipecat Cloud did not show it (a cloud build) or it did not look like an image reference. */
  image: string | null
  ready: boolean | null
  state: 'running' | 'waiting' | 'terminated' | null
  /** e.g. ImagePullBackOff, CrashLoopBackOff. */
  reason: string | null
  restarts: number | null
  problems: AgentProblem[]
}

export interface AgentsReport {
  secretName: string
  /** The secret set's Pipecat region, when known; agents elsewhere can never pull with it. */
  secretRegion?: string
  /** False when some agents could not be listed or read: an agent using the set may be missing. */
  complete: boolean
  /** Agents in the organization's list. */
  listed: number
  /** Agents whose details were read. */
  inspected: number
  /** Agents not inspected because of the limit. */
  skipped: number
  skippedNames: string[]
  limit: number
  agents: AgentUse[]
  /** What made the report incomplete, one line each, outside text already cleaned. */
  gaps: string[]
}

/** The `agents` output: a stable shape, every key always present. */
export function agentsOutput(report: AgentsReport): string {
  return JSON.stringify({
    secretName: report.secretName,
    complete: report.complete,
    listed: report.listed,
    inspected: report.inspected,
    skipped: report.skipped,
    agents: report.agents.map(agent => ({
      name: agent.name,
      region: agent.region,
      image: agent.image,
      ready: agent.ready,
      state: agent.state,
      reason: agent.reason,
      restarts: agent.restarts,
      problems: agent.problems
    }))
  })
}

const PROBLEM_TEXT: Record<AgentProblem, string> = {
  'other-region': 'other region: cannot pull',
  'other-registry': 'image on another registry',
  'not-ready': 'not ready'
}

const show = (value: string | number | boolean | null): string => (value === null ? '?' : value === true ? 'yes' : value === false ? 'no' : String(value))

const cell = (text: string, header = false): string => (header ? `<th>${escapeHtml(text)}</th>` : `<td>${escapeHtml(text)}</td>`)

/** The job summary section: a table of the agents and what the report could not see. Every cell is escaped. */
export function agentsSummaryHtml(report: AgentsReport): string {
  const parts = [`<h4>${escapeHtml(`Agents pulling with ${report.secretName}`)}</h4>`]
  if (report.agents.length === 0) {
    parts.push(`<p>${escapeHtml(`No inspected agent uses ${report.secretName}.`)}</p>`)
  } else {
    const header = ['Agent', 'Region', 'Image', 'Ready', 'State', 'Restarts', 'Problems'].map(text => cell(text, true)).join('')
    const rows = report.agents.map(agent => {
      const state = agent.state === null ? '?' : agent.reason ? `${agent.state} (${agent.reason})` : agent.state
      const problems = agent.problems.map(problem => PROBLEM_TEXT[problem]).join(', ') || 'none'
      return `<tr>${[agent.name, show(agent.region), show(agent.image), show(agent.ready), state, show(agent.restarts), problems].map(text => cell(text)).join('')}</tr>`
    })
    parts.push(`<table><tr>${header}</tr>${rows.join('')}</table>`)
  }
  const counts = `Inspected ${report.inspected} of ${report.listed} agent${report.listed === 1 ? '' : 's'}.`
  const skipped =
    report.skipped > 0
      ? ` ${report.skipped} not inspected (limit ${report.limit}): ${report.skippedNames.slice(0, 20).join(', ')}${report.skipped > 20 ? ', …' : ''}.`
      : ''
  const region = report.secretRegion ? '' : ' Regions not compared: the set’s region is unknown (set pipecat-region).'
  parts.push(`<p>${escapeHtml(counts + skipped + region)}</p>`)
  if (!report.complete) {
    const gaps = report.gaps.map(gap => `<li>${escapeHtml(gap)}</li>`).join('')
    parts.push(`<p><strong>Incomplete report</strong>: an agent using this set may be missing.</p><ul>${gaps}</ul>`)
  }
  return parts.join('\n')
}
