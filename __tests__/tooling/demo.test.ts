import { execFile } from 'node:child_process'

// README: `npm run demo [-- SCENARIO]` prints the inputs, the action's log, its outputs, the job summary, and
// what the emulated Pipecat Cloud stored, never the value; each scenario adds what its feature changed.

interface Demo {
  code: number
  stdout: string
  stderr: string
}

function demo(...args: string[]): Promise<Demo> {
  return new Promise(done => {
    execFile(process.execPath, ['scripts/demo.js', ...args], { timeout: 120_000 }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr })
    )
  })
}

const sections = (stdout: string) => [...stdout.matchAll(/^=== (.+) ===$/gm)].map(match => match[1])
const RUN_SECTIONS = ['Inputs', 'Action log', 'Exit code', 'Outputs', 'Job summary']

/** The demo names a credential it finds unmasked instead of printing it; an ECR token is base64 of "AWS:". */
function expectNoSecret(stdout: string): void {
  expect(stdout).not.toContain('[UNMASKED')
  expect(stdout).not.toContain('QVdTO')
  expect(stdout).not.toContain('::add-mask::')
  expect(stdout).not.toContain('pk_revoked_demo_key')
  expect(stdout).not.toContain('ghs_demo')
}

test('npm run demo runs the bundle to success and shows each part, without a credential', async () => {
  const { code, stdout } = await demo()

  expect(code).toBe(0)
  expect(sections(stdout)).toEqual([...RUN_SECTIONS, 'Stored in Pipecat Cloud (emulated)'])
  expect(stdout).toMatch(/^=== Exit code ===\n0$/m)
  expect(stdout).toContain('pipecat-api-token: ***')
  expect(stdout).toMatch(/^Secret set my-ecr-credentials is ready; the next refresh must succeed before /m)
  expect(stdout).toMatch(/^secret-region: us-west$/m)
  expect(stdout).toContain('<td>Status</td><td>ready</td>')
  expect(stdout).toContain('my-ecr-credentials: type imagePullSecret, region us-west, status ready')
  expect(stdout).toContain('secretValue is the ECR authorization token: yes')
  expectNoSecret(stdout)
}, 90_000)

test('--list names every scenario with one line each; an unknown one is refused with the choices', async () => {
  const list = await demo('--list')
  const unknown = await demo('no-such-scenario')

  expect(list.code).toBe(0)
  expect(
    list.stdout
      .trim()
      .split('\n')
      .map(line => line.split(/\s+/)[0])
  ).toEqual(['refresh', 'dry-run', 'failure', 'config', 'preflight', 'preflight-fail', 'agents', 'targets', 'alert'])
  expect(unknown.code).toBe(2)
  expect(unknown.stderr).toMatch(/no scenario "no-such-scenario"; choose one of: refresh, dry-run, .*alert/)
}, 30_000)

describe('each scenario runs as it says, and shows what it says it shows', () => {
  test.concurrent(
    'dry-run: stores nothing, and the summary names the region asked for',
    async () => {
      const { code, stdout } = await demo('dry-run')

      expect(code).toBe(0)
      expect(sections(stdout)).toEqual([...RUN_SECTIONS, 'Stored in Pipecat Cloud (emulated)'])
      expect(stdout).toMatch(/^Dry run: Pipecat Cloud accepts the key and the name my-ecr-credentials is free/m)
      expect(stdout).toContain('<td>Status</td><td>not stored (dry run): the name is free</td>')
      expect(stdout).toContain('<td>Pipecat region</td><td>us-west (requested)</td>')
      expect(stdout).toMatch(/^=== Stored in Pipecat Cloud \(emulated\) ===\n\(no secret set\)$/m)
      expectNoSecret(stdout)
    },
    90_000
  )

  test.concurrent(
    'failure: the one-line error, the outputs it still sets, and the summary of a failed run',
    async () => {
      const { code, stdout } = await demo('failure')

      expect(code).toBe(0)
      expect(stdout).toMatch(/^=== Exit code ===\n1 \(as this scenario expects\)$/m)
      expect(stdout).toMatch(/^::error::Pipecat Cloud rejected pipecat-api-token \(401\): use a Private API key/m)
      expect(stdout).toMatch(/^expires-at: \d{4}-\d\d-\d\dT/m)
      expect(stdout).toContain('<h3>Pipecat Cloud pull secret refresh failed</h3>')
      expect(stdout).toContain('<td>Pipecat region</td><td>us-west (requested)</td>')
      expect(stdout).toContain('<p><strong>Next step:</strong> Nothing was stored')
      expect(stdout).toContain('(no secret set)')
      expectNoSecret(stdout)
    },
    90_000
  )

  test.concurrent(
    'targets: a set per region from one token, each with its own outcome',
    async () => {
      const { code, stdout } = await demo('targets')

      expect(code).toBe(0)
      expect(stdout).toMatch(/^=== Exit code ===\n1 \(as this scenario expects\)$/m)
      expect(stdout).toMatch(/^::error::Secret set ecr-pull-ap-south \(ap-south\): Pipecat Cloud does not offer region ap-south/m)
      expect(stdout).toContain('<tr><td>ecr-pull-eu-central</td><td>eu-central</td><td>ready</td><td></td></tr>')
      expect(stdout).toMatch(/^targets: \[\{"secretName":"ecr-pull-us-west","region":"us-west","status":"ready"\}/m)
      expectNoSecret(stdout)
    },
    90_000
  )

  test.concurrent(
    'config: the file before and after, and a diff of only the keys the action owns',
    async () => {
      const { code, stdout } = await demo('config')

      expect(code).toBe(0)
      expect(sections(stdout)).toEqual([...RUN_SECTIONS, 'Stored in Pipecat Cloud (emulated)', 'pcc-deploy.toml before', 'pcc-deploy.toml after', 'Diff'])
      expect(stdout).toMatch(/^config-file: pcc-deploy\.toml$/m)
      const diff = stdout.slice(stdout.indexOf('=== Diff ==='))
      expect(diff).toContain('- image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/support-bot:1.3" # the release pipeline sets this')
      expect(diff).toContain('+ image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/support-bot:1.4" # the release pipeline sets this')
      expect(diff).toContain('+ image_credentials = "my-ecr-credentials"')
      expect(diff).toMatch(/^- min_instances = 0 .*\n\+ min_agents = 1 /m)
      // What the action does not own stays as it was.
      expect(diff).toContain('  secret_set = "support-bot-secrets"')
      expect(diff).toMatch(/^ {2}# Read by `pipecat cloud deploy`/m)
      expectNoSecret(stdout)
    },
    90_000
  )

  test.concurrent(
    'preflight: the registry is asked with the ECR token, and the arm64 image passes before anything is stored',
    async () => {
      const { code, stdout } = await demo('preflight')

      expect(code).toBe(0)
      expect(stdout).toMatch(/^Image 127\.0\.0\.1:\d+\/voice-agent:1\.4 can be pulled: sha256:[0-9a-f]{64} \(linux\/amd64, linux\/arm64\)\.$/m)
      expect(stdout).toMatch(/^image-digest: sha256:[0-9a-f]{64}$/m)
      const requests = stdout.slice(stdout.indexOf('=== Registry requests (emulated) ===')).split('\n').slice(1, 4)
      expect(requests).toEqual([
        'GET /v2/voice-agent/manifests/1.4',
        expect.stringMatching(/^GET \/v2\/voice-agent\/manifests\/sha256:[0-9a-f]{64}$/),
        expect.stringMatching(/^GET \/v2\/voice-agent\/blobs\/sha256:[0-9a-f]{64}$/)
      ])
      expect(stdout).toContain('my-ecr-credentials: type imagePullSecret, region us-west, status ready')
      expectNoSecret(stdout)
    },
    90_000
  )

  test.concurrent(
    'preflight-fail: an amd64-only image fails the run, and nothing reaches Pipecat Cloud',
    async () => {
      const { code, stdout } = await demo('preflight-fail')

      expect(code).toBe(0)
      expect(stdout).toMatch(/^=== Exit code ===\n1 \(as this scenario expects\)$/m)
      expect(stdout).toMatch(/^::error::127\.0\.0\.1:\d+\/voice-agent:1\.5 is built for linux\/amd64 only, but Pipecat Cloud runs linux\/arm64 only/m)
      expect(stdout).toContain('(no secret set)')
      expect(stdout).not.toContain('PUT /v1/secrets')
      expectNoSecret(stdout)
    },
    90_000
  )

  test.concurrent(
    'agents: the report names the agent that cannot pull and the one in another region, and fails the run after storing',
    async () => {
      const { code, stdout } = await demo('agents')

      expect(code).toBe(0)
      expect(stdout).toMatch(/^::warning::Agent sales-bot pulls with secret set my-ecr-credentials but is not ready \(waiting, ImagePullBackOff, 3 restarts\)/m)
      expect(stdout).toMatch(/^::warning::Agent support-bot-eu runs in eu-central but pulls with secret set my-ecr-credentials, which lives in us-west/m)
      expect(stdout).toMatch(/^::error::Secret set my-ecr-credentials was refreshed, but 2 agents using it cannot pull or are not ready/m)
      expect(stdout).toMatch(/^=== Exit code ===\n1 \(as this scenario expects\)$/m)
      expect(stdout).toContain('<td>support-bot-eu</td><td>eu-central</td>')
      expect(stdout).toContain('my-ecr-credentials: type imagePullSecret, region us-west, status ready')
      const agents = JSON.parse(/^agents: (.*)$/m.exec(stdout)?.[1] ?? 'null')
      expect(agents).toMatchObject({ secretName: 'my-ecr-credentials', complete: true, listed: 4, inspected: 4 })
      expect(agents.agents.map((agent: { name: string }) => agent.name).sort()).toEqual(['sales-bot', 'support-bot', 'support-bot-eu'])
      expectNoSecret(stdout)
    },
    90_000
  )

  test.concurrent(
    'alert: the failed run opens the issue, the next good run comments and closes it',
    async () => {
      const { code, stdout } = await demo('alert')

      expect(code).toBe(0)
      expect(stdout).toContain('##### Run 1: the key was revoked')
      expect(stdout).toContain('##### Run 2: a good key again')
      const issue = stdout.slice(stdout.indexOf('=== Alert issue (emulated GitHub) ==='))
      expect(issue).toContain('#1 Pipecat Cloud pull secret refresh failing: my-ecr-credentials')
      expect(issue).toContain('state: closed, labels: pipecat-pull-secret')
      expect(issue).toContain('Pipecat Cloud rejected pipecat-api-token (401)')
      expect(issue).toMatch(/\*\*Stored secret expires:\*\* \S+ \(in 9 h 59 m\) at the earliest/)
      expect(issue).toContain('The refresh succeeded: https://github.com/acme/agents/actions/runs/2')
      expectNoSecret(stdout)
    },
    90_000
  )
})
