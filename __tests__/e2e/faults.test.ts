import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import {
  awsEnv,
  baseInputs,
  expectMasksFirst,
  expectNoLeaks,
  expectOneLineFailure,
  runAction,
  SECRET_NAME,
  secretsOf,
  startNetworkTrap,
  type ActionRun,
  type Ecr,
  type NetworkTrap,
  type Pipecat
} from './harness.js'

// Each row is one bad day for an outside system, run through the bundle against fresh emulators. A row
// states how the run must end: it recovers (and how many tries that took), or it stops with one line that
// names the cause and the fix, in bounded time, with nothing stored and the deploy config untouched.

interface World {
  ecr: Ecr
  pipecat: Pipecat
  /** When each Pipecat Cloud request arrived: the emulator records what came, not when. */
  arrivals: Array<{ method: string; at: number }>
  /** The instant a row's Retry-After date names. */
  retryAt?: number
}

// minMs is a lower bound: the run waited at least that long, as it was asked to. A busy machine only makes
// runs longer, so only a run that skipped the wait can fail it. Rows have no upper bound on time.
interface Success {
  end: 'success'
  puts: number
  ecrCalls: number
  minMs?: number
  check?: (run: ActionRun, world: World) => void
}

interface Failure {
  end: 'failure'
  message: RegExp
  minMs?: number
  /** 0 also means Pipecat Cloud got no request of any kind. */
  puts: number
  ecrCalls?: number
  /**
   * The service took the PUT before the failure (a garbled answer, or provisioning that never finished),
   * so the set exists there; the action can only refuse to report success or write the config.
   */
  acceptedByService?: boolean
  /** The action read the service's acceptance, so it reports the secret as stored (though not ready). */
  storedNotReady?: boolean
}

interface Row {
  name: string
  arrange?: (world: World) => void
  inputs?: Record<string, string>
  env?: Record<string, string>
  /** Credentials this row's emulators hand out beyond the usual ones. */
  secrets?: (world: World) => string[]
  expected: Success | Failure
}

const CONFIG_FILE = 'pcc-deploy.toml'
const CONFIG = 'agent_name = "support-bot"\n'
// Provisioning is waited for only in the rows about it: each wait costs at least a second.
const WAIT = { 'wait-for-ready': 'true' }
const PROVISIONING_ERROR = 'Could not authenticate to registry 123456789012.dkr.ecr.us-east-1.amazonaws.com'

const puts = (w: World) => w.pipecat.requests.filter((r: { method: string }) => r.method === 'PUT')
const gets = (w: World) => w.pipecat.requests.filter((r: { method: string }) => r.method === 'GET')
const putTimes = (w: World) => w.arrivals.filter(a => a.method === 'PUT').map(a => a.at)
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

const retriedOnce = (status: number): Row => ({
  name: `Pipecat Cloud ${status} once, then success`,
  arrange: w => w.pipecat.failNext({ method: 'PUT', status }),
  expected: {
    end: 'success',
    puts: 2,
    ecrCalls: 1,
    check: run => expect(run.stdout).toMatch(new RegExp(`^Pipecat Cloud answered ${status}; retrying in \\d+\\.\\ds \\(attempt 2 of 5\\)`, 'm'))
  }
})

const rows: Row[] = [
  {
    name: 'Pipecat Cloud 429 with Retry-After: 1 (seconds), then success',
    arrange: w => w.pipecat.failNext({ method: 'PUT', status: 429, headers: { 'retry-after': '1' } }),
    expected: {
      end: 'success',
      puts: 2,
      ecrCalls: 1,
      minMs: 1000,
      check: (run, w) => {
        expect(run.stdout).toContain('Pipecat Cloud answered 429; retrying in 1.0s')
        const [first, second] = putTimes(w)
        expect(second - first).toBeGreaterThanOrEqual(990) // timers may fire a millisecond early
      }
    }
  },
  {
    name: 'Pipecat Cloud 429 with Retry-After as an HTTP date, then success',
    arrange: w => {
      // HTTP dates have whole seconds; the date is set when the first PUT is answered, 2.5 to 3.5 s after
      // it, however slowly a busy machine started the run. retry-timing.test.ts pins the exact wait.
      w.pipecat.failNext({
        method: 'PUT',
        status: 429,
        get headers() {
          w.retryAt ??= Math.ceil((Date.now() + 2500) / 1000) * 1000
          return { 'retry-after': new Date(w.retryAt).toUTCString() }
        }
      })
    },
    expected: {
      end: 'success',
      puts: 2,
      ecrCalls: 1,
      check: (run, w) => {
        const [first, second] = putTimes(w)
        expect(first).toBeLessThan(w.retryAt as number)
        expect(second).toBeGreaterThanOrEqual((w.retryAt as number) - 5)
        expect(run.stdout).toMatch(/^Pipecat Cloud answered 429; retrying in [0-3]\.\ds/m)
      }
    }
  },
  retriedOnce(500),
  retriedOnce(502),
  retriedOnce(503),
  retriedOnce(504),
  {
    name: 'Pipecat Cloud 409 CONFLICT once, then success',
    arrange: w => w.pipecat.failNext({ method: 'PUT', status: 409 }),
    expected: { end: 'success', puts: 2, ecrCalls: 1, check: run => expect(run.stdout).toContain('Pipecat Cloud answered 409; retrying') }
  },
  {
    name: 'Pipecat Cloud 503 that persists',
    arrange: w => w.pipecat.failNext(...Array.from({ length: 10 }, () => ({ method: 'PUT', status: 503 }))),
    // Five tries with full-jitter backoff: at most 0.5 + 1 + 2 + 4 s of waiting.
    expected: { end: 'failure', message: /^Pipecat Cloud answered 503 SERVICE_UNAVAILABLE after 5 attempts: .*rerun/, puts: 5 }
  },
  {
    name: 'Pipecat Cloud 429 asking to wait longer than the run may',
    arrange: w => w.pipecat.failNext({ method: 'PUT', status: 429, headers: { 'retry-after': '120' } }),
    expected: { end: 'failure', message: /^Pipecat Cloud answered 429 and asked to wait 120s, .*rerun the workflow later/, puts: 1 }
  },
  {
    name: 'Pipecat Cloud resets the connection mid-response once, then success',
    arrange: w => w.pipecat.failNext({ method: 'PUT', reset: true }),
    expected: {
      end: 'success',
      puts: 2,
      ecrCalls: 1,
      check: run => expect(run.stdout).toMatch(/^Pipecat Cloud \(127\.0\.0\.1:\d+\): the connection was reset; retrying/m)
    }
  },
  {
    name: 'Pipecat Cloud slower than request-timeout once, then success',
    inputs: { 'request-timeout': '1' },
    arrange: w => w.pipecat.failNext({ method: 'PUT', delayMs: 2500 }),
    expected: {
      end: 'success',
      puts: 2,
      ecrCalls: 1,
      minMs: 1000,
      check: run => expect(run.stdout).toMatch(/^Pipecat Cloud \(127\.0\.0\.1:\d+\): no answer within 1s; retrying/m)
    }
  },
  {
    name: 'Pipecat Cloud 202 with a body that is not JSON',
    arrange: w => w.pipecat.failNext({ method: 'PUT', status: 202, rawBody: '<html><body>Sign in to the proxy</body></html>' }),
    expected: { end: 'failure', message: /not JSON \(text\/html\).*proxy.*check pipecat-api-url/, puts: 1, acceptedByService: true }
  },
  {
    name: 'Pipecat Cloud 503 on the status list once, then ready',
    inputs: WAIT,
    arrange: w => w.pipecat.failNext({ method: 'GET', status: 503 }),
    expected: {
      end: 'success',
      puts: 1,
      ecrCalls: 1,
      check: (run, w) => {
        // The 503, its retry (pending), then ready.
        expect(gets(w)).toHaveLength(3)
        expect(w.pipecat.sets.get(SECRET_NAME)?.status).toBe('ready')
        expect(run.summary).toContain('<td>Status</td><td>ready</td>')
      }
    }
  },
  {
    name: 'a set that stays pending past wait-timeout',
    inputs: { ...WAIT, 'wait-timeout': '2' },
    arrange: w => w.pipecat.setReadyAfter(Infinity),
    expected: {
      end: 'failure',
      message: /^Secret set my-ecr-credentials is still pending after 2s: .*raise wait-timeout/,
      minMs: 2000,
      puts: 1,
      acceptedByService: true,
      storedNotReady: true
    }
  },
  {
    name: 'a set whose provisioning fails',
    inputs: WAIT,
    arrange: w => w.pipecat.failProvisioning(PROVISIONING_ERROR),
    expected: {
      end: 'failure',
      message: new RegExp(`^Pipecat Cloud could not provision secret set my-ecr-credentials: ${escape(PROVISIONING_ERROR)}; check the registry host`),
      puts: 1,
      acceptedByService: true,
      storedNotReady: true
    }
  },
  {
    name: 'ECR ThrottlingException once, then success',
    arrange: w => w.ecr.fail('throttling'),
    expected: { end: 'success', puts: 1, ecrCalls: 2 }
  },
  {
    name: 'ECR ThrottlingException that persists',
    arrange: w => w.ecr.fail('throttling', 10),
    // The SDK's four tries, with throttling backoff of at most 1 + 2 + 4 s.
    expected: {
      end: 'failure',
      message: /^ECR throttled GetAuthorizationToken in us-east-1 even after retries: rerun later/,
      puts: 0,
      ecrCalls: 4
    }
  },
  {
    name: 'ECR 500 once, then success',
    arrange: w => w.ecr.fail('server-error'),
    expected: { end: 'success', puts: 1, ecrCalls: 2 }
  },
  {
    name: 'ECR 500 that persists',
    arrange: w => w.ecr.fail('server-error', 10),
    // A fault on AWS's side: the fix is to wait and rerun, not to change the role or the region.
    expected: { end: 'failure', message: /^ECR\b.*(ServerException|internal error).*\brerun\b/, puts: 0, ecrCalls: 4 }
  },
  {
    name: 'ECR AccessDeniedException',
    arrange: w => w.ecr.fail('access-denied'),
    expected: {
      end: 'failure',
      message:
        /^AWS denied ecr:GetAuthorizationToken to arn:aws:sts::123456789012:assumed-role\/github-actions-ecr\/GitHubActions: allow ecr:GetAuthorizationToken on Resource "\*"/,
      puts: 0,
      ecrCalls: 1
    }
  },
  {
    name: 'ECR ExpiredTokenException',
    arrange: w => w.ecr.fail('expired-token'),
    expected: { end: 'failure', message: /^The AWS session has expired: run aws-actions\/configure-aws-credentials/, puts: 0, ecrCalls: 1 }
  },
  {
    name: 'no AWS credentials at all',
    env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    expected: {
      end: 'failure',
      message: /^No AWS credentials found: give the job "permissions: id-token: write" and run aws-actions\/configure-aws-credentials/,
      puts: 0,
      ecrCalls: 0
    }
  },
  {
    name: 'ECR answers without authorizationData',
    arrange: w => w.ecr.fail('no-authorization-data'),
    expected: { end: 'failure', message: /^ECR answered GetAuthorizationToken in us-east-1 without a token: rerun/, puts: 0, ecrCalls: 1 }
  },
  {
    name: 'ECR token that does not decode to AWS:<password>',
    arrange: w => w.ecr.fail('bad-token'),
    // What the emulator hands out for this fault: it carries part of the real password.
    secrets: w => [Buffer.from(`not-a-docker-login-${w.ecr.password.slice(0, 16)}`).toString('base64')],
    expected: { end: 'failure', message: /does not decode to AWS:<password>.*AWS_ENDPOINT_URL_ECR/, puts: 0, ecrCalls: 1 }
  },
  {
    name: 'ECR token whose expiresAt is already past',
    arrange: w => w.ecr.fail('expired'),
    expected: {
      end: 'failure',
      message: /^ECR returned a token that expired at \S+, before now \(\S+\): check the runner's clock/,
      puts: 0,
      ecrCalls: 1
    }
  }
]

// Debug output is one more way out for a secret.
const debugRows: Row[] = ['Pipecat Cloud 503 once, then success', 'ECR token whose expiresAt is already past'].map(name => {
  const row = rows.find(r => r.name === name) as Row
  return { ...row, name: `${name}, with RUNNER_DEBUG=1`, env: { ...row.env, RUNNER_DEBUG: '1' } }
})

interface Stage extends World {
  trap: NetworkTrap
  dir: string
  close(): Promise<void>
}

/** Fresh emulators, network trap and working directory for one row, so rows can run side by side. */
async function stage(): Promise<Stage> {
  const [trap, ecr, pipecat, dir] = await Promise.all([startNetworkTrap(), startEcrEmulator(), startPipecatEmulator(), mkdtemp(join(tmpdir(), 'faults-'))])
  const arrivals: World['arrivals'] = []
  const record = pipecat.requests.push.bind(pipecat.requests)
  pipecat.requests.push = (...requests) => {
    requests.forEach(request => arrivals.push({ method: request.method, at: Date.now() }))
    return record(...requests)
  }
  await writeFile(join(dir, CONFIG_FILE), CONFIG)
  const close = async () => {
    await Promise.all([trap.close(), ecr.close(), pipecat.close()])
    await rm(dir, { recursive: true, force: true })
  }
  return { ecr, pipecat, arrivals, trap, dir, close }
}

// Rows share nothing, so they run concurrently: most of a row's time is waiting out backoff, not CPU.
test.concurrent.each([...rows, ...debugRows])('$name', async row => {
  const world = await stage()
  try {
    await check(row, world)
  } finally {
    await world.close()
  }
})

async function check(row: Row, world: Stage): Promise<void> {
  const { ecr, pipecat, trap, dir } = world
  row.arrange?.(world)
  const run = await runAction({
    cwd: dir,
    inputs: { ...baseInputs(ecr, pipecat), 'config-file': CONFIG_FILE, 'wait-for-ready': 'false', ...row.inputs },
    env: { ...trap.env, ...awsEnv(ecr), ...row.env }
  })
  const expected = row.expected
  const config = await readFile(join(dir, CONFIG_FILE), 'utf8')

  if (expected.end === 'success') {
    expect(run.error).toBeUndefined()
    expect(run.code).toBe(0)
    expect(puts(world)).toHaveLength(expected.puts)
    expect(ecr.requests).toHaveLength(expected.ecrCalls)
    expect(pipecat.sets.get(SECRET_NAME)).toMatchObject({ type: 'imagePullSecret', secretValue: ecr.authorizationToken })
    expect(run.outputs['secret-name']).toBe(SECRET_NAME)
    expect(config).toContain(`image_credentials = "${SECRET_NAME}"`)
    if (expected.minMs) expect(run.durationMs).toBeGreaterThanOrEqual(expected.minMs)
    expected.check?.(run, world)
  } else {
    // No upper bound on time: the counts below and the message show what the run did; a run that hangs
    // instead meets jest's test timeout.
    expectOneLineFailure(run, expected.message)
    if (expected.minMs) expect(run.durationMs).toBeGreaterThanOrEqual(expected.minMs)
    expect(puts(world)).toHaveLength(expected.puts)
    if (expected.puts === 0) expect(pipecat.requests).toHaveLength(0)
    if (expected.ecrCalls !== undefined) expect(ecr.requests).toHaveLength(expected.ecrCalls)
    if (!expected.acceptedByService) expect([...pipecat.sets.keys()]).toEqual([])
    // A failure still reports what it knows, and leaves empty what it did not reach.
    expect(run.outputs).toEqual({
      registry: `${ecr.accountId}.dkr.ecr.${ecr.region}.amazonaws.com`,
      'expires-at': expected.puts > 0 ? ecr.expiresAt.toISOString() : '',
      'secret-name': SECRET_NAME,
      'secret-region': expected.storedNotReady ? 'us-west' : '',
      // Failed where the run stored it, or untouched when the run failed before it got there.
      targets: expect.stringMatching(
        new RegExp(`^\\[\\{"secretName":"${SECRET_NAME}","region":"${expected.storedNotReady ? 'us-west' : ''}","status":"(failed|untouched)"\\}\\]$`)
      ),
      image: '',
      'image-digest': '',
      'config-file': '',
      agents: ''
    })
    const status = expected.storedNotReady
      ? 'stored, not ready'
      : expected.acceptedByService
        ? 'unknown: the answer to the store request could not be read'
        : 'not stored'
    expect(run.summary).toContain(`<td>Status</td><td>${status}</td>`)
    expect(config).toBe(CONFIG)
  }

  const secrets = [...secretsOf(ecr, pipecat), ...(row.secrets?.(world) ?? [])]
  expectNoLeaks(run, secrets, [config])
  expectMasksFirst(run, secrets)
  expect(trap.attempts).toEqual([])
}
