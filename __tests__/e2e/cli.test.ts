import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { findNode24, NODE24_MISSING, onCi } from '../../scripts/node24.js'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { startStsEmulator } from '../emulators/sts.js'
import { registrySkipReason, startRegistry, type TestRegistry } from '../support/registry-server.js'
import { AWS_SECRET, awsEnv, expectNoLeaks, SECRET_NAME, secretsOf, type ActionRun, type Ecr, type Pipecat } from './harness.js'

// The command-line tool as a user gets it: the package packed with `npm pack`, installed from the tarball
// into an empty folder, and its bin run with node, on this machine's Node and on node24. Log lines go to
// stderr, the outputs (with --json) to stdout; no workflow command, mask, output file or job summary.

const node24 = findNode24()
if (!node24 && !onCi()) console.warn(`SKIPPING the node24 runs of the command-line tool. ${NODE24_MISSING}`)
const NODES: [string, string][] = [
  ['this Node', process.execPath],
  ...(node24 || onCi() ? [['node24', node24?.path ?? 'node24 is missing'] as [string, string]] : [])
]

const registrySkipped = await registrySkipReason()
if (registrySkipped) console.warn(`SKIPPING the command-line pre-flight test: ${registrySkipped}`)

let packDir: string
let bin: string
let packed: { files: { path: string }[] }

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), 'cli-pack-'))
  const [report] = JSON.parse(await exec('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: process.cwd() })) as {
    filename: string
    files: { path: string }[]
  }[]
  packed = report
  const install = join(packDir, 'install')
  await mkdir(install)
  await writeFile(join(install, 'package.json'), '{"private": true}\n')
  // Offline: the package needs nothing from a registry, since dist/ bundles everything it runs.
  await exec('npm', ['install', '--offline', '--no-audit', '--no-fund', join(packDir, report.filename)], { cwd: install })
  bin = join(install, 'node_modules', 'pipecat-ecr-pull-secret', 'dist', 'cli', 'index.js')
}, 180_000)
afterAll(() => rm(packDir, { recursive: true, force: true }))

function exec(command: string, args: string[], options: { cwd: string }): Promise<string> {
  return new Promise((done, fail) =>
    execFile(command, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : done(stdout)
    )
  )
}

interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs the installed bin in an empty environment but for what is given: no AWS profile, no instance metadata. */
async function runCli(node: string, args: string[], env: Record<string, string | undefined>, cwd?: string): Promise<CliRun> {
  const home = await mkdtemp(join(tmpdir(), 'cli-run-'))
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials')
  }
  const fullEnv = Object.fromEntries(Object.entries({ ...base, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined))
  try {
    return await new Promise<CliRun>(done =>
      execFile(node, [bin, ...args], { env: fullEnv, cwd: cwd ?? home, timeout: 60_000 }, (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
      )
    )
  } finally {
    await rm(home, { recursive: true, force: true })
  }
}

/** The harness's leak guard, over what the command printed. */
function expectNoCliLeaks(run: CliRun, secrets: string[]): void {
  expectNoLeaks({ ...run, outputs: {}, summary: '' } as unknown as ActionRun, secrets)
}

const stderrLines = (run: CliRun) => run.stderr.split('\n').filter(Boolean)

const errorLines = (run: CliRun) => run.stderr.split('\n').filter(line => line.startsWith('error: '))

/** Nothing of GitHub's: no workflow command anywhere, so nothing a runner would act on. */
function expectPlainText(run: CliRun): void {
  expect(`${run.stdout}\n${run.stderr}`.split('\n').filter(line => /^\s*(::|##\[)/.test(line))).toEqual([])
}

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

const baseArgs = () => ['--aws-account-id', ecr.accountId, '--aws-region', ecr.region, '--secret-name', SECRET_NAME, '--pipecat-api-url', pipecat.url]
/** The base flags with a case's own: a flag the case gives replaces the base one (a flag given twice is refused). */
function withFlags(args: string[]): string[] {
  const flag = (arg: string) => arg.split('=')[0]
  const replaced = new Set(args.filter(arg => arg.startsWith('--')).map(flag))
  const base = baseArgs()
  const kept = base.flatMap((arg, at) => (at % 2 === 0 && !replaced.has(arg) ? [arg, base[at + 1]] : []))
  return [...kept, ...args]
}
const baseEnv = () => ({ ...awsEnv(ecr), PIPECAT_API_KEY: pipecat.token })
const registryHost = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`
const puts = () => pipecat.requests.filter((r: { method: string }) => r.method === 'PUT')

describe('the package', () => {
  test('ships dist/ (the action and the command line), action.yml and the package files, nothing else', () => {
    const paths = packed.files.map(file => file.path)
    expect(paths.filter(path => !path.startsWith('dist/'))).toEqual(expect.arrayContaining(['action.yml', 'package.json', 'README.md', 'LICENSE']))
    expect(paths.filter(path => !path.startsWith('dist/') && !['action.yml', 'package.json', 'README.md', 'LICENSE'].includes(path))).toEqual([])
    expect(paths).toEqual(expect.arrayContaining(['dist/index.js', 'dist/cli/index.js']))
    expect(existsSync(bin)).toBe(true)
  })

  test('--help lists every input of action.yml as a flag, the key as PIPECAT_API_KEY, and no other input', async () => {
    const run = await runCli(process.execPath, ['--help'], {})
    const inputs = Object.keys(parse(await readFile('action.yml', 'utf8')).inputs as object)

    expect(run.code).toBe(0)
    const section = run.stdout.split('\n\n').find(block => block.startsWith('Inputs')) ?? ''
    const flags = [...section.matchAll(/^ {2}--([a-z0-9-]+)/gm)].map(match => match[1])
    expect(flags).toEqual(inputs.filter(name => name !== 'pipecat-api-token'))
    expect(run.stdout).toMatch(/PIPECAT_API_KEY .*pipecat-api-token input, never a flag/)
    for (const input of inputs.filter(name => name !== 'pipecat-api-token')) {
      const description = (parse(await readFile('action.yml', 'utf8')) as { inputs: Record<string, { description: string }> }).inputs[input].description
      expect(section).toContain(description.trim())
    }
  })
})

describe('loading only what the credential source needs', () => {
  // A module hook records every file the command loads, as in the start-up suite.
  async function loadedFiles(args: string[], env: Record<string, string>): Promise<{ run: CliRun; code: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'cli-loaded-'))
    try {
      await writeFile(
        join(dir, 'hooks.mjs'),
        "import { appendFileSync } from 'node:fs'\n" +
          'export async function load(url, context, next) {\n' +
          "  if (url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, url + '\\n')\n" +
          '  return next(url, context)\n' +
          '}\n'
      )
      await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module'\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)})\n`)
      await writeFile(join(dir, 'loaded'), '')
      const run = await runCli(process.execPath, args, { ...env, LOADED_LOG: join(dir, 'loaded'), NODE_OPTIONS: `--import ${join(dir, 'register.mjs')}` })
      const files = (await readFile(join(dir, 'loaded'), 'utf8')).split('\n').filter(url => url.includes('/dist/cli/'))
      const code = (await Promise.all(files.map(url => readFile(new URL(url), 'utf8')))).join('\n')
      return { run, code }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
  // The STS client's service name, in the chunk only the web identity step loads.
  const STS_CLIENT = 'AWSSecurityTokenServiceV20110615'

  test('keys in the environment load no STS client; a web identity token file does', async () => {
    const keys = await loadedFiles([...baseArgs(), '--wait-for-ready', 'false'], baseEnv())
    expect(keys.run.code).toBe(0)
    expect(keys.code).not.toContain(STS_CLIENT)

    const sts = await startStsEmulator()
    const dir = await mkdtemp(join(tmpdir(), 'cli-web-identity-'))
    try {
      await writeFile(join(dir, 'token'), sts.token)
      const webIdentity = await loadedFiles([...baseArgs(), '--wait-for-ready', 'false'], {
        PIPECAT_API_KEY: pipecat.token,
        AWS_ENDPOINT_URL_ECR: ecr.url,
        AWS_ENDPOINT_URL_STS: sts.url,
        AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'),
        AWS_ROLE_ARN: sts.roleArn
      })
      expect(webIdentity.run.code).toBe(0)
      expect(webIdentity.code).toContain(STS_CLIENT)
    } finally {
      await sts.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe.each(NODES)('the installed command on %s', (_name, node) => {
  test('refreshes the secret, logs to stderr and prints the outputs as JSON', async () => {
    const run = await runCli(node, [...baseArgs(), '--pipecat-region', 'us-west', '--json'], baseEnv())

    expect(errorLines(run)).toEqual([])
    expect(run.code).toBe(0)
    expect(puts()).toHaveLength(1)
    expect(puts()[0].body).toEqual({ isImagePullSecret: true, host: `https://${registryHost()}`, secretValue: ecr.authorizationToken, region: 'us-west' })
    expect(pipecat.sets.get(SECRET_NAME)).toMatchObject({ status: 'ready', region: 'us-west' })
    expect(JSON.parse(run.stdout)).toEqual({
      registry: registryHost(),
      'expires-at': ecr.expiresAt.toISOString(),
      'secret-name': SECRET_NAME,
      'secret-region': 'us-west',
      targets: JSON.stringify([{ secretName: SECRET_NAME, region: 'us-west', status: 'ready' }]),
      image: '',
      'image-digest': '',
      'config-file': '',
      agents: ''
    })
    expect(run.stderr).toContain(`Got an ECR token for ${registryHost()}, valid until ${ecr.expiresAt.toISOString()} (in 11 h 59 m).`)
    expect(run.stderr).toContain(`Secret set ${SECRET_NAME} is ready; the next refresh must succeed before`)
    // No staleness report: there is no workflow whose runs could be read.
    expect(run.stderr).not.toContain('last succeeded')
    expectPlainText(run)
    expectNoCliLeaks(run, secretsOf(ecr, pipecat))
  })

  test('a dry run checks and stores nothing; without --json stdout stays empty', async () => {
    const run = await runCli(node, [...baseArgs(), '--dry-run'], baseEnv())

    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    expect(puts()).toHaveLength(0)
    expect(run.stderr).toContain(`Dry run: Pipecat Cloud accepts the key and the name ${SECRET_NAME} is free; nothing was stored.`)
    expectPlainText(run)
    expectNoCliLeaks(run, secretsOf(ecr, pipecat))
  })

  test('a failed refresh exits 1 with one error line, and still prints the outputs it knows', async () => {
    const run = await runCli(node, [...baseArgs(), '--json'], { ...baseEnv(), PIPECAT_API_KEY: 'pk_not-the-key' })

    expect(run.code).toBe(1)
    expect(errorLines(run)).toEqual([expect.stringMatching(/^error: Pipecat Cloud rejected pipecat-api-token \(401\)/)])
    expect(JSON.parse(run.stdout)).toMatchObject({ registry: registryHost(), 'secret-name': SECRET_NAME, 'secret-region': '' })
    expectPlainText(run)
    expectNoCliLeaks(run, [...secretsOf(ecr, pipecat), 'pk_not-the-key'])
  })

  test('no AWS credentials: the fix names the ways a command line gets them, not a workflow step', async () => {
    const run = await runCli(node, baseArgs(), { ...baseEnv(), AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined })

    expect(run.code).toBe(1)
    expect(errorLines(run)).toEqual([expect.stringMatching(/^error: No AWS credentials found: set AWS_PROFILE, .*AWS_WEB_IDENTITY_TOKEN_FILE/)])
    expect(run.stderr).not.toContain('configure-aws-credentials')
    expect(pipecat.requests).toHaveLength(0)
  })

  test.each([
    ['an unknown flag', ['--secret', 'x'], {}, /^error: Unknown option --secret: see pipecat-ecr-pull-secret --help/],
    ['a flag without its value', ['--pipecat-region'], {}, /^error: --pipecat-region needs a value/],
    [
      "a bad account ID, with the action's message",
      ['--aws-account-id=12345678901'],
      {},
      /^error: Input aws-account-id is "12345678901", 11 digits instead of 12/
    ],
    ["a bad boolean, with the action's message", ['--wait-for-ready', 'yes'], {}, /^error: Input wait-for-ready is "yes", not a boolean: use true or false\.$/],
    [
      'the key as a flag',
      ['--pipecat-api-token', 'pk_on-the-command-line'],
      {},
      /^error: --pipecat-api-token is not accepted.*environment variable PIPECAT_API_KEY instead\.$/
    ],
    ['no key in the environment', [], { PIPECAT_API_KEY: '' }, /^error: PIPECAT_API_KEY is not set: put your Pipecat Cloud Private API key in it/],
    ['an alert issue', ['--alert-issue'], {}, /^error: --alert-issue needs GitHub Actions .* set HEARTBEAT_URL/],
    ['a GitHub token', ['--github-token', 'ghs_on-the-command-line'], {}, /^error: --github-token is for GitHub Actions .*: remove it\.$/],
    ['the heartbeat twice', ['--heartbeat-url', 'https://hc-ping.com/a'], { HEARTBEAT_URL: 'https://hc-ping.com/b' }, /^error: heartbeat-url is given both/]
  ])('a bad command line (%s) exits 2 with one line, before any request', async (_case, args, env, message) => {
    const run = await runCli(node, withFlags(args), { ...baseEnv(), ...env })

    expect({ code: run.code, stdout: run.stdout, lines: stderrLines(run) }).toEqual({ code: 2, stdout: '', lines: [expect.stringMatching(message)] })
    expect(ecr.requests).toHaveLength(0)
    expect(pipecat.requests).toHaveLength(0)
    expectNoCliLeaks(run, [...secretsOf(ecr, pipecat), 'pk_on-the-command-line', 'ghs_on-the-command-line'])
  })

  test('writes the deploy config in the working directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-config-'))
    try {
      await writeFile(join(dir, 'pcc-deploy.toml'), 'agent_name = "voice"\n# kept\n')
      const run = await runCli(
        node,
        [...baseArgs(), '--config-file', 'pcc-deploy.toml', '--image', 'voice/agent:v1', '--verify-image', 'false', '--json'],
        baseEnv(),
        dir
      )

      expect(errorLines(run)).toEqual([])
      expect(run.code).toBe(0)
      expect(await readFile(join(dir, 'pcc-deploy.toml'), 'utf8')).toBe(
        `agent_name = "voice"\nimage = "${registryHost()}/voice/agent:v1"\nimage_credentials = "${SECRET_NAME}"\n# kept\n`
      )
      expect(JSON.parse(run.stdout)['config-file']).toBe('pcc-deploy.toml')
      expect(run.stderr).toContain('Wrote pcc-deploy.toml.')
      expectNoCliLeaks(run, [...secretsOf(ecr, pipecat)])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('web identity: a token file and a role reach ECR through STS, signed with its temporary credentials', async () => {
    const sts = await startStsEmulator()
    const dir = await mkdtemp(join(tmpdir(), 'cli-web-identity-'))
    try {
      await writeFile(join(dir, 'token'), sts.token)
      const env = {
        PIPECAT_API_KEY: pipecat.token,
        AWS_ENDPOINT_URL_ECR: ecr.url,
        AWS_ENDPOINT_URL_STS: sts.url,
        AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'),
        AWS_ROLE_ARN: sts.roleArn
      }
      const run = await runCli(node, [...baseArgs(), '--wait-for-ready', 'false'], env)

      expect(errorLines(run)).toEqual([])
      expect(run.code).toBe(0)
      expect(sts.requests).toEqual([
        expect.objectContaining({ action: 'AssumeRoleWithWebIdentity', roleArn: sts.roleArn, webIdentityToken: sts.token, authorization: undefined })
      ])
      expect(ecr.requests.map((request: { accessKeyId?: string; securityToken?: string }) => [request.accessKeyId, request.securityToken])).toEqual([
        [sts.credentials.accessKeyId, sts.credentials.sessionToken]
      ])
      expect(puts()).toHaveLength(1)
      const secrets = [...secretsOf(ecr, pipecat), sts.token, sts.credentials.secretAccessKey, sts.credentials.sessionToken]
      expectNoCliLeaks(run, secrets)

      // A role the token may not assume: STS's refusal, with the fix, and nothing stored.
      const refused = await runCli(node, baseArgs(), { ...env, AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/another' })
      expect(refused.code).toBe(1)
      expect(errorLines(refused)).toEqual([expect.stringMatching(/^error: AWS STS refused to assume AWS_ROLE_ARN .*AccessDenied.*trust policy/)])
      expect(puts()).toHaveLength(1)
      expectNoCliLeaks(refused, secrets)
    } finally {
      await sts.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  test(registrySkipped ? `checks the image in the registry first (skipped: ${registrySkipped})` : 'checks the image in the registry first', async () => {
    if (registrySkipped) return console.warn(`SKIPPED (${registrySkipped})`)
    // bcrypt (htpasswd) reads only 72 bytes: a registry ECR can stand in for takes a shorter password.
    const shortEcr = await startEcrEmulator({ password: randomBytes(48).toString('base64url') })
    const started = await startRegistry({ username: 'AWS', password: shortEcr.password })
    if ('skipped' in started) throw new Error(started.skipped)
    const registry: TestRegistry = started
    try {
      const digest = await registry.pushImage('voice/agent', 'arm64', 'arm64-index')
      await registry.pushImage('voice/agent', 'amd64', 'amd64-index')
      const args = [
        '--aws-account-id',
        shortEcr.accountId,
        '--aws-region',
        shortEcr.region,
        '--secret-name',
        SECRET_NAME,
        '--pipecat-api-url',
        pipecat.url,
        '--registry',
        registry.url
      ]
      const env = { ...awsEnv(shortEcr), PIPECAT_API_KEY: pipecat.token }

      const passed = await runCli(node, [...args, '--image', 'voice/agent:arm64', '--json'], env)
      expect(errorLines(passed)).toEqual([])
      expect(passed.code).toBe(0)
      expect(JSON.parse(passed.stdout)['image-digest']).toBe(digest)

      const refused = await runCli(node, [...args, '--image', 'voice/agent:amd64'], env)
      expect(refused.code).toBe(1)
      expect(errorLines(refused)).toEqual([expect.stringMatching(/^error: .*linux\/amd64.*--platform linux\/arm64/)])
      expect(puts()).toHaveLength(1)
      expectNoCliLeaks(passed, [...secretsOf(shortEcr, pipecat), AWS_SECRET])
      expectNoCliLeaks(refused, [...secretsOf(shortEcr, pipecat)])
    } finally {
      await registry.close()
      await shortEcr.close()
    }
  })
})
