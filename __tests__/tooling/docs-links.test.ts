// Every relative link in the README and the docs leads somewhere: the file exists, and a #fragment names a
// heading of the file it points to (as GitHub makes anchors from headings). Links to other sites are not followed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'

const DOCUMENTS = [
  'README.md',
  'CONTRIBUTING.md',
  'SECURITY.md',
  ...readdirSync('docs')
    .filter(name => name.endsWith('.md'))
    .map(name => `docs/${name}`)
]

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '')
}

export function links(markdown: string): string[] {
  const text = prose(markdown)
  const inline = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(match => match[1])
  const references = [...text.matchAll(/^\[[^\]]+\]:\s*(\S+)/gm)].map(match => match[1])
  return [...inline, ...references]
}

/** GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, a repeated heading numbered. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  const withoutCode = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
  for (const [, heading] of withoutCode.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return result
}

function broken(document: string): string[] {
  const problems: string[] = []
  for (const link of links(readFileSync(document, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue
    const [file, fragment] = link.split('#') as [string, string | undefined]
    const target = file === '' ? document : path.normalize(path.join(path.dirname(document), decodeURIComponent(file)))
    if (!existsSync(target)) {
      problems.push(`${document}: ${link} (no file ${target})`)
      continue
    }
    if (fragment === undefined || fragment === '') continue
    if (statSync(target).isDirectory() || !target.endsWith('.md')) {
      problems.push(`${document}: ${link} (a #fragment on a file that is not Markdown)`)
    } else if (!anchors(readFileSync(target, 'utf8')).has(decodeURIComponent(fragment).toLowerCase())) {
      problems.push(`${document}: ${link} (no heading #${fragment} in ${target})`)
    }
  }
  return problems
}

test.each(DOCUMENTS)('every relative link in %s resolves', document => {
  expect(broken(document)).toEqual([])
})

test('the README links every page of docs/', () => {
  const readme = links(readFileSync('README.md', 'utf8')).map(link => link.split('#')[0])
  const pages = readdirSync('docs').filter(name => name.endsWith('.md'))
  expect(pages.filter(page => !readme.includes(`docs/${page}`))).toEqual([])
})

test('anchors are made as GitHub makes them', () => {
  expect([...anchors('# What it writes into `pcc-deploy.toml`\n## 4. The push role of `examples/release.yml`\n## Usage\n## Usage\n')]).toEqual([
    'what-it-writes-into-pcc-deploytoml',
    '4-the-push-role-of-examplesreleaseyml',
    'usage',
    'usage-1'
  ])
  expect(links('See [a](docs/a.md#x), `[not](b.md)`, and\n\n```\n[nor](c.md)\n```\n[ref]: d.md\n')).toEqual(['docs/a.md#x', 'd.md'])
})

describe("docs/development.md's layout", () => {
  const layout = /## Layout\n[\s\S]*?```\n([\s\S]*?)```/.exec(readFileSync('docs/development.md', 'utf8'))?.[1] ?? ''
  const listed = (root: string) => [...layout.matchAll(new RegExp(`^${root}/([\\w<>.-]+)/`, 'gm'))].map(match => match[1]).sort()
  const folders = (root: string) =>
    readdirSync(root, { withFileTypes: true })
      .filter(entry => entry.isDirectory())
      .map(entry => entry.name)
      .sort()

  it('names every folder of src/ and __tests__/, each with its line, and only those', () => {
    expect(listed('src')).toEqual(folders('src'))
    const tests = listed('__tests__')
    expect(tests.filter(name => name !== '<folder>')).toEqual(folders('__tests__').filter(name => !folders('src').includes(name)))
  })

  it('gives every folder of src/ a README.md saying what it may import', () => {
    for (const folder of folders('src')) expect(readFileSync(`src/${folder}/README.md`, 'utf8')).toMatch(/may\s+import/i)
  })

  it('mirrors src/ in the unit tests: each folder of __tests__ named after one of src/ holds only tests of its modules', () => {
    for (const folder of folders('__tests__').filter(name => folders('src').includes(name))) {
      for (const test of readdirSync(`__tests__/${folder}`).filter(name => name.endsWith('.test.ts'))) {
        const text = readFileSync(`__tests__/${folder}/${test}`, 'utf8')
        expect({ test: `${folder}/${test}`, importsItsFolder: text.includes(`../../src/${folder}/`) }).toEqual({
          test: `${folder}/${test}`,
          importsItsFolder: true
        })
      }
    }
  })
})
