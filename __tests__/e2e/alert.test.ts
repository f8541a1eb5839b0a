import { startEcrEmulator } from '../emulators/ecr.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { awsEnv, baseInputs, expectNoLeaks, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

type GitHub = Awaited<ReturnType<typeof startGitHubEmulator>>

const GITHUB_TOKEN = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a'
let ecr: Ecr
let pipecat: Pipecat
let github: GitHub

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  github = await startGitHubEmulator({ token: GITHUB_TOKEN })
})
afterEach(async () => {
  await Promise.all([ecr.close(), pipecat.close(), github.close()])
})

let runId = 100
function run(inputs: Record<string, string> = {}) {
  runId += 1
  return runAction({
    inputs: { ...baseInputs(ecr, pipecat), 'wait-for-ready': 'false', 'alert-issue': 'true', 'github-token': GITHUB_TOKEN, ...inputs },
    env: {
      ...awsEnv(ecr),
      GITHUB_API_URL: github.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/agents',
      GITHUB_RUN_ID: String(runId)
    }
  })
}

const secrets = () => [...secretsOf(ecr, pipecat), GITHUB_TOKEN]
const issueTexts = () => [...github.issues.map((i: { body: string }) => i.body), ...github.comments.map((c: { body: string }) => c.body)]

test('a failing refresh opens one issue, comments on the next failure, and a success closes it', async () => {
  const first = await run({ 'pipecat-api-token': 'revoked-key' })
  expect(first.code).toBe(1)
  expect(github.issues).toHaveLength(1)
  expect(github.issues[0]).toMatchObject({ state: 'open', title: expect.stringContaining('my-ecr-credentials') })
  expect(github.issues[0].body).toContain(first.error)
  expect(github.issues[0].body).toContain('https://github.com/acme/agents/actions/runs/101')

  const second = await run({ 'pipecat-api-token': 'revoked-key' })
  expect(second.code).toBe(1)
  expect(github.issues).toHaveLength(1)
  expect(github.comments).toHaveLength(1)
  expect(github.comments[0].body).toContain('actions/runs/102')

  const healed = await run()
  expect(healed.code).toBe(0)
  expect(github.issues[0].state).toBe('closed')
  expect(github.comments.at(-1).body).toContain(healed.outputs['expires-at'])

  for (const result of [first, second, healed]) expectNoLeaks(result, [...secrets(), 'revoked-key'], issueTexts())
})

test('a healthy run with no open alert writes nothing to GitHub', async () => {
  const result = await run()

  expect(result.code).toBe(0)
  expect(github.requests.filter((r: { method: string }) => r.method !== 'GET')).toHaveLength(0)
  expectNoLeaks(result, secrets())
})

test('an alert that cannot be written is a warning and does not hide the refresh result', async () => {
  github.failNext()
  const result = await run({ 'pipecat-api-token': 'revoked-key' })

  expect(result.code).toBe(1)
  expect(result.error).toMatch(/rejected pipecat-api-token \(401\)/)
  expect(result.stdout).toMatch(/^::warning::Could not update the alert issue: .*issues: write/m)
  expectNoLeaks(result, [...secrets(), 'revoked-key'])
})
