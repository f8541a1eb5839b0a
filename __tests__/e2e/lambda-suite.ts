import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { startSecretsManagerEmulator } from '../emulators/secrets-manager.js'
import { startConnectProxy } from '../support/connect-proxy.js'
import { startHeartbeat } from '../support/heartbeat-server.js'
import { AWS_SECRET, awsEnv, expectNoLeaks, SECRET_NAME, type ActionRun, type Ecr, type Pipecat } from './harness.js'

// The Lambda handler as Lambda runs it: the bundle (dist/lambda/index.js, e2e/lambda.test.ts) or its source
// (src/lambda.ts, lambda.test.ts, which the coverage of src/ counts), imported into this process and
// called as `handler(event, context)`, once or more in the same process, its configuration in the
// environment and its key in the Secrets Manager emulator. What it wrote to stdout and stderr is captured
// and checked line by line: each a JSON object with timestamp, level and message, and none a credential.

/** Every scenario, against the handler that load() gives. */
export function lambdaSuite(load: () => Promise<unknown>): void {
  type Handler = (event: unknown, context: object) => Promise<Record<string, string>>
  type SecretsManager = Awaited<ReturnType<typeof startSecretsManagerEmulator>>

  let handler: Handler
  let ecr: Ecr
  let pipecat: Pipecat
  let secretsManager: SecretsManager
  let home: string
  const savedEnv = { ...process.env }

  beforeAll(async () => {
    ;({ handler } = (await load()) as { handler: Handler })
    home = await mkdtemp(join(tmpdir(), 'lambda-run-'))
  })
  afterAll(() => rm(home, { recursive: true, force: true }))

  beforeEach(async () => {
    ;[ecr, pipecat, secretsManager] = await Promise.all([startEcrEmulator(), startPipecatEmulator(), startSecretsManagerEmulator()])
  })
  afterEach(async () => {
    process.env = { ...savedEnv }
    await Promise.all([ecr.close(), pipecat.close(), secretsManager.close()])
  })

  /** The function's environment: what Lambda sets (region, the role's keys) and what its configuration adds. */
  function configure(extra: Record<string, string | undefined> = {}, keyArn?: string): void {
    const env: Record<string, string | undefined> = {
      PATH: savedEnv.PATH,
      HOME: home,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(home, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
      AWS_LAMBDA_FUNCTION_NAME: 'pipecat-ecr-refresh',
      AWS_REGION: ecr.region,
      ...awsEnv(ecr),
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      AWS_ACCOUNT_ID: ecr.accountId,
      SECRET_NAME,
      PIPECAT_API_URL: pipecat.url,
      PIPECAT_API_KEY_SECRET_ARN: keyArn ?? secretsManager.put('pipecat-api-key', pipecat.token),
      ...extra
    }
    process.env = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))
  }

  interface Invocation {
    result?: Record<string, string>
    error?: Error
    stdout: string
    stderr: string
    lines: { timestamp: string; level: string; requestId?: string; message: string }[]
  }

  /** One invocation, with what it wrote; stdout is kept from the terminal while it runs. */
  async function invoke(requestId = 'c0ffee00-0000-4000-8000-000000000001', remainingMs = 900_000): Promise<Invocation> {
    let stdout = ''
    let stderr = ''
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => ((stdout += String(chunk)), true))
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(chunk => ((stderr += String(chunk)), true))
    let result: Record<string, string> | undefined
    let error: Error | undefined
    try {
      result = await handler({ source: 'aws.scheduler' }, { awsRequestId: requestId, getRemainingTimeInMillis: () => remainingMs })
    } catch (thrown) {
      error = thrown as Error
    } finally {
      out.mockRestore()
      err.mockRestore()
    }
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map(line => JSON.parse(line) as Invocation['lines'][number])
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['timestamp', 'level', 'requestId', 'message'])
      expect(new Date(line.timestamp).toISOString()).toBe(line.timestamp)
      expect(['DEBUG', 'INFO', 'WARN', 'ERROR']).toContain(line.level)
      expect(line.requestId).toBe(requestId)
      expect(line.message).not.toMatch(/[\r\n]/)
    }
    return { result, error, stdout, stderr, lines }
  }

  /** The harness's leak guard over everything an invocation wrote, returned or threw. */
  function expectNoLeak(invocation: Invocation, keys: string[] = [pipecat.token]): void {
    const run: ActionRun = {
      code: 0,
      stdout: invocation.stdout,
      stderr: invocation.stderr,
      outputs: invocation.result ?? {},
      summary: '',
      durationMs: 0,
      timedOut: false
    }
    expectNoLeaks(run, [...keys, ecr.password, ecr.authorizationToken, AWS_SECRET], [invocation.error?.message ?? '', invocation.error?.stack ?? ''])
  }

  const registry = () => `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`
  const puts = () => pipecat.requests.filter((r: { method: string }) => r.method === 'PUT')
  const requestsSeen = () => ecr.requests.length + pipecat.requests.length + secretsManager.requests.length

  test('a refresh returns the outputs, with the key read once from Secrets Manager', async () => {
    configure()
    const invocation = await invoke()

    expect(invocation.error).toBeUndefined()
    expect(invocation.result).toEqual({
      registry: registry(),
      'expires-at': ecr.expiresAt.toISOString(),
      'secret-name': SECRET_NAME,
      'secret-region': expect.any(String),
      targets: expect.stringContaining('"status":"ready"'),
      image: '',
      'image-digest': '',
      'config-file': '',
      agents: ''
    })
    expect(secretsManager.requests).toEqual([
      { target: 'secretsmanager.GetSecretValue', signedRegion: ecr.region, signedService: 'secretsmanager', secretId: process.env.PIPECAT_API_KEY_SECRET_ARN }
    ])
    expect(puts()).toHaveLength(1)
    expect(puts()[0].headers.authorization).toBe(`Bearer ${pipecat.token}`)
    expect(puts()[0].body).toMatchObject({ isImagePullSecret: true, host: `https://${registry()}`, secretValue: ecr.authorizationToken })
    expect(pipecat.sets.get(SECRET_NAME)).toMatchObject({ type: 'imagePullSecret', status: 'ready' })
    const messages = invocation.lines.map(line => `${line.level} ${line.message}`)
    expect(messages[0]).toBe(`INFO Read the Pipecat Cloud key from ${process.env.PIPECAT_API_KEY_SECRET_ARN}.`)
    expect(messages).toContainEqual(expect.stringMatching(`^INFO Got an ECR token for ${registry()}, valid until `))
    expect(messages).toContainEqual(expect.stringMatching(`^INFO Secret set ${SECRET_NAME} is ready`))
    expect(invocation.lines.filter(line => line.level === 'ERROR')).toEqual([])
    expect(invocation.stderr).toBe('')
    expectNoLeak(invocation)
  })

  test('the key may be a JSON secret with a PIPECAT_API_KEY field', async () => {
    configure({}, secretsManager.put('pipecat', JSON.stringify({ PIPECAT_API_KEY: pipecat.token, note: 'rotated by hand' })))
    const invocation = await invoke()

    expect(invocation.error).toBeUndefined()
    expect(puts()[0].headers.authorization).toBe(`Bearer ${pipecat.token}`)
    expectNoLeak(invocation, [pipecat.token, JSON.stringify({ PIPECAT_API_KEY: pipecat.token, note: 'rotated by hand' })])
  })

  test('a failed refresh fails the invocation with its one line, and returns no outputs', async () => {
    const revoked = `pk_${'0'.repeat(48)}`
    configure({}, secretsManager.put('pipecat-api-key', revoked))
    const invocation = await invoke()

    expect(invocation.result).toBeUndefined()
    expect(invocation.error?.name).toBe('RefreshFailed')
    expect(invocation.error?.message).toMatch(/rejected pipecat-api-token \(401\)/)
    expect(invocation.error?.message).not.toMatch(/\n/)
    const errors = invocation.lines.filter(line => line.level === 'ERROR')
    expect(errors.map(line => line.message)).toEqual([invocation.error?.message])
    expect(pipecat.sets.has(SECRET_NAME)).toBe(false)
    expectNoLeak(invocation, [revoked, pipecat.token])
  })

  test.each([
    ['a missing secret ARN', { PIPECAT_API_KEY_SECRET_ARN: '' }, /^PIPECAT_API_KEY_SECRET_ARN is not set: set it to the ARN/],
    ['a secret name for an ARN', { PIPECAT_API_KEY_SECRET_ARN: 'pipecat-api-key' }, /^PIPECAT_API_KEY_SECRET_ARN is not a Secrets Manager secret ARN: /],
    ['the key in the environment', { PIPECAT_API_KEY: 'pk_in_the_environment' }, /^PIPECAT_API_KEY is set in the function's configuration, .*: remove it/],
    ['an input only GitHub serves', { GITHUB_TOKEN: 'ghs_example' }, /^GITHUB_TOKEN is for GitHub Actions .*: remove it\.$/],
    ['config-file', { CONFIG_FILE: 'pcc-deploy.toml' }, /^CONFIG_FILE is for config-file, .*: remove it/],
    ["a bad input, in the action's words", { REQUEST_TIMEOUT: 'soon' }, /^Input request-timeout /],
    [
      'a timeout too short for the run',
      {},
      /^The function's timeout leaves this invocation 60s, less than the 470s a refresh may take .*: raise the function's timeout to at least 470s \(Lambda allows 900s\), or lower REQUEST_TIMEOUT or WAIT_TIMEOUT\.$/
    ]
  ])('%s fails the invocation before any request', async (_name, extra, message) => {
    configure(extra)
    const invocation = await invoke(undefined, 60_000)

    expect(invocation.result).toBeUndefined()
    expect(invocation.error?.message).toMatch(message)
    expect(invocation.error?.message).not.toMatch(/\n/)
    expect(invocation.lines.map(line => [line.level, line.message])).toEqual([['ERROR', invocation.error?.message]])
    expect(requestsSeen()).toBe(0)
    expectNoLeak(invocation, [pipecat.token, 'pk_in_the_environment', 'ghs_example'])
  })

  test('a role without secretsmanager:GetSecretValue fails in one line naming the permission, before ECR and Pipecat Cloud', async () => {
    const arn = secretsManager.put('pipecat-api-key', pipecat.token)
    secretsManager.deny(arn)
    configure({}, arn)
    const invocation = await invoke()

    expect(invocation.error?.message).toBe(
      `AWS denied secretsmanager:GetSecretValue on ${arn} (AccessDeniedException): allow secretsmanager:GetSecretValue on ${arn} in the function's execution role's policy.`
    )
    expect(secretsManager.requests).toHaveLength(1)
    expect(ecr.requests.length + pipecat.requests.length).toBe(0)
    expectNoLeak(invocation)
  })

  test.each([
    [
      'an unknown secret',
      (arn: string) => arn.replace(/-\w{6}$/, '-zzzzzz'),
      /has no secret .* \(ResourceNotFoundException\): check PIPECAT_API_KEY_SECRET_ARN/
    ],
    ['a binary secret', () => secretsManager.put('binary', undefined), /has no SecretString .*: store the Pipecat Cloud Private API key in it as text/],
    [
      'a KMS refusal',
      (arn: string) => {
        secretsManager.fail('decryption-failure')
        return arn
      },
      /could not decrypt .* \(DecryptionFailure\): allow kms:Decrypt/
    ],
    ['a JSON secret without the field', () => secretsManager.put('json', '{"a":"x","b":"y"}'), /JSON object with 2 fields and no string field PIPECAT_API_KEY/]
  ])('%s fails in one line with its fix', async (_name, arnFor, message) => {
    const arn = arnFor(secretsManager.put('pipecat-api-key', pipecat.token))
    configure({}, arn)
    const invocation = await invoke()

    expect(invocation.error?.message).toMatch(message)
    expect(invocation.lines.filter(line => line.level === 'ERROR')).toHaveLength(1)
    expect(ecr.requests.length + pipecat.requests.length).toBe(0)
    expectNoLeak(invocation)
  })

  test("the function's proxy carries the key's read from Secrets Manager, as it carries ECR and Pipecat Cloud", async () => {
    const proxy = await startConnectProxy()
    try {
      configure({ HTTP_PROXY: proxy.url })
      const invocation = await invoke()

      expect(invocation.error).toBeUndefined()
      expect(invocation.result?.['secret-name']).toBe(SECRET_NAME)
      const hostOf = (url: string) => new URL(url).host
      expect(proxy.counts()[hostOf(secretsManager.url)]).toBeGreaterThanOrEqual(1)
      expect(new Set(proxy.targets())).toEqual(new Set([hostOf(secretsManager.url), hostOf(ecr.url), hostOf(pipecat.url)]))
      expect(secretsManager.requests).toHaveLength(1)
      expectNoLeak(invocation)
    } finally {
      await proxy.close()
    }
  })

  test('a proxy that refuses Secrets Manager fails in one line naming the proxy, before ECR and Pipecat Cloud', async () => {
    const proxy = await startConnectProxy({ refuseWith: 403 })
    try {
      configure({ HTTP_PROXY: proxy.url })
      const invocation = await invoke()

      expect(invocation.error?.message).toMatch(/^Could not reach Secrets Manager at 127\.0\.0\.1: the proxy refused to connect to 127\.0\.0\.1 \(403\): /)
      expect(invocation.error?.message).not.toMatch(/\n/)
      expect(requestsSeen()).toBe(0)
      expectNoLeak(invocation)
    } finally {
      await proxy.close()
    }
  })

  test('something other than Secrets Manager answering fails in one line naming the endpoint and the proxy', async () => {
    // A plain-text "OK" from whatever AWS_ENDPOINT_URL_SECRETS_MANAGER wrongly points at.
    const elsewhere = await startHeartbeat()
    try {
      configure({ AWS_ENDPOINT_URL_SECRETS_MANAGER: elsewhere.url })
      const invocation = await invoke()

      expect(invocation.error?.message).toMatch(
        /^Secrets Manager in [a-z0-9-]+ gave an answer that is not Secrets Manager's \(HTTP 200: [^\n]+\): a proxy, or AWS_ENDPOINT_URL \/ AWS_ENDPOINT_URL_SECRETS_MANAGER, may be sending the request somewhere else; check them, then rerun\.$/
      )
      expect(invocation.error?.message).not.toContain('hidden field')
      expect(elsewhere.requests.length).toBeGreaterThanOrEqual(1)
      expect(ecr.requests.length + pipecat.requests.length).toBe(0)
      expectNoLeak(invocation)
    } finally {
      await elsewhere.close()
    }
  })

  test("Secrets Manager out of reach fails in one line with the cause, after the SDK's tries", async () => {
    configure({ AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:1' })
    const invocation = await invoke()

    expect(invocation.error?.message).toMatch(
      /^Could not reach Secrets Manager in [a-z0-9-]+ to read arn:aws:secretsmanager:\S+ \([^)]*refused[^)]*\): check the function's network \(in a VPC it needs a NAT gateway or a Secrets Manager VPC endpoint\) and its HTTPS_PROXY \/ NO_PROXY settings, then rerun\.$/
    )
    expect(ecr.requests.length + pipecat.requests.length).toBe(0)
    expectNoLeak(invocation)
  })

  describe("an invocation that fails before its run starts pings the heartbeat's failure form, after its error line", () => {
    const CHECK = '/ping/5f3c9d2e-8a41-4b7e-b0c6-1d2e3f4a5b6c'

    test.each([
      ['the key unreadable', {}, 900_000, /^AWS denied secretsmanager:GetSecretValue /, 1],
      ['a timeout too short for the run', {}, 60_000, /^The function's timeout leaves this invocation 60s/, 0],
      ['a dry run: no ping, as after a dry run', { DRY_RUN: 'true' }, 900_000, /^AWS denied secretsmanager:GetSecretValue /, 1]
    ])('%s', async (name, extra, remainingMs, message, reads) => {
      const heartbeat = await startHeartbeat()
      try {
        const arn = secretsManager.put('pipecat-api-key', pipecat.token)
        secretsManager.deny(arn)
        configure({ HEARTBEAT_URL: `${heartbeat.url}${CHECK}`, ...extra }, arn)
        const invocation = await invoke(undefined, remainingMs)

        expect(invocation.error?.message).toMatch(message)
        expect(secretsManager.requests).toHaveLength(reads)
        expect(ecr.requests.length + pipecat.requests.length).toBe(0)
        const dryRun = name.startsWith('a dry run')
        expect(heartbeat.requests).toEqual(dryRun ? [] : [`GET ${CHECK}/fail`])
        expect(invocation.lines.map(line => [line.level, line.message])).toEqual([
          ['ERROR', invocation.error?.message],
          ...(dryRun ? [] : [['INFO', 'Pinged the heartbeat URL (failure).']])
        ])
        expectNoLeak(invocation, [pipecat.token, CHECK.slice('/ping/'.length)])
      } finally {
        await heartbeat.close()
      }
    })
  })

  test('two invocations in one process: each has its own key, log, outputs and outcome', async () => {
    configure()
    const first = await invoke('c0ffee00-0000-4000-8000-00000000000a')
    const revoked = `pk_${'1'.repeat(48)}`
    configure({}, secretsManager.put('rotated', revoked))
    const second = await invoke('c0ffee00-0000-4000-8000-00000000000b')
    configure()
    const third = await invoke('c0ffee00-0000-4000-8000-00000000000c')

    expect(first.error).toBeUndefined()
    expect(first.result?.registry).toBe(registry())
    expect(second.result).toBeUndefined()
    expect(second.error?.message).toMatch(/rejected pipecat-api-token \(401\)/)
    // The first invocation's success left nothing behind: the second's log has its own lines only.
    expect(second.lines.filter(line => line.level === 'ERROR')).toHaveLength(1)
    expect(second.lines.some(line => line.message.startsWith('Secret set'))).toBe(false)
    expect(third.error).toBeUndefined()
    expect(third.lines.filter(line => line.level === 'ERROR')).toEqual([])
    expect(secretsManager.requests).toHaveLength(3)
    expect(puts().map(put => put.headers.authorization)).toEqual([`Bearer ${pipecat.token}`, `Bearer ${revoked}`, `Bearer ${pipecat.token}`])
    for (const invocation of [first, second, third]) expectNoLeak(invocation, [pipecat.token, revoked])
  })

  test("the function's DEBUG log level adds DEBUG lines, and still no credential", async () => {
    configure({ AWS_LAMBDA_LOG_LEVEL: 'DEBUG' })
    const invocation = await invoke()

    expect(invocation.error).toBeUndefined()
    expect(invocation.lines.filter(line => line.level === 'DEBUG').length).toBeGreaterThan(0)
    expectNoLeak(invocation)
  })
}
