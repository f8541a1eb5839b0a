import { setTimeout as delay } from 'node:timers/promises'
import * as log from '../common/log.js'
import { ActionError } from '../common/errors.js'
import type { HttpClient, HttpResponse } from '../http/http.js'
import { errorFields, isObject, jsonShape, NOT_JSON, parseJson, SHAPES, shaped, untrusted } from '../common/untrusted.js'

export interface PipecatApi {
  http: HttpClient
  /** API base without `/v1`. */
  apiUrl: string
  token: string
}

export interface PullSecret {
  secretName: string
  /** `https://<registry>`: Pipecat Cloud matches it against the image's registry. */
  host: string
  authorizationToken: string
  region?: string
}

export type SecretStatus = 'pending' | 'ready' | 'failed'

export interface SecretSetState {
  name: string
  type: string
  region: string
  status: SecretStatus
  errorMessage?: string
}

const SERVICE = 'Pipecat Cloud'

function readError(answer: HttpResponse): { error: string; code: string } {
  const { code, message } = errorFields(answer.body)
  return { error: message, code }
}

/** The answer's JSON object; anything else (HTML from a proxy, `null`, a list) ends the run with the likely cause. */
function readObject(answer: HttpResponse, what: string): Record<string, unknown> {
  const parsed = parseJson(answer.body)
  if (parsed === NOT_JSON) {
    const type = untrusted(answer.headers['content-type'] || 'no content type', 80)
    throw new ActionError(
      `${SERVICE} answered ${what} with ${answer.status} but a body that is not JSON (${type}): a proxy or a wrong pipecat-api-url may be in the way; check pipecat-api-url and the runner's proxy settings.`
    )
  }
  if (!isObject(parsed)) {
    throw new ActionError(
      `${SERVICE} answered ${what} with ${answer.status} but ${jsonShape(parsed)} where a JSON object belongs: check that pipecat-api-url points at the Pipecat Cloud API.`
    )
  }
  return parsed
}

/** Pipecat Cloud's answers, in the user's terms: what happened and what to change. */
function explainPipecatError(answer: HttpResponse, secret: { secretName: string; region?: string }): ActionError {
  const { error, code } = readError(answer)
  const name = secret.secretName
  if (answer.status === 401 || answer.status === 403) {
    return new ActionError(
      `${SERVICE} rejected pipecat-api-token (${answer.status}): use a Private API key (Dashboard > Settings > API Keys > Private) and store it as a repository secret.`
    )
  }
  if (/Cannot update existing regular secrets/i.test(error)) {
    return new ActionError(
      `The name ${name} is taken by a regular secret set, which cannot hold image credentials: choose another secret-name, or delete that set (pipecat cloud secrets delete ${name}).`
    )
  }
  const moved = /already exists in region '([^']+)'/i.exec(error)
  if (moved) {
    return new ActionError(
      `Secret set ${name} lives in Pipecat region ${moved[1]}, not ${secret.region ?? 'the one asked for'}: set pipecat-region: ${moved[1]} (a set cannot move), or choose a new secret-name for the other region.`
    )
  }
  if (/Invalid region/i.test(error)) {
    return new ActionError(
      `${SERVICE} does not offer region ${secret.region ?? '(default)'} to your organization: check pipecat-region against the regions in your dashboard.`
    )
  }
  if (answer.status >= 300 && answer.status <= 399) {
    const to = answer.headers.location ? ` to ${untrusted(answer.headers.location, 120)}` : ''
    return new ActionError(
      `${SERVICE} answered with a redirect (${answer.status}${to}), which the API never sends: check that pipecat-api-url is the API's address (https://api.pipecat.daily.co) and that no proxy answers in its place.`
    )
  }
  if (answer.status >= 500 || answer.status === 429 || answer.status === 409) {
    return new ActionError(
      `${SERVICE} answered ${answer.status}${code ? ` ${code}` : ''} after ${answer.attempts} attempts: the service is busy or failing; rerun the workflow later.`
    )
  }
  const detail = error ? `: ${error}` : ''
  return new ActionError(
    `${SERVICE} refused the image pull secret ${name} (${answer.status}${code ? ` ${code}` : ''}${detail}); check secret-name, pipecat-region and pipecat-api-url.`
  )
}

/** An answer that names another region than pipecat-region: the run cannot tell where the set is. */
function regionMismatch(secretName: string, said: string, asked: string, what: string): UnreadableSuccessError {
  return new UnreadableSuccessError(
    `${SERVICE} answered ${what} for secret set ${secretName} with region ${said}, but pipecat-region is ${asked}: check pipecat-api-url and the set's region (pipecat cloud secrets list), then set pipecat-region to the set's region or choose a new secret-name.`
  )
}

/** A success status with an answer that cannot be read: the set may or may not hold the new token. */
export class UnreadableSuccessError extends ActionError {
  override name = 'UnreadableSuccessError'
}

/**
 * Creates or updates the image pull secret. The body is the image pull secret shape; the older
 * `{"secrets": [...]}` shape would make a regular set, which agents cannot use as image_credentials.
 */
export async function storePullSecret(api: PipecatApi, secret: PullSecret): Promise<{ region?: string }> {
  const body: Record<string, unknown> = { isImagePullSecret: true, host: secret.host, secretValue: secret.authorizationToken }
  if (secret.region) body.region = secret.region
  const answer = await api.http.send(
    {
      method: 'PUT',
      url: `${api.apiUrl}/v1/secrets/${encodeURIComponent(secret.secretName)}`,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      // A PUT stores the same state however often it arrives, so several targets' PUTs may share one
      // connection back to back (pipelined) instead of waiting a round trip each.
      idempotent: true
    },
    { service: SERVICE }
  )
  if (answer.status < 200 || answer.status > 299) throw explainPipecatError(answer, secret)
  // Any 2xx means stored; a 204, or an empty body, just does not say the region.
  if (answer.body.length === 0) return { region: undefined }
  let stored: Record<string, unknown>
  try {
    stored = readObject(answer, 'the secret update')
  } catch (error) {
    throw new UnreadableSuccessError((error as Error).message)
  }
  if (stored.region === undefined) return { region: undefined }
  const region = shaped(stored.region, SHAPES.pipecatRegion, 64)
  if (!region) {
    throw new UnreadableSuccessError(
      `${SERVICE} stored the secret set ${secret.secretName} but named its region as ${untrusted(stored.region, 80)}, which is not a region name: check that pipecat-api-url points at the Pipecat Cloud API, then rerun.`
    )
  }
  // A set cannot move, and the API refuses a PUT to another region: an answer that says otherwise is not believed.
  if (secret.region !== undefined && region !== secret.region) throw regionMismatch(secret.secretName, region, secret.region, 'the store request')
  return { region }
}

const STATUSES: readonly string[] = ['pending', 'ready', 'failed'] satisfies SecretStatus[]

/** One entry of the secret list, checked field by field: nothing of an odd shape is passed on. */
function readSecretSet(set: unknown): SecretSetState | undefined {
  if (!isObject(set)) return undefined
  const name = typeof set.name === 'string' ? set.name : undefined
  const type = shaped(set.type, /^[A-Za-z]{1,40}$/)
  const region = set.region === undefined || set.region === '' ? '' : shaped(set.region, SHAPES.pipecatRegion, 64)
  const status = typeof set.status === 'string' && STATUSES.includes(set.status) ? (set.status as SecretStatus) : undefined
  if (name === undefined || type === undefined || region === undefined || status === undefined) return undefined
  const errorMessage = set.errorMessage === undefined || set.errorMessage === null ? undefined : untrusted(set.errorMessage, 300)
  return { name, type, region, status, errorMessage }
}

const oddList = (what: string) =>
  new ActionError(
    `${SERVICE} answered the secret list with ${what}: check that pipecat-api-url points at the Pipecat Cloud API; if it does, rerun later, and report it if it persists.`
  )

/** The secret list, read once however many sets a run looks for. */
async function readSecretList(api: PipecatApi, secretName: string): Promise<unknown[]> {
  const answer = await api.http.send(
    { method: 'GET', url: `${api.apiUrl}/v1/secrets`, headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' } },
    { service: SERVICE }
  )
  if (answer.status < 200 || answer.status > 299) throw explainPipecatError(answer, { secretName })
  const list = readObject(answer, 'the secret list')
  if (!Array.isArray(list.sets)) throw oddList(`${list.sets === undefined ? 'no' : 'a malformed'} "sets" list`)
  const sets: unknown[] = list.sets
  return sets
}

/**
 * The secret set named `secretName` as the list shows it, or undefined when it is not listed. Only that
 * entry must be well formed: other sets are none of this run's business.
 */
function pickSecretSet(sets: unknown[], secretName: string): SecretSetState | undefined {
  const entry = sets.find(set => isObject(set) && set.name === secretName)
  if (entry === undefined) {
    if (sets.some(set => !isObject(set) || typeof set.name !== 'string')) {
      throw oddList('entries that are not secret sets (an entry without a name)')
    }
    return undefined
  }
  const set = readSecretSet(entry)
  if (!set) {
    throw oddList(`an entry for ${secretName} that does not read as a secret set (${untrusted(entry, 160)}); its status must be pending, ready or failed`)
  }
  return set
}

async function findSecretSet(api: PipecatApi, secretName: string): Promise<SecretSetState | undefined> {
  return pickSecretSet(await readSecretList(api, secretName), secretName)
}

/**
 * How long to wait before the next status read, by the time since the PUT was answered. Most sets turn
 * ready within seconds, so those are read often enough to notice `ready` within about half a second;
 * later the wait grows with the time already spent (a quarter of it, at most 5 s), so a slow set
 * costs few reads: about 40 in two minutes.
 */
export function pollDelay(elapsedMs: number): number {
  if (elapsedMs < 1_000) return 250
  if (elapsedMs < 6_000) return 400
  return Math.min(5_000, Math.round(elapsedMs / 4))
}

export interface WaitOptions {
  timeoutMs: number
  /** pipecat-region, when given: a list that shows the set elsewhere is not believed. */
  region?: string
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

/**
 * Provisioning is asynchronous, and deploys that bind a set that is not ready are rejected, so a
 * release pipeline waits here. The list is watched because GET by name refuses image pull secrets.
 */
export async function waitForReady(api: PipecatApi, secretName: string, options: WaitOptions): Promise<SecretSetState> {
  const [outcome] = await waitForAllReady(api, [{ secretName, region: options.region }], options)
  if (outcome instanceof Error) throw outcome
  return outcome
}

/** Why a set that is not ready yet cannot become ready, or undefined while it still may. */
function verdict(secretName: string, set: SecretSetState | undefined, asked: string | undefined): ActionError | undefined {
  if (set && set.type !== 'imagePullSecret') {
    return new ActionError(`Secret set ${secretName} is listed as type ${untrusted(set.type, 40)}, not an image pull secret: choose another secret-name.`)
  }
  if (set?.region && asked !== undefined && set.region !== asked) return regionMismatch(secretName, set.region, asked, 'the secret list')
  if (set?.status === 'failed') {
    return new ActionError(
      `Pipecat Cloud could not provision secret set ${secretName}: ${set.errorMessage || 'no reason given'}; check the registry host, then rerun.`
    )
  }
  return undefined
}

/**
 * waitForReady for several sets at once: each round reads the list once, which answers for all of them,
 * and a set that fails or times out ends as an error of its own while the others are still watched.
 * Each set's region, when given, is checked as waitForReady's `region` is. The outcomes are in the order of `sets`.
 */
export async function waitForAllReady(
  api: PipecatApi,
  sets: { secretName: string; region?: string }[],
  options: Omit<WaitOptions, 'region'> & { onSettled?: (secretName: string, outcome: SecretSetState | ActionError) => void }
): Promise<(SecretSetState | ActionError)[]> {
  const secretNames = sets.map(set => set.secretName)
  const asked = new Map(sets.map(set => [set.secretName, set.region]))
  const sleep = options.sleep ?? ((ms: number) => delay(ms))
  const now = options.now ?? Date.now
  const started = now()
  const deadline = started + options.timeoutMs
  const outcomes = new Map<string, SecretSetState | ActionError>()
  // Said as soon as each set settles, so a run ended while others still wait reports what it knew.
  const settle = (name: string, outcome: SecretSetState | ActionError) => {
    outcomes.set(name, outcome)
    options.onSettled?.(name, outcome)
  }
  const last = new Map<string, SecretSetState | undefined>()
  for (;;) {
    const waiting = secretNames.filter(name => !outcomes.has(name))
    let list: unknown[] | ActionError
    try {
      list = await readSecretList(api, waiting[0])
    } catch (error) {
      if (!(error instanceof ActionError)) throw error
      list = error
    }
    for (const name of waiting) {
      let set: SecretSetState | undefined
      try {
        if (list instanceof ActionError) throw list
        set = pickSecretSet(list, name)
      } catch (error) {
        if (!(error instanceof ActionError)) throw error
        settle(name, error)
        continue
      }
      last.set(name, set)
      const failed = verdict(name, set, asked.get(name))
      if (failed) settle(name, failed)
      else if (set?.status === 'ready') settle(name, set)
    }
    const pending = secretNames.filter(name => !outcomes.has(name))
    if (pending.length === 0) return secretNames.map(name => outcomes.get(name)!)
    const left = deadline - now()
    if (left <= 0) {
      for (const name of pending) {
        const seen = last.get(name) ? `still ${last.get(name)!.status}` : 'not listed'
        settle(
          name,
          new ActionError(
            `Secret set ${name} is ${seen} after ${Math.round(options.timeoutMs / 1000)}s: Pipecat Cloud is provisioning slowly; raise wait-timeout or rerun (deploys that bind it are rejected until it is ready).`
          )
        )
      }
      return secretNames.map(name => outcomes.get(name)!)
    }
    const wait = Math.min(pollDelay(now() - started), left)
    const states = pending.map(name => ({ name, status: last.get(name)?.status ?? 'not listed yet' }))
    const said =
      states.length === 1
        ? `Secret set ${states[0].name} is ${states[0].status}`
        : `Secret sets ${states.map(state => `${state.name} (${state.status})`).join(', ')} are not ready yet`
    log.info(`${said}; checking again in ${(wait / 1000).toFixed(1)}s.`)
    await sleep(wait)
  }
}

/** What a dry run found under the name: only what Pipecat Cloud said, nothing assumed. */
export interface PullSecretCheck {
  /** The image pull secret already under this name; undefined when the name is free. */
  existing?: { region: string; status: SecretStatus }
}

/** The 400 the PUT would have had, so a dry run ends with the very message a real run gives. */
function refusalOfPut(error: string): HttpResponse {
  return { status: 400, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ error })), attempts: 1 }
}

/** The region codes Pipecat Cloud offers this key's organization (`GET /v1/regions`). */
export async function listRegions(api: PipecatApi): Promise<string[]> {
  const answer = await api.http.send(
    { method: 'GET', url: `${api.apiUrl}/v1/regions`, headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' } },
    { service: SERVICE }
  )
  if ([401, 403, 409, 429].includes(answer.status) || answer.status >= 500) throw explainPipecatError(answer, { secretName: '(regions)' })
  if (answer.status !== 200) {
    throw new ActionError(`${SERVICE} answered ${answer.status} to the region list: check that pipecat-api-url points at the Pipecat Cloud API.`)
  }
  const body = readObject(answer, 'the region list')
  const entries = body.regions
  const codes = Array.isArray(entries) ? entries.map(entry => shaped(isObject(entry) ? entry.code : undefined, SHAPES.pipecatRegion)) : []
  if (!Array.isArray(entries) || codes.some(code => code === undefined)) {
    throw new ActionError(
      `${SERVICE} answered the region list with an odd shape (${untrusted(body, 120)}): check that pipecat-api-url points at the Pipecat Cloud API, then rerun.`
    )
  }
  return codes as string[]
}

/**
 * The dry run's check, read-only: the key is accepted, the region is offered to the organization, and
 * the name is free or already an image pull secret in that region. Each mismatch is the error the PUT
 * would have caused, found without writing anything. `regions` lets several checks share one read of the list.
 */
export async function checkPullSecret(
  api: PipecatApi,
  secret: { secretName: string; region?: string },
  regions: () => Promise<string[]> = () => listRegions(api)
): Promise<PullSecretCheck> {
  const existing = await findSecretSet(api, secret.secretName)
  if (secret.region !== undefined && !(await regions()).includes(secret.region)) {
    throw explainPipecatError(refusalOfPut('Invalid region or organization does not have access'), secret)
  }
  if (!existing) return {}
  if (existing.type !== 'imagePullSecret') {
    throw explainPipecatError(refusalOfPut('Cannot update existing regular secrets to image pull secrets'), secret)
  }
  // readSecretSet has checked its shape; an empty region is the one odd value left.
  const region = existing.region
  if (!region) {
    throw new ActionError(
      `${SERVICE} listed secret set ${secret.secretName} with an empty region, which it never does: check that pipecat-api-url points at the Pipecat Cloud API, then rerun.`
    )
  }
  if (secret.region !== undefined && region !== secret.region) {
    throw explainPipecatError(refusalOfPut(`Secret already exists in region '${region}'. Cannot change region to '${secret.region}'.`), secret)
  }
  return { existing: { region, status: existing.status } }
}
