// pcc-deploy.toml, the Pipecat Cloud CLI's deploy config. The action owns a handful of keys and edits only
// those, in place: the rest of the file is the user's, comments and layout included. This module plans
// the new text; config-file.ts reads and writes it, config-diff.ts shows the changes.
import { isDeepStrictEqual } from 'node:util'
import { parse, stringify, TomlError, type TomlTable, type TomlValue } from 'smol-toml'
import { ActionError } from '../common/errors.js'
import { applyEdits, isTable, samePath, scan, tomlValue, type Edit, type Statement } from './toml-edit.js'

// main.ts loads this module once a config-file is set, and takes the file and Markdown steps from it too.

export interface DeployConfigValues {
  imageCredentials: string
  agentName?: string
  /** A full image reference, as `parseImageReference(...).full` gives it. */
  image?: string
  secretSet?: string
  region?: string
  agentProfile?: string
  minAgents?: number
  maxAgents?: number
}

export interface KeyChange {
  /** `image`, `scaling.min_agents`, ... */
  key: string
  before?: string | number
  /** Absent when the key was removed (a legacy key). */
  after?: string | number
}

export interface DeployConfigPlan {
  text: string
  changes: KeyChange[]
  notices: string[]
}

type Scalar = string | number

/** The keys this action owns, keyed the way `KeyChange.key` names them. */
type Wanted = Map<string, Scalar>

// Deprecated in CLI 0.6 and rejected by 1.x, yet still in the ECR guide's sample file.
const LEGACY_SCALING = [
  ['min_instances', 'min_agents'],
  ['max_instances', 'max_agents']
] as const

// Integers as bigint, so `min_agents = 1.0` (a float) is told apart from `min_agents = 1`.
const EXACT = { integersAsBigInt: true } as const

/** Works out the new pcc-deploy.toml text without touching the disk, so main can report before writing. */
export function planDeployConfig(existing: string | undefined, values: DeployConfigValues, path: string): DeployConfigPlan {
  const wanted = wantedKeys(values)
  if (existing === undefined && !wanted.has('agent_name')) {
    throw new ActionError(
      `Input agent-name: ${path} does not exist yet, and the Pipecat Cloud CLI requires agent_name in a new deploy config; set agent-name, or commit a ${path} that has agent_name.`
    )
  }
  const before = existing === undefined ? {} : parseConfig(existing, path)
  checkTypes(before, path)
  checkScaling(applyWanted(parse(existing ?? '', EXACT), wanted), path)
  // Re-reading the result is the safety net for the edit by offsets: a wrong file is never returned.
  let cause: unknown
  try {
    const plan = existing === undefined ? planNewFile(wanted) : planUpdate(existing, before, wanted, path)
    if (isDeepStrictEqual(parse(plan.text, EXACT), applyWanted(parse(existing ?? '', EXACT), wanted))) return plan
  } catch (error) {
    if (error instanceof ActionError) throw error
    cause = error
  }
  throw new Error(
    `Editing ${path} (config-file) gave a file that does not parse to the intended values, so it was not written and the file was left untouched. This is a bug in the action; please report it with a copy of the file.`,
    { cause }
  )
}

function wantedKeys(values: DeployConfigValues): Wanted {
  const wanted: Wanted = new Map()
  const strings: Array<[string, string | undefined]> = [
    ['agent_name', values.agentName],
    ['image', values.image],
    ['image_credentials', values.imageCredentials],
    ['secret_set', values.secretSet],
    ['region', values.region],
    ['agent_profile', values.agentProfile]
  ]
  for (const [key, value] of strings) {
    if (value !== undefined && (value !== '' || key === 'image_credentials')) wanted.set(key, value)
  }
  const counts = [
    ['scaling.min_agents', 'min-agents', values.minAgents, 0],
    ['scaling.max_agents', 'max-agents', values.maxAgents, 1]
  ] as const
  for (const [key, input, value, least] of counts) {
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < least) {
      throw new ActionError(`Input ${input}: ${value} is not a whole number of ${least} or more; give a value such as ${least + 1}.`)
    }
    wanted.set(key, value)
  }
  return wanted
}

/**
 * The target a config file names, when several are refreshed: the one in the file's own `region`. No
 * region, or one no target has, stops the run before any request, since the file would name a set its
 * agents cannot use.
 */
export function pickConfigTarget<T extends { secretName: string; region?: string }>(existing: string | undefined, targets: T[], path: string): T {
  const region = existing === undefined ? undefined : parseConfig(existing, path).region
  const regions = targets.map(target => target.region).join(', ')
  if (typeof region !== 'string') {
    throw new ActionError(
      `Input config-file: ${path} ${existing === undefined ? 'does not exist yet' : 'has no region'}, so it cannot say which of the targets it names: set pipecat-region to the region of that secret set (${regions}).`
    )
  }
  const target = targets.find(each => each.region === region)
  if (!target) {
    throw new ActionError(
      `Input config-file: ${path} has region = "${region}", which no line of targets has (${regions}): add a secret set for ${region} to targets, or set pipecat-region to the region config-file should use.`
    )
  }
  return target
}

function parseConfig(text: string, path: string): TomlTable {
  try {
    return parse(text, EXACT)
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    if (charAt(text, error.line, error.column) === '\uFEFF') {
      throw new ActionError(
        `Input config-file: ${path} has a byte-order mark (U+FEFF) at line ${error.line}, column ${error.column}, which TOML allows only at the very start of a file (joining files saved on Windows leaves one); delete it and run again. The file was left untouched.`
      )
    }
    const reason = error.message.split('\n')[0].replace(/^Invalid TOML document: /, '')
    throw new ActionError(
      `Input config-file: ${path} is not valid TOML (line ${error.line}, column ${error.column}: ${reason}); fix the file and run again. The file was left untouched.`
    )
  }
}

/** The character at a 1-based line and column, as TomlError reports them. */
function charAt(text: string, line: number, column: number): string | undefined {
  return text.split('\n')[line - 1]?.[column - 1]
}

function checkTypes(config: TomlTable, path: string): void {
  const expect = (key: string, value: TomlValue | undefined, wanted: string, ok: boolean) => {
    if (value === undefined || ok) return
    throw new ActionError(
      `Input config-file: ${key} in ${path} is ${typeName(value)}, but the Pipecat Cloud CLI expects ${wanted}; fix or remove it and run again. The file was left untouched.`
    )
  }
  for (const key of ['agent_name', 'image', 'image_credentials', 'secret_set', 'region', 'agent_profile']) {
    expect(key, config[key], 'a string', typeof config[key] === 'string')
  }
  const scaling = config.scaling
  expect('scaling', scaling, 'a table', isTable(scaling))
  if (!isTable(scaling)) return
  for (const key of ['min_agents', 'max_agents', ...LEGACY_SCALING.map(([legacy]) => legacy)]) {
    expect(`scaling.${key}`, scaling[key], 'an integer', typeof scaling[key] === 'bigint')
  }
}

/** One input can meet the other's value in the file: the CLI would reject min above max, so refuse it here. */
function checkScaling(after: TomlTable, path: string): void {
  const scaling = isTable(after.scaling) ? after.scaling : {}
  const min = scalar(scaling.min_agents)
  const max = scalar(scaling.max_agents)
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    throw new ActionError(
      `Input min-agents / max-agents: ${path} would get min_agents = ${min} above max_agents = ${max}; set both inputs, or change the file, so that min-agents <= max-agents.`
    )
  }
}

function planNewFile(wanted: Wanted): DeployConfigPlan {
  const config: Record<string, Scalar | Record<string, Scalar>> = {}
  for (const [key, value] of wanted) {
    const [first, second] = key.split('.')
    if (second === undefined) config[first] = value
    else config[first] = { ...(config[first] as Record<string, Scalar> | undefined), [second]: value }
  }
  const changes = [...wanted].map(([key, after]) => change(key, undefined, after))
  return { text: stringify(config), changes, notices: [] }
}

/** Edits owned keys in place; every other byte of the file stays as it was. */
function planUpdate(existing: string, before: TomlTable, wanted: Wanted, path: string): DeployConfigPlan {
  const statements = scan(existing)
  const eol = existing.includes('\r\n') ? '\r\n' : '\n'
  const firstLineStart = existing.startsWith('\uFEFF') ? 1 : 0
  const scaling = isTable(before.scaling) ? before.scaling : {}
  const edits: Edit[] = []
  const changes: KeyChange[] = []
  const notices: string[] = []
  const newTopLevel: string[] = []
  const newScaling: string[] = []

  const pairs = (where: (s: Statement) => boolean) => statements.filter(s => s.key.length > 0 && where(s))
  const find = (key: string) => pairs(s => samePath([...s.table, ...s.key], key.split('.')))[0]
  const replace = (start: number, end: number, text: string) => edits.push({ start, end, text })
  const insert = (at: number, lines: string[], indent = '') => {
    // Only the end of a file can lack a final line ending, and it needs one before anything goes after it.
    const lead = at > firstLineStart && existing[at - 1] !== '\n' && !edits.some(e => e.start === at && e.end === at) ? eol : ''
    replace(at, at, lead + lines.map(line => indent + line + eol).join(''))
  }
  const indentOf = (s: Statement) => /[ \t]*$/.exec(existing.slice(s.start, s.keyStart))?.[0] ?? '' // not a byte-order mark
  const refuseInlineScaling = () => {
    if (find('scaling') === undefined) return
    throw new ActionError(
      `Input config-file: ${path} writes scaling as an inline table (scaling = { ... }), which the action does not edit; rewrite it as a [scaling] table with one key per line and run again. The file was left untouched.`
    )
  }

  const setKey = (key: string, value: Scalar) => {
    const [first, second] = key.split('.')
    const old = scalar(second === undefined ? before[first] : scaling[second])
    if (old === value) return
    if (second !== undefined) refuseInlineScaling()
    const statement = find(key)
    if (statement) replace(statement.valueStart, statement.valueEnd, tomlValue(value))
    else if (second === undefined) newTopLevel.push(assignment(first, value))
    else newScaling.push(assignment(second, value))
    changes.push(change(key, old, value))
  }

  const pending = new Map(wanted)
  for (const [key, value] of wanted) if (!key.startsWith('scaling.')) setKey(key, value)
  for (const [legacy, current] of LEGACY_SCALING) {
    if (scaling[legacy] === undefined) continue
    refuseInlineScaling()
    const statement = find(`scaling.${legacy}`)
    const old = scalar(scaling[legacy]) as number
    changes.push(change(`scaling.${legacy}`, old, undefined))
    if (scaling[current] !== undefined) {
      replace(statement.start, statement.end, '')
      notices.push(`Removed scaling.${legacy} from ${path}: scaling.${current} is already set, and the current Pipecat Cloud CLI rejects ${legacy}.`)
      continue
    }
    const value = pending.get(`scaling.${current}`) ?? old
    pending.delete(`scaling.${current}`)
    replace(statement.keyStart, statement.keyEnd, [...statement.key.slice(0, -1), current].join('.'))
    replace(statement.valueStart, statement.valueEnd, tomlValue(value))
    changes.push(change(`scaling.${current}`, undefined, value))
    notices.push(`Renamed scaling.${legacy} to ${current} in ${path}: the current Pipecat Cloud CLI rejects ${legacy}.`)
  }
  for (const [key, value] of pending) if (key.startsWith('scaling.')) setKey(key, value)

  if (newTopLevel.length > 0) {
    const lastTopLevel = pairs(s => s.table.length === 0).at(-1)
    const firstHeader = statements.find(s => s.key.length === 0)
    if (lastTopLevel) insert(lastTopLevel.end, newTopLevel, indentOf(lastTopLevel))
    else if (firstHeader) insert(firstHeader.start, [...newTopLevel, ''])
    else insert(existing.length, newTopLevel)
  }
  const scalingHeader = statements.find(s => s.key.length === 0 && samePath(s.table, ['scaling']))
  const lastDotted = pairs(s => s.table.length === 0 && s.key[0] === 'scaling').at(-1)
  if (newScaling.length > 0 && scalingHeader) {
    const anchor = pairs(s => samePath(s.table, ['scaling'])).at(-1) ?? scalingHeader
    insert(anchor.end, newScaling, indentOf(anchor))
  } else if (newScaling.length > 0 && lastDotted) {
    insert(
      lastDotted.end,
      newScaling.map(line => `scaling.${line}`),
      indentOf(lastDotted)
    )
  }
  let text = applyEdits(existing, edits)
  if (newScaling.length > 0 && !scalingHeader && !lastDotted) {
    text += blankLineBefore(text, eol) + ['[scaling]', ...newScaling].map(line => line + eol).join('')
  }
  return { text, changes, notices }
}

/** What the file should parse to: the old values with ours applied. Used to check the edit. */
function applyWanted(config: TomlTable, wanted: Wanted): TomlTable {
  for (const [key, value] of wanted) {
    const [first, second] = key.split('.')
    if (second === undefined) config[first] = value
    else ((config.scaling ??= Object.create(null)) as TomlTable)[second] = BigInt(value)
  }
  const scaling = config.scaling
  if (isTable(scaling)) {
    for (const [legacy, current] of LEGACY_SCALING) {
      if (scaling[legacy] === undefined) continue
      scaling[current] ??= scaling[legacy]
      delete scaling[legacy]
    }
  }
  return config
}

function blankLineBefore(text: string, eol: string): string {
  const trailingNewlines = text.slice(text.trimEnd().length).split('\n').length - 1
  return text.trim() === '' ? '' : eol.repeat(Math.max(0, 2 - trailingNewlines))
}

function assignment(key: string, value: Scalar): string {
  return stringify({ [key]: value }).trimEnd()
}

function scalar(value: TomlValue | undefined): Scalar | undefined {
  return typeof value === 'bigint' ? Number(value) : (value as Scalar | undefined)
}

function change(key: string, before: Scalar | undefined, after: Scalar | undefined): KeyChange {
  return { key, ...(before !== undefined && { before }), ...(after !== undefined && { after }) }
}

function typeName(value: TomlValue): string {
  if (typeof value === 'bigint') return 'an integer'
  if (typeof value === 'number') return 'a float'
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'boolean') return 'a boolean'
  if (Array.isArray(value)) return 'an array'
  return isTable(value) ? 'a table' : 'a date or time'
}
