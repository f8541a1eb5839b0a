import { describe, expect, it } from '@jest/globals'
import { EXPIRY_PATTERN, expiryStatement, failureComment, failureIssueBody, recoveryComment, type Failure } from '../../src/github/alert-text.js'

const NOW = new Date('2026-03-01T12:00:00.000Z')
const RUN = 'https://github.com/acme/voice-bot/actions/runs/1001'
const SECRET = 'ecr-pull-us-west'
const REGISTRY = '123456789012.dkr.ecr.us-west-2.amazonaws.com'
const EXPIRY = '2026-03-01T18:17:00.000Z (in 6 h 17 m) at the earliest; the next refresh must succeed before then.'
const CLOSING = 'This issue stays open while refreshes fail: each failing run adds a comment, and the next successful run comments and closes it.'
const CONSEQUENCE =
  'From then on Pipecat Cloud cannot pull the image with the stored secret: new agents, scale-outs and restarts fail ' +
  '(`ImagePullBackOff`) until a refresh succeeds. Agents already running keep running.'
const NOTHING_STORED = 'Nothing was stored: the secret set keeps its previous token.'

describe('the body of a new alert issue', () => {
  const single = { secretName: SECRET, runUrl: RUN }

  it('names the secret, what the run left, the error fenced, the run and the expiry, in that order', () => {
    const body = failureIssueBody(single, { message: 'boom', secret: 'untouched' }, 'AccessDeniedException: not authorized', EXPIRY)

    expect(body).toBe(
      [
        `The refresh of the Pipecat Cloud image pull secret \`${SECRET}\` failed. ${NOTHING_STORED}`,
        '',
        '**Error**',
        '',
        '~~~text',
        'AccessDeniedException: not authorized',
        '~~~',
        '',
        `**Run:** ${RUN}`,
        '',
        `**Stored secret expires:** ${EXPIRY}`,
        '',
        CLOSING
      ].join('\n')
    )
  })

  it.each<[Failure['secret'], Date | undefined, string]>([
    ['untouched', undefined, NOTHING_STORED],
    ['checked', undefined, NOTHING_STORED],
    [
      'unconfirmed',
      undefined,
      'Pipecat Cloud answered the store request with success but an answer that could not be read: whether the new token was stored is unknown.'
    ],
    [
      'stored',
      new Date('2026-03-02T00:00:00.000Z'),
      'The new token was stored, but Pipecat Cloud did not report the set ready; if it becomes ready, it holds a token that expires at 2026-03-02T00:00:00.000Z (in 12 h).'
    ],
    [
      'stored',
      undefined,
      'The new token was stored, but Pipecat Cloud did not report the set ready; if it becomes ready, it holds a token that expires at an unknown time.'
    ],
    ['ready', new Date('2026-03-02T00:00:00.000Z'), 'The secret set was refreshed and is ready; a later step of the run failed.']
  ])('says what a run that left the secret %s (expiry %s) changed', (secret, expiresAt, sentence) => {
    const failure: Failure = { message: 'boom', secret, ...(expiresAt ? { expiresAt } : {}) }

    const body = failureIssueBody(single, failure, 'boom', EXPIRY, NOW)
    const comment = failureComment(failure, 'boom', RUN, EXPIRY, NOW)

    expect(body.split('\n')[0]).toBe(`The refresh of the Pipecat Cloud image pull secret \`${SECRET}\` failed. ${sentence}`)
    expect(comment.split('\n')[2]).toBe(sentence)
  })

  it('with several targets, names the registry, the failed sets among all, and what each failed one left', () => {
    const several = { secretName: SECRET, runUrl: RUN, secretNames: [SECRET, 'ecr-pull-eu', 'ecr-pull-ap'], registry: REGISTRY }
    const failure: Failure = {
      message: 'ecr-pull-eu: Pipecat Cloud answered 500\necr-pull-ap: still pending',
      secret: 'untouched',
      failedTargets: [
        { secretName: 'ecr-pull-eu', region: 'eu-central', secret: 'untouched' },
        { secretName: 'ecr-pull-ap', secret: 'stored' }
      ]
    }

    const body = failureIssueBody(several, failure, failure.message, EXPIRY)

    expect(body.split('\n').slice(0, 10)).toEqual([
      `The refresh of the Pipecat Cloud image pull secrets for \`${REGISTRY}\` failed for \`ecr-pull-eu\`, \`ecr-pull-ap\` (of \`${SECRET}\`, \`ecr-pull-eu\`, \`ecr-pull-ap\`); the others were refreshed.`,
      '',
      `- \`ecr-pull-eu\` (eu-central): ${NOTHING_STORED} Its error is below.`,
      '- `ecr-pull-ap` (default region): The new token was stored, but Pipecat Cloud did not report the set ready; if it becomes ready, it holds a token that expires at an unknown time. Its error is below.',
      '',
      '**Error**',
      '',
      '~~~text',
      'ecr-pull-eu: Pipecat Cloud answered 500',
      'ecr-pull-ap: still pending'
    ])
  })

  it('with several targets but no list or registry given, still names the failed sets', () => {
    const failure: Failure = { message: 'boom', secret: 'untouched', failedTargets: [{ secretName: 'ecr-pull-eu', secret: 'untouched' }] }

    const opening = failureIssueBody({ secretName: SECRET, runUrl: RUN }, failure, 'boom', EXPIRY).split('\n')[0]

    expect(opening).toMatch(/^The refresh of the Pipecat Cloud image pull secrets for .* failed for `ecr-pull-eu` \(of .*\); the others were refreshed\.$/)
    expect(opening).not.toContain('undefined')
  })
})

describe('the comment on a repeated failure', () => {
  it('links the run, says what it left, fences the error and states the expiry again', () => {
    const comment = failureComment({ message: 'Pipecat Cloud answered 500', secret: 'untouched' }, 'Pipecat Cloud answered 500', RUN, EXPIRY)

    expect(comment).toBe(
      [
        `The refresh failed again: ${RUN}`,
        '',
        NOTHING_STORED,
        '',
        '~~~text',
        'Pipecat Cloud answered 500',
        '~~~',
        '',
        `**Stored secret expires:** ${EXPIRY}`
      ].join('\n')
    )
  })

  it('with several targets, names the ones that failed this time, each with what it left', () => {
    const failure: Failure = {
      message: 'ecr-pull-eu: refused',
      secret: 'unconfirmed',
      failedTargets: [{ secretName: 'ecr-pull-eu', region: 'eu-central', secret: 'unconfirmed' }]
    }

    const comment = failureComment(failure, 'ecr-pull-eu: refused', RUN, EXPIRY)

    expect(comment.split('\n').slice(0, 5)).toEqual([
      `The refresh failed again: ${RUN}`,
      '',
      'Failed this time: `ecr-pull-eu`; the others were refreshed.',
      '- `ecr-pull-eu` (eu-central): Pipecat Cloud answered the store request with success but an answer that could not be read: whether the new token was stored is unknown. Its error is below.',
      ''
    ])
  })
})

describe('the recovery comment', () => {
  it('says which set holds what until when, and records the expiry in a hidden line the next failure reads', () => {
    const comment = recoveryComment([SECRET], { expiresAt: new Date('2026-03-02T00:00:00.000Z'), registry: REGISTRY }, RUN, NOW)

    expect(comment).toBe(
      [
        `The refresh succeeded: ${RUN}`,
        '',
        `The pull secret \`${SECRET}\` now holds credentials for \`${REGISTRY}\` that expire at **2026-03-02T00:00:00.000Z** (in 12 h); the next refresh must succeed before then. Closing this issue.`,
        '',
        '<!-- pipecat-pull-secret:expires-at=2026-03-02T00:00:00.000Z -->'
      ].join('\n')
    )
    expect(EXPIRY_PATTERN.exec(comment)?.[1]).toBe('2026-03-02T00:00:00.000Z')
  })

  it('names every set, in the plural, when several share the issue', () => {
    const comment = recoveryComment([SECRET, 'ecr-pull-eu'], { expiresAt: new Date('2026-03-01T23:59:00.000Z'), registry: REGISTRY }, RUN, NOW)

    expect(comment.split('\n')[2]).toBe(
      `The pull secrets \`${SECRET}\`, \`ecr-pull-eu\` now hold credentials for \`${REGISTRY}\` that expire at **2026-03-01T23:59:00.000Z** (in 11 h 59 m); the next refresh must succeed before then. Closing this issue.`
    )
  })
})

describe('the expiry statement', () => {
  const lastRun = (startedAt: string) => ({ startedAt: new Date(startedAt), url: 'https://github.com/acme/voice-bot/actions/runs/990' })
  const NO_RUNS = { missing: 'this workflow has no successful run yet' }
  const failed: Failure = { message: 'boom', secret: 'untouched' }
  const estimated = (ago: string) =>
    `Estimated as 12 hours after the last successful run of this workflow started (https://github.com/acme/voice-bot/actions/runs/990, ${ago}); a dry run stores nothing, so if that run was one, the secret is older.`

  it('names the token this run stored when the set is ready, whatever was recorded before', () => {
    const statement = expiryStatement(
      { message: 'summary failed', secret: 'ready', expiresAt: new Date('2026-03-02T00:00:00.000Z') },
      { recorded: new Date('2099-01-01T00:00:00.000Z'), lastRun: NO_RUNS },
      NOW
    )

    expect(statement).toBe(`2026-03-02T00:00:00.000Z (in 12 h), the token this run stored. The next refresh must succeed before then. ${CONSEQUENCE}`)
  })

  it('estimates 12 hours after the last successful run started', () => {
    expect(expiryStatement(failed, { lastRun: lastRun('2026-03-01T06:17:00Z') }, NOW)).toBe(`${EXPIRY} ${estimated('5 h 43 m ago')} ${CONSEQUENCE}`)
  })

  it('takes the later of the estimate and the recorded expiry, and names both', () => {
    const laterRecorded = expiryStatement(failed, { recorded: new Date('2026-03-01T20:00:00.000Z'), lastRun: lastRun('2026-03-01T06:17:00Z') }, NOW)
    const laterEstimate = expiryStatement(failed, { recorded: new Date('2026-03-01T13:00:00.000Z'), lastRun: lastRun('2026-03-01T06:17:00Z') }, NOW)

    expect(laterRecorded).toBe(
      `2026-03-01T20:00:00.000Z (in 8 h) at the earliest; the next refresh must succeed before then. ${estimated('5 h 43 m ago')} The last recovery recorded 2026-03-01T20:00:00.000Z (in 8 h). ${CONSEQUENCE}`
    )
    expect(laterEstimate).toBe(`${EXPIRY} ${estimated('5 h 43 m ago')} The last recovery recorded 2026-03-01T13:00:00.000Z (in 1 h). ${CONSEQUENCE}`)
  })

  it('says an estimate in the past has passed, unless another job refreshed the secret', () => {
    const statement = expiryStatement(failed, { recorded: new Date('2026-02-28T10:00:00.000Z'), lastRun: lastRun('2026-02-28T22:00:00Z') }, NOW)

    expect(statement).toBe(
      'already passed, about 2026-03-01T10:00:00.000Z (2 h ago), unless a later run that failed in another job refreshed this secret; a refresh was needed before then. ' +
        `${estimated('14 h ago')} The last recovery recorded 2026-02-28T10:00:00.000Z (1 d 2 h ago). ${CONSEQUENCE}`
    )
  })

  it('without runs to estimate from, states a recorded expiry still ahead, and says why there is no estimate', () => {
    const statement = expiryStatement(failed, { recorded: new Date('2026-03-01T20:00:00.000Z'), lastRun: NO_RUNS }, NOW)

    expect(statement).toBe(
      `2026-03-01T20:00:00.000Z (in 8 h) at the earliest; the next refresh must succeed before then. No estimate from this workflow's runs: this workflow has no successful run yet. ${CONSEQUENCE}`
    )
  })

  it('without runs, calls a recorded expiry that has passed unknown', () => {
    const statement = expiryStatement(failed, { recorded: new Date('2026-02-20T00:00:00.000Z'), lastRun: NO_RUNS }, NOW)

    expect(statement).toBe(
      'unknown: the last recorded expiry, 2026-02-20T00:00:00.000Z (9 d 12 h ago), has passed, and healthy runs do not record theirs. ' +
        `No estimate from this workflow's runs: this workflow has no successful run yet. ${CONSEQUENCE}`
    )
  })

  it('with neither runs nor a record, explains how long a token lasts', () => {
    expect(expiryStatement(failed, { lastRun: { missing: 'the workflow runs were not read' } }, NOW)).toBe(
      'unknown. An ECR token lasts 12 hours, so the stored secret stops working 12 hours after the last successful refresh. ' +
        `No estimate from this workflow's runs: the workflow runs were not read. ${CONSEQUENCE}`
    )
  })
})

describe('outside text in the issue', () => {
  const single = { secretName: SECRET, runUrl: RUN }

  it('fences an error with more tildes than any run in it, so a hostile message cannot close the fence', () => {
    const hostile = 'refused\n~~~\n# Closed the fence\n~~~~~ @acme/everyone [click](https://evil.example)\n```'

    const body = failureIssueBody(single, { message: hostile, secret: 'untouched' }, hostile, EXPIRY)

    const lines = body.split('\n')
    const start = lines.indexOf('~~~~~~text')
    expect(start).toBe(4)
    expect(lines.slice(start + 1, start + 7)).toEqual([
      'refused',
      '~~~',
      '# Closed the fence',
      '~~~~~ @acme/everyone [click](https://evil.example)',
      '```',
      '~~~~~~'
    ])
    expect(lines.filter(line => line === '~~~~~~')).toHaveLength(1)
  })

  it('keeps the usual three tildes for a message with shorter runs or none', () => {
    expect(failureComment({ message: 'a ~~ b', secret: 'untouched' }, 'a ~~ b', RUN, EXPIRY)).toContain('\n~~~text\na ~~ b\n~~~\n')
    expect(failureComment({ message: '', secret: 'untouched' }, '', RUN, EXPIRY)).toContain('\n~~~text\n\n~~~\n')
  })

  it("cuts a body over 60,000 characters, saying so, and keeps one at the limit whole, under GitHub's 65,536", () => {
    const overhead = failureIssueBody(single, { message: '', secret: 'untouched' }, '', EXPIRY).length
    const atLimit = 'x'.repeat(60_000 - overhead)

    const whole = failureIssueBody(single, { message: atLimit, secret: 'untouched' }, atLimit, EXPIRY)
    const cut = failureIssueBody(single, { message: `${atLimit}y`, secret: 'untouched' }, `${atLimit}y`, EXPIRY)
    const comment = failureComment({ message: 'z', secret: 'untouched' }, 'z'.repeat(100_000), RUN, EXPIRY)

    expect(whole).toHaveLength(60_000)
    expect(whole.endsWith(CLOSING)).toBe(true)
    expect(cut).toHaveLength(60_000 + '\n\n(cut at 60000 characters)'.length)
    expect(cut.endsWith('\n\n(cut at 60000 characters)')).toBe(true)
    expect(cut.startsWith(`The refresh of the Pipecat Cloud image pull secret \`${SECRET}\` failed.`)).toBe(true)
    expect(cut).not.toContain(CLOSING)
    expect(comment).toHaveLength(60_000 + '\n\n(cut at 60000 characters)'.length)
    expect(comment.endsWith('z\n\n(cut at 60000 characters)')).toBe(true)
  })
})
