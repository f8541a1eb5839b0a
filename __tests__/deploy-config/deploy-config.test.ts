import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'smol-toml'
import { planDeployConfig, type DeployConfigPlan, type DeployConfigValues } from '../../src/deploy-config/deploy-config.js'
import { ActionError } from '../../src/common/errors.js'

const fixture = (name: string) => readFileSync(new URL(`../../__fixtures__/deploy-config/${name}`, import.meta.url), 'utf8')
const path = 'pcc-deploy.toml'
const host = '123456789012.dkr.ecr.us-west-2.amazonaws.com'
const guideImage = (tag: string) => `123456789012.dkr.ecr.us-east-1.amazonaws.com/my-ecr-agent:${tag}`
const renamedMinInstances = 'Renamed scaling.min_instances to min_agents in pcc-deploy.toml: the current Pipecat Cloud CLI rejects min_instances.'

describe('planDeployConfig', () => {
  it.each<[string, string, DeployConfigValues, DeployConfigPlan]>([
    [
      'the ECR guide sample: renames the legacy min_instances, keeping its value and indentation',
      'ecr-guide.toml',
      { imageCredentials: 'my-ecr-credentials', image: guideImage('0.2.0') },
      {
        text: fixture('ecr-guide.expected.toml'),
        changes: [
          { key: 'image', before: guideImage('0.1.0'), after: guideImage('0.2.0') },
          { key: 'scaling.min_instances', before: 0 },
          { key: 'scaling.min_agents', after: 0 }
        ],
        notices: [renamedMinInstances]
      }
    ],
    [
      'the ECR guide sample with scaling inputs: the input wins over the legacy value',
      'ecr-guide.toml',
      { imageCredentials: 'my-ecr-credentials', image: guideImage('0.2.0'), region: 'us-west', minAgents: 1, maxAgents: 4 },
      {
        text: fixture('ecr-guide.scaled.expected.toml'),
        changes: [
          { key: 'image', before: guideImage('0.1.0'), after: guideImage('0.2.0') },
          { key: 'region', after: 'us-west' },
          { key: 'scaling.min_instances', before: 0 },
          { key: 'scaling.min_agents', after: 1 },
          { key: 'scaling.max_agents', after: 4 }
        ],
        notices: [renamedMinInstances]
      }
    ],
    [
      'a commented file with build, krisp_viva and docker tables: only the owned values change',
      'support-bot.toml',
      {
        imageCredentials: 'support-bot-ecr',
        image: `${host}/voice/support-bot:2024.12.0`,
        region: 'us-west',
        agentProfile: 'agent-2x',
        minAgents: 2,
        maxAgents: 10
      },
      {
        text: fixture('support-bot.expected.toml'),
        changes: [
          { key: 'image', before: `${host}/voice/support-bot:2024.11.3`, after: `${host}/voice/support-bot:2024.12.0` },
          { key: 'image_credentials', after: 'support-bot-ecr' },
          { key: 'region', after: 'us-west' },
          { key: 'agent_profile', before: 'agent-1x', after: 'agent-2x' },
          { key: 'scaling.min_agents', before: 1, after: 2 }
        ],
        notices: []
      }
    ],
    [
      'dotted scaling keys: edited and added as dotted keys',
      'outbound-dotted.toml',
      { imageCredentials: 'outbound-ecr', minAgents: 1, maxAgents: 3 },
      {
        text: fixture('outbound-dotted.expected.toml'),
        changes: [
          { key: 'scaling.min_agents', before: 0, after: 1 },
          { key: 'scaling.max_agents', after: 3 }
        ],
        notices: []
      }
    ],
    [
      'no scaling table: a new one goes at the end',
      'no-scaling.toml',
      { imageCredentials: 'triage-ecr', minAgents: 0, maxAgents: 2 },
      {
        text: fixture('no-scaling.expected.toml'),
        changes: [
          { key: 'scaling.min_agents', after: 0 },
          { key: 'scaling.max_agents', after: 2 }
        ],
        notices: []
      }
    ],
    [
      'an inline scaling table is left alone when no scaling input is given',
      'inline-scaling.toml',
      { imageCredentials: 'survey-ecr', image: `${host}/survey-bot:3.2.0` },
      {
        text: fixture('inline-scaling.toml').replace('123456789012.dkr.ecr.us-east-1.amazonaws.com/survey-bot:3.1.0', `${host}/survey-bot:3.2.0`),
        changes: [{ key: 'image', before: '123456789012.dkr.ecr.us-east-1.amazonaws.com/survey-bot:3.1.0', after: `${host}/survey-bot:3.2.0` }],
        notices: []
      }
    ]
  ])('updates %s', (_case, name, values, expected) => {
    expect(planDeployConfig(fixture(name), values, path)).toStrictEqual(expected)
  })

  it.each<[string, string, DeployConfigValues]>([
    [
      'the commented file',
      'support-bot.expected.toml',
      { imageCredentials: 'support-bot-ecr', image: `${host}/voice/support-bot:2024.12.0`, agentName: 'support-bot', minAgents: 2, maxAgents: 10 }
    ],
    ['the renamed ECR guide sample', 'ecr-guide.expected.toml', { imageCredentials: 'my-ecr-credentials', minAgents: 0 }],
    ['an inline scaling table that already has the values', 'inline-scaling.toml', { imageCredentials: 'survey-ecr', minAgents: 0, maxAgents: 2 }]
  ])('changes nothing in %s when it is up to date', (_case, name, values) => {
    const existing = fixture(name)
    const plan = planDeployConfig(existing, values, path)
    expect(plan).toStrictEqual({ text: existing, changes: [], notices: [] })
    expect(plan.text).toBe(existing)
  })

  it.each<[string, DeployConfigValues, string]>([
    [
      'every key',
      {
        agentName: 'support-bot',
        image: `${host}/voice/support-bot:2024.12.0`,
        imageCredentials: 'support-bot-ecr',
        secretSet: 'support-bot-secrets',
        region: 'us-west',
        agentProfile: 'agent-1x',
        minAgents: 1,
        maxAgents: 5
      },
      fixture('new.expected.toml')
    ],
    [
      'only what is required',
      { agentName: 'support-bot', imageCredentials: 'support-bot-ecr', region: '' },
      'agent_name = "support-bot"\nimage_credentials = "support-bot-ecr"\n'
    ],
    [
      'a value that needs escaping',
      { agentName: 'support-bot', imageCredentials: 'ecr "prod" \\ 2' },
      'agent_name = "support-bot"\nimage_credentials = "ecr \\"prod\\" \\\\ 2"\n'
    ]
  ])('creates a new file with %s', (_case, values, text) => {
    const plan = planDeployConfig(undefined, values, path)
    expect(plan.text).toBe(text)
    expect(plan.notices).toStrictEqual([])
  })

  it('lists every key of a new file as added', () => {
    const plan = planDeployConfig(undefined, { agentName: 'support-bot', imageCredentials: 'support-bot-ecr', maxAgents: 5 }, path)
    expect(plan.changes).toStrictEqual([
      { key: 'agent_name', after: 'support-bot' },
      { key: 'image_credentials', after: 'support-bot-ecr' },
      { key: 'scaling.max_agents', after: 5 }
    ])
  })

  it.each<[string, string, DeployConfigValues, string]>([
    [
      'CRLF line endings are kept, also on added lines',
      'agent_name = "a"\r\nimage_credentials = "old"\r\n\r\n[scaling]\r\nmin_agents = 0\r\n',
      { imageCredentials: 'new', region: 'us-west', maxAgents: 2 },
      'agent_name = "a"\r\nimage_credentials = "new"\r\nregion = "us-west"\r\n\r\n[scaling]\r\nmin_agents = 0\r\nmax_agents = 2\r\n'
    ],
    [
      'a byte-order mark stays at the start only',
      '\uFEFFagent_name = "a"\n',
      { imageCredentials: 'ecr' },
      '\uFEFFagent_name = "a"\nimage_credentials = "ecr"\n'
    ],
    [
      'a file without a final newline gets one before an added key',
      'agent_name = "a"',
      { imageCredentials: 'ecr', secretSet: 'env' },
      'agent_name = "a"\nimage_credentials = "ecr"\nsecret_set = "env"\n'
    ],
    [
      'a file without a final newline gets a blank line before a new scaling table',
      'agent_name = "a"\nimage_credentials = "ecr"',
      { imageCredentials: 'ecr', minAgents: 1 },
      'agent_name = "a"\nimage_credentials = "ecr"\n\n[scaling]\nmin_agents = 1\n'
    ],
    ['an empty file', '', { imageCredentials: 'ecr', minAgents: 1 }, 'image_credentials = "ecr"\n\n[scaling]\nmin_agents = 1\n'],
    [
      'a file with tables only: keys go before the first table',
      '# Cloud build settings\n[build]\ndockerfile = "Dockerfile"\n',
      { imageCredentials: 'ecr', agentName: 'a' },
      '# Cloud build settings\nagent_name = "a"\nimage_credentials = "ecr"\n\n[build]\ndockerfile = "Dockerfile"\n'
    ],
    [
      'quoted keys, and # or = inside strings, are read as TOML reads them',
      '"image" = "old:1" # note # more\nagent_name = \'a=b # not a comment\'\nimage_credentials = "ecr"\n',
      { imageCredentials: 'ecr', image: 'new:2' },
      '"image" = "new:2" # note # more\nagent_name = \'a=b # not a comment\'\nimage_credentials = "ecr"\n'
    ],
    [
      'lines inside a multi-line string are not mistaken for keys or tables',
      'agent_name = "a"\nnotes = """\n[scaling]\nimage = "not a key"\n"""\nimage_credentials = "ecr"\n',
      { imageCredentials: 'ecr', image: 'new:2', minAgents: 1 },
      'agent_name = "a"\nnotes = """\n[scaling]\nimage = "not a key"\n"""\nimage_credentials = "ecr"\nimage = "new:2"\n\n[scaling]\nmin_agents = 1\n'
    ],
    [
      'an empty [scaling] table gets its keys right under the header',
      'image_credentials = "ecr"\n\n[scaling]\n\n[docker]\nregistry = "custom"\n',
      { imageCredentials: 'ecr', minAgents: 1 },
      'image_credentials = "ecr"\n\n[scaling]\nmin_agents = 1\n\n[docker]\nregistry = "custom"\n'
    ],
    [
      'a legacy key next to its new name is dropped; a lone one is renamed',
      'image_credentials = "ecr"\n[scaling]\nmin_instances = 0 # old\nmin_agents = 1\nmax_instances = 3 # old\n',
      { imageCredentials: 'ecr' },
      'image_credentials = "ecr"\n[scaling]\nmin_agents = 1\nmax_agents = 3 # old\n'
    ],
    [
      'a dotted legacy key is renamed as a dotted key',
      'image_credentials = "ecr"\nscaling.max_instances = 2\n',
      { imageCredentials: 'ecr' },
      'image_credentials = "ecr"\nscaling.max_agents = 2\n'
    ]
  ])('edits text: %s', (_case, existing, values, text) => {
    expect(planDeployConfig(existing, values, path).text).toBe(text)
  })

  it('records a dropped legacy key in changes and notices', () => {
    const plan = planDeployConfig('image_credentials = "ecr"\n[scaling]\nmin_instances = 0\nmin_agents = 1\n', { imageCredentials: 'ecr' }, path)
    expect(plan.changes).toStrictEqual([{ key: 'scaling.min_instances', before: 0 }])
    expect(plan.notices).toStrictEqual([
      'Removed scaling.min_instances from pcc-deploy.toml: scaling.min_agents is already set, and the current Pipecat Cloud CLI rejects min_instances.'
    ])
  })

  it.each<[string, string | undefined, DeployConfigValues, string]>([
    [
      'a file that is not TOML',
      fixture('invalid-syntax.toml'),
      { imageCredentials: 'ecr' },
      'Input config-file: pcc-deploy.toml is not valid TOML (line 2, column 82: control characters are not allowed in strings); fix the file and run again. The file was left untouched.'
    ],
    [
      'an image that is not a string',
      fixture('image-not-string.toml'),
      { imageCredentials: 'ecr' },
      'Input config-file: image in pcc-deploy.toml is an integer, but the Pipecat Cloud CLI expects a string; fix or remove it and run again. The file was left untouched.'
    ],
    [
      'a scaling that is not a table',
      fixture('scaling-not-table.toml'),
      { imageCredentials: 'ecr' },
      'Input config-file: scaling in pcc-deploy.toml is a string, but the Pipecat Cloud CLI expects a table; fix or remove it and run again. The file was left untouched.'
    ],
    [
      'a min_agents that is a string',
      fixture('min-agents-string.toml'),
      { imageCredentials: 'ecr' },
      'Input config-file: scaling.min_agents in pcc-deploy.toml is a string, but the Pipecat Cloud CLI expects an integer; fix or remove it and run again. The file was left untouched.'
    ],
    [
      'a legacy max_instances that is a float',
      fixture('max-instances-float.toml'),
      { imageCredentials: 'ecr' },
      'Input config-file: scaling.max_instances in pcc-deploy.toml is a float, but the Pipecat Cloud CLI expects an integer; fix or remove it and run again. The file was left untouched.'
    ],
    [
      'an inline scaling table that needs a change',
      fixture('inline-scaling.toml'),
      { imageCredentials: 'survey-ecr', maxAgents: 3 },
      'Input config-file: pcc-deploy.toml writes scaling as an inline table (scaling = { ... }), which the action does not edit; rewrite it as a [scaling] table with one key per line and run again. The file was left untouched.'
    ],
    [
      'a new file without an agent name',
      undefined,
      { imageCredentials: 'ecr', image: `${host}/support-bot:1.0` },
      'Input agent-name: pcc-deploy.toml does not exist yet, and the Pipecat Cloud CLI requires agent_name in a new deploy config; set agent-name, or commit a pcc-deploy.toml that has agent_name.'
    ],
    [
      'a negative min-agents',
      'image_credentials = "ecr"\n',
      { imageCredentials: 'ecr', minAgents: -1 },
      'Input min-agents: -1 is not a whole number of 0 or more; give a value such as 1.'
    ],
    [
      'a fractional max-agents',
      'image_credentials = "ecr"\n',
      { imageCredentials: 'ecr', maxAgents: 1.5 },
      'Input max-agents: 1.5 is not a whole number of 1 or more; give a value such as 2.'
    ],
    [
      'a max-agents of zero',
      'image_credentials = "ecr"\n',
      { imageCredentials: 'ecr', maxAgents: 0 },
      'Input max-agents: 0 is not a whole number of 1 or more; give a value such as 2.'
    ],
    [
      'a min-agents above the max_agents already in the file',
      'image_credentials = "ecr"\n\n[scaling]\nmax_agents = 3\n',
      { imageCredentials: 'ecr', minAgents: 5 },
      'Input min-agents / max-agents: pcc-deploy.toml would get min_agents = 5 above max_agents = 3; set both inputs, or change the file, so that min-agents <= max-agents.'
    ],
    [
      'a max-agents below a legacy min_instances in the file',
      'image_credentials = "ecr"\n\n[scaling]\nmin_instances = 4\n',
      { imageCredentials: 'ecr', maxAgents: 2 },
      'Input min-agents / max-agents: pcc-deploy.toml would get min_agents = 4 above max_agents = 2; set both inputs, or change the file, so that min-agents <= max-agents.'
    ]
  ])('refuses %s', (_case, existing, values, message) => {
    const planning = () => planDeployConfig(existing, values, path)
    expect(planning).toThrow(ActionError)
    expect(planning).toThrow(new ActionError(message))
  })

  it.each<[string, string, DeployConfigValues, string]>([
    [
      'a byte-order mark at the start, before a table header: kept, keys go after it',
      '\uFEFF[scaling]\nmin_agents = 0\n',
      { imageCredentials: 'ecr' },
      '\uFEFFimage_credentials = "ecr"\n\n[scaling]\nmin_agents = 0\n'
    ],
    [
      'a byte-order mark at the start, with CRLF: an owned key is edited in place',
      '\uFEFFimage_credentials = "old"\r\n[scaling]\r\nmin_instances = 1\r\n',
      { imageCredentials: 'new' },
      '\uFEFFimage_credentials = "new"\r\n[scaling]\r\nmin_agents = 1\r\n'
    ],
    [
      "a byte-order mark inside a string is the user's text, not a mark",
      'agent_name = "\uFEFFbot"\nimage_credentials = "old"\n',
      { imageCredentials: 'new' },
      'agent_name = "\uFEFFbot"\nimage_credentials = "new"\n'
    ],
    [
      'an inline table over several lines (TOML 1.1) is read, and left as it was',
      'agent_name = "a"\nbuild = {\n  dockerfile = "Dockerfile",\n}\nimage = "old:1"\n',
      { imageCredentials: 'ecr', image: 'new:2' },
      'agent_name = "a"\nbuild = {\n  dockerfile = "Dockerfile",\n}\nimage = "new:2"\nimage_credentials = "ecr"\n'
    ]
  ])('edits text: %s', (_case, existing, values, text) => {
    expect(planDeployConfig(existing, values, path).text).toBe(text)
  })

  it.each([
    ['before a table header', 'agent_name = "a"\n\uFEFF[scaling]\nmin_agents = 0\n', 2, 1],
    ['before an indented key, after CRLF lines', 'agent_name = "a"\r\n[scaling]\r\n  \uFEFFmin_agents = 0\r\n', 3, 3],
    ['doubled at the start', '\uFEFF\uFEFFagent_name = "a"\n', 1, 2]
  ])('refuses a byte-order mark %s, naming its line', (_case, existing, line, column) => {
    const planning = () => planDeployConfig(existing, { imageCredentials: 'ecr' }, path)
    expect(planning).toThrow(
      new ActionError(
        `Input config-file: pcc-deploy.toml has a byte-order mark (U+FEFF) at line ${line}, column ${column}, which TOML allows only at the very start of a file (joining files saved on Windows leaves one); delete it and run again. The file was left untouched.`
      )
    )
  })
})

// The scanner before toml-eslint-parser re-parsed per line and per = or #: these took 85 s and 4.4 s. That
// planning is linear is counted in deploy-config-work.test.ts; here the same large files are planned right,
// and a return to per-line parsing would meet jest's test timeout, the bound of a hang.
describe('large files', () => {
  it('plans a 16,000-line file', () => {
    const ports = Array.from({ length: 16_000 }, (_, i) => `  ${8000 + i},`).join('\n')
    const existing = `agent_name = "a"\nports = [\n${ports}\n]\nimage = "old:1" # pinned\n`
    const plan = planDeployConfig(existing, { imageCredentials: 'ecr', image: 'new:2' }, path)

    expect(existing.split('\n').length).toBeGreaterThan(16_000)
    expect(plan.text).toBe(existing.replace('image = "old:1" # pinned\n', 'image = "new:2" # pinned\nimage_credentials = "ecr"\n'))
  })

  it('plans a string of 60,000 # characters', () => {
    const hashes = '#'.repeat(60_000)
    const existing = `agent_name = "a"\nnotes = "${hashes}" # ${hashes}\nimage = "old:1"\n`
    const plan = planDeployConfig(existing, { imageCredentials: 'ecr', image: 'new:2' }, path)

    expect(parse(plan.text)).toEqual({ agent_name: 'a', notes: hashes, image: 'new:2', image_credentials: 'ecr' })
    expect(plan.text.startsWith(existing.replace('\nimage = "old:1"\n', ''))).toBe(true)
  })
})
