import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { registrySkipReason, startRegistry, type TestRegistry } from '../support/registry-server.js'
import { awsEnv, baseInputs, expectNoLeaks, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

let ecr: Ecr
let pipecat: Pipecat
let registry: TestRegistry
let dir: string
const digests: Record<string, string> = {}

// bcrypt (htpasswd) reads only 72 bytes, so these passwords are shorter than ECR's real ones.
const shortPassword = () => randomBytes(48).toString('base64url')

// Only a developer's machine skips: under CI=true a missing tool fails the file (startRegistry throws).
const skipped = await registrySkipReason()
if (skipped) console.warn(`SKIPPING the end-to-end pre-flight tests: ${skipped}`)
const registryTest = skipped ? test.skip : test

// One real registry for the file, whose only user is AWS with the password the ECR emulator hands out.
beforeAll(async () => {
  ecr = await startEcrEmulator({ password: shortPassword() })
  const started = await startRegistry({ username: 'AWS', password: ecr.password })
  if ('skipped' in started) throw new Error(started.skipped)
  registry = started
  for (const kind of ['arm64-index', 'amd64-index', 'arm64-manifest', 'amd64-manifest'] as const) {
    digests[kind] = await registry.pushImage('voice/agent', kind, kind)
  }
})
afterAll(async () => {
  await registry?.close()
  await ecr?.close()
})
beforeEach(async () => {
  pipecat = await startPipecatEmulator()
  dir = await mkdtemp(join(tmpdir(), 'preflight-'))
})
afterEach(async () => {
  await pipecat.close()
  await rm(dir, { recursive: true, force: true })
})

const withRegistry = (name: string, body: (registry: TestRegistry) => Promise<void>) =>
  registryTest(skipped ? `${name} (skipped: ${skipped})` : name, () => body(registry))

function run(registry: TestRegistry, inputs: Record<string, string>) {
  return runAction({ cwd: dir, inputs: { ...baseInputs(ecr, pipecat), registry: registry.url, ...inputs }, env: awsEnv(ecr) })
}

const secrets = () => secretsOf(ecr, pipecat)

withRegistry('an arm64 image passes, then the secret and the config are written', async registry => {
  const result = await run(registry, { image: 'voice/agent:arm64-index', 'config-file': 'pcc-deploy.toml', 'agent-name': 'agent' })

  expect(result.error).toBeUndefined()
  expect(result.code).toBe(0)
  expect(result.outputs['image-digest']).toBe(digests['arm64-index'])
  expect(result.outputs.image).toBe(`${registry.host}/voice/agent:arm64-index`)
  expect(result.summary).toContain('linux/amd64, linux/arm64/v8')
  expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('ready')
  expect(await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')).toContain(`image = "${registry.host}/voice/agent:arm64-index"`)
  expectNoLeaks(result, secrets())
})

withRegistry('a digest reference passes and reports that digest', async registry => {
  const result = await run(registry, { image: `voice/agent@${digests['arm64-manifest']}`, 'wait-for-ready': 'false' })

  expect(result.code).toBe(0)
  expect(result.outputs['image-digest']).toBe(digests['arm64-manifest'])
  expectNoLeaks(result, secrets())
})

withRegistry('the check runs in a dry run too, and still stores nothing', async registry => {
  const result = await run(registry, { image: 'voice/agent:amd64-index', 'dry-run': 'true' })

  expect(result.code).toBe(1)
  expect(result.error).toMatch(/linux\/amd64/)
  expect(pipecat.requests).toHaveLength(0)
  expectNoLeaks(result, secrets())
})

// Each cause ends the run with its own message, and nothing is stored or written.
registryTest.each([
  ['an amd64-only index', { image: 'voice/agent:amd64-index' }, /linux\/amd64.*--platform linux\/arm64/],
  ['an amd64 single manifest', { image: 'voice/agent:amd64-manifest' }, /linux\/amd64.*--platform linux\/arm64/],
  ['a missing tag', { image: 'voice/agent:nope' }, /nope.*voice\/agent/],
  ['a missing repository', { image: 'voice/ghost:v1' }, /[Rr]epository voice\/ghost/]
])('%s fails before anything is stored', async (_name, inputs, message) => {
  if (!registry) return console.warn(`SKIPPED (${skipped})`)
  await writeFile(join(dir, 'pcc-deploy.toml'), 'agent_name = "agent"\n')
  const result = await run(registry, { ...inputs, 'config-file': 'pcc-deploy.toml' })

  expect(result.code).toBe(1)
  expect(result.error).toMatch(message)
  expect(pipecat.requests).toHaveLength(0)
  expect(await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')).toBe('agent_name = "agent"\n')
  expectNoLeaks(result, secrets())
})

withRegistry('a token the registry refuses names the IAM actions the role lacks', async registry => {
  // A second ECR that hands out another password: the registry answers 401, as ECR does for a role without pull rights.
  const other = await startEcrEmulator({ password: shortPassword() })
  try {
    const result = await runAction({
      cwd: dir,
      inputs: { ...baseInputs(other, pipecat), registry: registry.url, image: 'voice/agent:arm64-index' },
      env: awsEnv(other)
    })
    expect(result.code).toBe(1)
    expect(result.error).toMatch(/ecr:BatchGetImage.*ecr:GetDownloadUrlForLayer/)
    expect(pipecat.requests).toHaveLength(0)
    await expect(stat(join(dir, 'pcc-deploy.toml'))).rejects.toThrow(/ENOENT/)
    expectNoLeaks(result, [...secrets(), other.password, other.authorizationToken])
  } finally {
    await other.close()
  }
})
