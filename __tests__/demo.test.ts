import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

// README: `npm run demo` prints the inputs, the action's log, its outputs, the job summary, and what the
// emulated Pipecat Cloud stored, never the value.

test('npm run demo runs the bundle to success and shows each part, without a credential', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['scripts/demo.js'], { timeout: 60_000 })

  const sections = [...stdout.matchAll(/^=== (.+) ===$/gm)].map(match => match[1])
  expect(sections).toEqual(['Inputs', 'Action log', 'Exit code', 'Outputs', 'Job summary', 'Stored in Pipecat Cloud (emulated)'])
  expect(stdout).toMatch(/^=== Exit code ===\n0$/m)
  expect(stdout).toContain('pipecat-api-token: ***')
  expect(stdout).toMatch(/^Secret set my-ecr-credentials is ready; the next refresh must succeed before /m)
  expect(stdout).toMatch(/^secret-region: us-west$/m)
  expect(stdout).toContain('<td>Status</td><td>ready</td>')
  expect(stdout).toContain('my-ecr-credentials: type imagePullSecret, region us-west, status ready')
  expect(stdout).toContain('secretValue is the ECR authorization token: yes')
  // The demo names a credential it finds unmasked instead of printing it; an ECR token is base64 of "AWS:".
  expect(stdout).not.toContain('[UNMASKED')
  expect(stdout).not.toContain('QVdTO')
  expect(stdout).not.toContain('::add-mask::')
}, 90_000)
