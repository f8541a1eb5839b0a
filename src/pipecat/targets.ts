import pLimit from 'p-limit'
import * as log from '../common/log.js'
import { ActionError } from '../common/errors.js'
import { whenWithRelative } from '../common/expiry.js'
import { TARGET_CONCURRENCY } from '../common/inputs.js'
import { checkPullSecret, listRegions, storePullSecret, UnreadableSuccessError, waitForAllReady, type PipecatApi } from './pipecat.js'
import type { TargetReport } from '../run/summary.js'
import { untrusted } from '../common/untrusted.js'

// Several secret sets from one token: the PUTs and the status reads run side by side, and each set ends
// with its own state and its own failure, so one that fails never stops the others.

/** The token and where it is for, as every target stores it. */
export interface Credentials {
  /** `https://<registry>` */
  host: string
  registryHost: string
  authorizationToken: string
  expiresAt: Date
}

export interface StoreOptions {
  waitForReady: boolean
  waitTimeoutMs: number
  /** What the run is doing now, for a message that must say where it stopped. */
  progress: { doing: string }
}

const setsNamed = (targets: TargetReport[]): string =>
  targets.length === 1 ? `secret set ${targets[0].secretName}` : `secret sets ${targets.map(target => target.secretName).join(', ')}`

/**
 * With several targets a message's fix must point at the targets input, not at inputs the run was not
 * given: "set pipecat-region: us-east" becomes "set its region in targets to us-east".
 */
export function forTargets(message: string, several: boolean): string {
  if (!several) return message
  return message
    .replace(/\bset pipecat-region: ([a-z0-9-]+)/g, 'set its region in targets to $1')
    .replace(/\bpipecat-region\b/g, 'the region in targets')
    .replace(/\b(another|a new) secret-name\b/g, '$1 name in targets')
    .replace(/\bsecret-name\b/g, 'the name in targets')
}

function record(target: TargetReport, error: unknown, several: boolean): void {
  if (!(error instanceof ActionError)) throw error
  target.failure = untrusted(forTargets(error.message, several), 2000)
}

/** Stores the token in every target, then waits for the stored ones to turn ready; never throws an ActionError. */
export async function storeTargets(api: PipecatApi, targets: TargetReport[], credentials: Credentials, options: StoreOptions): Promise<void> {
  const several = targets.length > 1
  const limit = pLimit(TARGET_CONCURRENCY)
  options.progress.doing = `storing ${setsNamed(targets)} in Pipecat Cloud`
  await Promise.all(
    targets.map(target =>
      limit(async () => {
        try {
          const stored = await storePullSecret(api, {
            secretName: target.secretName,
            region: target.region,
            host: credentials.host,
            authorizationToken: credentials.authorizationToken
          })
          target.secret = 'stored'
          target.secretRegion = stored.region ?? target.region
          log.info(`Stored the image pull secret ${target.secretName} for ${credentials.registryHost} in Pipecat region ${target.secretRegion ?? '(default)'}.`)
        } catch (error) {
          if (error instanceof UnreadableSuccessError) target.secret = 'unconfirmed'
          record(target, error, several)
        }
      })
    )
  )
  if (!options.waitForReady) return
  const stored = targets.filter(target => target.secret === 'stored')
  if (stored.length === 0) return
  options.progress.doing = `waiting for Pipecat Cloud to report ${setsNamed(stored)} ready`
  await waitForAllReady(
    api,
    stored.map(target => ({ secretName: target.secretName, region: target.region })),
    {
      timeoutMs: options.waitTimeoutMs,
      onSettled(secretName, outcome) {
        const target = stored.find(each => each.secretName === secretName)!
        if (outcome instanceof ActionError) return record(target, outcome, several)
        target.secretRegion = outcome.region || target.secretRegion
        target.secret = 'ready'
        log.info(`Secret set ${target.secretName} is ready; the next refresh must succeed before ${whenWithRelative(credentials.expiresAt)}.`)
      }
    }
  )
}

/** The dry run of every target, read-only: the region list is read once for all of them. */
export async function checkTargets(api: PipecatApi, targets: TargetReport[], configNote: string): Promise<void> {
  const several = targets.length > 1
  let regions: Promise<string[]> | undefined
  const readRegions = () => (regions ??= listRegions(api))
  const limit = pLimit(TARGET_CONCURRENCY)
  await Promise.all(
    targets.map(target =>
      limit(async () => {
        try {
          const { existing } = await checkPullSecret(api, { secretName: target.secretName, region: target.region }, readRegions)
          target.secret = 'checked'
          target.secretRegion = existing?.region
          target.existingStatus = existing?.status
          const found = existing
            ? `secret set ${target.secretName} is an image pull secret in region ${existing.region} (${existing.status})`
            : `the name ${target.secretName} is free${target.region ? ` and region ${target.region} is offered` : ''}`
          log.info(`Dry run: Pipecat Cloud accepts the key and ${found}; nothing was stored${configNote}.`)
        } catch (error) {
          record(target, error, several)
        }
      })
    )
  )
}
