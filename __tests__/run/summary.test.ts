import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as core from '../../src/start-up/core.js'
import { actionsHost, useHost } from '../../src/hosts/host.js'
import { agentsOutput, agentsSummaryHtml, type AgentsReport } from '../../src/pipecat/agents-report.js'
import {
  failureLines,
  mirrorSingleTarget,
  setOutputs,
  targetsOutput,
  writeSummary,
  type Report,
  type SecretState,
  type TargetReport
} from '../../src/run/summary.js'

// The job summary as the runner gets it: @actions/core's summary appends to the file GITHUB_STEP_SUMMARY
// names, so each test points it at a fresh file and reads the HTML back. The log goes to a recording host.

const NOW = new Date('2026-12-01T10:45:00.000Z')
const EXPIRES = new Date('2026-12-01T22:45:00.000Z')
const EXPIRES_TEXT = '2026-12-01T22:45:00.000Z (in 12 h)'
const REGISTRY = '012345678901.dkr.ecr.us-east-1.amazonaws.com'
const DIGEST = `sha256:${'ab'.repeat(32)}`
const RUN_URL = 'https://github.com/octo/repo/actions/runs/42'

let dir: string
let summaryFile: string
const savedSummaryVariable = process.env.GITHUB_STEP_SUMMARY
const warnings: string[] = []
const outputs: Record<string, string>[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'summary-test-'))
  summaryFile = join(dir, 'step-summary.md')
  await writeFile(summaryFile, '')
  process.env.GITHUB_STEP_SUMMARY = summaryFile
  // @actions/core's summary is one object for the process: it remembers the first file it wrote to, and keeps
  // its buffer when a write fails. Each test starts it afresh.
  ;(core.summary as unknown as { _filePath?: string })._filePath = undefined
  core.summary.emptyBuffer()
  warnings.length = 0
  outputs.length = 0
  useHost({ ...actionsHost, warning: line => void warnings.push(line), setOutputs: values => void outputs.push(values) })
})

afterEach(async () => {
  useHost(actionsHost)
  core.summary.emptyBuffer()
  if (savedSummaryVariable === undefined) delete process.env.GITHUB_STEP_SUMMARY
  else process.env.GITHUB_STEP_SUMMARY = savedSummaryVariable
  await rm(dir, { recursive: true, force: true })
})

/** One secret set, the report's own fields mirroring it as mirrorSingleTarget leaves them. */
function single(secret: SecretState, overrides: Partial<Report> = {}, target: Partial<TargetReport> = {}): Report {
  const secretRegion = 'secretRegion' in overrides ? overrides.secretRegion : 'us-west'
  return {
    dryRun: false,
    registry: REGISTRY,
    secretName: 'my-ecr-credentials',
    secretRegion,
    secret,
    waitForReady: true,
    expiresAt: EXPIRES,
    verifyImage: true,
    targets: [{ secretName: 'my-ecr-credentials', secretRegion, secret, ...target }],
    ...overrides
  }
}

/** Several secret sets: the report's single-set fields stay as the run left them. */
function several(targets: TargetReport[], overrides: Partial<Report> = {}): Report {
  return {
    dryRun: false,
    registry: REGISTRY,
    secretName: targets[0].secretName,
    secret: 'untouched',
    waitForReady: true,
    expiresAt: EXPIRES,
    verifyImage: true,
    targets,
    ...overrides
  }
}

async function summaryOf(report: Report): Promise<string> {
  await writeSummary(report, NOW)
  expect(warnings).toEqual([])
  return readFile(summaryFile, 'utf8')
}

const unescape = (html: string): string =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')

/** The Item/Value table's rows, each value as the reader sees it (unescaped once). */
function rowsOf(html: string): Record<string, string> {
  const table = /<table><tr><th>Item<\/th><th>Value<\/th><\/tr>(.*?)<\/table>/.exec(html)
  if (!table) throw new Error(`no Item/Value table in:\n${html}`)
  return Object.fromEntries([...table[1].matchAll(/<tr><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g)].map(([, item, value]) => [unescape(item), unescape(value)]))
}

async function rows(report: Report): Promise<Record<string, string>> {
  return rowsOf(await summaryOf(report))
}

/** The text of the paragraph that starts with `<p><strong>{label}</strong> `, unescaped; undefined when absent. */
function paragraph(html: string, label: string): string | undefined {
  const start = html.indexOf(`<p><strong>${label}</strong> `)
  if (start < 0) return undefined
  const from = start + `<p><strong>${label}</strong> `.length
  return unescape(html.slice(from, html.indexOf('</p>', from)))
}

function agentsReport(secretName: string, overrides: Partial<AgentsReport> = {}): AgentsReport {
  return {
    secretName,
    secretRegion: 'us-west',
    complete: true,
    listed: 2,
    inspected: 2,
    skipped: 0,
    skippedNames: [],
    limit: 50,
    agents: [
      {
        name: 'voice-bot',
        region: 'us-west',
        image: `${REGISTRY}/bot:1`,
        ready: true,
        state: 'running',
        reason: null,
        restarts: 0,
        problems: []
      }
    ],
    gaps: [],
    ...overrides
  }
}

describe('the whole summary', () => {
  test('a refresh that worked: the heading, then the table of what is known, nothing else', async () => {
    expect(await summaryOf(single('ready'))).toBe(
      '<h3>Pipecat Cloud pull secret refreshed</h3>\n' +
        '<table><tr><th>Item</th><th>Value</th></tr>' +
        `<tr><td>Registry</td><td>${REGISTRY}</td></tr>` +
        '<tr><td>Secret set</td><td>my-ecr-credentials</td></tr>' +
        '<tr><td>Pipecat region</td><td>us-west</td></tr>' +
        '<tr><td>Status</td><td>ready</td></tr>' +
        `<tr><td>Token expires</td><td>${EXPIRES_TEXT}; the next refresh must succeed before then</td></tr>` +
        '</table>\n'
    )
  })

  test('a failed run with everything: rows in order, then error, next step, gap, config file and agents', async () => {
    const agents = agentsReport('my-ecr-credentials')
    const html = await summaryOf(
      single('stored', {
        image: `${REGISTRY}/bot:1`,
        imageDigest: DIGEST,
        platforms: ['linux/amd64', 'linux/arm64'],
        lastSuccess: { startedAt: new Date('2026-11-30T10:45:00.000Z'), url: RUN_URL },
        heartbeat: 'pinged',
        failure: 'Pipecat Cloud did not report secret set my-ecr-credentials ready within 60s.',
        gap: 'from 2026-11-30T22:45:00.000Z to 2026-12-01T10:45:00.000Z (12 h)',
        configFile: 'pcc-deploy.toml',
        config: 'written',
        configChanges: '- `image`: `a` → `b`',
        agents
      })
    )
    expect(html).toBe(
      '<h3>Pipecat Cloud pull secret refresh failed</h3>\n' +
        '<table><tr><th>Item</th><th>Value</th></tr>' +
        `<tr><td>Registry</td><td>${REGISTRY}</td></tr>` +
        '<tr><td>Secret set</td><td>my-ecr-credentials</td></tr>' +
        '<tr><td>Pipecat region</td><td>us-west</td></tr>' +
        '<tr><td>Status</td><td>stored, not ready</td></tr>' +
        `<tr><td>Token expires</td><td>${EXPIRES_TEXT}; the next refresh must succeed before then</td></tr>` +
        `<tr><td>Image</td><td>${REGISTRY}/bot:1</td></tr>` +
        `<tr><td>Image check</td><td>can be pulled: ${DIGEST}</td></tr>` +
        '<tr><td>Platforms</td><td>linux/amd64, linux/arm64</td></tr>' +
        `<tr><td>Last successful run</td><td>2026-11-30T10:45:00.000Z (1 d ago), ${RUN_URL}</td></tr>` +
        '<tr><td>Heartbeat</td><td>pinged</td></tr>' +
        '</table>\n' +
        '<p><strong>Error:</strong> Pipecat Cloud did not report secret set my-ecr-credentials ready within 60s.</p>\n' +
        '<p><strong>Next step:</strong> The new token was stored, but Pipecat Cloud did not report the set ready: deploys that bind it are rejected until it is. To recover, fix the cause named above, then rerun the workflow.</p>\n' +
        '<p><strong>The stored token had expired before this run:</strong> from 2026-11-30T22:45:00.000Z to 2026-12-01T10:45:00.000Z (12 h)</p>\n' +
        '<h4>pcc-deploy.toml (written)</h4>\n' +
        '- `image`: `a` → `b`\n' +
        `${agentsSummaryHtml(agents)}\n`
    )
  })
})

describe('the heading', () => {
  test.each([
    ['refreshed', single('ready'), 'Pipecat Cloud pull secret refreshed'],
    ['a dry run', single('checked', { dryRun: true }), 'Pipecat Cloud pull secret (dry run: nothing stored)'],
    ['a failure', single('untouched', { failure: 'No ECR token.' }), 'Pipecat Cloud pull secret refresh failed'],
    ['a failed dry run', single('untouched', { dryRun: true, failure: 'No ECR token.' }), 'Pipecat Cloud pull secret refresh failed']
  ])('%s', async (_, report, heading) => {
    expect(await summaryOf(report)).toMatch(new RegExp(`^<h3>${heading.replace(/[()]/g, '\\$&')}</h3>\n`))
  })
})

describe('the Status row', () => {
  test.each<[string, SecretState, Partial<Report>, string]>([
    ['untouched', 'untouched', {}, 'not stored'],
    ['untouched in a dry run', 'untouched', { dryRun: true }, 'not stored (dry run)'],
    ['checked, the name free', 'checked', { dryRun: true }, 'not stored (dry run): the name is free'],
    [
      'checked, a secret of the name there',
      'checked',
      { dryRun: true, existingStatus: 'pending' },
      'not stored (dry run): an image pull secret of this name exists, pending'
    ],
    ['unconfirmed', 'unconfirmed', {}, 'unknown: the answer to the store request could not be read'],
    ['stored, waited for ready', 'stored', {}, 'stored, not ready'],
    ['stored, not waited for', 'stored', { waitForReady: false }, 'stored (not waited for ready)'],
    ['ready', 'ready', {}, 'ready']
  ])('%s', async (_, secret, overrides, status) => {
    expect((await rows(single(secret, overrides))).Status).toBe(status)
  })
})

describe('the Pipecat region row', () => {
  test('the region Pipecat Cloud named', async () => {
    expect((await rows(single('ready', { requestedRegion: 'eu-central' })))['Pipecat region']).toBe('us-west')
  })

  test('else the one asked for, marked so', async () => {
    expect((await rows(single('ready', { secretRegion: undefined, requestedRegion: 'eu-central' })))['Pipecat region']).toBe('eu-central (requested)')
  })

  test('else, once stored, the organization default', async () => {
    expect((await rows(single('stored', { secretRegion: undefined })))['Pipecat region']).toBe('organization default')
  })

  test('else unknown', async () => {
    expect((await rows(single('untouched', { secretRegion: undefined })))['Pipecat region']).toBe('unknown')
  })
})

describe('the Token expires row', () => {
  test('stored: when the next refresh must succeed by', async () => {
    expect((await rows(single('stored')))['Token expires']).toBe(`${EXPIRES_TEXT}; the next refresh must succeed before then`)
  })

  test("not stored: this run's token", async () => {
    expect((await rows(single('checked', { dryRun: true })))['Token expires']).toBe(`${EXPIRES_TEXT}: this run's token, not stored`)
  })

  test('no token', async () => {
    expect((await rows(single('untouched', { expiresAt: undefined, failure: 'No ECR token.' })))['Token expires']).toBe('no token obtained')
  })
})

describe('the image rows', () => {
  test('no image: neither row', async () => {
    const table = await rows(single('ready', { imageDigest: DIGEST }))
    expect(Object.keys(table)).toEqual(['Registry', 'Secret set', 'Pipecat region', 'Status', 'Token expires'])
  })

  test.each([
    ['checked', { imageDigest: DIGEST }, `can be pulled: ${DIGEST}`],
    ['not checked yet', {}, 'not checked'],
    ['not to be checked', { verifyImage: false }, 'not checked (verify-image: false)']
  ])('%s', async (_, overrides, check) => {
    const table = await rows(single('ready', { image: `${REGISTRY}/bot:1`, ...overrides }))
    expect(table.Image).toBe(`${REGISTRY}/bot:1`)
    expect(table['Image check']).toBe(check)
  })
})

describe('the Platforms row', () => {
  test('each platform of the image', async () => {
    expect((await rows(single('ready', { platforms: ['linux/amd64', 'linux/arm64'] }))).Platforms).toBe('linux/amd64, linux/arm64')
  })

  test('an empty list is none', async () => {
    expect((await rows(single('ready', { platforms: [] }))).Platforms).toBe('none')
  })

  test('not read: no row', async () => {
    expect(await rows(single('ready'))).not.toHaveProperty('Platforms')
  })
})

describe('the Last successful run row', () => {
  const startedAt = new Date('2026-12-01T04:15:00.000Z')
  const when = '2026-12-01T04:15:00.000Z (6 h 30 m ago)'

  test('not read: no row', async () => {
    expect(await rows(single('ready'))).not.toHaveProperty('Last successful run')
  })

  test('unknown, with why', async () => {
    expect((await rows(single('ready', { lastSuccess: { missing: 'no github-token' } })))['Last successful run']).toBe('unknown: no github-token')
  })

  test('when, and the run', async () => {
    expect((await rows(single('ready', { lastSuccess: { startedAt, url: RUN_URL } })))['Last successful run']).toBe(`${when}, ${RUN_URL}`)
  })

  test('with its note', async () => {
    const table = await rows(single('ready', { lastSuccess: { startedAt, url: RUN_URL }, lastSuccessNote: 'a run of another branch' }))
    expect(table['Last successful run']).toBe(`${when} (a run of another branch), ${RUN_URL}`)
  })

  test('a dry run says the stored token is older', async () => {
    const table = await rows(single('checked', { dryRun: true, lastSuccess: { startedAt, url: RUN_URL } }))
    expect(table['Last successful run']).toBe(`${when} (this dry run stores nothing: the stored token dates from the last real refresh), ${RUN_URL}`)
  })

  test('a dry run with a note: both, the note first', async () => {
    const table = await rows(single('checked', { dryRun: true, lastSuccess: { startedAt, url: RUN_URL }, lastSuccessNote: 'a run of another branch' }))
    expect(table['Last successful run']).toBe(
      `${when} (a run of another branch) (this dry run stores nothing: the stored token dates from the last real refresh), ${RUN_URL}`
    )
  })
})

describe('the Heartbeat row', () => {
  test('shown when there is one, else absent', async () => {
    expect((await rows(single('ready', { heartbeat: 'pinged https://hc-ping.com/…' }))).Heartbeat).toBe('pinged https://hc-ping.com/…')
    core.summary.emptyBuffer()
    await writeFile(summaryFile, '')
    expect(await rows(single('ready'))).not.toHaveProperty('Heartbeat')
  })
})

describe('the failure and the next step, by how far the secret got', () => {
  const failure = 'Something went wrong.'
  const rerun = 'fix the cause named above, then rerun the workflow'
  const dryRerun = 'fix the cause named above, then run the dry run again'
  const nothingStored = (fix: string) =>
    `Nothing was stored: the secret set in Pipecat Cloud keeps its previous token, which stops working 12 hours after the last successful refresh. To recover, ${fix}.`

  test.each<[SecretState, boolean, string]>([
    ['untouched', false, nothingStored(rerun)],
    ['untouched', true, nothingStored(dryRerun)],
    ['checked', true, nothingStored(dryRerun)],
    [
      'unconfirmed',
      false,
      `Pipecat Cloud answered the store request with success but an answer that could not be read, so whether the new token was stored is unknown. To recover, ${rerun}.`
    ],
    [
      'stored',
      false,
      `The new token was stored, but Pipecat Cloud did not report the set ready: deploys that bind it are rejected until it is. To recover, ${rerun}.`
    ],
    ['ready', false, `The secret set was refreshed and is ready; the rest of the run was not done. To finish, ${rerun}.`],
    ['ready', true, `The secret set was refreshed and is ready; the rest of the run was not done. To finish, ${dryRerun}.`]
  ])('%s (dry run: %s)', async (secret, dryRun, next) => {
    const html = await summaryOf(single(secret, { dryRun, failure }))
    expect(paragraph(html, 'Error:')).toBe(failure)
    expect(paragraph(html, 'Next step:')).toBe(next)
    expect(html.indexOf('<p><strong>Error:')).toBeLessThan(html.indexOf('<p><strong>Next step:'))
  })

  test.each([
    [
      false,
      'The secret sets marked ready or stored above hold the new token; the others keep their previous one, which stops working 12 hours after their last successful refresh. To recover, fix each cause named above, then rerun the workflow.'
    ],
    [
      true,
      'The secret sets marked ready or stored above hold the new token; the others keep their previous one, which stops working 12 hours after their last successful refresh. To recover, fix each cause named above, then run the dry run again.'
    ]
  ])('several sets (dry run: %s): one next step for all', async (dryRun, next) => {
    const report = several(
      [
        { secretName: 'a', secret: 'ready', secretRegion: 'us-west' },
        { secretName: 'b', secret: 'untouched', region: 'eu-central', failure: 'refused' }
      ],
      { dryRun, failure: '1 of 2 secret sets failed.', failureByTarget: true }
    )
    const html = await summaryOf(report)
    expect(paragraph(html, 'Error:')).toBe('1 of 2 secret sets failed.')
    expect(paragraph(html, 'Next step:')).toBe(next)
  })

  test('no failure: neither paragraph', async () => {
    const html = await summaryOf(single('ready'))
    expect(paragraph(html, 'Error:')).toBeUndefined()
    expect(paragraph(html, 'Next step:')).toBeUndefined()
  })
})

describe('the expiry gap', () => {
  test('said when the stored token had expired before this run', async () => {
    const html = await summaryOf(single('ready', { gap: 'it expired 2 h 10 m before this run; deploys in that window failed to pull' }))
    expect(paragraph(html, 'The stored token had expired before this run:')).toBe('it expired 2 h 10 m before this run; deploys in that window failed to pull')
  })

  test('absent when there was none', async () => {
    expect(await summaryOf(single('ready'))).not.toContain('had expired')
  })
})

describe('the deploy config file', () => {
  const changes = '<ul><li><code>image</code>: from <code>a</code> to <code>b</code></li></ul>'

  test.each<[string, Partial<Report>, string]>([
    ['a dry run', { dryRun: true, config: 'planned' }, 'would change'],
    ['written', { config: 'written' }, 'written'],
    ['unchanged', { config: 'unchanged' }, 'already up to date'],
    ['planned but never written', { config: 'planned', failure: 'The image cannot be pulled.' }, 'not written']
  ])('%s', async (_, overrides, verb) => {
    const html = await summaryOf(single('ready', { configFile: 'pcc-deploy.toml', configChanges: changes, ...overrides }))
    // The planner's changes are its own HTML/markdown: added as they are.
    expect(html).toContain(`<h4>pcc-deploy.toml (${verb})</h4>\n${changes}\n`)
  })

  test('no changes: said so', async () => {
    expect(await summaryOf(single('ready', { configFile: 'pcc-deploy.toml', config: 'unchanged' }))).toContain(
      '<h4>pcc-deploy.toml (already up to date)</h4>\nNo change needed.\n'
    )
    core.summary.emptyBuffer()
    await writeFile(summaryFile, '')
    expect(await summaryOf(single('ready', { configFile: 'pcc-deploy.toml', config: 'unchanged', configChanges: '' }))).toContain(
      '<h4>pcc-deploy.toml (already up to date)</h4>\nNo change needed.\n'
    )
  })

  test('a file name is escaped in its heading', async () => {
    expect(await summaryOf(single('ready', { configFile: 'deploy/<b>&.toml', config: 'written' }))).toContain('<h4>deploy/&lt;b&gt;&amp;.toml (written)</h4>\n')
  })

  test('no section without both a file and what became of it', async () => {
    expect(await summaryOf(single('ready', { configFile: 'pcc-deploy.toml' }))).not.toContain('pcc-deploy.toml')
    core.summary.emptyBuffer()
    await writeFile(summaryFile, '')
    expect(await summaryOf(single('ready', { config: 'written' }))).not.toContain('<h4>')
  })
})

describe('several secret sets', () => {
  const targets: TargetReport[] = [
    { secretName: 'a', region: 'us-west', secretRegion: 'us-west', secret: 'ready' },
    { secretName: 'b', region: 'eu-central', secret: 'stored', failure: 'not ready within 60s' },
    { secretName: 'c', secret: 'untouched', failure: 'refused: 403' }
  ]

  test('the per-set rows leave the main table for a table of the sets', async () => {
    const html = await summaryOf(several(targets, { failure: '2 of 3 secret sets failed.', failureByTarget: true }))
    expect(rowsOf(html)).toEqual({
      Registry: REGISTRY,
      'Token expires': `${EXPIRES_TEXT}; the next refresh must succeed before then`
    })
    expect(html).toContain(
      '<h4>Secret sets (3)</h4>\n' +
        '<table><tr><th>Secret set</th><th>Pipecat region</th><th>Status</th><th>Error</th></tr>' +
        '<tr><td>a</td><td>us-west</td><td>ready</td><td></td></tr>' +
        '<tr><td>b</td><td>eu-central (requested)</td><td>failed; stored, not ready</td><td>not ready within 60s</td></tr>' +
        '<tr><td>c</td><td>organization default</td><td>failed; not stored</td><td>refused: 403</td></tr>' +
        '</table>\n'
    )
  })

  test('a dry run: each set checked, none stored', async () => {
    const html = await summaryOf(
      several(
        [
          { secretName: 'a', region: 'us-west', secret: 'checked', existingStatus: 'ready' },
          { secretName: 'b', region: 'eu-central', secret: 'checked' }
        ],
        { dryRun: true }
      )
    )
    expect(html).toMatch(/^<h3>Pipecat Cloud pull secret \(dry run: nothing stored\)<\/h3>\n/)
    expect(rowsOf(html)['Token expires']).toBe(`${EXPIRES_TEXT}: this run's token, not stored`)
    expect(html).toContain(
      '<tr><td>a</td><td>us-west (requested)</td><td>not stored (dry run): an image pull secret of this name exists, ready</td><td></td></tr>' +
        '<tr><td>b</td><td>eu-central (requested)</td><td>not stored (dry run): the name is free</td><td></td></tr>'
    )
  })

  test('one set: no table of sets', async () => {
    expect(await summaryOf(single('ready'))).not.toContain('Secret sets')
  })
})

describe('the agents', () => {
  test('one set: its agents section', async () => {
    const agents = agentsReport('my-ecr-credentials')
    const html = await summaryOf(single('ready', { agents }))
    expect(html).toContain(`${agentsSummaryHtml(agents)}\n`)
    expect(html).toContain('<h4>Agents pulling with my-ecr-credentials</h4>')
  })

  test('several sets: a section each, in order, in place of the single report', async () => {
    const first = agentsReport('a')
    const second = agentsReport('b', { agents: [], listed: 1, inspected: 1 })
    const html = await summaryOf(
      several(
        [
          { secretName: 'a', secret: 'ready' },
          { secretName: 'b', secret: 'ready' }
        ],
        { agentsBySet: [first, second], agents: agentsReport('ignored') }
      )
    )
    expect(html).toContain(`${agentsSummaryHtml(first)}\n${agentsSummaryHtml(second)}\n`)
    expect(html).not.toContain('ignored')
  })

  test('check-agents off: no section', async () => {
    expect(await summaryOf(single('ready'))).not.toContain('Agents pulling')
  })
})

describe('outside text is escaped', () => {
  test('a hostile failure, gap, region, set name and heartbeat come out as text', async () => {
    const hostile = '<script>alert("x")</script>'
    const html = await summaryOf(
      single(
        'stored',
        {
          secretName: `set-${hostile}`,
          secretRegion: `<img src=x onerror='y'>`,
          failure: `Pipecat Cloud said: ${hostile} & more`,
          gap: `gap ${hostile}`,
          heartbeat: `<b>ping</b>`,
          lastSuccess: { missing: hostile }
        },
        { secretName: `set-${hostile}` }
      )
    )
    expect(html).not.toMatch(/<script|<img|<b>/)
    expect(html).toContain('<p><strong>Error:</strong> Pipecat Cloud said: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more</p>')
    expect(html).toContain('<p><strong>The stored token had expired before this run:</strong> gap &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>')
    expect(html).toContain('<tr><td>Pipecat region</td><td>&lt;img src=x onerror=&#39;y&#39;&gt;</td></tr>')
    expect(html).toContain('<tr><td>Heartbeat</td><td>&lt;b&gt;ping&lt;/b&gt;</td></tr>')
    const table = rowsOf(html)
    expect(table['Secret set']).toBe(`set-${hostile}`)
    expect(table['Last successful run']).toBe(`unknown: ${hostile}`)
  })

  test("a set's failure in the table of sets comes out as text", async () => {
    const html = await summaryOf(
      several(
        [
          { secretName: 'a', secret: 'ready' },
          { secretName: '<i>b</i>', region: '<u>r</u>', secret: 'untouched', failure: '<script>x()</script>' }
        ],
        { failure: '1 of 2 secret sets failed.', failureByTarget: true }
      )
    )
    expect(html).not.toMatch(/<script|<i>|<u>/)
    expect(html).toContain(
      '<tr><td>&lt;i&gt;b&lt;/i&gt;</td><td>&lt;u&gt;r&lt;/u&gt; (requested)</td><td>failed; not stored</td><td>&lt;script&gt;x()&lt;/script&gt;</td></tr>'
    )
  })
})

describe('a summary that cannot be written', () => {
  test('GITHUB_STEP_SUMMARY unset: a warning, and the run goes on', async () => {
    delete process.env.GITHUB_STEP_SUMMARY
    await expect(writeSummary(single('ready'), NOW)).resolves.toBeUndefined()
    expect(warnings).toEqual([expect.stringMatching(/^Job summary not written: Unable to find environment variable for \$GITHUB_STEP_SUMMARY\./)])
  })

  test('GITHUB_STEP_SUMMARY naming a directory: a warning, and the run goes on', async () => {
    const directory = join(dir, 'a-directory')
    await mkdir(directory)
    process.env.GITHUB_STEP_SUMMARY = directory
    await expect(writeSummary(single('ready', { failure: 'No ECR token.' }), NOW)).resolves.toBeUndefined()
    expect(warnings).toEqual([expect.stringMatching(/^Job summary not written: .*EISDIR/)])
  })

  test('GITHUB_STEP_SUMMARY naming a missing file: a warning, and the run goes on', async () => {
    process.env.GITHUB_STEP_SUMMARY = join(dir, 'missing', 'summary.md')
    await expect(writeSummary(single('ready'), NOW)).resolves.toBeUndefined()
    expect(warnings).toEqual([expect.stringMatching(/^Job summary not written: Unable to access summary file: /)])
  })
})

describe('the outputs', () => {
  test('one set: everything known, the config file once written, its agents', () => {
    const agents = agentsReport('my-ecr-credentials')
    setOutputs(single('ready', { image: `${REGISTRY}/bot:1`, imageDigest: DIGEST, configFile: 'pcc-deploy.toml', config: 'written', agents }))
    expect(outputs).toEqual([
      {
        registry: REGISTRY,
        'expires-at': '2026-12-01T22:45:00.000Z',
        'secret-name': 'my-ecr-credentials',
        'secret-region': 'us-west',
        targets: '[{"secretName":"my-ecr-credentials","region":"us-west","status":"ready"}]',
        image: `${REGISTRY}/bot:1`,
        'image-digest': DIGEST,
        'config-file': 'pcc-deploy.toml',
        agents: agentsOutput(agents)
      }
    ])
  })

  test('nothing reached: empty outputs, never a guess', () => {
    setOutputs(single('untouched', { expiresAt: undefined, secretRegion: undefined, configFile: 'pcc-deploy.toml', config: 'planned' }))
    expect(outputs).toEqual([
      {
        registry: REGISTRY,
        'expires-at': '',
        'secret-name': 'my-ecr-credentials',
        'secret-region': '',
        targets: '[{"secretName":"my-ecr-credentials","region":"","status":"untouched"}]',
        image: '',
        'image-digest': '',
        'config-file': '',
        agents: ''
      }
    ])
  })

  test('a config file up to date counts as done; without a file name the output is empty', () => {
    setOutputs(single('ready', { configFile: 'pcc-deploy.toml', config: 'unchanged' }))
    setOutputs(single('ready', { config: 'written' }))
    expect(outputs.map(values => values['config-file'])).toEqual(['pcc-deploy.toml', ''])
  })

  test('several sets: no single name or region, the agents of each set as a list', () => {
    const first = agentsReport('a')
    const second = agentsReport('b', { agents: [] })
    setOutputs(
      several(
        [
          { secretName: 'a', secretRegion: 'us-west', secret: 'ready' },
          { secretName: 'b', region: 'eu-central', secret: 'stored', failure: 'not ready' }
        ],
        { secretRegion: 'us-west', agentsBySet: [first, second], agents: first }
      )
    )
    expect(outputs[0]).toMatchObject({
      'secret-name': '',
      'secret-region': '',
      targets: '[{"secretName":"a","region":"us-west","status":"ready"},{"secretName":"b","region":"eu-central","status":"failed"}]',
      agents: `[${agentsOutput(first)},${agentsOutput(second)}]`
    })
  })

  test("the targets output: the region answered, else asked for, else empty; a failure's message stays out", () => {
    const report = several([
      { secretName: 'a', region: 'us-east', secretRegion: 'us-west', secret: 'ready' },
      { secretName: 'b', region: 'eu-central', secret: 'checked' },
      { secretName: 'c', secret: 'untouched', failure: '<secret server text>' }
    ])
    expect(JSON.parse(targetsOutput(report))).toEqual([
      { secretName: 'a', region: 'us-west', status: 'ready' },
      { secretName: 'b', region: 'eu-central', status: 'checked' },
      { secretName: 'c', region: '', status: 'failed' }
    ])
    expect(targetsOutput(report)).not.toContain('server text')
  })
})

describe('the failure lines', () => {
  const targets: TargetReport[] = [
    { secretName: 'a', region: 'us-west', secret: 'ready' },
    { secretName: 'b', region: 'eu-central', secret: 'untouched', failure: 'refused: 403' },
    { secretName: 'c', secret: 'stored', failure: 'not ready within 60s' }
  ]

  test('no failure: none', () => {
    expect(failureLines(several(targets))).toEqual([])
  })

  test('one failure of the run: its line', () => {
    expect(failureLines(several(targets, { failure: 'No ECR token.' }))).toEqual(['No ECR token.'])
  })

  test('one set failed by itself: the summed-up line is its own', () => {
    expect(failureLines(single('untouched', { failure: 'refused: 403', failureByTarget: true }, { failure: 'refused: 403' }))).toEqual(['refused: 403'])
  })

  test('several sets failed by themselves: a line each, naming the set and its region', () => {
    expect(failureLines(several(targets, { failure: '2 of 3 secret sets failed.', failureByTarget: true }))).toEqual([
      'Secret set b (eu-central): refused: 403',
      'Secret set c (default region): not ready within 60s'
    ])
  })
})

describe('mirroring a single set', () => {
  test("one set: the report's fields say what became of it", () => {
    const report = single('untouched', { secretRegion: undefined })
    report.targets[0] = { secretName: 'my-ecr-credentials', secret: 'checked', secretRegion: 'us-west', existingStatus: 'failed' }
    mirrorSingleTarget(report)
    expect(report).toMatchObject({ secret: 'checked', secretRegion: 'us-west', existingStatus: 'failed' })
  })

  test("several sets: the report's fields are left alone", () => {
    const report = several([
      { secretName: 'a', secret: 'ready', secretRegion: 'us-west' },
      { secretName: 'b', secret: 'stored', existingStatus: 'pending' }
    ])
    mirrorSingleTarget(report)
    expect(report).toMatchObject({ secret: 'untouched' })
    expect(report.secretRegion).toBeUndefined()
    expect(report.existingStatus).toBeUndefined()
  })
})
