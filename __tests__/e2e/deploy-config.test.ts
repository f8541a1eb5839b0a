import { mkdtemp, readdir, readFile, rm, stat, writeFile, chmod, cp, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parse } from 'smol-toml'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { awsEnv, BUNDLE, baseInputs, expectNoLeaks, expectOneLineFailure, runAction, secretsOf, type Ecr, type Pipecat } from './harness.js'

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

test('a file already up to date is left as it was, and is still the config-file output', async () => {
  const inputs = { 'config-file': 'pcc-deploy.toml', 'agent-name': 'support-bot', image: 'voice/support-bot:v2' }
  const first = await run(inputs)
  expect(first.code).toBe(0)
  const path = join(dir, 'pcc-deploy.toml')
  const [text, written] = [await readFile(path, 'utf8'), (await stat(path)).mtimeMs]

  const second = await run(inputs)

  expect(second.code).toBe(0)
  expect(await readFile(path, 'utf8')).toBe(text)
  expect((await stat(path)).mtimeMs).toBe(written)
  expect(second.outputs['config-file']).toBe('pcc-deploy.toml')
  expect(second.stdout).toContain('pcc-deploy.toml already up to date.')
  expect(second.summary).toContain('already up to date')
  for (const result of [first, second]) expectNoLeaks(result, secrets(), [text])
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

// Both are found while planning, before the first network call: nothing reaches ECR or Pipecat Cloud.
describe('a config file that cannot be edited stops the run before any request', () => {
  test.each([
    [
      'a directory the runner cannot write to',
      0o666,
      0o555,
      /^Input config-file: deploy\/pcc-deploy\.toml cannot be written: the directory \S*deploy is not writable \(EACCES\); make it writable/
    ],
    [
      'a file the runner cannot write to',
      0o444,
      0o777,
      /^Input config-file: deploy\/pcc-deploy\.toml is not writable \(EACCES\); make it writable .*chmod u\+w/
    ]
  ])('%s', async (_case, fileMode, dirMode, message) => {
    const configDir = join(dir, 'deploy')
    const original = 'agent_name = "bot"\n'
    await mkdir(configDir)
    await writeFile(join(configDir, 'pcc-deploy.toml'), original)
    await chmod(join(configDir, 'pcc-deploy.toml'), fileMode)
    await chmod(configDir, dirMode)
    const result = await runAction({
      cwd: dir,
      inputs: { ...baseInputs(ecr, pipecat), 'verify-image': 'false', 'config-file': 'deploy/pcc-deploy.toml', image: 'voice/bot:v2' },
      env: awsEnv(ecr),
      node: await unprivilegedNode()
    })
    await chmod(configDir, 0o755) // so that afterEach can remove it without root

    expectOneLineFailure(result, message)
    expect(ecr.requests).toHaveLength(0)
    expect(pipecat.requests).toHaveLength(0)
    expect(await readFile(join(configDir, 'pcc-deploy.toml'), 'utf8')).toBe(original)
    expect(await readdir(configDir)).toEqual(['pcc-deploy.toml'])
    expectNoLeaks(result, secrets())
  })

  test('a byte-order mark before a table header', async () => {
    const original = 'agent_name = "bot"\n\uFEFF[scaling]\nmin_agents = 0\n'
    await writeFile(join(dir, 'pcc-deploy.toml'), original)
    const result = await run({ 'config-file': 'pcc-deploy.toml', image: 'voice/bot:v2' })

    expectOneLineFailure(result, /^Input config-file: pcc-deploy\.toml has a byte-order mark \(U\+FEFF\) at line 2, column 1, .*; delete it and run again/)
    expect(ecr.requests).toHaveLength(0)
    expect(pipecat.requests).toHaveLength(0)
    expect(await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')).toBe(original)
    expectNoLeaks(result, secrets())
  })
})

/**
 * The runner's user cannot write a 0555 directory or a 0444 file, but root can; as root the bundle runs as `nobody`
 * through setpriv (util-linux), so the check meets the same refusal a runner would. `nobody` may not be able
 * to read the checkout (a clone in a private temporary folder, say), so it runs a copy of the bundle in `dir`.
 */
async function unprivilegedNode(): Promise<string> {
  if (process.getuid?.() !== 0) return process.execPath
  await chmod(dir, 0o755)
  const bundle = join(dir, 'dist', 'index.js')
  await cp(dirname(BUNDLE), dirname(bundle), { recursive: true })
  const wrapper = join(dir, 'node-as-nobody')
  // A Node script, not a shell one: sh drops the INPUT_* variables whose names hold a hyphen.
  const script = [
    `#!${process.execPath}`,
    `const { status } = require('node:child_process').spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...process.argv.slice(2).map(arg => (arg === ${JSON.stringify(BUNDLE)} ? ${JSON.stringify(bundle)} : arg))], { stdio: 'inherit' })`,
    'process.exit(status ?? 1)'
  ]
  await writeFile(wrapper, script.join('\n') + '\n', { mode: 0o755 })
  return wrapper
}
