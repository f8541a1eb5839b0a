import { ActionError } from '../../src/common/errors.js'
import { pickConfigTarget } from '../../src/deploy-config/deploy-config.js'
import { readInputs } from '../../src/common/inputs.js'
import { waitForAllReady, type PipecatApi } from '../../src/pipecat/pipecat.js'
import { failureLines, targetsOutput, type Report, type TargetReport } from '../../src/run/summary.js'
import { checkTargets, forTargets, storeTargets } from '../../src/pipecat/targets.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { emulatorApi } from '../support/pipecat-api.js'

type Pipecat = Awaited<ReturnType<typeof startPipecatEmulator>>

const BASE = {
  'INPUT_AWS-ACCOUNT-ID': '123456789012',
  'INPUT_AWS-REGION': 'us-east-1',
  'INPUT_PIPECAT-API-TOKEN': 'pk_test'
}

describe('the targets input', () => {
  test('reads one secret set per line, skipping blank lines and comments', () => {
    const inputs = readInputs({ ...BASE, INPUT_TARGETS: '# per region\necr-pull-us-west: us-west   # the US agents\n\n  ecr-pull-eu:eu-central\n' })
    expect(inputs.targets).toEqual([
      { secretName: 'ecr-pull-us-west', region: 'us-west' },
      { secretName: 'ecr-pull-eu', region: 'eu-central' }
    ])
    expect(inputs).toMatchObject({ secretName: 'ecr-pull-us-west', pipecatRegion: 'us-west', configTargetByFile: false })
  })

  test('secret-name and pipecat-region make the one target, as before', () => {
    const inputs = readInputs({ ...BASE, 'INPUT_SECRET-NAME': 'my-ecr-credentials' })
    expect(inputs.targets).toEqual([{ secretName: 'my-ecr-credentials', region: undefined }])
  })

  test('with config-file, pipecat-region picks the target the file names; without it, the file does', () => {
    const targets = 'a-set: us-west\nb-set: us-east'
    expect(readInputs({ ...BASE, INPUT_TARGETS: targets, 'INPUT_CONFIG-FILE': 'pcc-deploy.toml', 'INPUT_PIPECAT-REGION': 'us-east' })).toMatchObject({
      secretName: 'b-set',
      pipecatRegion: 'us-east',
      configTargetByFile: false
    })
    expect(readInputs({ ...BASE, INPUT_TARGETS: targets, 'INPUT_CONFIG-FILE': 'pcc-deploy.toml' }).configTargetByFile).toBe(true)
  })
})

describe('pickConfigTarget', () => {
  const targets = [
    { secretName: 'a-set', region: 'us-west' },
    { secretName: 'b-set', region: 'eu-central' }
  ]
  test('picks the target of the file’s region', () => {
    expect(pickConfigTarget('agent_name = "bot"\nregion = "eu-central"\n', targets, 'pcc-deploy.toml')).toBe(targets[1])
  })
  test.each([
    ['a file that does not exist yet', undefined, /pcc-deploy\.toml does not exist yet, so it cannot say which of the targets it names: set pipecat-region/],
    ['a file without a region', 'agent_name = "bot"\n', /has no region/],
    ['a region no target has', 'region = "us-east"\n', /has region = "us-east", which no line of targets has \(us-west, eu-central\)/]
  ])('refuses %s', (_case, text, message) => {
    expect(() => pickConfigTarget(text, targets, 'pcc-deploy.toml')).toThrow(message)
  })
})

test('forTargets points the fix at the targets input, only with several targets', () => {
  const message =
    'Secret set x lives in Pipecat region us-west, not us-east: set pipecat-region: us-west (a set cannot move), or choose a new secret-name for the other region.'
  expect(forTargets(message, false)).toBe(message)
  expect(forTargets(message, true)).toBe(
    'Secret set x lives in Pipecat region us-west, not us-east: set its region in targets to us-west (a set cannot move), or choose a new name in targets for the other region.'
  )
})

describe('the report of several targets', () => {
  const report = (targets: TargetReport[], failureByTarget = true) => ({ failure: 'the run failed', failureByTarget, targets }) as Report
  const targets: TargetReport[] = [
    { secretName: 'a-set', region: 'us-west', secretRegion: 'us-west', secret: 'ready' },
    { secretName: 'b-set', region: 'eu-central', secret: 'untouched', failure: 'Pipecat Cloud does not offer region eu-central' }
  ]
  test('one error line per failed target, or the run’s own line when it ended otherwise', () => {
    expect(failureLines(report(targets))).toEqual(['Secret set b-set (eu-central): Pipecat Cloud does not offer region eu-central'])
    expect(failureLines(report(targets, false))).toEqual(['the run failed'])
  })
  test('the targets output', () => {
    expect(JSON.parse(targetsOutput(report(targets)))).toEqual([
      { secretName: 'a-set', region: 'us-west', status: 'ready' },
      { secretName: 'b-set', region: 'eu-central', status: 'failed' }
    ])
  })
})

describe('against the emulator', () => {
  let pipecat: Pipecat
  let api: PipecatApi
  beforeEach(async () => {
    pipecat = await startPipecatEmulator({ regions: ['us-west', 'us-east'] })
    api = emulatorApi(pipecat, 1, { pipelining: 4 })
  })
  afterEach(() => pipecat.close())

  const fresh = (): TargetReport[] => [
    { secretName: 'a-set', region: 'us-west', secret: 'untouched' },
    { secretName: 'b-set', region: 'eu-central', secret: 'untouched' },
    { secretName: 'c-set', region: 'us-east', secret: 'untouched' }
  ]
  const credentials = { host: 'https://r.example', registryHost: 'r.example', authorizationToken: 'QVdTOnBhc3N3b3Jk', expiresAt: new Date() }

  test('stores every target and waits for each; one refused does not stop the others', async () => {
    const targets = fresh()
    await storeTargets(api, targets, credentials, { waitForReady: true, waitTimeoutMs: 5000, progress: { doing: '' } })
    expect(targets.map(t => [t.secretName, t.secret, t.failure ?? ''])).toEqual([
      ['a-set', 'ready', ''],
      ['b-set', 'untouched', expect.stringMatching(/does not offer region eu-central .*check the region in targets/)],
      ['c-set', 'ready', '']
    ])
  })

  test('a set stuck pending times out on its own', async () => {
    pipecat.stayPending('c-set')
    const targets = fresh().filter(t => t.secretName !== 'b-set')
    await storeTargets(api, targets, credentials, { waitForReady: true, waitTimeoutMs: 300, progress: { doing: '' } })
    expect(targets.map(t => t.secret)).toEqual(['ready', 'stored'])
    expect(targets[1].failure).toMatch(/^Secret set c-set is still pending after 0s/)
  })

  test('waitForAllReady reads the list once per round for every set', async () => {
    for (const name of ['a-set', 'c-set']) pipecat.seedSet({ name, type: 'imagePullSecret', region: 'us-west', status: 'pending' })
    const settled: string[] = []
    const outcomes = await waitForAllReady(
      api,
      [
        { secretName: 'a-set', region: 'us-west' },
        { secretName: 'c-set', region: 'us-east' }
      ],
      { timeoutMs: 5000, sleep: async () => {}, onSettled: name => void settled.push(name) }
    )
    expect(outcomes[0]).toMatchObject({ name: 'a-set', status: 'ready' })
    expect(outcomes[1]).toBeInstanceOf(ActionError)
    expect((outcomes[1] as ActionError).message).toMatch(/with region us-west, but pipecat-region is us-east/)
    expect(settled).toEqual(['c-set', 'a-set'])
    expect(pipecat.requests.map(r => r.path)).toEqual(['/v1/secrets', '/v1/secrets'])
  })

  test('a dry run checks every target and reads the region list once', async () => {
    const targets = fresh()
    await checkTargets(api, targets, '')
    expect(targets.map(t => [t.secret, t.failure ?? ''])).toEqual([
      ['checked', ''],
      ['untouched', expect.stringMatching(/does not offer region eu-central/)],
      ['checked', '']
    ])
    expect(pipecat.requests.filter(r => r.path === '/v1/regions')).toHaveLength(1)
    expect(pipecat.requests.every(r => r.method === 'GET')).toBe(true)
  })
})
