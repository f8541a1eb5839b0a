// Where each table header and key/value pair of a TOML file sits in its text, so deploy-config.ts can
// edit pcc-deploy.toml in place and leave every other byte as it was. toml-eslint-parser gives the
// source ranges; smol-toml writes values, and re-reads the result before anything is written.
import { stringify, type TomlTable, type TomlValue } from 'smol-toml'
import { getStaticTOMLValue, parseTOML, type AST } from 'toml-eslint-parser'

/** A table header or a key/value pair, by offsets into the file. Headers have an empty `key`. */
export interface Statement {
  /** Start of the statement's first line, indentation included. */
  start: number
  /** Just past the line ending of its last line (trailing comment included), or the end of the file. */
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

const BOM = '\uFEFF'

/** Every header and pair of a valid TOML file, in file order. Throws on text that is not TOML 1.1. */
export function scan(text: string): Statement[] {
  // TOML allows a byte-order mark at the very start; the parser does not, so it reads what follows.
  const offset = text.startsWith(BOM) ? BOM.length : 0
  const source = text.slice(offset)
  const program = parseTOML(source, { tomlVersion: '1.1' })
  const lineStart = (at: number) => (at === 0 ? 0 : source.lastIndexOf('\n', at - 1) + 1) + offset
  const lineEnd = (at: number) => {
    const newline = source.indexOf('\n', at)
    return (newline === -1 ? source.length : newline + 1) + offset
  }
  const pair = (node: AST.TOMLKeyValue, table: string[]): Statement => ({
    start: lineStart(node.range[0]),
    end: lineEnd(node.range[1]),
    table,
    key: getStaticTOMLValue(node.key),
    keyStart: node.key.range[0] + offset,
    keyEnd: node.key.range[1] + offset,
    valueStart: node.value.range[0] + offset,
    valueEnd: node.value.range[1] + offset
  })

  const statements: Statement[] = []
  for (const node of program.body[0].body) {
    if (node.type === 'TOMLKeyValue') {
      statements.push(pair(node, []))
      continue
    }
    const table = getStaticTOMLValue(node.key)
    const start = lineStart(node.range[0])
    statements.push({ start, end: lineEnd(node.key.range[1]), table, key: [], keyStart: start, keyEnd: start, valueStart: start, valueEnd: start })
    for (const child of node.body) statements.push(pair(child, table))
  }
  return statements
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

/** A value as TOML writes it, with smol-toml doing the quoting and escaping. */
export function tomlValue(value: string | number): string {
  return stringify({ v: value }).slice('v = '.length).trimEnd()
}

export function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((key, index) => key === b[index])
}

export function isTable(value: TomlValue | undefined): value is TomlTable {
  return typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date)
}
