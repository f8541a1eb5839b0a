// Every `uses:` a user could copy from this repository is pinned as README.md's Versioning section says:
// another action by a full commit SHA with its release in a comment (`@<40 hex> # vX.Y.Z`), this action
// by its major tag (`@v1`) or the same way. Commented-out steps count too: they are meant to be copied.
import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const THIS_ACTION = /^[\w.-]+\/pipecat-ecr-pull-secret@/
const USES = /^\s*(?:#\s*)?(?:-\s+)?uses:\s*(\S+)\s*(.*)$/
const SHA_PINNED = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/
const RELEASE_COMMENT = /^# v\d+\.\d+\.\d+$/

interface Use {
  where: string
  ref: string
  comment: string
}

function usesIn(file: string, text: string): Use[] {
  return text.split('\n').flatMap((line, index) => {
    const match = USES.exec(line)
    return match ? [{ where: `${file}:${index + 1}`, ref: match[1], comment: match[2].trim() }] : []
  })
}

/** Why a `uses:` is not pinned as the Versioning section says; undefined when it is. */
function pinProblem({ ref, comment }: Use): string | undefined {
  if (ref.startsWith('./')) return undefined
  if (THIS_ACTION.test(ref) && /@v\d+$/.test(ref)) return undefined
  if (!SHA_PINNED.test(ref)) return `${ref} is not pinned to a full commit SHA`
  if (!RELEASE_COMMENT.test(comment)) return `${ref} has no "# vX.Y.Z" comment naming its release`
  return undefined
}

function filesToCheck(): string[] {
  const inDir = (dir: string, ext: RegExp) =>
    readdirSync(dir)
      .filter(name => ext.test(name))
      .map(name => path.join(dir, name))
  return [...inDir('.', /\.md$/), ...inDir('docs', /\.md$/), ...inDir('examples', /\.ya?ml$/), ...inDir('.github/workflows', /\.ya?ml$/)]
}

const uses = filesToCheck().flatMap(file => usesIn(file, readFileSync(file, 'utf8')))

describe('pinned actions', () => {
  it('finds the uses: lines in README.md, docs/, examples/ and .github/workflows/', () => {
    const files = new Set(uses.map(use => use.where.split(':')[0]))

    for (const file of ['README.md', 'docs/aws-setup.md', 'examples/release.yml', '.github/workflows/release.yml']) expect(files).toContain(file)
    expect(uses.length).toBeGreaterThan(30)
  })

  it('pins every one as the Versioning section says', () => {
    const problems = uses.flatMap(use => {
      const problem = pinProblem(use)
      return problem ? [`${use.where}: ${problem}`] : []
    })

    expect(problems).toEqual([])
  })

  it('pins each release of an action to one SHA, and each action to one release, everywhere', () => {
    const pins = new Map<string, Set<string>>()
    for (const { ref, comment } of uses.filter(use => SHA_PINNED.test(use.ref))) {
      const [name, sha] = ref.split('@')
      pins.set(name, (pins.get(name) ?? new Set()).add(`${sha} ${comment}`))
    }

    const inconsistent = [...pins].filter(([, seen]) => seen.size > 1).map(([name, seen]) => `${name}: ${[...seen].join(' | ')}`)

    expect(inconsistent).toEqual([])
  })

  it.each([
    ['uses: actions/checkout@v7', 'not pinned to a full commit SHA'],
    ['uses: actions/checkout@main # v7.0.1', 'not pinned to a full commit SHA'],
    ['- uses: actions/checkout@3d3c42e # v7.0.1', 'not pinned to a full commit SHA'],
    ['- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1', 'has no "# vX.Y.Z" comment'],
    ['- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7', 'has no "# vX.Y.Z" comment'],
    ['#     uses: daily-co/pipecat-cloud-deploy-action@<full commit SHA> # v2', 'not pinned to a full commit SHA'],
    ['  uses: OWNER/pipecat-ecr-pull-secret@main', 'not pinned to a full commit SHA'],
    ['  uses: OWNER/pipecat-ecr-pull-secret@v1.0.0', 'not pinned to a full commit SHA'],
    ['  uses: OWNER/pipecat-ecr-pull-secret@0123456789abcdef0123456789abcdef01234567', 'has no "# vX.Y.Z" comment']
  ])('rejects %s', (line, problem) => {
    const [use] = usesIn('x.yml', line)

    expect(pinProblem(use)).toContain(problem)
  })

  it.each([
    ['- uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1'],
    ['#       uses: daily-co/pipecat-cloud-deploy-action@d2e78065506300bfc3676580f39d0dee2cb725fd # v2.0.3'],
    ['  uses: OWNER/pipecat-ecr-pull-secret@v1'],
    ['  uses: OWNER/pipecat-ecr-pull-secret@0123456789abcdef0123456789abcdef01234567 # v1.0.0'],
    ['  uses: ./']
  ])('accepts %s', line => {
    const [use] = usesIn('x.yml', line)

    expect(pinProblem(use)).toBeUndefined()
  })
})
