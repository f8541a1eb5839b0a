// Planning a pcc-deploy.toml does work in proportion to the file: the TOML parsers run a fixed number of
// times whatever the file's length, each over the whole text once. The scanner this replaced re-parsed per
// line and per = or #, which took 85 s for 16,000 lines. Counted, not timed, so a busy machine cannot fail it;
// deploy-config.test.ts plans the same large files, and a return to per-line parsing would meet jest's timeout there.
import { jest } from '@jest/globals'
import * as smolToml from 'smol-toml'
import * as tomlEslintParser from 'toml-eslint-parser'

const calls: Array<{ parser: string; length: number }> = []
function counted<A extends [string, ...unknown[]], R>(parser: string, parse: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    calls.push({ parser, length: args[0].length })
    return parse(...args)
  }
}

jest.unstable_mockModule('smol-toml', () => ({ ...smolToml, parse: counted('smol-toml', smolToml.parse) }))
jest.unstable_mockModule('toml-eslint-parser', () => ({ ...tomlEslintParser, parseTOML: counted('toml-eslint-parser', tomlEslintParser.parseTOML) }))
const { planDeployConfig } = await import('../../src/deploy-config/deploy-config.js')

const portsFile = (lines: number) =>
  `agent_name = "a"\nports = [\n${Array.from({ length: lines }, (_, i) => `  ${8000 + i},`).join('\n')}\n]\nimage = "old:1" # pinned\n`
const hashesFile = (length: number) => `agent_name = "a"\nnotes = "${'#'.repeat(length)}" # ${'#'.repeat(length)}\nimage = "old:1"\n`

/** The parser calls one plan makes, and the characters they were given per character of the file. */
function work(existing: string) {
  calls.length = 0
  planDeployConfig(existing, { imageCredentials: 'ecr', image: 'new:2' }, 'pcc-deploy.toml')
  const parsed = calls.reduce((sum, call) => sum + call.length, 0)
  return { calls: calls.map(call => call.parser), perCharacter: Math.round((parsed / existing.length) * 10) / 10 }
}

test.each([
  ['lines', portsFile(10), portsFile(16_000)],
  ['# characters in a string and a comment', hashesFile(10), hashesFile(60_000)]
])('a file with many %s is parsed as often, and per character as much, as a small one', (_what, small, large) => {
  const few = work(small)
  const many = work(large)

  expect(many.calls).toEqual(few.calls)
  // The text a plan parses is the file and the planned file, each a few times: a fixed multiple of its size.
  expect(many.perCharacter).toBeLessThanOrEqual(few.perCharacter)
})
