import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { startRegistry } from '../support/registry-server.js'
import { awsEnv, baseInputs, expectNoLeaks, expectOneLineFailure, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

// A failed run still reports: the outputs it knows, and a summary of what was done, what was not, the
// error and the next step. The state it names is the one Pipecat Cloud is really in.

let ecr: Ecr
let pipecat: Pipecat
let dir: string

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  dir = await mkdtemp(join(tmpdir(), 'failure-report-'))
})
afterEach(async () => {
  await Promise.all([ecr.close(), pipecat.close(), rm(dir, { recursive: true, force: true })])
})

const registryHost = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`
const secrets = () => [...secretsOf(ecr, pipecat), 'pk_revoked']
const html = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

test('failing before the token: the summary says nothing was stored and no token was obtained', async () => {
  const run = await runAction({
    inputs: baseInputs(ecr, pipecat),
    env: { ...awsEnv(ecr), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }
  })

  expectOneLineFailure(run, /^No AWS credentials found/)
  expect(run.outputs).toEqual({
    registry: registryHost(),
    'expires-at': '',
    'secret-name': 'my-ecr-credentials',
    'secret-region': '',
    targets: JSON.stringify([{ secretName: 'my-ecr-credentials', region: '', status: 'untouched' }]),
    image: '',
    'image-digest': '',
    'config-file': '',
    agents: ''
  })
  expect(run.summary).toContain('<h3>Pipecat Cloud pull secret refresh failed</h3>')
  expect(run.summary).toContain('<td>Status</td><td>not stored</td>')
  expect(run.summary).toContain('<td>Token expires</td><td>no token obtained</td>')
  expect(run.summary).toContain(`<p><strong>Error:</strong> ${html(run.error ?? '')}</p>`)
  expect(run.summary).toContain('<strong>Next step:</strong> Nothing was stored: the secret set in Pipecat Cloud keeps its previous token')
  expect(pipecat.requests).toEqual([])
  expectNoLeaks(run, secrets())
})

test('failing after the token: the outputs carry its expiry, the summary says it was not stored', async () => {
  const run = await runAction({
    inputs: { ...baseInputs(ecr, pipecat), 'pipecat-api-token': 'pk_revoked', 'pipecat-region': 'us-west' },
    env: awsEnv(ecr)
  })

  expectOneLineFailure(run, /rejected pipecat-api-token \(401\)/)
  expect(run.outputs['expires-at']).toBe(ecr.expiresAt.toISOString())
  expect(run.outputs['secret-region']).toBe('')
  expect(run.summary).toContain('<td>Status</td><td>not stored</td>')
  // The log names the region asked for; so does the summary, marked as not yet confirmed by Pipecat Cloud.
  expect(run.summary).toContain('<td>Pipecat region</td><td>us-west (requested)</td>')
  expect(run.summary).toMatch(/<td>Token expires<\/td><td>\S+ \(in 11 h 59 m\): this run&#39;s token, not stored<\/td>/)
  expectNoLeaks(run, secrets())
})

test('stored but never ready: the state says stored, not ready, and the config is not written', async () => {
  pipecat.setReadyAfter(Infinity)
  const run = await runAction({
    cwd: dir,
    inputs: { ...baseInputs(ecr, pipecat), 'pipecat-region': 'us-east', 'wait-timeout': '1', 'config-file': 'pcc-deploy.toml', 'agent-name': 'bot' },
    env: awsEnv(ecr)
  })

  expectOneLineFailure(run, /^Secret set my-ecr-credentials is still pending after 1s/)
  expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('pending')
  expect(run.outputs).toMatchObject({ 'expires-at': expect.stringMatching(ISO), 'secret-region': 'us-east', 'config-file': '' })
  expect(run.summary).toContain('<td>Status</td><td>stored, not ready</td>')
  expect(run.summary).toContain('<strong>Next step:</strong> The new token was stored, but Pipecat Cloud did not report the set ready')
  expect(run.summary).toContain('pcc-deploy.toml (not written)')
  expect(existsSync(join(dir, 'pcc-deploy.toml'))).toBe(false)
  expectNoLeaks(run, secrets())
})

test('failing after the image check: the digest it read is an output', async () => {
  const password = randomBytes(48).toString('base64url')
  const ecrForRegistry = await startEcrEmulator({ password })
  const registry = await startRegistry({ username: 'AWS', password })
  try {
    if ('skipped' in registry) return console.warn(`SKIPPED: the image check failure report (${registry.skipped})`)
    const digest = await registry.pushImage('voice/agent', 'v1', 'arm64-manifest')
    const run = await runAction({
      inputs: { ...baseInputs(ecrForRegistry, pipecat), registry: registry.url, image: 'voice/agent:v1', 'pipecat-api-token': 'pk_revoked' },
      env: awsEnv(ecrForRegistry)
    })

    expectOneLineFailure(run, /rejected pipecat-api-token \(401\)/)
    expect(run.outputs).toMatchObject({ image: `${registry.host}/voice/agent:v1`, 'image-digest': digest, 'expires-at': expect.stringMatching(ISO) })
    expect(run.summary).toContain(`<td>Image check</td><td>can be pulled: ${digest}</td>`)
    expectNoLeaks(run, [...secretsOf(ecrForRegistry, pipecat), 'pk_revoked'])
  } finally {
    if (!('skipped' in registry)) await registry.close()
    await ecrForRegistry.close()
  }
})
