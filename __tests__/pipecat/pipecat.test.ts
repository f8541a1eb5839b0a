import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ActionError } from '../../src/common/errors.js'
import { actionsHost, useHost, type Host } from '../../src/hosts/host.js'
import type { HttpClient, HttpResponse } from '../../src/http/http.js'
import { checkPullSecret, storePullSecret, UnreadableSuccessError, waitForAllReady, waitForReady, type PipecatApi } from '../../src/pipecat/pipecat.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { sleepClock } from '../support/sleep-clock.js'
import { emulatorApi } from '../support/pipecat-api.js'

type Pipecat = Awaited<ReturnType<typeof startPipecatEmulator>>

const NAME = 'my-ecr-credentials'
const TOKEN = Buffer.from(`AWS:${'x'.repeat(80)}`).toString('base64')
const secret = { secretName: NAME, host: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com', authorizationToken: TOKEN, region: 'us-west' }

let pipecat: Pipecat
let api: PipecatApi
/** The wait's log lines, as the host was handed them. */
let logged: string[]

/** A client that tries each request `attempts` times, never waiting between tries. */

const messageOf = (error: unknown) => {
  expect(error).toBeInstanceOf(ActionError)
  return (error as Error).message
}

beforeEach(async () => {
  pipecat = await startPipecatEmulator({ regions: ['us-west', 'us-east', 'eu-central'] })
  api = emulatorApi(pipecat)
  logged = []
  const recorder: Host = { ...actionsHost, info: line => logged.push(line), debug: () => undefined }
  useHost(recorder)
})
afterEach(async () => {
  useHost(actionsHost)
  await pipecat.close()
})

describe('storing the image pull secret', () => {
  it('PUTs the image pull secret shape to the set, with the key as bearer token', async () => {
    expect(await storePullSecret(api, secret)).toEqual({ region: 'us-west' })

    expect(pipecat.requests).toHaveLength(1)
    const [put] = pipecat.requests
    expect(put).toMatchObject({
      method: 'PUT',
      path: `/v1/secrets/${NAME}`,
      body: { isImagePullSecret: true, host: secret.host, secretValue: TOKEN, region: 'us-west' }
    })
    expect(put.headers).toMatchObject({ authorization: `Bearer ${pipecat.token}`, 'content-type': 'application/json', accept: 'application/json' })
    expect(pipecat.sets.get(NAME)).toMatchObject({ type: 'imagePullSecret', region: 'us-west', secretValue: TOKEN })
  })

  it('names no region when pipecat-region is not given', async () => {
    expect(await storePullSecret(api, { ...secret, region: undefined })).toEqual({ region: 'us-west' })
    expect(pipecat.requests[0].body).toEqual({ isImagePullSecret: true, host: secret.host, secretValue: TOKEN })
  })

  it.each([401, 403])('a key the API refuses (%i) is named, and the key is not shown', async status => {
    const wrongKey = 'pk_wrong_key_0123456789abcdef'
    if (status === 403) pipecat.failNext({ method: 'PUT', status: 403 })
    const error = await storePullSecret({ ...api, token: status === 401 ? wrongKey : api.token }, secret).catch((e: unknown) => e)

    expect(messageOf(error)).toBe(
      `Pipecat Cloud rejected pipecat-api-token (${status}): use a Private API key (Dashboard > Settings > API Keys > Private) and store it as a repository secret.`
    )
    expect(messageOf(error)).not.toContain(wrongKey)
    expect(messageOf(error)).not.toContain(pipecat.token)
    expect(pipecat.sets.has(NAME)).toBe(false)
  })

  it('a name taken by a regular secret set', async () => {
    pipecat.seedSet({ name: NAME, type: 'secret', region: 'us-west' })

    await expect(storePullSecret(api, secret)).rejects.toThrow(
      `The name ${NAME} is taken by a regular secret set, which cannot hold image credentials: choose another secret-name, or delete that set (pipecat cloud secrets delete ${NAME}).`
    )
    expect(pipecat.sets.get(NAME)?.type).toBe('secret')
  })

  it('a set that lives in another region', async () => {
    pipecat.seedSet({ name: NAME, type: 'imagePullSecret', region: 'us-east', host: `${secret.host}/`, secretValue: 'old' })

    await expect(storePullSecret(api, secret)).rejects.toThrow(
      `Secret set ${NAME} lives in Pipecat region us-east, not us-west: set pipecat-region: us-east (a set cannot move), or choose a new secret-name for the other region.`
    )
    expect(pipecat.sets.get(NAME)?.secretValue).toBe('old')
  })

  it('a set in another region, when no region was asked for', async () => {
    pipecat.failNext({
      method: 'PUT',
      status: 400,
      body: { error: "Secret already exists in region 'eu-central'. Cannot change region to 'us-west'.", code: 'GENERIC_BAD_REQUEST' }
    })

    await expect(storePullSecret(api, { ...secret, region: undefined })).rejects.toThrow(
      `Secret set ${NAME} lives in Pipecat region eu-central, not the one asked for: set pipecat-region: eu-central (a set cannot move), or choose a new secret-name for the other region.`
    )
  })

  it('a region the organization may not use, named or by default', async () => {
    await expect(storePullSecret(api, { ...secret, region: 'ap-south' })).rejects.toThrow(
      'Pipecat Cloud does not offer region ap-south to your organization: check pipecat-region against the regions in your dashboard.'
    )
    const elsewhere = await startPipecatEmulator({ regions: ['eu-central'], defaultRegion: 'us-west' })
    try {
      const error = await storePullSecret({ ...api, apiUrl: elsewhere.url, token: elsewhere.token }, { ...secret, region: undefined }).catch((e: unknown) => e)
      expect(messageOf(error)).toBe(
        'Pipecat Cloud does not offer region (default) to your organization: check pipecat-region against the regions in your dashboard.'
      )
    } finally {
      await elsewhere.close()
    }
  })

  it.each([
    [301, { location: 'https://login.example.com/sso' }, ' to https://login.example.com/sso'],
    [307, {}, '']
  ])('a redirect (%i) is not followed, and points at pipecat-api-url', async (status, headers, to) => {
    pipecat.failNext({ method: 'PUT', status, headers })

    await expect(storePullSecret(api, secret)).rejects.toThrow(
      `Pipecat Cloud answered with a redirect (${status}${to}), which the API never sends: check that pipecat-api-url is the API's address (https://api.pipecat.daily.co) and that no proxy answers in its place.`
    )
    expect(pipecat.requests).toHaveLength(1)
  })

  it.each([
    [503, 'SERVICE_UNAVAILABLE', undefined],
    [429, '', { error: 'Too many requests' }],
    [409, 'CONFLICT', undefined]
  ])('a busy or failing service (%i) is retried, then told to rerun later', async (status, code, body) => {
    api = emulatorApi(pipecat, 2)
    pipecat.failNext({ method: 'PUT', status, body }, { method: 'PUT', status, body })

    await expect(storePullSecret(api, secret)).rejects.toThrow(
      `Pipecat Cloud answered ${status}${code ? ` ${code}` : ''} after 2 attempts: the service is busy or failing; rerun the workflow later.`
    )
    expect(pipecat.requests.map(request => request.method)).toEqual(['PUT', 'PUT'])
  })

  it('any other refusal quotes what the API said, and its code', async () => {
    pipecat.failNext({ method: 'PUT', status: 400, body: { error: 'Invalid request format', code: 'GENERIC_BAD_REQUEST' } })

    await expect(storePullSecret(api, secret)).rejects.toThrow(
      `Pipecat Cloud refused the image pull secret ${NAME} (400 GENERIC_BAD_REQUEST: Invalid request format); check secret-name, pipecat-region and pipecat-api-url.`
    )
    expect(pipecat.requests).toHaveLength(1)
  })

  it('a refusal that says nothing is still named by its status', async () => {
    pipecat.failNext({ method: 'PUT', status: 404, body: {} })

    await expect(storePullSecret(api, secret)).rejects.toThrow(
      `Pipecat Cloud refused the image pull secret ${NAME} (404); check secret-name, pipecat-region and pipecat-api-url.`
    )
  })

  it.each([
    ['an empty 204', { status: 204, rawBody: '' }],
    ['an answer without a region', { status: 202, body: { status: 'OK' } }]
  ])('%s means stored, in a region it does not say', async (_what, fault) => {
    pipecat.failNext({ method: 'PUT', ...fault })

    expect(await storePullSecret(api, secret)).toEqual({ region: undefined })
    expect(pipecat.sets.get(NAME)?.secretValue).toBe(TOKEN)
  })

  it.each([
    [
      'a body that is not JSON',
      { rawBody: '<html>Welcome</html>' },
      "Pipecat Cloud answered the secret update with 202 but a body that is not JSON (text/html): a proxy or a wrong pipecat-api-url may be in the way; check pipecat-api-url and the runner's proxy settings."
    ],
    [
      'a JSON list',
      { body: ['OK'] },
      'Pipecat Cloud answered the secret update with 202 but a list where a JSON object belongs: check that pipecat-api-url points at the Pipecat Cloud API.'
    ],
    [
      'a region that is no region name',
      { body: { status: 'OK', region: 'US West!' } },
      `Pipecat Cloud stored the secret set ${NAME} but named its region as US West!, which is not a region name: check that pipecat-api-url points at the Pipecat Cloud API, then rerun.`
    ]
  ])('a success with %s may or may not have stored the token, and says so', async (_what, fault, message) => {
    pipecat.failNext({ method: 'PUT', status: 202, ...fault })

    const error = await storePullSecret(api, secret).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(UnreadableSuccessError)
    expect(messageOf(error)).toBe(message)
  })
})

describe('watching the set until it is ready', () => {
  const listOf = (...sets: unknown[]) => ({ method: 'GET', path: '/v1/secrets', status: 200, body: { sets } })

  it('logs each status read and waits until the set is ready', async () => {
    await storePullSecret(api, secret)
    pipecat.setReadyAfter(2)
    const time = sleepClock()

    const ready = await waitForReady(api, NAME, { timeoutMs: 60_000, region: 'us-west', ...time })

    expect(ready).toEqual({ name: NAME, type: 'imagePullSecret', region: 'us-west', status: 'ready', errorMessage: undefined })
    expect(time.slept).toEqual([250, 250])
    expect(logged).toEqual([`Secret set ${NAME} is pending; checking again in 0.3s.`, `Secret set ${NAME} is pending; checking again in 0.3s.`])
    expect(pipecat.requests.filter(request => request.method === 'GET')).toHaveLength(3)
  })

  it('several sets share each read, and one log line says which still wait', async () => {
    await storePullSecret(api, secret)
    await storePullSecret(api, { ...secret, secretName: 'other-set' })
    const time = sleepClock()

    const outcomes = await waitForAllReady(api, [{ secretName: NAME }, { secretName: 'other-set' }], { timeoutMs: 60_000, ...time })

    expect(outcomes).toMatchObject([
      { name: NAME, status: 'ready' },
      { name: 'other-set', status: 'ready' }
    ])
    expect(logged).toEqual([`Secret sets ${NAME} (pending), other-set (pending) are not ready yet; checking again in 0.3s.`])
    expect(pipecat.requests.filter(request => request.method === 'GET')).toHaveLength(2)
  })

  it('a set that failed to provision ends the wait with the reason Pipecat Cloud gave', async () => {
    pipecat.failProvisioning('Registry host is not reachable')
    await storePullSecret(api, secret)

    await expect(waitForReady(api, NAME, { timeoutMs: 60_000, ...sleepClock() })).rejects.toThrow(
      `Pipecat Cloud could not provision secret set ${NAME}: Registry host is not reachable; check the registry host, then rerun.`
    )
  })

  it('a failed set without a reason says none was given', async () => {
    pipecat.failNext(listOf({ name: NAME, type: 'imagePullSecret', region: 'us-west', status: 'failed', errorMessage: null }))

    await expect(waitForReady(api, NAME, { timeoutMs: 60_000, ...sleepClock() })).rejects.toThrow(
      `Pipecat Cloud could not provision secret set ${NAME}: no reason given; check the registry host, then rerun.`
    )
  })

  it('a set listed as a regular secret set is refused at once', async () => {
    pipecat.seedSet({ name: NAME, type: 'secret', status: 'pending' })
    const time = sleepClock()

    await expect(waitForReady(api, NAME, { timeoutMs: 60_000, ...time })).rejects.toThrow(
      `Secret set ${NAME} is listed as type secret, not an image pull secret: choose another secret-name.`
    )
    expect(time.slept).toEqual([])
  })

  it('a set never listed times out as not listed, after the reads the timeout allows', async () => {
    const time = sleepClock()

    await expect(waitForReady(api, NAME, { timeoutMs: 1_000, ...time })).rejects.toThrow(
      `Secret set ${NAME} is not listed after 1s: Pipecat Cloud is provisioning slowly; raise wait-timeout or rerun (deploys that bind it are rejected until it is ready).`
    )
    expect(time.slept).toEqual([250, 250, 250, 250])
    expect(logged[0]).toBe(`Secret set ${NAME} is not listed yet; checking again in 0.3s.`)
  })

  it('a list read that fails settles every set still waiting with that failure, from one read', async () => {
    pipecat.failNext({ method: 'GET', path: '/v1/secrets', status: 401 })
    const settled: string[] = []

    const outcomes = await waitForAllReady(api, [{ secretName: NAME }, { secretName: 'other-set' }], {
      timeoutMs: 60_000,
      ...sleepClock(),
      onSettled: name => settled.push(name)
    })

    const message =
      'Pipecat Cloud rejected pipecat-api-token (401): use a Private API key (Dashboard > Settings > API Keys > Private) and store it as a repository secret.'
    expect(outcomes.map(messageOf)).toEqual([message, message])
    expect(settled).toEqual([NAME, 'other-set'])
    expect(pipecat.requests).toHaveLength(1)
  })

  it.each([
    [
      'a body that is not JSON',
      { rawBody: '<html>Sign in</html>' },
      "Pipecat Cloud answered the secret list with 200 but a body that is not JSON (text/html): a proxy or a wrong pipecat-api-url may be in the way; check pipecat-api-url and the runner's proxy settings."
    ],
    [
      'null',
      { rawBody: 'null' },
      'Pipecat Cloud answered the secret list with 200 but null where a JSON object belongs: check that pipecat-api-url points at the Pipecat Cloud API.'
    ],
    [
      'no sets',
      { body: { items: [] } },
      'Pipecat Cloud answered the secret list with no "sets" list: check that pipecat-api-url points at the Pipecat Cloud API; if it does, rerun later, and report it if it persists.'
    ],
    [
      'sets that are no list',
      { body: { sets: { [NAME]: 'ready' } } },
      'Pipecat Cloud answered the secret list with a malformed "sets" list: check that pipecat-api-url points at the Pipecat Cloud API; if it does, rerun later, and report it if it persists.'
    ],
    [
      'an entry without a name',
      {
        body: {
          sets: [
            { name: 'other', type: 'secret', region: 'us-west', status: 'ready' },
            { type: 'secret', status: 'ready' }
          ]
        }
      },
      'Pipecat Cloud answered the secret list with entries that are not secret sets (an entry without a name): check that pipecat-api-url points at the Pipecat Cloud API; if it does, rerun later, and report it if it persists.'
    ],
    [
      'a status it does not know',
      { body: { sets: [{ name: NAME, type: 'imagePullSecret', region: 'us-west', status: 'provisioning' }] } },
      `Pipecat Cloud answered the secret list with an entry for ${NAME} that does not read as a secret set ({"name":"${NAME}","type":"imagePullSecret","region":"us-west","status":"provisioning"}); its status must be pending, ready or failed: check that pipecat-api-url points at the Pipecat Cloud API; if it does, rerun later, and report it if it persists.`
    ],
    [
      'a region that is no region name',
      { body: { sets: [{ name: NAME, type: 'imagePullSecret', region: 'US-WEST', status: 'ready' }] } },
      `Pipecat Cloud answered the secret list with an entry for ${NAME} that does not read as a secret set ({"name":"${NAME}","type":"imagePullSecret","region":"US-WEST","status":"ready"}); its status must be pending, ready or failed: check that pipecat-api-url points at the Pipecat Cloud API; if it does, rerun later, and report it if it persists.`
    ],
    [
      'a type that is no word',
      { body: { sets: [{ name: NAME, type: 'image pull', status: 'ready' }] } },
      `Pipecat Cloud answered the secret list with an entry for ${NAME} that does not read as a secret set ({"name":"${NAME}","type":"image pull","status":"ready"}); its status must be pending, ready or failed: check that pipecat-api-url points at the Pipecat Cloud API; if it does, rerun later, and report it if it persists.`
    ]
  ])('a secret list with %s ends the wait with what was wrong', async (_what, answer, message) => {
    pipecat.failNext({ method: 'GET', path: '/v1/secrets', status: 200, ...answer })
    const time = sleepClock()

    await expect(waitForReady(api, NAME, { timeoutMs: 60_000, ...time })).rejects.toThrow(message)
    expect(time.slept).toEqual([])
  })

  it('only the entry of the set asked for must be well formed; one without a region is taken as it is', async () => {
    pipecat.failNext({
      method: 'GET',
      path: '/v1/secrets',
      status: 200,
      body: {
        sets: [
          { name: 'someone-else', type: 42, status: 'odd' },
          { name: NAME, type: 'imagePullSecret', status: 'ready' }
        ]
      }
    })

    expect(await waitForReady(api, NAME, { timeoutMs: 60_000, region: 'us-west' })).toEqual({
      name: NAME,
      type: 'imagePullSecret',
      region: '',
      status: 'ready',
      errorMessage: undefined
    })
  })

  it('a failure that is no answer at all (a bug, not the service) is thrown as it is, not settled', async () => {
    const bug = new TypeError('send is broken')
    const broken: HttpClient = { send: () => Promise.reject(bug), sendOnce: () => Promise.reject(bug), describeFailure: String }
    const settled: string[] = []

    const error = await waitForAllReady({ ...api, http: broken }, [{ secretName: NAME }], {
      timeoutMs: 60_000,
      ...sleepClock(),
      onSettled: name => settled.push(name)
    }).catch((e: unknown) => e)

    expect(error).toBe(bug)
    expect(settled).toEqual([])
  })

  it('an answer without a content type is named so', async () => {
    const answer: HttpResponse = { status: 200, headers: {}, body: Buffer.from('sets: []'), attempts: 1 }
    const bare: HttpClient = { send: () => Promise.resolve(answer), sendOnce: () => Promise.reject(new Error('not used')), describeFailure: String }

    await expect(waitForReady({ ...api, http: bare }, NAME, { timeoutMs: 60_000, ...sleepClock() })).rejects.toThrow(
      "Pipecat Cloud answered the secret list with 200 but a body that is not JSON (no content type): a proxy or a wrong pipecat-api-url may be in the way; check pipecat-api-url and the runner's proxy settings."
    )
  })
})

describe("the dry run's check finds what the PUT would refuse, without writing", () => {
  afterEach(() => {
    expect(pipecat.requests.every(request => request.method === 'GET')).toBe(true)
  })

  it('a name taken by a regular secret set', async () => {
    pipecat.seedSet({ name: NAME, type: 'secret', region: 'us-west' })

    await expect(checkPullSecret(api, { secretName: NAME, region: 'us-west' })).rejects.toThrow(
      `The name ${NAME} is taken by a regular secret set, which cannot hold image credentials: choose another secret-name, or delete that set (pipecat cloud secrets delete ${NAME}).`
    )
  })

  it('a set in another region', async () => {
    pipecat.seedSet({ name: NAME, type: 'imagePullSecret', region: 'eu-central', status: 'ready', host: `${secret.host}/`, secretValue: 'old' })

    await expect(checkPullSecret(api, { secretName: NAME, region: 'us-west' })).rejects.toThrow(
      `Secret set ${NAME} lives in Pipecat region eu-central, not us-west: set pipecat-region: eu-central (a set cannot move), or choose a new secret-name for the other region.`
    )
    expect(pipecat.requests.map(request => request.path)).toEqual(['/v1/secrets', '/v1/regions'])
  })

  it('a set listed without a region', async () => {
    pipecat.failNext({
      method: 'GET',
      path: '/v1/secrets',
      status: 200,
      body: { sets: [{ name: NAME, type: 'imagePullSecret', region: '', status: 'ready' }] }
    })

    await expect(checkPullSecret(api, { secretName: NAME })).rejects.toThrow(
      `Pipecat Cloud listed secret set ${NAME} with an empty region, which it never does: check that pipecat-api-url points at the Pipecat Cloud API, then rerun.`
    )
  })

  it('a region list the service fails to give', async () => {
    pipecat.failNext({ method: 'GET', path: '/v1/regions', status: 502 })

    await expect(checkPullSecret(api, { secretName: NAME, region: 'us-west' })).rejects.toThrow(
      'Pipecat Cloud answered 502 BAD_GATEWAY after 1 attempts: the service is busy or failing; rerun the workflow later.'
    )
  })
})
