import { startEcrEmulator } from '../emulators/ecr.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import {
  awsEnv,
  baseInputs,
  errorLines,
  expectNoLeaks,
  expectOneLineFailure,
  maskedValues,
  runAction,
  secretsOf,
  type ActionRun,
  type Ecr,
  type Pipecat
} from './harness.js'

// Each run in GitHub Actions reads when its workflow last succeeded. A stored ECR token stops working
// 12 hours after the refresh that stored it, so a longer gap means pulls failed in between: the run warns
// and the summary says from when to when. A run that cannot tell says why. None of it fails a run.

type GitHub = Awaited<ReturnType<typeof startGitHubEmulator>>

const GITHUB_TOKEN = 'ghs_5tal3n3ssT0k3n0123456789abcdefABCDEF'
const HOUR = 3600_000
const THIS_RUN = 5001
const LAST_SUCCESS = 4990

let ecr: Ecr
let pipecat: Pipecat
let github: GitHub

async function start(options: Parameters<typeof startGitHubEmulator>[0] = {}) {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  github = await startGitHubEmulator({ token: GITHUB_TOKEN, ...options })
}
afterEach(async () => {
  await Promise.all([ecr.close(), pipecat.close(), github.close()])
})

/** This run, started a minute ago, and its workflow's last success `hoursAgo` before now, both started by `event`. */
function history(hoursAgo: number, event = 'schedule') {
  github.addRun({
    id: THIS_RUN,
    workflow_id: 42,
    repository: 'acme/agents',
    status: 'in_progress',
    conclusion: null,
    event,
    run_started_at: iso(Date.now() - 60_000)
  })
  github.addRun({ id: LAST_SUCCESS, workflow_id: 42, repository: 'acme/agents', event, run_started_at: iso(Date.now() - hoursAgo * HOUR) })
  // A failed run in between and another workflow's success are not the last success.
  github.addRun({ id: 4995, workflow_id: 42, repository: 'acme/agents', conclusion: 'failure', run_started_at: iso(Date.now() - HOUR) })
  github.addRun({ id: 4996, workflow_id: 43, repository: 'acme/agents', run_started_at: iso(Date.now() - HOUR) })
}

const iso = (ms: number) => new Date(ms).toISOString()

function run(inputs: Record<string, string> = {}, env: Record<string, string> = actionsEnv()): Promise<ActionRun> {
  return runAction({
    inputs: { ...baseInputs(ecr, pipecat), 'wait-for-ready': 'false', 'github-token': GITHUB_TOKEN, ...inputs },
    env: { ...awsEnv(ecr), ...env }
  })
}

function actionsEnv(): Record<string, string> {
  return { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/agents', GITHUB_RUN_ID: String(THIS_RUN) }
}

const warnings = (result: ActionRun) => result.stdout.split('\n').filter(line => line.startsWith('::warning::'))
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
const lastRunUrl = `https://github.com/acme/agents/actions/runs/${LAST_SUCCESS}`

test('last success 20 h ago: a warning and the summary say the stored token had expired, from when to when', async () => {
  await start()
  history(20)
  const result = await run()

  expect({ code: result.code, errors: errorLines(result) }).toEqual({ code: 0, errors: [] })
  const expiredAt = /expired at (\S+) \((\d+ h \d+ m|\d+ h) ago\)/.exec(result.stdout)
  expect(new Date(expiredAt?.[1] ?? '').getTime()).toBeCloseTo(Date.now() - 8 * HOUR, -5)
  expect(warnings(result)).toEqual([
    expect.stringMatching(
      new RegExp(
        `^::warning::The last successful run of this workflow started \\S+ \\(20 h ago\\), more than 12 hours before this one \\(${lastRunUrl}\\): ` +
          `the stored token expired at \\S+ \\(8 h ago\\) and was replaced only by this run at \\S+, so pulls with the secret failed for 8 h in between: ` +
          'find out why the runs stopped or failed .*, and set heartbeat-url so a stopped schedule is noticed'
      )
    )
  ])
  const warning = warnings(result)[0].slice('::warning::'.length)
  expect(result.summary).toContain(`<p><strong>The stored token had expired before this run:</strong> ${html(warning)}</p>`)
  expect(result.summary).toMatch(new RegExp(`<td>Last successful run</td><td>\\S+ \\(20 h ago\\), ${lastRunUrl}</td>`))
  // Read once, with the job's token, from GITHUB_API_URL only.
  expect(github.requests.map((r: { method: string; path: string; query: object }) => [r.method, r.path, r.query])).toEqual([
    ['GET', `/repos/acme/agents/actions/runs/${THIS_RUN}`, {}],
    ['GET', '/repos/acme/agents/actions/workflows/42/runs', { status: 'success', per_page: '2' }]
  ])
  expect(maskedValues(result)).toContain(GITHUB_TOKEN)
  expectNoLeaks(result, [...secretsOf(ecr, pipecat), GITHUB_TOKEN])
})

test('last success 2 h ago: the summary names it, and nothing warns', async () => {
  await start()
  history(2)
  const result = await run()

  expect(result.code).toBe(0)
  expect(warnings(result)).toEqual([])
  expect(result.summary).toMatch(new RegExp(`<td>Last successful run</td><td>\\S+ \\(2 h ago\\), ${lastRunUrl}</td>`))
  expect(result.summary).not.toContain('had expired')
  expectNoLeaks(result, [...secretsOf(ecr, pipecat), GITHUB_TOKEN])
})

test('a release pipeline, not on a schedule, names its last success 3 days ago without warning: its gaps do not date the token', async () => {
  await start()
  history(72, 'release')
  const result = await run()

  expect(result.code).toBe(0)
  expect(warnings(result)).toEqual([])
  expect(result.summary).toMatch(
    new RegExp(
      `<td>Last successful run</td><td>\\S+ \\(3 d ago\\) \\(not a scheduled workflow, so its gaps do not date the stored token\\), ${lastRunUrl}</td>`
    )
  )
})

test('a manual run of a scheduled workflow reports the gap after its last scheduled success', async () => {
  await start()
  history(20)
  github.workflowRuns.find((r: { id: number }) => r.id === THIS_RUN).event = 'workflow_dispatch'
  const result = await run()

  expect(warnings(result)).toEqual([expect.stringMatching(/expired at \S+ \(8 h ago\) and was replaced only by this run/)])
})

test('a dry run reports the gap too, and says it stores nothing', async () => {
  await start()
  history(20)
  const result = await run({ 'dry-run': 'true' })

  expect(result.code).toBe(0)
  expect(warnings(result)).toEqual([
    expect.stringMatching(
      /expired at \S+ \(8 h ago\), and this dry run stores nothing, so pulls with the secret have failed since then and still do: run the refresh without dry-run now/
    )
  ])
  expect(result.summary).toContain('(this dry run stores nothing: the stored token dates from the last real refresh)')
})

test("a failed run after a gap warns that pulls still fail, and its one error line is the refresh's", async () => {
  await start()
  history(20)
  const result = await run({ 'pipecat-api-token': 'revoked-key' })

  expectOneLineFailure(result, /rejected pipecat-api-token \(401\)/)
  expect(warnings(result)).toEqual([
    expect.stringMatching(/\(8 h ago\), and this run did not replace it, so pulls with the secret have failed since then and still do: fix the error/)
  ])
  expectNoLeaks(result, [...secretsOf(ecr, pipecat), GITHUB_TOKEN, 'revoked-key'])
})

test('without actions: read (403), the summary says the job needs it, and the run succeeds', async () => {
  await start({ actionsRead: false })
  const result = await run()

  expect(result.code).toBe(0)
  expect(warnings(result)).toEqual([])
  expect(result.summary).toContain(
    '<td>Last successful run</td><td>unknown: the job cannot read its workflow runs (403): add `actions: read` to the job&#39;s `permissions`</td>'
  )
  expectNoLeaks(result, [...secretsOf(ecr, pipecat), GITHUB_TOKEN])
})

test('a rejected token (401) is said as such, and the run succeeds', async () => {
  await start()
  history(2)
  const result = await run({ 'github-token': 'ghs_notTheJobsToken000000000000000000' })

  expect(result.code).toBe(0)
  expect(result.summary).toContain('unknown: GitHub rejected github-token (401): leave github-token at its default, ${{ github.token }}')
  expectNoLeaks(result, [...secretsOf(ecr, pipecat), GITHUB_TOKEN, 'ghs_notTheJobsToken000000000000000000'])
})

test('outside GitHub Actions (no GITHUB_RUN_ID), the summary says why it cannot tell, and GitHub is not asked', async () => {
  await start()
  history(20)
  const { GITHUB_RUN_ID: _unset, ...env } = actionsEnv()
  const result = await run({}, env)

  expect(result.code).toBe(0)
  expect(github.requests).toEqual([])
  expect(result.summary).toContain(
    '<td>Last successful run</td><td>unknown: this is not a GitHub Actions run (GITHUB_RUN_ID, GITHUB_REPOSITORY or GITHUB_API_URL is not set)'
  )
  expectNoLeaks(result, [...secretsOf(ecr, pipecat), GITHUB_TOKEN])
})
