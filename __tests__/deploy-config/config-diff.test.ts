import { describe, expect, it } from '@jest/globals'
import { formatChanges } from '../../src/deploy-config/config-diff.js'

const host = '123456789012.dkr.ecr.us-west-2.amazonaws.com'

describe('formatChanges', () => {
  it.each<[string, Parameters<typeof formatChanges>[0], string]>([
    ['nothing', [], ''],
    [
      'changed, added and removed keys',
      [
        { key: 'image', before: `${host}/support-bot:1.0`, after: `${host}/support-bot:1.1` },
        { key: 'region', after: 'us-west' },
        { key: 'scaling.min_instances', before: 0 },
        { key: 'scaling.min_agents', after: 0 }
      ],
      [
        '```diff',
        `- image = "${host}/support-bot:1.0"`,
        `+ image = "${host}/support-bot:1.1"`,
        '+ region = "us-west"',
        '- scaling.min_instances = 0',
        '+ scaling.min_agents = 0',
        '```',
        ''
      ].join('\n')
    ]
  ])('shows %s', (_case, changes, markdown) => {
    expect(formatChanges(changes)).toBe(markdown)
  })
})
