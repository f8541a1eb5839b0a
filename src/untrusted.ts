/**
 * The one path for text that came from outside: server bodies, headers, error messages and field values.
 * Every such string passes `untrusted` (or a sink function below) before it reaches a log line, an error,
 * the job summary, an output or an issue: known secrets removed in every form, control characters and
 * line breaks neutralised, length capped. Values that must have a known shape are checked with `shaped`.
 *
 * This module loads nothing but the input parser, so it can be used before @actions/core is loaded.
 */
import { PIPECAT_REGION } from './inputs.js'

// A run of this many characters of a secret identifies it as surely as the whole value.
const FRAGMENT = 16
const REDACTED = '***'

/** Every form of every registered secret, longest first. */
const forms = new Set<string>()
let ordered: string[] = []
/**
 * A bit for the hash of every FRAGMENT-long run of every form. Bits, not the runs themselves nor a Set of
 * numbers: an ECR token's forms hold some 30,000 runs, and building either costs a run's start-up more
 * than all its redaction. A hit is confirmed against the forms, so a shared bit never removes other text.
 */
const FILTER_BITS = 22
const fragmentFilter = new Uint32Array(2 ** (FILTER_BITS - 5))
const filterSlot = (hash: number): [number, number] => {
  const bit = hash >>> (32 - FILTER_BITS)
  return [bit >>> 5, 1 << (bit & 31)]
}

// A polynomial rolling hash over UTF-16 code units, mod 2^32: the next window's hash from the last in O(1).
const BASE = 257
const BASE_POW = Array.from({ length: FRAGMENT - 1 }).reduce<number>(power => Math.imul(power, BASE), 1)

function windowHashes(text: string, each: (hash: number, at: number) => void): void {
  let hash = 0
  for (let at = 0; at < text.length; at++) {
    if (at >= FRAGMENT) hash = (hash - Math.imul(text.charCodeAt(at - FRAGMENT), BASE_POW)) | 0
    hash = (Math.imul(hash, BASE) + text.charCodeAt(at)) | 0
    if (at >= FRAGMENT - 1) each(hash, at - FRAGMENT + 1)
  }
}

function addForm(form: string): void {
  if (form.length < 4 || forms.has(form)) return
  forms.add(form)
  windowHashes(form, hash => {
    const [word, mask] = filterSlot(hash)
    fragmentFilter[word] |= mask
  })
}

/**
 * Registers a credential for redaction, with the forms it could take on its way back from a server: as
 * is, JSON-escaped, URL-encoded and base64; for a base64 value (an ECR token is base64 of `AWS:<password>`)
 * also what it decodes to and the password in it.
 */
export function trackSecret(value: string | undefined): void {
  if (!value || value.length < 4) return
  const plain = [value]
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
    const decoded = Buffer.from(value, 'base64').toString('utf8')
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u001f\ufffd]/.test(decoded)) {
      plain.push(decoded)
      const colon = decoded.indexOf(':')
      if (colon !== -1) plain.push(decoded.slice(colon + 1))
    }
  }
  for (const text of plain) {
    addForm(text)
    addForm(JSON.stringify(text).slice(1, -1))
    addForm(encodeURIComponent(text))
    addForm(Buffer.from(text).toString('base64'))
    addForm(Buffer.from(text).toString('base64url'))
  }
  ordered = [...forms].sort((a, b) => b.length - a.length)
}

/** Removes every registered secret, whole or as a fragment of FRAGMENT characters or more. */
export function redact(text: string): string {
  if (forms.size === 0) return text
  let out = text
  for (const form of ordered) if (out.includes(form)) out = out.split(form).join(REDACTED)
  if (out.length < FRAGMENT) return out
  // Marks every character covered by a run that is part of a secret, then collapses each marked stretch.
  const marked = new Uint8Array(out.length)
  let any = false
  windowHashes(out, (hash, at) => {
    const [word, mask] = filterSlot(hash)
    if (!(fragmentFilter[word] & mask)) return
    const run = out.slice(at, at + FRAGMENT)
    if (!ordered.some(form => form.includes(run))) return
    marked.fill(1, at, at + FRAGMENT)
    any = true
  })
  if (!any) return out
  let result = ''
  for (let at = 0; at < out.length; at++) {
    if (!marked[at]) result += out[at]
    else if (at === 0 || !marked[at - 1]) result += REDACTED
  }
  return result
}

// C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides that can make
// a log line read differently from what it holds.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+/g

/** One line, no controls, at most `max` characters, and no workflow command at its start. */
function neutralise(text: string, max: number): string {
  let line = text.replace(CONTROL, ' ')
  if (line.length > max) line = `${line.slice(0, max)}…`
  // The runner reads a line that starts with `::` (or the older `##[`) as a command, even after spaces.
  return line.replace(/^(\s*)(::|##\[)/, '$1 $2')
}

/**
 * Any value a server sent, as text safe to put inside one of our messages: redacted, one line, capped.
 * Objects are shown as (capped) JSON so an odd shape is visible rather than "[object Object]".
 */
export function untrusted(value: unknown, max = 200): string {
  let text: string
  if (typeof value === 'string') text = value
  else if (value === undefined) text = 'nothing'
  else {
    try {
      // JSON.stringify gives undefined for a function or a symbol, and throws on a cycle or a bigint.
      text = JSON.stringify(value) ?? typeof value
    } catch {
      text = typeof value === 'bigint' ? value.toString() : typeof value
    }
  }
  // Redacted before and after the cut: the cut must not turn a whole secret into an unrecognised prefix.
  return redact(neutralise(redact(text.slice(0, max * 4 + 1024)), max))
}

/** A whole message on its way to a log line or `::error::`: ours, possibly with outside text inside. */
export function forLog(message: string, max = 2000): string {
  return untrusted(message, max)
}

/**
 * The value when it is a string of the expected shape, else undefined: shaped values are never passed on
 * unchecked. A value that holds a secret is refused too, whatever its shape: a digest's 64 hex characters
 * can carry most of an API key, and a shaped value goes to outputs and the summary as it is.
 */
export function shaped(value: unknown, shape: RegExp, maxLength = 256): string | undefined {
  return typeof value === 'string' && value.length <= maxLength && shape.test(value) && redact(value) === value ? value : undefined
}

/** A JSON object, as opposed to null, a list or a scalar. */
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** What a parsed JSON value is, in words for a message where an object was expected. */
export const jsonShape = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`)

/** What `parseJson` answers for a body that is not JSON at all. */
export const NOT_JSON = Symbol('not JSON')

/** A body parsed as JSON, or NOT_JSON: each caller says in its own words what that means. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown
  } catch {
    return NOT_JSON
  }
}

/** For HTML in the job summary: the runner renders it, so a server's `<b>` must arrive as text. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

/** Shapes outside values are checked against before they are used or shown. */
export const SHAPES = {
  digest: /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/,
  pipecatRegion: PIPECAT_REGION,
  /** An OCI platform component: os, architecture or variant. */
  platformPart: /^[a-z0-9][a-z0-9._-]{0,31}$/,
  /** A Pipecat Cloud agent (service) name: lowercase letters, digits and inner hyphens, at most 54. */
  agentName: /^[a-z0-9](?:[-a-z0-9]{0,52}[a-z0-9])?$/,
  /** An image reference as a deployment names it: registry/repository, tag, digest; no spaces or markup. */
  imageReference: /^[A-Za-z0-9][A-Za-z0-9._/:@[\]-]{0,511}$/,
  /** An agent's code state, as RevisionHealth enumerates it. */
  agentState: /^(?:running|waiting|terminated)$/,
  /** A Kubernetes reason such as ImagePullBackOff or OOMKilled. */
  agentReason: /^[A-Za-z][A-Za-z0-9]{0,63}$/
} as const
