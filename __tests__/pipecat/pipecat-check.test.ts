import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ActionError } from '../../src/common/errors.js'
import { checkPullSecret, listRegions, type PipecatApi } from '../../src/pipecat/pipecat.js'
import { startPipecatEmulator } from '../emulators/pipecat.js'
import { emulatorApi } from '../support/pipecat-api.js'

type Pipecat = Awaited<ReturnType<typeof startPipecatEmulator>>

describe("the dry run's read-only check", () => {
  let pipecat: Pipecat
  let api: PipecatApi

  beforeEach(async () => {
    pipecat = await startPipecatEmulator({ regions: ['us-west', 'us-east'] })
    api = emulatorApi(pipecat)
  })
  afterEach(async () => {
    await pipecat.close()
  })

  it('lists the region codes the organization may use', async () => {
    expect(await listRegions(api)).toEqual(['us-west', 'us-east'])
  })

  it.each([
    ['a null body', null],
    ['no regions', { items: [] }],
    ['a null entry', { regions: [null] }],
    ['a code that is not a region', { regions: [{ code: 'us-west\n::error::injected' }] }],
    ['a code that is not a string', { regions: [{ code: { nested: true } }] }]
  ])('refuses a region list with %s, in one line that names the fix', async (_case, body) => {
    pipecat.failNext({ method: 'GET', status: 200, body })

    const error = await listRegions(api).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toMatch(
      /^Pipecat Cloud answered the region list with an odd shape \(.*\): check that pipecat-api-url points at the Pipecat Cloud API, then rerun\.$/
    )
    expect((error as Error).message).not.toMatch(/[\n\r]/)
  })

  it('names the status when the region list is not there', async () => {
    pipecat.failNext({ method: 'GET', status: 404 })

    await expect(listRegions(api)).rejects.toThrow(/^Pipecat Cloud answered 404 to the region list: check that pipecat-api-url/)
  })

  it('finds the existing image pull secret and reports its region and status as listed', async () => {
    pipecat.seedSet({ name: 'pull', type: 'imagePullSecret', region: 'us-east', status: 'pending' })

    expect(await checkPullSecret(api, { secretName: 'pull' })).toEqual({ existing: { region: 'us-east', status: 'pending' } })
    expect(await checkPullSecret(api, { secretName: 'free-name', region: 'us-west' })).toEqual({})
    expect(pipecat.requests.every((r: { method: string }) => r.method === 'GET')).toBe(true)
  })
})
