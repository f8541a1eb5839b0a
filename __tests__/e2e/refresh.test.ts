import { findNode24, NODE24_MISSING, onCi } from '../../scripts/node24.js'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import {
  AWS_SECRET,
  awsEnv,
  baseInputs,
  expectMasksFirst,
  expectNoLeaks,
  maskedValues,
  runAction,
  secretsOf,
  type Ecr,
  type Pipecat,
  type RunOptions
} from './harness.js'

const node24 = findNode24()
if (!node24 && !onCi()) console.warn(`SKIPPING the node24 run of the bundle. ${NODE24_MISSING}`)
// On CI the test runs anyway and fails on the missing binary.
const testOnNode24 = node24 || onCi() ? test : test.skip

let ecr: Ecr
let pipecat: Pipecat

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
})
afterEach(async () => {
  await ecr.close()
  await pipecat.close()
})

function options(inputs: Record<string, string> = {}, env: Record<string, string> = {}): RunOptions {
  return { inputs: { ...baseInputs(ecr, pipecat), ...inputs }, env: { ...awsEnv(ecr), ...env } }
}

const secrets = () => secretsOf(ecr, pipecat)
const registry = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`
const puts = () => pipecat.requests.filter((r: { method: string }) => r.method === 'PUT')

describe('the bundled action against the emulators', () => {
  test('stores the ECR token as an image pull secret and waits until it is ready', async () => {
    const run = await runAction(options({ 'pipecat-region': 'us-west' }))

    expect(run.error).toBeUndefined()
    expect(run.code).toBe(0)
    expect(puts()).toHaveLength(1)
    expect(puts()[0].path).toBe('/v1/secrets/my-ecr-credentials')
    expect(puts()[0].headers.authorization).toBe(`Bearer ${pipecat.token}`)
    expect(puts()[0].body).toEqual({
      isImagePullSecret: true,
      host: `https://${registry()}`,
      secretValue: ecr.authorizationToken,
      region: 'us-west'
    })
    const stored = pipecat.sets.get('my-ecr-credentials')
    expect(stored).toMatchObject({ type: 'imagePullSecret', status: 'ready', region: 'us-west', host: `https://${registry()}/` })
    expect(run.outputs).toEqual({
      registry: registry(),
      'expires-at': ecr.expiresAt.toISOString().replace(/\.\d{3}Z$/, '.000Z'),
      'secret-name': 'my-ecr-credentials',
      'secret-region': 'us-west',
      targets: JSON.stringify([{ secretName: 'my-ecr-credentials', region: 'us-west', status: 'ready' }]),
      image: '',
      'image-digest': '',
      'config-file': '',
      // check-agents is auto, and this is neither a scheduled nor a manual run.
      agents: ''
    })
    expect(run.summary).toContain('Pipecat Cloud pull secret refreshed')
    expect(run.summary).toContain(`<td>Registry</td><td>${registry()}</td>`)
    expect(run.summary).toContain('<td>Status</td><td>ready</td>')
    expect(run.summary).toContain('<td>Pipecat region</td><td>us-west</td>')
    // The expiry in relative terms too, in the log and the summary: no arithmetic for the reader.
    const expires = run.outputs['expires-at']
    expect(run.stdout).toContain(`Got an ECR token for ${registry()}, valid until ${expires} (in 11 h 59 m).`)
    expect(run.stdout).toContain(`Secret set my-ecr-credentials is ready; the next refresh must succeed before ${expires} (in 11 h 59 m).`)
    expect(run.summary).toContain(`<td>Token expires</td><td>${expires} (in 11 h 59 m); the next refresh must succeed before then</td>`)

    // Each credential is masked before the line that follows it into the log.
    // The AWS secret key from the job's environment too (SECURITY.md), though the action never prints it.
    expect(maskedValues(run)).toEqual(expect.arrayContaining([pipecat.token, ecr.authorizationToken, ecr.password, AWS_SECRET]))
    expectMasksFirst(run, secrets())
    const lines = run.stdout.split('\n')
    const firstUse = lines.findIndex(line => line.startsWith('Got an ECR token'))
    expect(lines.indexOf(`::add-mask::${ecr.password}`)).toBeLessThan(firstUse)
    expect(lines.indexOf(`::add-mask::${pipecat.token}`)).toBe(0)
    expectNoLeaks(run, secrets())
  })

  test('leaves the region to Pipecat Cloud when none is given, and reports the one it answered', async () => {
    const run = await runAction(options({ 'wait-for-ready': 'false' }))

    expect(run.code).toBe(0)
    expect(puts()[0].body).not.toHaveProperty('region')
    expect(run.outputs['secret-region']).toBe('us-west')
    expect(run.summary).toContain('<td>Status</td><td>stored (not waited for ready)</td>')
    expect(run.summary).toContain('<td>Pipecat region</td><td>us-west</td>')
    expect(pipecat.requests.filter((r: { method: string }) => r.method === 'GET')).toHaveLength(0)
    expectNoLeaks(run, secrets())
  })

  test('retries a busy Pipecat Cloud and succeeds', async () => {
    pipecat.failNext({ method: 'PUT', status: 503 }, { method: 'PUT', status: 429, headers: { 'retry-after': '0' } })
    const run = await runAction(options({ 'wait-for-ready': 'false' }))

    expect(run.code).toBe(0)
    expect(puts()).toHaveLength(3)
    expect(run.stdout).toContain('Pipecat Cloud answered 503; retrying')
    expectNoLeaks(run, secrets())
  })

  test.each([
    ['a wrong API token', () => ({ 'pipecat-api-token': 'not-the-token' }), /rejected pipecat-api-token \(401\): use a Private API key/],
    ['a region the organization lacks', () => ({ 'pipecat-region': 'ap-south' }), /does not offer region ap-south/]
  ])('fails with a message for %s', async (_name, inputs, message) => {
    const run = await runAction(options(inputs()))

    expect(run.code).toBe(1)
    expect(run.error).toMatch(message)
    expectNoLeaks(run, [...secrets(), 'not-the-token'])
  })

  test('fails when the name belongs to a regular secret set, and leaves it alone', async () => {
    pipecat.seedSet({ name: 'my-ecr-credentials', type: 'secret', region: 'us-west', status: 'ready' })
    const run = await runAction(options())

    expect(run.code).toBe(1)
    expect(run.error).toMatch(/taken by a regular secret set.*choose another secret-name/)
    expect(pipecat.sets.get('my-ecr-credentials')?.type).toBe('secret')
    expectNoLeaks(run, secrets())
  })

  test('fails when the set lives in another region, naming it', async () => {
    pipecat.seedSet({ name: 'my-ecr-credentials', type: 'imagePullSecret', region: 'us-east', status: 'ready' })
    const run = await runAction(options({ 'pipecat-region': 'us-west' }))

    expect(run.code).toBe(1)
    expect(run.error).toMatch(/lives in Pipecat region us-east.*set pipecat-region: us-east/)
    expectNoLeaks(run, secrets())
  })

  test('a bad input stops the run before any request', async () => {
    const run = await runAction(options({ 'aws-account-id': '12345678901' }))

    expect(run.code).toBe(1)
    expect(run.error).toMatch(/aws-account-id.*11 digits.*quote it \(aws-account-id: '012345678901'\)/)
    expect(ecr.requests).toHaveLength(0)
    expect(pipecat.requests).toHaveLength(0)
    expectNoLeaks(run, secrets())
  })

  test('no AWS credentials: says which permission and step are missing', async () => {
    const run = await runAction(options({}, { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }))

    expect(run.code).toBe(1)
    expect(run.error).toMatch(/No AWS credentials found: give the job "permissions: id-token: write" and run aws-actions\/configure-aws-credentials/)
    expect(pipecat.requests).toHaveLength(0)
    expectNoLeaks(run, secrets())
  })

  testOnNode24('runs on node24, the runtime action.yml declares', async () => {
    expect({ node24: node24?.path, fix: NODE24_MISSING }).toMatchObject({ node24: expect.any(String) })
    const run = await runAction({ ...options({ 'wait-for-ready': 'false' }), node: node24?.path })

    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(puts()).toHaveLength(1)
    expectNoLeaks(run, secrets())
  })
})
