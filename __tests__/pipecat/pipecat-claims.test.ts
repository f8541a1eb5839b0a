import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { storePullSecret, UnreadableSuccessError, waitForReady, type PipecatApi } from '../../src/pipecat/pipecat.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { emulatorApi } from '../support/pipecat-api.js'

type Pipecat = Awaited<ReturnType<typeof startPipecatEmulator>>

// An answer is believed only as far as it agrees with what was asked: a set cannot move regions.
describe('a region in an answer is checked against pipecat-region', () => {
  let pipecat: Pipecat
  let api: PipecatApi
  const secret = {
    secretName: 'my-ecr-credentials',
    host: 'https://1.dkr.ecr.us-east-1.amazonaws.com',
    authorizationToken: 'QVdTOnBhc3N3b3Jk',
    region: 'us-west'
  }

  beforeEach(async () => {
    pipecat = await startPipecatEmulator({ regions: ['us-west', 'eu-central'] })
    api = emulatorApi(pipecat)
  })
  afterEach(async () => {
    await pipecat.close()
  })

  it('refuses a PUT answer that names another region, in one line naming both', async () => {
    pipecat.failNext({ method: 'PUT', status: 202, body: { status: 'OK', region: 'eu-central' } })
    const error = await storePullSecret(api, secret).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnreadableSuccessError)
    expect((error as Error).message).toMatch(
      /^Pipecat Cloud answered the store request for secret set my-ecr-credentials with region eu-central, but pipecat-region is us-west: check pipecat-api-url/
    )
  })

  it('takes the region the PUT answer names when pipecat-region is not given', async () => {
    pipecat.failNext({ method: 'PUT', status: 202, body: { status: 'OK', region: 'eu-central' } })
    expect(await storePullSecret(api, { ...secret, region: undefined })).toEqual({ region: 'eu-central' })
  })

  it('refuses a list that shows the set in another region', async () => {
    pipecat.failNext({
      method: 'GET',
      status: 200,
      body: { sets: [{ name: secret.secretName, type: 'imagePullSecret', region: 'eu-central', status: 'ready' }] }
    })
    await expect(waitForReady(api, secret.secretName, { timeoutMs: 1000, region: 'us-west', sleep: () => Promise.resolve() })).rejects.toThrow(
      /^Pipecat Cloud answered the secret list for secret set my-ecr-credentials with region eu-central, but pipecat-region is us-west:/
    )
  })

  it('accepts the list when it agrees', async () => {
    pipecat.failNext({ method: 'GET', status: 200, body: { sets: [{ name: secret.secretName, type: 'imagePullSecret', region: 'us-west', status: 'ready' }] } })
    await expect(waitForReady(api, secret.secretName, { timeoutMs: 1000, region: 'us-west', sleep: () => Promise.resolve() })).resolves.toMatchObject({
      region: 'us-west'
    })
  })
})
