/**
 * The one path for text that came from outside: server bodies, headers, error messages and field values.
 * Every such string passes `untrusted` (or a sink function below) before it reaches a log line, an error,
 * the job summary, an output or an issue: known secrets removed in every form (redact.ts), control and
 * format characters and line breaks neutralised, length capped. Values that must have a known shape are
 * checked with `shaped`; an error answer is shown only by its message fields (`errorText`).
 *
 * This module loads nothing but the input parser, so it can be used before @actions/core is loaded.
 */
import { PIPECAT_REGION } from './inputs.js'
import { FORMAT_CHARACTERS, redact } from './redact.js'

// C0 and C1 controls, DEL, line and paragraph separators, and the bidirectional overrides that can make
// a log line read differently from what it holds.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+/g

/**
 * One line, no controls, at most `max` characters, and no workflow command at its start. Format characters
 * (zero-width spaces, direction marks) go too: invisible, they make a line read differently from what it holds.
 */
function neutralise(text: string, max: number): string {
  let line = text.replace(CONTROL, ' ').replace(FORMAT_CHARACTERS, '')
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

/**
 * What an error answer says, from its message fields only (`code`, and `error` or `message`; in a registry's
 * `errors` list, its first entry's): never the raw body, which an endpoint this run authenticated to may
 * fill with whatever it was sent. The message is redacted, one line and capped; the code must look like one.
 * Both are empty when the answer does not say.
 */
export function errorFields(body: unknown, max = 200): { code: string; message: string } {
  const parsed = Buffer.isBuffer(body) ? parseJson(body) : body
  const top = isObject(parsed) ? parsed : {}
  const listed = Array.isArray(top.errors) && isObject(top.errors[0]) ? top.errors[0] : {}
  const text = (fields: Record<string, unknown>) =>
    [fields.error, fields.message].filter((field): field is string => typeof field === 'string' && field.trim() !== '')
  const said = text(top).length > 0 ? text(top) : text(listed)
  return {
    code: shaped(top.code ?? listed.code, /^[A-Za-z0-9_.-]{1,64}$/) ?? '',
    message:
      said.length === 0
        ? ''
        : untrusted([...new Set(said)].join(': '), max)
            .replace(/\s+/g, ' ')
            .trim()
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
