// Runs `npm run release:check` the way a maintainer and the release workflow do: a child process that must
// pass on this repository's version and fail, one line per cause, on each precondition a release needs.
import { describe, expect, it } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { compareDist } from '../../scripts/check-dist.js'
import { changelogEntry } from '../../scripts/changelog.js'
import { parseVersion } from '../../scripts/release-check.js'

const script = path.resolve('scripts/release-check.js')
const version: string = JSON.parse(readFileSync('package.json', 'utf8')).version
const committedDist = path.resolve('dist')

function releaseCheck(args: string[]) {
  // A hang's bound, not a time target: run alone, the check builds dist/ (three ncc builds) on a machine that may be busy.
  const run = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 600_000 })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

/** A copy of the files the check reads; dist/ is compared with the committed one, which the first test proves fresh. */
function copyOfRepo(edit: (root: string) => void = () => {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'release-check-'))
  for (const file of ['package.json', 'CHANGELOG.md', 'action.yml']) cpSync(file, path.join(root, file))
  cpSync('dist', path.join(root, 'dist'), { recursive: true })
  edit(root)
  return root
}

function checkCopy(root: string, given: string) {
  return releaseCheck([given, '--root', root, '--built', committedDist])
}

function expectOneLineFailures(run: { status: number | null; stderr: string }, ...causes: RegExp[]) {
  expect(run.status).toBe(1)
  const lines = run.stderr.trim().split('\n')
  for (const line of lines) expect(line).toMatch(/^release:check: /)
  for (const cause of causes) expect(lines.some(line => cause.test(line))).toBe(true)
  expect(lines).toHaveLength(causes.length + 1)
  expect(lines.at(-1)).toMatch(/problem\(s\); nothing was tagged or pushed$/)
}

describe('npm run release:check', () => {
  // The test command builds dist/ once and says where (FRESH_DIST); run alone, the check builds its own.
  it(`passes on this repository at its version, against a fresh build of dist/`, () => {
    const run = releaseCheck(process.env.FRESH_DIST ? [version, '--built', process.env.FRESH_DIST] : [version])

    expect(run.stderr).toBe('')
    expect(run.stdout).toContain(`ok: package.json is at ${version}`)
    expect(run.stdout).toMatch(new RegExp(`ok: CHANGELOG.md has ${version.replaceAll('.', '\\.')}, dated \\d{4}-\\d{2}-\\d{2}`))
    expect(run.stdout).toContain('ok: action.yml runs dist/index.js on node24')
    expect(run.stdout).toContain('ok: dist/ is exactly what the build makes from src/')
    expect(run.stdout).toMatch(/ok: npm pack publishes dist\/ \(the action and dist\/cli\/index\.js\) and action\.yml, \d+ files, nothing else/)
    expect(run.stdout).toContain(`release:check: ready to tag v${version}`)
    expect(run.status).toBe(0)
  }, 600_000)

  it('accepts the tag name with its v, as the workflow has it', () => {
    const run = checkCopy(copyOfRepo(), `v${version}`)

    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
  })

  it('fails for a version without a changelog entry, and says to add one', () => {
    const root = copyOfRepo(dir => {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version: '9.8.7' }))
    })

    const run = checkCopy(root, '9.8.7')

    expectOneLineFailures(run, /CHANGELOG\.md has no entry for 9\.8\.7: add '## \[9\.8\.7\] - YYYY-MM-DD' with what changed/)
    expect(run.stdout).toContain('ok: package.json is at 9.8.7')
  })

  it('fails when package.json is at another version, naming both and the fix', () => {
    const root = copyOfRepo(dir => {
      const changelog = readFileSync(path.join(dir, 'CHANGELOG.md'), 'utf8')
      writeFileSync(path.join(dir, 'CHANGELOG.md'), changelog.replace('## [Unreleased]', '## [Unreleased]\n\n## [9.8.7] - 2027-01-02\n\n- A fix.'))
    })

    const run = checkCopy(root, '9.8.7')

    expectOneLineFailures(run, new RegExp(`package\\.json is at ${version.replaceAll('.', '\\.')}, not 9\\.8\\.7: set "version": "9\\.8\\.7"`))
    expect(run.stdout).toContain('ok: CHANGELOG.md has 9.8.7, dated 2027-01-02')
  })

  it('fails for a stale dist/, naming the file and the fix', () => {
    const root = copyOfRepo(dir => writeFileSync(path.join(dir, 'dist/index.js'), readFileSync('dist/index.js', 'utf8') + '\n// edited by hand\n'))

    const run = checkCopy(root, version)

    expectOneLineFailures(
      run,
      /^release:check: dist\/ is not what the build makes from src\/ \(dist\/index\.js differs\): run 'npm run bundle' and commit dist\/$/
    )
  })

  it('fails when action.yml does not run dist/index.js on node24', () => {
    const root = copyOfRepo(dir => {
      const action = readFileSync(path.join(dir, 'action.yml'), 'utf8')
      writeFileSync(path.join(dir, 'action.yml'), action.replace('using: node24', 'using: node20'))
    })

    const run = checkCopy(root, version)

    expectOneLineFailures(run, /action\.yml runs dist\/index\.js on node20, not dist\/index\.js on node24: set runs\.using: node24/)
  })

  it.each([
    ['v1', /'v1' is a major version, not a release: give all of X\.Y\.Z \(the release moves v1 itself\)/],
    ['1.0', /'1\.0' has two numbers, a release has three: give X\.Y\.Z/],
    ['01.0.0', /'01\.0\.0' has a leading zero, which semver forbids: write 1\.0\.0/],
    ['1.02.3', /'1\.02\.3' has a leading zero, which semver forbids: write 1\.2\.3/],
    ['1.0.0-rc.1', /'1\.0\.0-rc\.1' is a pre-release or build version; only X\.Y\.Z releases are made here/],
    ['latest', /'latest' is not a version X\.Y\.Z: e\.g\. npm run release:check -- 1\.2\.3/],
    ['', /no version given: name the release as X\.Y\.Z/]
  ])('rejects the tag %j with its cause and the fix', (given, cause) => {
    const parsed = parseVersion(given)

    expect(parsed).toEqual({ problem: expect.stringMatching(cause) })
  })

  it('prints a rejected tag as its one problem line', () => {
    const run = checkCopy(copyOfRepo(), 'v1')

    expectOneLineFailures(run, /'v1' is a major version, not a release/)
  })

  it('reports every failing precondition at once', () => {
    const root = copyOfRepo(dir => rmSync(path.join(dir, 'dist/index.js')))

    const run = checkCopy(root, '2.0.0')

    expectOneLineFailures(
      run,
      /package\.json is at .*, not 2\.0\.0/,
      /CHANGELOG\.md has no entry for 2\.0\.0/,
      /npm pack would not publish dist\/index\.js: add it to "files"/,
      /\(dist\/index\.js is missing\)/
    )
  })

  it('fails when npm pack would publish more than dist/ and action.yml', () => {
    const root = copyOfRepo(dir => {
      const { files: _files, ...pkg } = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg))
    })

    const run = checkCopy(root, version)

    expectOneLineFailures(
      run,
      /npm pack would publish CHANGELOG\.md, which neither the action nor the command line runs: keep "files" in package\.json to dist\/ and action\.yml/
    )
  })

  it('fails when the package would make every install download dependencies dist/ already bundles', () => {
    const root = copyOfRepo(dir => {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'))
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, private: true, dependencies: { undici: '6.29.1' } }))
    })

    const run = checkCopy(root, version)

    expectOneLineFailures(
      run,
      /package\.json has dependencies, which every install .*: make them devDependencies/,
      /package\.json is private, so npm publish refuses it/
    )
  })
})

// Run alone, release:check builds dist/ only when something the build reads, or dist/ itself, changed since a
// check last found dist/ current. In these copies the build is a stand-in that copies the committed dist/
// and counts its runs, so each case shows whether a build happened, and a stale dist/ still fails.
describe('npm run release:check reuses an earlier check of dist/', () => {
  const STAND_IN = [
    "import { appendFileSync, cpSync } from 'node:fs'",
    `cpSync(${JSON.stringify(committedDist)}, process.argv[2], { recursive: true })`,
    "appendFileSync(new URL('../builds.log', import.meta.url), 'build\\n')",
    ''
  ].join('\n')

  function copyWithBuild(): string {
    return copyOfRepo(root => {
      cpSync('src', path.join(root, 'src'), { recursive: true })
      for (const file of ['package-lock.json', 'tsconfig.json', 'scripts/ncc-build.js', 'scripts/module-condition.js']) {
        cpSync(file, path.join(root, file))
      }
      writeFileSync(path.join(root, 'scripts/bundle.js'), STAND_IN)
    })
  }
  const builds = (root: string) => (existsSync(path.join(root, 'builds.log')) ? readFileSync(path.join(root, 'builds.log'), 'utf8').split('\n').length - 1 : 0)
  const checkAlone = (root: string) => releaseCheck([version, '--root', root])
  const REUSED = 'ok: dist/ is exactly what the build makes from src/ (as checked before: nothing the build reads, and nothing in dist/, changed since)'

  it('builds once, then reuses that check while nothing changes', () => {
    const root = copyWithBuild()

    const first = checkAlone(root)
    const second = checkAlone(root)

    expect([first.status, second.status]).toEqual([0, 0])
    expect(first.stdout).toContain('ok: dist/ is exactly what the build makes from src/\n')
    expect(second.stdout).toContain(REUSED)
    expect(builds(root)).toBe(1)
  })

  it('reuses the check the test command made with --built and --built-from, without building', () => {
    const root = copyWithBuild()
    const inputs = spawnSync(process.execPath, [path.resolve('scripts/dist-record.js'), 'inputs', '--root', root], { encoding: 'utf8' }).stdout.trim()

    expect(releaseCheck([version, '--root', root, '--built', committedDist, '--built-from', inputs]).status).toBe(0)
    const alone = checkAlone(root)

    expect(alone.status).toBe(0)
    expect(alone.stdout).toContain(REUSED)
    expect(builds(root)).toBe(0)
  })

  it('builds again, and fails, when dist/ was edited after the check', () => {
    const root = copyWithBuild()
    expect(checkAlone(root).status).toBe(0)
    writeFileSync(path.join(root, 'dist/index.js'), readFileSync('dist/index.js', 'utf8') + '\n// edited by hand\n')

    const run = checkAlone(root)

    expectOneLineFailures(run, /dist\/ is not what the build makes from src\/ \(dist\/index\.js differs\)/)
    expect(builds(root)).toBe(2)
  })

  it.each([
    ['a file in src/', 'src/run/main.ts'],
    ['package-lock.json', 'package-lock.json'],
    ['the bundle script', 'scripts/ncc-build.js']
  ])('builds again when %s changed after the check', (_what, file) => {
    const root = copyWithBuild()
    expect(checkAlone(root).status).toBe(0)
    writeFileSync(path.join(root, file), readFileSync(path.join(root, file), 'utf8') + '\n')

    const run = checkAlone(root)

    expect(run.status).toBe(0)
    expect(run.stdout).not.toContain(REUSED)
    expect(builds(root)).toBe(2)
  })
})

describe('compareDist', () => {
  function dirWith(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'dist-'))
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
      writeFileSync(path.join(dir, name), text)
    }
    return dir
  }

  it('finds changed, missing and leftover files, in subdirectories too', () => {
    const fresh = dirWith({ 'index.js': 'a', '1.index.js': 'b', 'sub/x.js': 'c', 'licenses.txt': 'l' })
    const committed = dirWith({ 'index.js': 'a', '1.index.js': 'B', 'sub/x.js': 'c', '9.index.js': 'old' })

    expect(compareDist(committed, fresh).sort()).toEqual(['dist/1.index.js differs', 'dist/9.index.js is not built from src/', 'dist/licenses.txt is missing'])
  })

  it('finds nothing when the two are byte for byte the same', () => {
    const files = { 'index.js': 'a', 'sub/x.js': 'c' }

    expect(compareDist(dirWith(files), dirWith(files))).toEqual([])
  })
})

describe('changelogEntry', () => {
  const changelog = [
    '# Changelog',
    '',
    '## [Unreleased]',
    '',
    '## [1.1.0] - 2027-02-30',
    '',
    '- x',
    '',
    '## [1.0.1] - 2027-01-05',
    '',
    '## [1.0.0] - 2026-12-01',
    '',
    '### Added',
    '',
    '- First release.',
    '',
    '[1.0.0]: https://example.com/v1.0.0',
    ''
  ].join('\n')

  it('gives the entry without its heading and the link definitions, for the release notes', () => {
    expect(changelogEntry(changelog, '1.0.0')).toEqual({ date: '2026-12-01', notes: '### Added\n\n- First release.' })
  })

  it('refuses an impossible date and an empty entry', () => {
    expect(changelogEntry(changelog, '1.1.0')).toEqual({ problem: expect.stringMatching(/heading for 1\.1\.0 has no valid release date/) })
    expect(changelogEntry(changelog, '1.0.1')).toEqual({ problem: expect.stringMatching(/entry for 1\.0\.1 lists no changes/) })
  })

  it('prints the notes for the release workflow', () => {
    const run = spawnSync(process.execPath, [path.resolve('scripts/changelog.js'), version], { encoding: 'utf8' })

    expect(run.status).toBe(0)
    expect(run.stdout).toBe(`${(changelogEntry(readFileSync('CHANGELOG.md', 'utf8'), version) as { notes: string }).notes}\n`)
    expect(run.stdout).toMatch(/^### Added\n\n- /)
  })
})
