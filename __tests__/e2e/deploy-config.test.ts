import { mkdtemp, readFile, rm, stat, writeFile, chmod, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { awsEnv, baseInputs, expectNoLeaks, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

let ecr: Ecr
let pipecat: Pipecat
let dir: string

beforeEach(async () => {
  ecr = await startEcrEmulator()
  pipecat = await startPipecatEmulator()
  dir = await mkdtemp(join(tmpdir(), 'deploy-config-'))
})
afterEach(async () => {
  await ecr.close()
  await pipecat.close()
  await rm(dir, { recursive: true, force: true })
})

const registry = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`
const secrets = () => secretsOf(ecr, pipecat)

function run(inputs: Record<string, string>) {
  return runAction({ cwd: dir, inputs: { ...baseInputs(ecr, pipecat), 'verify-image': 'false', ...inputs }, env: awsEnv(ecr) })
}

test('writes a new pcc-deploy.toml that a TOML parser reads back exactly', async () => {
  const result = await run({
    'config-file': 'pcc-deploy.toml',
    'agent-name': 'support-bot',
    image: 'voice/support-bot:v2',
    'pipecat-region': 'us-west',
    'secret-set': 'support-bot-secrets',
    'min-agents': '1',
    'max-agents': '5',
    'agent-profile': 'agent-2x'
  })

  expect(result.error).toBeUndefined()
  expect(result.code).toBe(0)
  const text = await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')
  expect(parse(text)).toEqual({
    agent_name: 'support-bot',
    image: `${registry()}/voice/support-bot:v2`,
    image_credentials: 'my-ecr-credentials',
    secret_set: 'support-bot-secrets',
    region: 'us-west',
    agent_profile: 'agent-2x',
    scaling: { min_agents: 1, max_agents: 5 }
  })
  expect((await stat(join(dir, 'pcc-deploy.toml'))).mode & 0o777).toBe(0o644)
  expect(result.outputs['config-file']).toBe('pcc-deploy.toml')
  expect(result.outputs.image).toBe(`${registry()}/voice/support-bot:v2`)
  expect(result.summary).toContain('+ image = ')
  expectNoLeaks(result, secrets(), [text])
})

test('updates the ECR guide file in place, renaming the legacy scaling key with a notice', async () => {
  const path = join(dir, 'deploy', 'pcc-deploy.toml')
  await mkdir(join(dir, 'deploy'))
  await writeFile(
    path,
    `agent_name = "my-ecr-agent"\nimage = "${registry()}/your-repo:old"\nsecret_set = "my-agent-secrets"\nimage_credentials = "my-ecr-credentials"\n\n[scaling]\n    min_instances = 0\n`
  )
  await chmod(path, 0o600)
  const result = await run({ 'config-file': 'deploy/pcc-deploy.toml', image: 'your-repo:new' })

  expect(result.code).toBe(0)
  const text = await readFile(path, 'utf8')
  expect(text).toBe(
    `agent_name = "my-ecr-agent"\nimage = "${registry()}/your-repo:new"\nsecret_set = "my-agent-secrets"\nimage_credentials = "my-ecr-credentials"\n\n[scaling]\n    min_agents = 0\n`
  )
  expect((await stat(path)).mode & 0o777).toBe(0o600)
  expect(result.stdout).toMatch(/^::notice::Renamed scaling\.min_instances to min_agents/m)
  expectNoLeaks(result, secrets(), [text])
})

test('a dry run writes nothing but shows what would change', async () => {
  const result = await run({ 'config-file': 'pcc-deploy.toml', 'agent-name': 'support-bot', image: 'voice/bot:v1', 'dry-run': 'true' })

  expect(result.code).toBe(0)
  await expect(stat(join(dir, 'pcc-deploy.toml'))).rejects.toThrow(/ENOENT/)
  expect(result.summary).toContain('pcc-deploy.toml (would change)')
  expect(result.summary).toContain('+ agent_name = "support-bot"')
  expect(result.outputs['config-file']).toBe('')
  // Only the dry run's read-only check reached Pipecat Cloud.
  expect(pipecat.requests.map((r: { method: string; path: string }) => `${r.method} ${r.path}`)).toEqual(['GET /v1/secrets'])
  expectNoLeaks(result, secrets())
})

test('a file that is not valid TOML stops the run before any request, and stays as it was', async () => {
  const broken = 'agent_name = "bot"\nimage = \n'
  await writeFile(join(dir, 'pcc-deploy.toml'), broken)
  const result = await run({ 'config-file': 'pcc-deploy.toml', image: 'voice/bot:v1' })

  expect(result.code).toBe(1)
  expect(result.error).toMatch(/config-file.*pcc-deploy\.toml/)
  expect(ecr.requests).toHaveLength(0)
  expect(pipecat.requests).toHaveLength(0)
  expect(await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')).toBe(broken)
  expectNoLeaks(result, secrets())
})

test('a failed refresh leaves the config file untouched', async () => {
  const original = 'agent_name = "bot"\nimage_credentials = "my-ecr-credentials"\n'
  await writeFile(join(dir, 'pcc-deploy.toml'), original)
  pipecat.seedSet({ name: 'my-ecr-credentials', type: 'secret', region: 'us-west', status: 'ready' })
  const result = await run({ 'config-file': 'pcc-deploy.toml', image: 'voice/bot:v2' })

  expect(result.code).toBe(1)
  expect(result.error).toMatch(/taken by a regular secret set/)
  expect(await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')).toBe(original)
  expectNoLeaks(result, secrets())
})
