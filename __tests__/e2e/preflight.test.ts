import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { registrySkipReason, startRegistry, startRegistryGate, type GateOptions, type TestRegistry } from '../support/registry-server.js'
import { awsEnv, baseInputs, expectNoLeaks, expectOneLineFailure, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

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
  // Skipped on this machine: every test says so, rather than failing here.
  if (skipped) return
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

/** A run against a gate in front of the registry, which plays the parts of ECR a local registry cannot. */
async function throughGate(registry: TestRegistry, options: GateOptions, inputs: Record<string, string>) {
  const gate = await startRegistryGate(registry, options)
  try {
    const result = await runAction({ cwd: dir, inputs: { ...baseInputs(ecr, pipecat), registry: gate.url, ...inputs }, env: awsEnv(ecr) })
    return { result, gate }
  } finally {
    await gate.close()
  }
}

/** The digests a pull of the pushed two-platform index touches: its linux/arm64 manifest and that manifest's config blob. */
async function arm64Pull(registry: TestRegistry): Promise<{ manifest: string; config: string }> {
  const index = await registry.readManifest('voice/agent', 'arm64-index')
  const entry = index.manifests?.find(candidate => candidate.platform?.architecture === 'arm64')
  const manifest = entry && (await registry.readManifest('voice/agent', entry.digest))
  if (!entry || !manifest?.config) throw new Error('the pushed arm64-index has no readable linux/arm64 image')
  return { manifest: entry.digest, config: manifest.config.digest }
}

const pullRequests = (pulled: { manifest: string; config: string }) => [
  { method: 'GET', path: '/v2/voice/agent/manifests/arm64-index', authorized: true },
  { method: 'GET', path: `/v2/voice/agent/manifests/${pulled.manifest}`, authorized: true },
  { method: 'GET', path: `/v2/voice/agent/blobs/${pulled.config}`, authorized: true }
]

withRegistry('a two-platform index passes after its linux/arm64 manifest and config blob are read', async registry => {
  const pulled = await arm64Pull(registry)
  const { result, gate } = await throughGate(registry, { blobs: 'forward' }, { image: 'voice/agent:arm64-index' })

  expect(result.error).toBeUndefined()
  expect(result.code).toBe(0)
  expect(gate.requests).toEqual(pullRequests(pulled))
  expect(result.outputs['image-digest']).toBe(digests['arm64-index'])
  expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('ready')
  expectNoLeaks(result, secrets())
})

withRegistry('a registry that refuses blob downloads fails the run naming ecr:GetDownloadUrlForLayer, and nothing is stored', async registry => {
  const pulled = await arm64Pull(registry)
  const { result, gate } = await throughGate(
    registry,
    { blobs: 'refuse' },
    { image: 'voice/agent:arm64-index', 'config-file': 'pcc-deploy.toml', 'agent-name': 'agent' }
  )

  expectOneLineFailure(result, /refused to download its config blob \(403.*lacks ecr:GetDownloadUrlForLayer on repository voice\/agent; allow it/)
  expect(gate.requests).toEqual(pullRequests(pulled))
  expect(pipecat.requests).toHaveLength(0)
  await expect(stat(join(dir, 'pcc-deploy.toml'))).rejects.toThrow(/ENOENT/)
  expectNoLeaks(result, secrets())
})

withRegistry('a blob download redirected to a blob store is followed once, without the token', async registry => {
  const pulled = await arm64Pull(registry)
  const { result, gate } = await throughGate(registry, { blobs: 'redirect' }, { image: 'voice/agent:arm64-index' })

  expect(result.error).toBeUndefined()
  expect(result.code).toBe(0)
  expect(gate.requests).toEqual(pullRequests(pulled))
  expect(gate.storageRequests).toEqual([expect.objectContaining({ method: 'GET', authorized: false })])
  expect(gate.storageRequests[0].path).toContain(`/bucket/voice/agent/${pulled.config}?X-Amz-Signature=`)
  expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('ready')
  expectNoLeaks(result, secrets())
})

withRegistry('a blob download redirected off https is not followed, and nothing is stored', async registry => {
  const { result, gate } = await throughGate(registry, { blobs: { location: 'ftp://files.example.com/config?sig=1' } }, { image: 'voice/agent:arm64-index' })

  expectOneLineFailure(result, /to "ftp:\/\/files\.example\.com", which is not an https address, so it was not followed/)
  expect(gate.requests).toHaveLength(3)
  expect(pipecat.requests).toHaveLength(0)
  expectNoLeaks(result, secrets())
})

// A hostile or broken registry: each answer ends the run with a message of its own, prints no command of
// its own, writes no digest output, stores nothing, and gives no secret away.
const hostile: [string, (request: { path: string }) => { status: number; headers?: Record<string, string>; body?: string } | undefined, RegExp][] = [
  [
    'a Docker-Content-Digest that is markup',
    ({ path }) =>
      path.includes('/manifests/')
        ? { status: 200, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': 'sha256:<b>x</b>' }, body: '{}' }
        : undefined,
    /with a Docker-Content-Digest header that is not a digest/
  ],
  [
    'platform names that carry a workflow command',
    ({ path }) =>
      path.includes('/manifests/')
        ? {
            status: 200,
            headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
            body: JSON.stringify({
              schemaVersion: 2,
              manifests: [{ digest: `sha256:${'1'.repeat(64)}`, platform: { os: 'linux', architecture: 'amd64\n::warning::pwned', variant: '<b>v8</b>' } }]
            })
          }
        : undefined,
    /is built for linux\/\(invalid\)\/\(invalid\) only/
  ],
  [
    'an HTML page in place of the manifest',
    () => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Sign in to continue</body></html>' }),
    /not JSON, content type "text\/html": an HTML page/
  ]
]

test.each(hostile)('%s fails the run cleanly', async (_name, answer, message) => {
  if (!registry) return console.warn(`SKIPPED (${skipped})`)
  const { result } = await throughGate(registry, { answer }, { image: 'voice/agent:arm64-index' })

  expectOneLineFailure(result, message)
  expect(result.stdout.split('\n').filter(line => /^::(warning|notice)::/.test(line))).toEqual([])
  expect(result.stdout).not.toMatch(/<b>|pwned/)
  expect(result.outputs['image-digest'] ?? '').toBe('')
  expect(result.summary).not.toMatch(/<b>|pwned/)
  expect(pipecat.requests).toHaveLength(0)
  expectNoLeaks(result, secrets())
})

withRegistry('a registry error that echoes the token gives away no fragment of it, even cut short', async registry => {
  // Padded so a cut at 200 characters would fall inside the token: the runner masks whole values only.
  const echo = JSON.stringify({ errors: [{ code: 'DENIED', message: `${'x'.repeat(150)} Authorization: Basic ${ecr.authorizationToken}` }] })
  const { result } = await throughGate(
    registry,
    { answer: () => ({ status: 400, headers: { 'content-type': 'application/json' }, body: echo }) },
    { image: 'voice/agent:arm64-index' }
  )

  expectOneLineFailure(result, /answered 400 \(DENIED: x+/)
  expect(pipecat.requests).toHaveLength(0)
  expectNoLeaks(result, secrets())
})
