import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import { sendingRequestsOffContract } from '../contracts/contracts.js'
import { startEcrEmulator } from '../emulators/ecr.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'

// This suite probes the emulators' refusals with requests off the contract; their answers are still held to it.
sendingRequestsOffContract()

type Ecr = Awaited<ReturnType<typeof startEcrEmulator>>
type Pipecat = Awaited<ReturnType<typeof startPipecatEmulator>>

function ecrClient(endpoint: string | undefined, { region = 'us-east-1', maxAttempts = 1 } = {}) {
  return new ECRClient({
    region,
    endpoint,
    maxAttempts,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }
  })
}

async function getToken(client: ECRClient) {
  return client.send(new GetAuthorizationTokenCommand({}))
}

/** The SDK exception a call ends with, reduced to what a caller can act on. */
async function sdkError(client: ECRClient) {
  const error = await getToken(client).then(
    () => undefined,
    (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => e
  )
  return error && { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode }
}

describe('ECR emulator', () => {
  let ecr: Ecr
  beforeEach(async () => {
    ecr = await startEcrEmulator()
  })
  afterEach(async () => {
    await ecr.close()
  })

  test('answers GetAuthorizationToken to the real SDK with an AWS: token valid for 12 hours', async () => {
    const answer = await getToken(ecrClient(ecr.url))

    expect(answer.authorizationData).toEqual([
      {
        authorizationToken: ecr.authorizationToken,
        expiresAt: ecr.expiresAt,
        proxyEndpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com'
      }
    ])
    expect(Buffer.from(ecr.authorizationToken, 'base64').toString()).toBe(`AWS:${ecr.password}`)
    expect(ecr.password.length).toBeGreaterThan(100)
    const hoursLeft = (ecr.expiresAt.getTime() - Date.now()) / 3_600_000
    expect(hoursLeft).toBeGreaterThan(11.9)
    expect(hoursLeft).toBeLessThanOrEqual(12)

    expect(ecr.requests).toHaveLength(1)
    expect(ecr.requests[0]).toEqual({
      target: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
      authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/ecr\/aws4_request, /),
      accessKeyId: 'AKIDEXAMPLE',
      securityToken: undefined,
      body: {}
    })
  })

  test('is reached through AWS_ENDPOINT_URL_ECR, as the action reaches it', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_ECR
    process.env.AWS_ENDPOINT_URL_ECR = ecr.url
    try {
      const answer = await getToken(ecrClient(undefined))
      expect(answer.authorizationData?.[0].authorizationToken).toBe(ecr.authorizationToken)
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_ECR
      else process.env.AWS_ENDPOINT_URL_ECR = saved
    }
  })

  test('options set the account, region and password', async () => {
    const custom = await startEcrEmulator({ accountId: '000011112222', region: 'eu-west-1', password: 'pw' })
    try {
      const answer = await getToken(ecrClient(custom.url, { region: 'eu-west-1' }))
      expect(answer.authorizationData?.[0]).toMatchObject({
        authorizationToken: Buffer.from('AWS:pw').toString('base64'),
        proxyEndpoint: 'https://000011112222.dkr.ecr.eu-west-1.amazonaws.com'
      })
    } finally {
      await custom.close()
    }
  })

  test('refuses unsigned requests as AWS does, and records them', async () => {
    const answer = await request(ecr.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken'
      },
      body: '{}'
    })

    expect(answer.statusCode).toBe(400)
    expect(answer.headers['x-amzn-errortype']).toBe('UnrecognizedClientException')
    expect(await answer.body.json()).toEqual({
      __type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.'
    })
    expect(ecr.requests).toEqual([{ target: 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken', authorization: undefined, body: {} }])
  })

  test('refuses requests signed for another region or another operation', async () => {
    expect(await sdkError(ecrClient(ecr.url, { region: 'us-west-2' }))).toEqual({
      name: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'us-west-2'.",
      status: 400
    })

    const other = await request(ecr.url, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/ecr/aws4_request, Signature=0',
        'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories'
      },
      body: '{}'
    })
    expect(other.statusCode).toBe(400)
    expect(await other.body.json()).toMatchObject({ __type: 'UnknownOperationException' })
  })

  test.each([
    ['throttling', 'ThrottlingException', 'Rate exceeded', 400],
    [
      'access-denied',
      'AccessDeniedException',
      'User: arn:aws:sts::123456789012:assumed-role/github-actions-ecr/GitHubActions is not authorized to perform: ' +
        'ecr:GetAuthorizationToken on resource: * because no identity-based policy allows the ecr:GetAuthorizationToken action',
      400
    ],
    ['expired-token', 'ExpiredTokenException', 'The security token included in the request is expired', 400],
    ['server-error', 'ServerException', 'We encountered an internal error. Please try again.', 500]
  ] as const)('fail(%s) makes the SDK throw %s once, then recovers', async (kind, name, message, status) => {
    const client = ecrClient(ecr.url)
    ecr.fail(kind)

    expect(await sdkError(client)).toEqual({ name, message, status })
    expect((await getToken(client)).authorizationData?.[0].authorizationToken).toBe(ecr.authorizationToken)
    expect(ecr.requests).toHaveLength(2)
  })

  test('throttling N times is outlasted by the SDK retries, each attempt recorded', async () => {
    ecr.fail('throttling', 2)

    const answer = await getToken(ecrClient(ecr.url, { maxAttempts: 3 }))

    expect(answer.authorizationData?.[0].authorizationToken).toBe(ecr.authorizationToken)
    expect(answer.$metadata.attempts).toBe(3)
    expect(ecr.requests).toHaveLength(3)
  })

  test('answers that succeed but carry nothing usable', async () => {
    const client = ecrClient(ecr.url)
    ecr.fail('no-authorization-data')
    ecr.fail('bad-token')
    ecr.fail('expired')

    expect((await getToken(client)).authorizationData).toEqual([])

    const badToken = (await getToken(client)).authorizationData?.[0].authorizationToken ?? ''
    expect(badToken).not.toBe('')
    expect(Buffer.from(badToken, 'base64').toString()).not.toMatch(/^AWS:/)

    const expired = (await getToken(client)).authorizationData?.[0]
    expect(expired?.authorizationToken).toBe(ecr.authorizationToken)
    expect(expired?.expiresAt?.getTime()).toBeLessThan(Date.now())

    expect((await getToken(client)).authorizationData?.[0].expiresAt).toEqual(ecr.expiresAt)
  })
})

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
}

describe('Pipecat Cloud emulator', () => {
  let pipecat: Pipecat
  beforeEach(async () => {
    pipecat = await startPipecatEmulator()
  })
  afterEach(async () => {
    await pipecat.close()
  })

  async function call(
    method: 'GET' | 'PUT' | 'DELETE' | 'POST',
    path: string,
    { body, raw, token = pipecat.token }: { body?: unknown; raw?: string; token?: string | null } = {}
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (token !== null) headers.authorization = `Bearer ${token}`
    const answer = await request(`${pipecat.url}${path}`, {
      method,
      headers,
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body))
    })
    const text = await answer.body.text()
    let parsed: unknown = text
    try {
      parsed = JSON.parse(text)
    } catch {
      // kept as text: some faults answer with HTML
    }
    return { status: answer.statusCode, headers: answer.headers, body: parsed }
  }

  const imagePull = (overrides: Record<string, unknown> = {}) => ({
    isImagePullSecret: true,
    host: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
    secretValue: 'QVdTOnBhc3N3b3Jk',
    ...overrides
  })
  const putImage = (name = 'my-ecr-credentials', overrides: Record<string, unknown> = {}) => call('PUT', `/v1/secrets/${name}`, { body: imagePull(overrides) })
  const list = async () => ((await call('GET', '/v1/secrets')).body as { sets: Array<Record<string, unknown>> }).sets
  const badRequest = (error: string) => ({ status: 400, body: { error, code: 'GENERIC_BAD_REQUEST' } })

  test('every route wants the bearer token', async () => {
    const unauthorized = { status: 401, body: { error: 'Unauthorized', code: 'UNAUTHORIZED' } }
    for (const token of [null, 'wrong', '']) {
      expect(await call('GET', '/v1/secrets', { token })).toMatchObject(unauthorized)
      expect(await call('PUT', '/v1/secrets/my-ecr-credentials', { token, body: imagePull() })).toMatchObject(unauthorized)
      expect(await call('DELETE', '/v1/secrets/my-ecr-credentials', { token })).toMatchObject(unauthorized)
    }
    expect(pipecat.sets.size).toBe(0)
    expect(pipecat.token).toMatch(/^\S{20,}$/)

    const fixed = await startPipecatEmulator({ token: 'pk_fixed' })
    try {
      const answer = await request(`${fixed.url}/v1/secrets`, { headers: { authorization: 'Bearer pk_fixed' } })
      expect(answer.statusCode).toBe(200)
      expect(await answer.body.json()).toEqual({ sets: [] })
    } finally {
      await fixed.close()
    }
  })

  test('PUT stores an image pull secret, adds the trailing slash to host and answers 202', async () => {
    const answer = await putImage('my-ecr-credentials', { region: 'us-east' })

    expect(answer).toMatchObject({ status: 202, body: { status: 'OK', region: 'us-east' } })
    expect(pipecat.sets.get('my-ecr-credentials')).toEqual({
      name: 'my-ecr-credentials',
      type: 'imagePullSecret',
      region: 'us-east',
      host: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/',
      secretValue: 'QVdTOnBhc3N3b3Jk',
      status: 'pending'
    })
    expect(pipecat.requests).toEqual([
      {
        method: 'PUT',
        path: '/v1/secrets/my-ecr-credentials',
        headers: expect.objectContaining({ authorization: `Bearer ${pipecat.token}`, 'content-type': 'application/json' }),
        body: imagePull({ region: 'us-east' })
      }
    ])

    await putImage('with-slash', { host: 'https://index.docker.io/v1/' })
    expect(pipecat.sets.get('with-slash')?.host).toBe('https://index.docker.io/v1/')
  })

  test('a set with no region goes to the default region', async () => {
    expect((await putImage()).body).toEqual({ status: 'OK', region: 'us-west' })

    const custom = await startPipecatEmulator({ token: 't0k3n', regions: ['eu-central'], defaultRegion: 'eu-central' })
    try {
      const answer = await request(`${custom.url}/v1/secrets/abc`, {
        method: 'PUT',
        headers: { authorization: 'Bearer t0k3n' },
        body: JSON.stringify(imagePull())
      })
      expect(answer.statusCode).toBe(202)
      expect(await answer.body.json()).toEqual({ status: 'OK', region: 'eu-central' })
    } finally {
      await custom.close()
    }
  })

  test('set names follow the contract: 3 to 63 characters, lowercase DNS labels', async () => {
    for (const name of ['ab', 'a'.repeat(64), 'My-Secret', '-abc', 'abc-', 'a_b_c', 'abc..def', 'abc%2Fdef']) {
      expect(await putImage(name)).toMatchObject(badRequest('Invalid secret set name'))
    }
    for (const name of ['abc', 'a'.repeat(63), 'my-ecr.credentials-2']) {
      expect((await putImage(name)).status).toBe(202)
    }
    expect([...pipecat.sets.keys()]).toEqual(['abc', 'a'.repeat(63), 'my-ecr.credentials-2'])
  })

  test('bodies must match one schema exactly', async () => {
    const invalid = [
      imagePull({ extra: 1 }),
      imagePull({ isImagePullSecret: false }),
      imagePull({ isImagePullSecret: 'true' }),
      imagePull({ host: 'not a uri' }),
      imagePull({ host: '123456789012.dkr.ecr.us-east-1.amazonaws.com' }),
      imagePull({ host: 42 }),
      imagePull({ secretValue: '' }),
      imagePull({ secretValue: 42 }),
      imagePull({ region: 7 }),
      { ...imagePull(), secrets: [{ secretKey: 'a', secretValue: 'b' }] },
      { secrets: [] },
      { secrets: [{ secretKey: 'a' }] },
      { secrets: [{ secretKey: 'a', secretValue: 'b', note: 'c' }] },
      { secrets: 'a=b' },
      {},
      [imagePull()],
      'text'
    ]
    for (const body of invalid) {
      expect(await call('PUT', '/v1/secrets/my-ecr-credentials', { body })).toMatchObject(badRequest('Invalid request format'))
    }
    expect(await call('PUT', '/v1/secrets/my-ecr-credentials', { raw: '{"isImagePullSecret": tru' })).toMatchObject(badRequest('Invalid request format'))

    const incomplete = badRequest('Must provide isImagePullSecret, host, and secretValue to update an image pull secret')
    for (const key of ['isImagePullSecret', 'host', 'secretValue']) {
      const body: Record<string, unknown> = imagePull()
      delete body[key]
      expect(await call('PUT', '/v1/secrets/my-ecr-credentials', { body })).toMatchObject(incomplete)
    }
    expect(pipecat.sets.size).toBe(0)
  })

  test('a regular set cannot become an image pull secret, nor the reverse', async () => {
    const regular = { secrets: [{ secretKey: 'API_KEY', secretValue: 'k' }] }
    expect((await call('PUT', '/v1/secrets/app-secrets', { body: regular })).status).toBe(202)
    expect(await putImage('app-secrets')).toMatchObject(badRequest('Cannot update existing regular secrets to image pull secrets'))

    await putImage('pull-secret')
    expect(await call('PUT', '/v1/secrets/pull-secret', { body: regular })).toMatchObject(
      badRequest('Cannot update existing image pull secrets to regular secrets')
    )
    expect(pipecat.sets.get('app-secrets')?.type).toBe('secret')
    expect(pipecat.sets.get('pull-secret')?.type).toBe('imagePullSecret')
  })

  test('regions: unknown ones are refused, and a set cannot move', async () => {
    expect(await putImage('my-ecr-credentials', { region: 'mars-1' })).toMatchObject(badRequest('Invalid region or organization does not have access'))

    await putImage('my-ecr-credentials', { region: 'us-west' })
    expect(await putImage('my-ecr-credentials', { region: 'us-east' })).toMatchObject(
      badRequest("Secret already exists in region 'us-west'. Cannot change region to 'us-east'.")
    )

    pipecat.seedSet({ name: 'eu-secret', type: 'imagePullSecret', region: 'eu-central' })
    // An update that names no region stays where the set is, rather than moving to the default.
    expect(await putImage('eu-secret')).toMatchObject({ status: 202, body: { status: 'OK', region: 'eu-central' } })
  })

  test('provisioning: pending on the first list after a PUT, ready on the next, pending again after an update', async () => {
    await putImage()
    const summary = { name: 'my-ecr-credentials', type: 'imagePullSecret', region: 'us-west' }

    expect(await list()).toEqual([{ ...summary, status: 'pending' }])
    expect(await list()).toEqual([{ ...summary, status: 'ready' }])
    expect(await list()).toEqual([{ ...summary, status: 'ready' }])

    expect((await putImage()).status).toBe(202)
    expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('pending')
    expect(await list()).toEqual([{ ...summary, status: 'pending' }])
    expect(await list()).toEqual([{ ...summary, status: 'ready' }])
  })

  test('provisioning can take longer, never end, or fail with a message', async () => {
    pipecat.setReadyAfter(3)
    await putImage('slow')
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await list())[0].status)
    expect(statuses).toEqual(['pending', 'pending', 'pending', 'ready'])

    pipecat.setReadyAfter(Infinity)
    await putImage('slow')
    for (let i = 0; i < 5; i++) expect((await list())[0].status).toBe('pending')

    pipecat.setReadyAfter(1)
    pipecat.failProvisioning('Image pull secret could not be provisioned')
    await putImage('slow')
    expect(await list()).toEqual([expect.objectContaining({ status: 'pending' })])
    expect(await list()).toEqual([
      {
        name: 'slow',
        type: 'imagePullSecret',
        region: 'us-west',
        status: 'failed',
        errorMessage: 'Image pull secret could not be provisioned'
      }
    ])

    pipecat.failProvisioning(null)
    await putImage('slow')
    await list()
    expect(await list()).toEqual([{ name: 'slow', type: 'imagePullSecret', region: 'us-west', status: 'ready' }])

    const neverReady = await startPipecatEmulator({ readyAfter: 0, provisioningError: 'quota exceeded' })
    try {
      neverReady.seedSet({ name: 'abc', type: 'imagePullSecret', status: 'pending' })
      const answer = await request(`${neverReady.url}/v1/secrets`, { headers: { authorization: `Bearer ${neverReady.token}` } })
      expect(await answer.body.json()).toEqual({
        sets: [{ name: 'abc', type: 'imagePullSecret', region: 'us-west', status: 'failed', errorMessage: 'quota exceeded' }]
      })
    } finally {
      await neverReady.close()
    }
  })

  test('the list never shows values or hosts', async () => {
    await putImage()
    await call('PUT', '/v1/secrets/app-secrets', { body: { secrets: [{ secretKey: 'API_KEY', secretValue: 'k' }] } })

    const text = JSON.stringify(await list())
    expect(text).not.toContain('QVdTOnBhc3N3b3Jk')
    expect(text).not.toContain('"k"')
    expect(text).not.toContain('dkr.ecr')
  })

  test('GET by name: refused for image pull secrets, key names for regular sets, 404 when missing', async () => {
    await putImage()
    expect(await call('GET', '/v1/secrets/my-ecr-credentials')).toMatchObject(badRequest('Cannot retrieve image pull secrets by name'))

    await call('PUT', '/v1/secrets/app-secrets', { body: { secrets: [{ secretKey: 'API_KEY', secretValue: 'k' }] } })
    await call('PUT', '/v1/secrets/app-secrets', { body: { secrets: [{ secretKey: 'DB_URL', secretValue: 'd' }] } })
    expect(await call('GET', '/v1/secrets/app-secrets')).toMatchObject({
      status: 200,
      body: { region: 'us-west', status: 'pending', secrets: [{ fieldName: 'API_KEY' }, { fieldName: 'DB_URL' }] }
    })
    expect((await call('GET', '/v1/secrets/app-secrets')).body).toMatchObject({ status: 'ready' })

    const notFound = { status: 404, body: { error: 'Set not found', code: 'NOT_FOUND' } }
    expect(await call('GET', '/v1/secrets/nothing-here')).toMatchObject(notFound)
    expect(await call('DELETE', '/v1/secrets/app-secrets')).toMatchObject({ status: 200, body: { status: 'OK' } })
    expect(await call('DELETE', '/v1/secrets/app-secrets')).toMatchObject(notFound)
    expect([...pipecat.sets.keys()]).toEqual(['my-ecr-credentials'])
  })

  test('faults are used one per request, in order, and the state is left alone', async () => {
    pipecat.failNext(
      { status: 503 },
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 429, headers: { 'retry-after': 'Sun, 29 Nov 2026 03:00:07 GMT' } },
      { status: 409 },
      { status: 500, body: { error: 'boom', code: 'INTERNAL' } }
    )

    const answers = []
    for (let i = 0; i < 5; i++) answers.push(await putImage())
    expect(pipecat.sets.size).toBe(0)
    answers.push(await putImage())

    expect(answers.map(a => a.status)).toEqual([503, 429, 429, 409, 500, 202])
    expect(answers[0].body).toEqual({ error: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE' })
    expect(answers[1].headers['retry-after']).toBe('1')
    expect(answers[2].headers['retry-after']).toBe('Sun, 29 Nov 2026 03:00:07 GMT')
    expect(answers[3].body).toEqual({
      error: "Secret set 'my-ecr-credentials' was modified concurrently. Please retry.",
      code: 'CONFLICT'
    })
    expect(answers[4].body).toEqual({ error: 'boom', code: 'INTERNAL' })
    expect(pipecat.requests).toHaveLength(6)
    expect(pipecat.requests.every(r => r.method === 'PUT')).toBe(true)
    expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('pending')
  })

  test('a fault for one method lets other methods through', async () => {
    pipecat.failNext({ method: 'PUT', status: 502 })

    expect((await call('GET', '/v1/secrets')).status).toBe(200)
    expect((await putImage()).status).toBe(502)
    expect(pipecat.sets.size).toBe(0)
    expect((await putImage()).status).toBe(202)
  })

  test('a non-JSON 2xx still stores the set; only the answer is odd', async () => {
    pipecat.failNext({ status: 202, rawBody: '<html>oops' })

    const answer = await putImage()

    expect(answer).toMatchObject({ status: 202, body: '<html>oops' })
    expect(answer.headers['content-type']).toBe('text/html')
    expect(pipecat.sets.get('my-ecr-credentials')?.status).toBe('pending')
  })

  test('reset drops the connection mid-response without storing anything', async () => {
    pipecat.failNext({ reset: true })

    await expect(putImage()).rejects.toThrow()

    expect(pipecat.requests).toHaveLength(1)
    expect(pipecat.sets.size).toBe(0)
    expect((await putImage()).status).toBe(202)
  })

  test('delayMs answers normally, only later', async () => {
    pipecat.failNext({ delayMs: 300 })

    const started = performance.now()
    const answer = await putImage()

    expect(performance.now() - started).toBeGreaterThanOrEqual(290)
    expect(answer).toMatchObject({ status: 202, body: { status: 'OK', region: 'us-west' } })
    expect(pipecat.sets.has('my-ecr-credentials')).toBe(true)
  })

  test('agents: the list in ServiceListItem shape, the details in ServiceDetailsResponse shape, 404 for others', async () => {
    pipecat.seedAgent({ name: 'voice-bot', imagePullSecretName: 'my-ecr-credentials', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/voice:1' })
    pipecat.seedAgent({
      name: 'eu-bot',
      region: 'eu-central',
      ready: false,
      health: { ready: false, state: 'waiting', restartCount: 4, reason: 'ImagePullBackOff' }
    })
    pipecat.seedAgent({ name: 'plain-bot', imagePullSecretName: null, health: null })

    const listed = (await call('GET', '/v1/agents')).body as { services: Array<Record<string, unknown>> }
    expect(listed.services.map(s => s.name)).toEqual(['voice-bot', 'eu-bot', 'plain-bot'])
    expect(listed.services[0]).toEqual({
      id: expect.any(String),
      name: 'voice-bot',
      region: 'us-west',
      desiredDeploymentId: expect.any(String),
      activeDeploymentId: expect.any(String),
      reconciledDeploymentId: expect.any(String),
      organizationId: expect.any(String),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      deletedAt: null
    })
    const onlyEu = (await call('GET', '/v1/agents?region=eu-central')).body as { services: Array<Record<string, unknown>> }
    expect(onlyEu.services.map(s => s.name)).toEqual(['eu-bot'])
    const withDeployment = (await call('GET', '/v1/agents?includeActiveDeployment=true')).body as { services: unknown[] }
    expect(withDeployment.services[0]).toMatchObject({ deployment: { manifest: { spec: { imagePullSecretName: 'my-ecr-credentials' } } } })

    const voice = await call('GET', '/v1/agents/voice-bot')
    expect(voice.status).toBe(200)
    expect(voice.body).toMatchObject({
      name: 'voice-bot',
      region: 'us-west',
      ready: true,
      deployment: { manifest: { spec: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/voice:1', imagePullSecretName: 'my-ecr-credentials' } } },
      currentRevision: { phase: 'Active', health: { ready: true, state: 'running', restartCount: 0 } }
    })
    expect(await call('GET', '/v1/agents/eu-bot')).toMatchObject({
      body: { region: 'eu-central', ready: false, currentRevision: { health: { state: 'waiting', restartCount: 4, reason: 'ImagePullBackOff' } } }
    })
    const plain = (await call('GET', '/v1/agents/plain-bot')).body as { currentRevision: unknown; deployment: { manifest: { spec: object } } }
    expect(plain.currentRevision).toBeNull()
    expect(plain.deployment.manifest.spec).not.toHaveProperty('imagePullSecretName')
    expect(await call('GET', '/v1/agents/gone-bot')).toEqual(expect.objectContaining({ status: 404, body: { error: 'Not found', code: 'NOT_FOUND' } }))
    expect((await call('POST', '/v1/agents')).status).toBe(405)
    expect((await call('GET', '/v1/agents', { token: 'wrong' })).status).toBe(401)
  })

  test('agents: seeded details can carry odd shapes, and faults can target a path', async () => {
    pipecat.seedAgent({ name: 'odd-bot', details: { region: 42, ready: 'yes' } })
    pipecat.failNext({ path: '/v1/agents/', status: 500 }, { path: /^\/v1\/agents$/, status: 401 })

    expect((await call('GET', '/v1/secrets')).status).toBe(200)
    expect((await call('GET', '/v1/agents')).status).toBe(401)
    expect((await call('GET', '/v1/agents/odd-bot')).status).toBe(500)
    expect((await call('GET', '/v1/agents/odd-bot')).body).toMatchObject({ name: 'odd-bot', region: 42, ready: 'yes' })
  })

  test('peakInFlight counts the requests answered at one time', async () => {
    pipecat.seedAgent({ name: 'one-bot' })
    pipecat.failNext(...Array.from({ length: 3 }, () => ({ path: '/v1/agents/', delayMs: 150 })))

    await Promise.all([1, 2, 3].map(() => call('GET', '/v1/agents/one-bot')))
    await call('GET', '/v1/agents')

    expect(pipecat.peakInFlight).toBe(3)
  })

  test('close() ends idle and in-flight connections at once, and stops listening', async () => {
    const agent = new Agent({ keepAliveTimeout: 60_000 })
    try {
      const idle = await request(`${pipecat.url}/v1/secrets`, {
        dispatcher: agent,
        headers: { authorization: `Bearer ${pipecat.token}` }
      })
      await idle.body.text()
      pipecat.failNext({ delayMs: 60_000 })
      const inFlight = putImage()
      inFlight.catch(() => undefined)
      while (pipecat.requests.length < 2) await new Promise(resolve => setTimeout(resolve, 5))

      // Left to themselves, the idle connection and the delayed answer would hold close() for 60 s, past
      // jest's test timeout: that close() returns at all is the proof, and the in-flight request fails.
      await pipecat.close()

      await expect(inFlight).rejects.toThrow()
      await expect(request(`${pipecat.url}/v1/secrets`, { dispatcher: agent })).rejects.toThrow()
    } finally {
      await agent.close()
      pipecat = await startPipecatEmulator()
    }
  })
})

describe('serve.js', () => {
  test('serves both emulators, appends their variables to the env file, and stops on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulators-serve-'))
    const envFile = join(dir, 'github-env')
    const script = fileURLToPath(new URL('../emulators/serve.js', import.meta.url))
    const child = spawn(process.execPath, [script, '--github-env', envFile], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      let stdout = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', chunk => {
          stdout += chunk
          if (/^ready/m.test(stdout)) resolve()
        })
        child.on('exit', code => reject(new Error(`serve.js exited early with ${code}`)))
      })

      const variables = Object.fromEntries(
        (await readFile(envFile, 'utf8'))
          .trim()
          .split('\n')
          .map(line => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
      )
      expect(Object.keys(variables)).toEqual([
        'AWS_ENDPOINT_URL_ECR',
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_REGION',
        'PIPECAT_API_URL',
        'PIPECAT_API_TOKEN',
        'ECR_ACCOUNT_ID'
      ])
      expect(stdout).toContain(variables.AWS_ENDPOINT_URL_ECR)
      expect(stdout).toContain(variables.PIPECAT_API_URL)
      expect(stdout).not.toContain(variables.PIPECAT_API_TOKEN)

      const ecr = new ECRClient({
        region: variables.AWS_REGION,
        endpoint: variables.AWS_ENDPOINT_URL_ECR,
        credentials: { accessKeyId: variables.AWS_ACCESS_KEY_ID, secretAccessKey: variables.AWS_SECRET_ACCESS_KEY }
      })
      const token = await getToken(ecr)
      expect(token.authorizationData?.[0].proxyEndpoint).toBe(`https://${variables.ECR_ACCOUNT_ID}.dkr.ecr.${variables.AWS_REGION}.amazonaws.com`)
      expect(stdout).not.toContain(token.authorizationData?.[0].authorizationToken)

      const sets = await request(`${variables.PIPECAT_API_URL}/v1/secrets`, {
        headers: { authorization: `Bearer ${variables.PIPECAT_API_TOKEN}` }
      })
      expect(sets.statusCode).toBe(200)
      expect(await sets.body.json()).toEqual({ sets: [] })

      child.removeAllListeners('exit')
      const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
      await rm(dir, { recursive: true, force: true })
    }
  })
})
