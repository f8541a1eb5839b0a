/**
 * The published contracts the emulators stand in for: Pipecat Cloud's OpenAPI file (a copy of the one
 * Pipecat Cloud publishes, kept beside this file) and GitHub's OpenAPI description from npm
 * (@octokit/openapi), of which only the operations the action calls are loaded.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import type { EmulatedService, Exchange } from '../emulators/exchanges.js'
import { OpenApiContract } from './openapi.js'

type Json = Record<string, unknown>

export const PIPECAT_OPENAPI = resolve('__tests__/contracts/pipecat-cloud-openapi.json')

/** What src/github/alert.ts and src/github/run-history.ts call, as GitHub's description names the operations. */
export const GITHUB_OPERATIONS = [
  ['get', '/user'],
  ['get', '/repos/{owner}/{repo}/issues'],
  ['post', '/repos/{owner}/{repo}/issues'],
  ['patch', '/repos/{owner}/{repo}/issues/{issue_number}'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/labels'],
  ['get', '/repos/{owner}/{repo}/actions/runs/{run_id}'],
  ['get', '/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs']
] as const

const GITHUB_ERROR = '#/components/schemas/basic-error'

let pipecat: OpenApiContract | undefined
let github: OpenApiContract | undefined

export function pipecatContract(): OpenApiContract {
  pipecat ??= new OpenApiContract({
    name: 'Pipecat Cloud',
    document: JSON.parse(readFileSync(PIPECAT_OPENAPI, 'utf8')) as Json,
    basePath: '/v1',
    errorSchema: 'openapi.json#/components/schemas/ErrorResponse'
  })
  return pipecat
}

export function githubContract(): OpenApiContract {
  github ??= new OpenApiContract({ name: 'GitHub', document: githubOperations(), basePath: '', errorSchema: `openapi.json${GITHUB_ERROR}` })
  return github
}

let requestsOnPurpose = false

/**
 * For the emulators' own suite, which sends requests off the contract on purpose to see them refused:
 * from now on in this test file the requests are not held to the contract; the emulators' answers still are.
 */
export function sendingRequestsOffContract(): void {
  requestsOnPurpose = true
}

/** Every contract violation among the exchanges no check has seen yet; each check sees an exchange once. */
export function uncheckedViolations(services: EmulatedService[]): string[] {
  const violations: string[] = []
  for (const service of services) {
    const fresh: Exchange[] = service.exchanges.slice(service.checked)
    service.checked = service.exchanges.length
    if (fresh.length === 0) continue
    const contract = service.contract === 'pipecat' ? pipecatContract() : githubContract()
    for (const exchange of fresh) violations.push(...contract.violations(exchange, { requests: !requestsOnPurpose }))
  }
  return violations
}

/**
 * The GitHub operations above and the parts of the description they refer to, nothing else. The full
 * description is 13 MB; the extract is kept in node_modules/.cache, named by the package's version and the
 * operations, so only the first test of a new install reads the whole file.
 */
function githubOperations(): Json {
  const require = createRequire(import.meta.url)
  const packageJson = require.resolve('@octokit/openapi/package.json')
  const version = (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version
  const key = createHash('sha256')
    .update(JSON.stringify([version, GITHUB_OPERATIONS, GITHUB_ERROR]))
    .digest('hex')
    .slice(0, 16)
  const cached = resolve('node_modules/.cache/contracts', `github-openapi-${key}.json`)
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as Json
  } catch {
    // not extracted yet
  }
  const full = JSON.parse(readFileSync(join(dirname(packageJson), 'generated/api.github.com.json'), 'utf8')) as Json
  const extract = extractOperations(full)
  mkdirSync(dirname(cached), { recursive: true })
  // Workers may extract at once: each writes its own file and renames it into place.
  const partial = `${cached}.${process.pid}`
  writeFileSync(partial, JSON.stringify(extract))
  renameSync(partial, cached)
  return extract
}

function extractOperations(full: Json): Json {
  const fullPaths = full.paths as Record<string, Json>
  const paths: Record<string, Json> = {}
  for (const [method, path] of GITHUB_OPERATIONS) {
    const item = (paths[path] ??= fullPaths[path].parameters ? { parameters: fullPaths[path].parameters } : {})
    item[method] = withoutExamples(fullPaths[path][method])
  }
  const components: Record<string, Json> = {}
  const pending = [...refsIn(paths), GITHUB_ERROR]
  while (pending.length > 0) {
    const ref = pending.pop() as string
    const [, kind, name] = ref.split('/').slice(1)
    const section = (components[kind] ??= {})
    if (name in section) continue
    section[name] = withoutExamples(((full.components as Json)[kind] as Json)[name])
    pending.push(...refsIn(section[name]))
  }
  return { openapi: full.openapi, info: full.info, paths, components }
}

/** Examples are documentation: dropped, they cannot be mistaken for what is checked, and the extract stays small. */
function withoutExamples(node: unknown): Json {
  return JSON.parse(JSON.stringify(node, (key, value: unknown) => (key === 'examples' || key === 'example' ? undefined : value))) as Json
}

function refsIn(node: unknown): string[] {
  return [...JSON.stringify(node).matchAll(/"\$ref":"(#\/components\/[^"]+)"/g)].map(match => match[1])
}
