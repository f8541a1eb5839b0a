import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { awsEnv, baseInputs, expectNoLeaks, expectOneLineFailure, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

// A dry run is how a new setup is tested, so it must fail exactly where a real run would, with the same
// message, while writing nothing: it reads Pipecat Cloud (GET /v1/secrets, GET /v1/regions) and stops there.

let ecr: Ecr
let pipecat: Pipecat

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator({ regions: ['us-west', 'us-east'] })
})
afterEach(async () => {
  await Promise.all([ecr.close(), pipecat.close()])
})

function run(inputs: Record<string, string> = {}) {
  return runAction({ inputs: { ...baseInputs(ecr, pipecat), ...inputs }, env: awsEnv(ecr) })
}
const secrets = () => [...secretsOf(ecr, pipecat), 'pk_not-the-key']
const writes = () => pipecat.requests.filter((r: { method: string }) => r.method !== 'GET')
const registry = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`

describe.each([
  ['a wrong key', () => ({ 'pipecat-api-token': 'pk_not-the-key' }), /^Pipecat Cloud rejected pipecat-api-token \(401\): use a Private API key/],
  ['a region the organization cannot use', () => ({ 'pipecat-region': 'eu-central' }), /^Pipecat Cloud does not offer region eu-central to your organization/],
  [
    'a name taken by a regular set',
    () => {
      pipecat.seedSet({ name: 'my-ecr-credentials', type: 'secret', region: 'us-west' })
      return { 'pipecat-region': 'us-west' }
    },
    /^The name my-ecr-credentials is taken by a regular secret set/
  ],
  [
    'a set in another region',
    () => {
      pipecat.seedSet({ name: 'my-ecr-credentials', type: 'imagePullSecret', region: 'us-east' })
      return { 'pipecat-region': 'us-west' }
    },
    /^Secret set my-ecr-credentials lives in Pipecat region us-east, not us-west: set pipecat-region: us-east/
  ]
])('a dry run with %s', (_case, setUp, message) => {
  test('fails with the message a real run gives, before anything is written', async () => {
    const inputs = setUp()
    const before = structuredClone([...pipecat.sets.values()])

    const dry = await run({ ...inputs, 'dry-run': 'true' })

    expectOneLineFailure(dry, message)
    expect(writes()).toEqual([])
    expect([...pipecat.sets.values()]).toEqual(before)
    expect(dry.outputs).toMatchObject({ registry: registry(), 'secret-name': 'my-ecr-credentials', 'secret-region': '', 'config-file': '' })
    expect(dry.outputs['expires-at']).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(dry.summary).toContain('Pipecat Cloud pull secret refresh failed')
    expect(dry.summary).toContain('<td>Status</td><td>not stored (dry run)</td>')

    // The same setup without dry-run: the PUT is refused, with the very same line.
    const real = await run(inputs)
    expectOneLineFailure(real, message)
    expect(real.error).toBe(dry.error)
    expect(writes().length).toBeGreaterThan(0)
    for (const result of [dry, real]) expectNoLeaks(result, secrets())
  })
})

test('a dry run that passes says what Pipecat Cloud reported, and nothing it did not', async () => {
  const free = await run({ 'dry-run': 'true', 'pipecat-region': 'us-west' })

  expect(free.code).toBe(0)
  expect(pipecat.requests.map((r: { method: string; path: string }) => `${r.method} ${r.path}`)).toEqual(['GET /v1/secrets', 'GET /v1/regions'])
  expect(pipecat.requests.every((r: { headers: { authorization?: string } }) => r.headers.authorization === `Bearer ${pipecat.token}`)).toBe(true)
  // No set yet: the output stays empty (Pipecat Cloud named no region), the summary shows the one asked for.
  expect(free.outputs['secret-region']).toBe('')
  expect(free.outputs['expires-at']).toMatch(/^\d{4}-\d\d-\d\dT/)
  expect(free.stdout).toContain(
    'Dry run: Pipecat Cloud accepts the key and the name my-ecr-credentials is free and region us-west is offered; nothing was stored.'
  )
  expect(free.summary).toContain('<td>Status</td><td>not stored (dry run): the name is free</td>')
  expect(free.summary).toContain('<td>Pipecat region</td><td>us-west (requested)</td>')

  pipecat.seedSet({ name: 'my-ecr-credentials', type: 'imagePullSecret', region: 'us-east', status: 'ready' })
  const existing = await run({ 'dry-run': 'true' })

  expect(existing.code).toBe(0)
  // No region asked for: nothing to check it against, so the region list is not read.
  expect(pipecat.requests.slice(2).map((r: { method: string; path: string }) => `${r.method} ${r.path}`)).toEqual(['GET /v1/secrets'])
  expect(existing.outputs['secret-region']).toBe('us-east')
  expect(existing.summary).toContain('<td>Status</td><td>not stored (dry run): an image pull secret of this name exists, ready</td>')
  expect(existing.summary).toContain('<td>Pipecat region</td><td>us-east</td>')
  expect(writes()).toEqual([])
  for (const result of [free, existing]) expectNoLeaks(result, secrets())
})
