import { jest } from '@jest/globals'
import { guardRun } from '../../src/run/ending.js'
import { invocationProcess, lambdaHost } from '../../src/hosts/lambda-host.js'
import { useHost } from '../../src/hosts/host.js'
import * as log from '../../src/common/log.js'
import { explainSecretsManagerError } from '../../src/aws/secrets-manager.js'

const now = () => new Date('2026-12-07T10:00:00.000Z')

function captured(debug = false) {
  const written: string[] = []
  const host = lambdaHost({ debug, requestId: 'req-1', now, stdout: { write: (text: string) => written.push(text) } })
  return { host, written, lines: () => written.map(text => JSON.parse(text) as Record<string, string>) }
}

test("each line is one JSON object in Lambda's log format, with its level", () => {
  const { host, written, lines } = captured(true)
  host.info('Got an ECR token.')
  host.notice('A notice.')
  host.warning('A warning.')
  host.debug('A debug line.')
  host.fail('The refresh failed: do this.')

  expect(written.every(text => text.endsWith('}\n') && text.split('\n').length === 2)).toBe(true)
  expect(lines()).toEqual([
    { timestamp: '2026-12-07T10:00:00.000Z', level: 'INFO', requestId: 'req-1', message: 'Got an ECR token.' },
    { timestamp: '2026-12-07T10:00:00.000Z', level: 'INFO', requestId: 'req-1', message: 'A notice.' },
    { timestamp: '2026-12-07T10:00:00.000Z', level: 'WARN', requestId: 'req-1', message: 'A warning.' },
    { timestamp: '2026-12-07T10:00:00.000Z', level: 'DEBUG', requestId: 'req-1', message: 'A debug line.' },
    { timestamp: '2026-12-07T10:00:00.000Z', level: 'ERROR', requestId: 'req-1', message: 'The refresh failed: do this.' }
  ])
  expect(host.failures).toEqual(['The refresh failed: do this.'])
  expect(process.exitCode ?? 0).toBe(0)
})

test('debug lines only when asked; outputs kept for the result, not printed; not on GitHub', () => {
  const { host, written } = captured(false)
  host.debug('hidden')
  host.setOutputs({ registry: 'r' })
  host.mask('pk_secret')
  expect(written).toEqual([])
  expect(host.outputs).toEqual({ registry: 'r' })
  expect(host.onGitHub).toBe(false)
})

test('a line holding quotes or a credential stays one valid JSON line, the credential redacted by log.ts', () => {
  const { host, lines } = captured()
  useHost(host)
  log.protect('pk_lambda_host_test_key_0123456789')
  log.info('He said "stop"\\ with pk_lambda_host_test_key_0123456789 in it\nand a second line')
  expect(lines()).toHaveLength(1)
  expect(lines()[0].message).not.toContain('pk_lambda_host_test_key')
  expect(lines()[0].message).toContain('He said "stop"')
})

test('the credential fixes speak of the execution role', () => {
  const { host } = captured()
  for (const fix of Object.values(host.awsCredentialsFix)) expect(fix).toMatch(/execution role/)
})

test("the guard's stand-in process never exits: it settles `ended`, and listens to nothing", async () => {
  const proc = invocationProcess()
  const exit = jest.spyOn(process, 'exit').mockImplementation(() => undefined as never)
  expect(proc.on('SIGTERM', () => {})).toBeUndefined()
  proc.exit(1)
  await proc.ended
  expect(proc.exitCode).toBe(1)
  expect(exit).not.toHaveBeenCalled()
  exit.mockRestore()
})

test.each([
  [{ name: 'AccessDeniedException', message: 'Access to KMS is not allowed' }, /could not decrypt .* \(AccessDeniedException\): allow kms:Decrypt/],
  [{ name: 'InvalidRequestException', message: 'marked for deletion' }, /scheduled for deletion or disabled\): restore the secret/],
  [{ name: 'ExpiredTokenException', message: 'expired' }, /^The AWS session has expired: the execution role's session expired/],
  [
    { name: 'UnrecognizedClientException', message: 'bad' },
    /^AWS rejected the credentials \(UnrecognizedClientException\): check the function's execution role/
  ],
  [
    { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' },
    /^No AWS credentials found: a Lambda function gets them from its execution role/
  ],
  [{ name: 'InternalServiceError', message: 'oops' }, /\(InternalServiceError\): rerun; if it persists, check the service's status and the function's network/]
])('a Secrets Manager %j is one line with its fix', (error, message) => {
  useHost(captured().host)
  const explained = explainSecretsManagerError(
    Object.assign(new Error(error.message), { name: error.name }),
    'arn:aws:secretsmanager:us-east-1:012345678901:secret:k-AbC123',
    'us-east-1'
  )
  expect(explained.message).toMatch(message)
  expect(explained.message).not.toMatch(/\n/)
})

test("at the run's limit the guard concludes and settles the stand-in, and a released run's timers end nothing later", async () => {
  const timers: (() => void)[] = []
  const proc = invocationProcess()
  const exit = jest.spyOn(process, 'exit').mockImplementation(() => undefined as never)
  const failures: string[] = []
  const guard = guardRun({
    doing: () => 'waiting for the secret set',
    conclude: async failure => void failures.push(failure),
    limitMs: 1_000,
    onLimit: () => {},
    lastWord: message => void failures.push(message),
    process: proc,
    setTimer: callback => (timers.push(callback), {})
  })
  const [onLimit, atLimit, watchdog] = timers
  onLimit()
  atLimit()
  await proc.ended
  expect(failures).toEqual([expect.stringMatching(/^The run reached its time limit \(1s: .*\) while waiting for the secret set: /)])
  guard.release()
  watchdog()
  expect(failures).toHaveLength(1)
  expect(proc.exitCode).toBe(1)
  expect(exit).not.toHaveBeenCalled()
  exit.mockRestore()
})
