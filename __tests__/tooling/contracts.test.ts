import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { createHttpClient } from '../../src/http/http.js'
import { storePullSecret, type PipecatApi } from '../../src/pipecat/pipecat.js'
import { reportFailure } from '../../src/github/alert.js'
import { PIPECAT_OPENAPI, githubContract, pipecatContract, uncheckedViolations } from '../contracts/contracts.js'
import { OpenApiContract } from '../contracts/openapi.js'
import { services, type Exchange } from '../emulators/exchanges.js'
import { startGitHubEmulator } from '../emulators/github.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'

/** Everything the emulators exchanged since the last check, checked now, so the hook after the test has nothing left. */
const drained = () => uncheckedViolations(services)
const lastExchange = (): Exchange => services[services.length - 1].exchanges.at(-1) as Exchange
const withBody = (exchange: Exchange, change: (body: Record<string, unknown>) => void): Exchange => {
  const body = JSON.parse(exchange.rawBody) as Record<string, unknown>
  change(body)
  return { ...exchange, rawBody: JSON.stringify(body) }
}

describe('the Pipecat Cloud contract', () => {
  let pipecat: Awaited<ReturnType<typeof startPipecatEmulator>>
  let api: PipecatApi
  beforeEach(async () => {
    pipecat = await startPipecatEmulator()
    api = { http: createHttpClient({ timeoutMs: 5000 }), apiUrl: pipecat.url, token: pipecat.token }
  })
  afterEach(() => pipecat.close())

  it("holds the action's PUT to it: the body it sends fits, and the same body without secretValue does not", async () => {
    await storePullSecret(api, {
      secretName: 'my-ecr-credentials',
      host: 'https://123456789012.dkr.ecr.us-west-2.amazonaws.com',
      authorizationToken: 'QVdTOnNlY3JldA=='
    })
    expect(drained()).toEqual([])
    const put = services.at(-1)?.exchanges.find(e => e.method === 'PUT') as Exchange

    expect(pipecatContract().violations(withBody(put, body => delete body.secretValue))).toContainEqual(
      "Pipecat Cloud: PUT /v1/secrets/my-ecr-credentials: the request body must have required property 'secretValue'"
    )
    expect(pipecatContract().violations(withBody(put, body => (body.isImagePullSecret = 'yes')))).toContainEqual(
      'Pipecat Cloud: PUT /v1/secrets/my-ecr-credentials: the request body at /isImagePullSecret must be boolean'
    )
  })

  it('holds the emulator to it: its 202 without region, or a set listed with a status the API never gives, does not fit', async () => {
    await storePullSecret(api, { secretName: 'my-ecr-credentials', host: 'https://example.com', authorizationToken: 'QVdTOnNlY3JldA==' })
    expect(drained()).toEqual([])
    const answer = lastExchange()
    expect(answer).toMatchObject({ status: 202, body: { status: 'OK', region: 'us-west' } })

    expect(pipecatContract().violations({ ...answer, body: { status: 'OK' } })).toEqual([
      "Pipecat Cloud: PUT /v1/secrets/my-ecr-credentials: answer 202: the body must have required property 'region'"
    ])
    pipecat.seedSet({ name: 'odd-set', status: 'provisioning' as 'pending' })
    await fetch(`${pipecat.url}/v1/secrets`, { headers: { authorization: `Bearer ${pipecat.token}` } })
    // The list holds the stored secret first, then the odd set.
    expect(drained()).toEqual(['Pipecat Cloud: GET /v1/secrets: answer 200: the body at /sets/1/status must be equal to one of the allowed values'])
  })

  it('checks the path and the query against the operation: the set-name pattern, a parameter the operation does not take, a path it does not have', async () => {
    const get = (path: string) => fetch(`${pipecat.url}${path}`, { headers: { authorization: `Bearer ${pipecat.token}` } })
    await get('/v1/secrets/Bad_Name')
    await get('/v1/secrets?page=2')
    await get('/v2/secrets')
    await get('/v1/nothing-here')
    expect(drained()).toEqual([
      'Pipecat Cloud: GET /v1/secrets/Bad_Name: the path parameter setName must match pattern "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"',
      'Pipecat Cloud: GET /v1/secrets?page=2: the query parameter page is not in the contract',
      'Pipecat Cloud: GET /v2/secrets: the path is not under /v1',
      'Pipecat Cloud: GET /v1/nothing-here: the contract has no such path'
    ])
  })

  it('exempts the answers a test queued as faults, never the request that met one', async () => {
    pipecat.failNext({ status: 502, rawBody: '<html>Bad gateway</html>' }, { status: 200, body: { sets: 'none' } }, { reset: true })
    const list = () => fetch(`${pipecat.url}/v1/secrets`, { headers: { authorization: `Bearer ${pipecat.token}` } })
    await list()
    await list()
    await list().catch(() => undefined)
    await fetch(`${pipecat.url}/v1/secrets?odd=1`, { headers: { authorization: `Bearer ${pipecat.token}` } })
    expect(drained()).toEqual(['Pipecat Cloud: GET /v1/secrets?odd=1: the query parameter odd is not in the contract'])
  })

  it('an agent seeded with odd details is exempt; a plain one is held to ServiceDetailsResponse', async () => {
    pipecat.seedAgent({ name: 'plain-bot' })
    pipecat.seedAgent({ name: 'odd-bot', details: { ready: 'yes' } })
    const get = (path: string) => fetch(`${pipecat.url}${path}`, { headers: { authorization: `Bearer ${pipecat.token}` } })
    await get('/v1/agents/plain-bot')
    await get('/v1/agents/odd-bot')
    await get('/v1/agents?region=us-west&includeActiveDeployment=true')
    expect(drained()).toEqual([])
  })

  it('is the copy of the published file in shared/reference, where that is beside the clone', () => {
    const published = resolve('../shared/reference/pipecat-cloud-openapi.json')
    if (!existsSync(published)) return
    expect(readFileSync(PIPECAT_OPENAPI, 'utf8')).toBe(readFileSync(published, 'utf8'))
  })
})

describe("GitHub's contract", () => {
  let github: Awaited<ReturnType<typeof startGitHubEmulator>>
  beforeAll(async () => {
    github = await startGitHubEmulator({ token: 'ghs_contract' })
  })
  afterAll(() => github.close())

  it("holds the alert's requests and the emulator's answers to GitHub's description; an issue without title, or an answer without node_id, does not fit", async () => {
    const target = {
      token: 'ghs_contract',
      repository: 'acme/agents',
      runUrl: 'https://github.com/acme/agents/actions/runs/1',
      secretName: 'ecr',
      apiUrl: github.url,
      timeoutMs: 10_000
    }
    await reportFailure(target, { message: 'Pipecat Cloud answered 500', secret: 'untouched' }, { missing: 'not read' })
    expect(drained()).toEqual([])
    const created = services.at(-1)?.exchanges.find(e => e.method === 'POST' && e.path.endsWith('/issues')) as Exchange
    expect(created.status).toBe(201)

    expect(githubContract().violations(withBody(created, body => delete body.title))).toContainEqual(
      "GitHub: POST /repos/acme/agents/issues: the request body must have required property 'title'"
    )
    const { node_id: _dropped, ...withoutNodeId } = created.body as Record<string, unknown>
    expect(githubContract().violations({ ...created, body: withoutNodeId })).toEqual([
      "GitHub: POST /repos/acme/agents/issues: answer 201: the body must have required property 'node_id'"
    ])
  })

  it('holds the Actions API answers to it, and an error answer to basic-error', async () => {
    github.addRun({ id: 5, workflow_id: 42, repository: 'acme/agents', run_started_at: '2026-03-01T06:00:00Z' })
    const get = (path: string, token = 'ghs_contract') => fetch(`${github.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    await get('/repos/acme/agents/actions/runs/5')
    await get('/repos/acme/agents/actions/workflows/42/runs?status=success&per_page=2')
    await get('/repos/acme/agents/actions/runs/5', 'wrong')
    await get('/user')
    expect(drained()).toEqual([])
  })
})

describe('OpenAPI 3.0 read as JSON Schema', () => {
  const contract = new OpenApiContract({
    name: 'Tiny',
    basePath: '',
    errorSchema: 'openapi.json#/components/schemas/Error',
    document: {
      openapi: '3.0.0',
      paths: {
        '/things/{id}': {
          get: {
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
            responses: { '200': { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } }
          }
        },
        '/things/latest': { get: { responses: { '204': { description: '' } } } }
      },
      components: {
        schemas: {
          Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
          Owner: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
          Thing: {
            type: 'object',
            required: ['note', 'owner', 'state'],
            properties: {
              note: { type: 'string', nullable: true },
              owner: { $ref: '#/components/schemas/Owner', nullable: true },
              state: { type: 'string', enum: ['on', 'off'], nullable: true }
            }
          }
        }
      }
    }
  })
  const exchange = (path: string, status: number, body?: unknown): Exchange => ({ method: 'GET', path, contentType: undefined, rawBody: '', status, body })

  it('admits null where nullable says so, beside a type, an enum or a $ref, and nowhere else', () => {
    expect(contract.violations(exchange('/things/1', 200, { note: null, owner: null, state: null }))).toEqual([])
    expect(contract.violations(exchange('/things/1', 200, { note: 'x', owner: { name: null }, state: 'off' }))).toEqual([
      'Tiny: GET /things/1: answer 200: the body at /owner/name must be string',
      'Tiny: GET /things/1: answer 200: the body at /owner must be null',
      'Tiny: GET /things/1: answer 200: the body at /owner must match a schema in anyOf'
    ])
  })

  it('prefers a literal path to a template, reads path values as their type, and holds an unlisted error to the error schema', () => {
    expect(contract.violations(exchange('/things/latest', 204))).toEqual([])
    expect(contract.violations(exchange('/things/seven', 200, { note: null, owner: null, state: null }))).toEqual([
      'Tiny: GET /things/seven: the path parameter id must be integer'
    ])
    expect(contract.violations(exchange('/things/1', 500, { message: 'boom' }))).toEqual([
      "Tiny: GET /things/1: answer 500: the error body must have required property 'error'"
    ])
    expect(contract.violations(exchange('/things/1', 302))).toEqual(['Tiny: GET /things/1: answer 302: the operation does not answer 302'])
  })
})

describe('the hook after each test', () => {
  it('fails the test whose request or answer drifted, with each violation on a line, and passes the one that did not', async () => {
    const jest = resolve('node_modules/jest/bin/jest.js')
    const args = [jest, '--ci', '--coverage=false', '--testMatch', '**/__tests__/contracts/fixtures/drift.check.ts', '--json']
    const env = { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' }
    const run = await promisify(execFile)(process.execPath, args, { env }).catch((error: { code: number; stdout: string }) => error)
    const report = JSON.parse(run.stdout) as { testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }> }
    const results = report.testResults[0].assertionResults.map(r => ({ title: r.title, status: r.status, message: r.failureMessages.join('\n') }))

    expect(results).toEqual([
      {
        title: 'sends an image pull secret without secretValue',
        status: 'failed',
        message: expect.stringMatching(
          /^Error: Off the published contract:\n( {2}.*\n)* {2}Pipecat Cloud: PUT \/v1\/secrets\/drift-check: the request body must have required property 'secretValue'\n/
        )
      },
      {
        title: 'meets an emulator answer off the contract',
        status: 'failed',
        message: expect.stringContaining('Pipecat Cloud: GET /v1/secrets: answer 200: the body at /sets/0/status must be equal to one of the allowed values')
      },
      { title: 'stays on the contract', status: 'passed', message: '' }
    ])
  }, 60_000)
})
