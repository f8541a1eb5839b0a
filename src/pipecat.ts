import * as core from './core.js'
import { ActionError } from './errors.js'
import type { HttpClient, HttpResponse } from './http.js'

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
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as { error?: unknown; code?: unknown }
    return { error: String(body.error ?? ''), code: String(body.code ?? '') }
  } catch {
    return { error: '', code: '' }
  }
}

function readJson<T>(answer: HttpResponse, what: string): T {
  try {
    return JSON.parse(answer.body.toString('utf8')) as T
  } catch {
    const type = answer.headers['content-type'] || 'no content type'
    throw new ActionError(
      `${SERVICE} answered ${what} with ${answer.status} but a body that is not JSON (${type}): a proxy or a wrong pipecat-api-url may be in the way; check pipecat-api-url and the runner's proxy settings.`
    )
  }
}

/** Pipecat Cloud's answers, in the user's terms: what happened and what to change. */
export function explainPipecatError(answer: HttpResponse, secret: { secretName: string; region?: string }): ActionError {
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

/**
 * Creates or updates the image pull secret. The body is the image pull secret shape; the older
 * `{"secrets": [...]}` shape would make a regular set, which agents cannot use as image_credentials.
 */
export async function storePullSecret(api: PipecatApi, secret: PullSecret): Promise<{ region?: string; attempts: number }> {
  const body: Record<string, unknown> = { isImagePullSecret: true, host: secret.host, secretValue: secret.authorizationToken }
  if (secret.region) body.region = secret.region
  const answer = await api.http.send(
    {
      method: 'PUT',
      url: `${api.apiUrl}/v1/secrets/${encodeURIComponent(secret.secretName)}`,
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body)
    },
    { service: SERVICE }
  )
  if (answer.status < 200 || answer.status > 299) throw explainPipecatError(answer, secret)
  const stored = readJson<{ region?: unknown }>(answer, 'the secret update')
  return { region: typeof stored.region === 'string' ? stored.region : undefined, attempts: answer.attempts }
}

export async function listSecretSets(api: PipecatApi): Promise<SecretSetState[]> {
  const answer = await api.http.send(
    { method: 'GET', url: `${api.apiUrl}/v1/secrets`, headers: { authorization: `Bearer ${api.token}`, accept: 'application/json' } },
    { service: SERVICE }
  )
  if (answer.status !== 200) throw explainPipecatError(answer, { secretName: '(list)' })
  const list = readJson<{ sets?: SecretSetState[] }>(answer, 'the secret list')
  if (!Array.isArray(list.sets)) {
    throw new ActionError(`${SERVICE} answered the secret list without "sets": check pipecat-api-url points at the Pipecat Cloud API.`)
  }
  return list.sets
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
  sleep?: (ms: number) => Promise<void>
  now?: () => number
}

/**
 * Provisioning is asynchronous, and deploys that bind a set that is not ready are rejected, so a
 * release pipeline waits here. The list is watched because GET by name refuses image pull secrets.
 */
export async function waitForReady(api: PipecatApi, secretName: string, options: WaitOptions): Promise<SecretSetState> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)))
  const now = options.now ?? Date.now
  const started = now()
  const deadline = started + options.timeoutMs
  let last: SecretSetState | undefined
  for (;;) {
    last = (await listSecretSets(api)).find(set => set.name === secretName)
    if (last && last.type !== 'imagePullSecret') {
      throw new ActionError(`Secret set ${secretName} is listed as type ${last.type}, not an image pull secret: choose another secret-name.`)
    }
    if (last?.status === 'ready') return last
    if (last?.status === 'failed') {
      throw new ActionError(
        `Pipecat Cloud could not provision secret set ${secretName}: ${last.errorMessage || 'no reason given'}; check the registry host, then rerun.`
      )
    }
    const left = deadline - now()
    if (left <= 0) {
      const seen = last ? `still ${last.status}` : 'not listed'
      throw new ActionError(
        `Secret set ${secretName} is ${seen} after ${Math.round(options.timeoutMs / 1000)}s: Pipecat Cloud is provisioning slowly; raise wait-timeout or rerun (deploys that bind it are rejected until it is ready).`
      )
    }
    const wait = Math.min(pollDelay(now() - started), left)
    core.info(`Secret set ${secretName} is ${last?.status ?? 'not listed yet'}; checking again in ${(wait / 1000).toFixed(1)}s.`)
    await sleep(wait)
  }
}
