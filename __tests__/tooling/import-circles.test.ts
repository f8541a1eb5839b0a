import { afterEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { findCircles, folderProblems } from '../../scripts/import-circles.js'

async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'import-circles-'))
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

describe('the import-circle check', () => {
  let dir: string
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('names each circle, type-only and dynamic imports included, through folders', async () => {
    dir = await project({
      'a.ts': "import { b } from './b.js'\nexport const a = b",
      'b.ts': "import type { C } from './deep/c.js'\nexport const b = 1 as unknown as C",
      'deep/c.ts': "export type C = number\nexport const load = () => import('../a.js')",
      'alone.ts': "import { a } from './a.js'\nexport const x = a",
      'self.ts': "import './self.js'"
    })
    expect(findCircles(dir)).toEqual([
      ['a.ts', 'b.ts', 'deep/c.ts', 'a.ts'],
      ['self.ts', 'self.ts']
    ])
  })

  it('finds none where imports point one way', async () => {
    dir = await project({
      'a.ts': "import { b } from './b.js'\nimport { c } from './c.js'\nexport const a = b + c",
      'b.ts': "import { c } from './c.js'\nimport { readFileSync } from 'node:fs'\nexport const b = c + readFileSync.length",
      'c.ts': 'export const c = 1',
      'types.d.ts': "import './a.js'"
    })
    expect(findCircles(dir)).toEqual([])
  })

  it('finds the same circles given the folder relative to the working directory, as npm test gives src', async () => {
    dir = await project({ 'a.ts': "import './b.js'", 'b.ts': "import './a.js'" })
    expect(findCircles(relative(process.cwd(), dir))).toEqual([['a.ts', 'b.ts', 'a.ts']])
    expect(execFileSync(process.execPath, ['scripts/import-circles.js'], { encoding: 'utf8' })).toBe(
      'no import circles in src/, and each folder imports only what its README.md allows\n'
    )
  })

  it('fails the command with the circle named, and passes on src/', async () => {
    dir = await project({ 'a.ts': "import './b.js'", 'b.ts': "import './a.js'" })
    const run = () => execFileSync(process.execPath, ['scripts/import-circles.js', dir], { stdio: 'pipe', encoding: 'utf8' })
    expect(run).toThrow(/import circle in .*: a\.ts -> b\.ts -> a\.ts/)
    expect(execFileSync(process.execPath, ['scripts/import-circles.js'], { encoding: 'utf8' })).toBe(
      'no import circles in src/, and each folder imports only what its README.md allows\n'
    )
  })
})

describe("each folder's rule", () => {
  let dir: string
  afterEach(() => rm(dir, { recursive: true, force: true }))
  const rules = { low: [], mid: ['low', 'top:type'], top: '*' as const }

  it('names an import its folder may not make, and a value import where only types are allowed', async () => {
    dir = await project({
      'low/a.ts': "import { b } from '../mid/b.js'\nexport const a = b",
      'mid/b.ts': "import type { T } from '../top/t.js'\nimport { v } from '../top/v.js'\nexport const b: T = v",
      'top/t.ts': 'export type T = number',
      'top/v.ts': 'export const v = 1',
      'entry.ts': "import { a } from './low/a.js'\nexport default a"
    })
    expect(folderProblems(dir, rules)).toEqual([
      'low/a.ts imports mid/b.ts, but low/ may import only packages (low/README.md)',
      'mid/b.ts imports top/v.ts, but mid/ may import only low, top:type (mid/README.md)'
    ])
  })

  it('allows types where the rule says so, the folder itself, and anything from a folder with *', async () => {
    dir = await project({
      'low/a.ts': "import { c } from './c.js'\nexport const a = c",
      'low/c.ts': 'export const c = 1',
      'mid/b.ts': "import { type T } from '../top/t.js'\nimport { a } from '../low/a.js'\nexport const b: T = a",
      'top/t.ts': "import { b } from '../mid/b.js'\nexport type T = number\nexport const t = () => b"
    })
    expect(folderProblems(dir, rules)).toEqual([])
  })

  it('names a folder without a rule', async () => {
    dir = await project({ 'new/x.ts': 'export const x = 1' })
    expect(folderProblems(dir, rules)).toEqual([expect.stringMatching(/^new\/x\.ts: folder new\/ has no rule/)])
  })
})
