// Where each statement, key and value of a TOML file sits in its text, so deploy-config.ts can edit
// pcc-deploy.toml in place and leave every other byte as it was.
import { parse, type TomlTable, type TomlValue } from 'smol-toml'

/** A table header or a key/value pair, by offsets into the file. Headers have an empty `key`. */
export interface Statement {
  start: number
  end: number
  table: string[]
  key: string[]
  keyStart: number
  keyEnd: number
  valueStart: number
  valueEnd: number
}

export interface Edit {
  start: number
  end: number
  text: string
}

/**
 * Splits the file into statements. smol-toml decides every boundary, so strings and quoted keys
 * containing `=`, `#` or `[` are never misread: a pair ends at the first line where it parses on its own,
 * the key ends at the first `=` that leaves a parsable key, and the value ends at the first `#` before which
 * the pair already parses.
 */
export function scan(text: string): Statement[] {
  const statements: Statement[] = []
  let table: string[] = []
  for (let start = 0, end = 0; start < text.length; start = end) {
    end = lineEnd(text, start)
    const line = text.slice(start, end).trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('[')) {
      table = leafPath(parse(line))
      statements.push({ start, end, table, key: [], keyStart: start, keyEnd: start, valueStart: start, valueEnd: start })
      continue
    }
    while (!parses(text.slice(start, end)) && end < text.length) end = lineEnd(text, end)
    const source = text.slice(start, end)
    const equals = firstIndex(source, '=', 0, (at) => parses(`${source.slice(0, at)}= 0`))
    const comment = firstIndex(source, '#', equals, (at) => parses(source.slice(0, at)))
    const keyText = source.slice(0, equals)
    const valueText = source.slice(equals + 1, comment === -1 ? undefined : comment)
    statements.push({
      start,
      end,
      table,
      key: leafPath(parse(`${keyText}= 0`)),
      keyStart: start + keyText.length - keyText.trimStart().length,
      keyEnd: start + keyText.trimEnd().length,
      valueStart: start + equals + 1 + valueText.length - valueText.trimStart().length,
      valueEnd: start + equals + 1 + valueText.trimEnd().length
    })
  }
  return statements
}

function lineEnd(text: string, from: number): number {
  const newline = text.indexOf('\n', from)
  return newline === -1 ? text.length : newline + 1
}

function firstIndex(text: string, char: string, from: number, accept: (at: number) => boolean): number {
  for (let at = text.indexOf(char, from); at !== -1; at = text.indexOf(char, at + 1)) if (accept(at)) return at
  return -1
}

function parses(text: string): boolean {
  try {
    parse(text)
    return true
  } catch {
    return false
  }
}

/** The key path of a one-key document: `{ scaling: { min_agents: 0 } }` gives `['scaling', 'min_agents']`. */
function leafPath(document: TomlTable): string[] {
  const path: string[] = []
  let node: TomlValue = document
  for (let key = firstKey(node); key !== undefined; key = firstKey(node)) {
    path.push(key)
    node = (node as TomlTable)[key]
  }
  return path
}

function firstKey(node: TomlValue): string | undefined {
  return isTable(node) ? Object.keys(node)[0] : undefined
}

export function applyEdits(text: string, edits: Edit[]): string {
  let result = ''
  let cursor = 0
  for (const edit of [...edits].sort((a, b) => a.start - b.start)) {
    result += text.slice(cursor, edit.start) + edit.text
    cursor = edit.end
  }
  return result + text.slice(cursor)
}

export function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((key, index) => key === b[index])
}

export function isTable(value: TomlValue | undefined): value is TomlTable {
  return typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
}
