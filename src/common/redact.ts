/**
 * Known secrets, and their removal from outside text in any form a server could send them back in.
 *
 * A secret is registered once with the encodings it could travel in (JSON-escaped, URL-encoded, base64 at
 * each of the three alignments a prefix can shift it to). Text is matched in the forms a reader could
 * decode it from: without format characters (zero-width and direction marks), with percent-encoding and
 * `\u`/`\x` escapes decoded, and without regard to ASCII case. Every FRAGMENT-long run of a secret is
 * enough: a key cut into pieces of FRAGMENT characters or more leaves nothing that survives.
 *
 * This module loads nothing, so it can be used before @actions/core is loaded.
 */

// The shortest piece of a secret that is removed: a random 12-character run gives away some 70 bits
// of a key, and cannot occur in text that did not come from the secret.
export const FRAGMENT = 12
const REDACTED = '***'

/** Every form of every registered secret, ASCII-lower-cased: fragment hits are confirmed against these. */
const forms = new Set<string>()
let longForms: string[] = []
/** Forms shorter than FRAGMENT (from short secrets) are matched whole. */
let shortForms: string[] = []

/**
 * Two bits (from two mixes of one hash) for every FRAGMENT-long run of every form. Bits, not the runs
 * themselves nor a Set of numbers: an ECR token's forms hold tens of thousands of runs, and building either costs
 * a run's start-up more than all its redaction. A hit is confirmed against the forms, so a shared bit
 * never removes other text; two bits keep false hits, each of which costs a search, rare.
 */
const FILTER_BITS = 22
const fragmentFilter = new Uint32Array(2 ** (FILTER_BITS - 5))
const SHIFT = 32 - FILTER_BITS

/** The second position: the hash times the golden ratio (Knuth's multiplicative hashing), apart from the first. */
const mix = (hash: number): number => Math.imul(hash ^ (hash >>> 15), 0x9e3779b1)

function setBits(hash: number): void {
  const first = hash >>> SHIFT
  const second = mix(hash) >>> SHIFT
  fragmentFilter[first >>> 5] |= 1 << (first & 31)
  fragmentFilter[second >>> 5] |= 1 << (second & 31)
}

function hasBits(hash: number): boolean {
  const first = hash >>> SHIFT
  if (!(fragmentFilter[first >>> 5] & (1 << (first & 31)))) return false
  const second = mix(hash) >>> SHIFT
  return (fragmentFilter[second >>> 5] & (1 << (second & 31))) !== 0
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

/**
 * ASCII letters in lower case, and base64url's two letters as base64's, every other character as it is:
 * the length never changes, and one form serves for both alphabets.
 */
const foldCase = (text: string): string => text.replace(/[A-Z_-]+/g, letters => letters.toLowerCase().replace(/-/g, '+').replace(/_/g, '/'))

function addForm(text: string): void {
  const form = foldCase(text)
  if (form.length < 4 || forms.has(form)) return
  forms.add(form)
  if (form.length < FRAGMENT) return
  windowHashes(form, setBits)
}

/**
 * The parts of base64(prefix + text) that do not depend on the prefix or on what follows, for prefixes
 * of each length modulo 3: base64 of a secret inside a longer string ("Bearer <key>") is one of these.
 */
function shiftedBase64(text: string): string[] {
  const parts: string[] = []
  // Without a prefix, the base64 form itself holds every run; base64url is folded into base64 (foldCase).
  for (const prefix of ['x', 'xx']) {
    const encoded = Buffer.from(prefix + text).toString('base64')
    // The first group holds prefix bits, the last the secret's end mixed with whatever follows.
    parts.push(encoded.slice(4, -4))
  }
  return parts
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
    shiftedBase64(text).forEach(addForm)
  }
  longForms = [...forms].filter(form => form.length >= FRAGMENT)
  shortForms = [...forms].filter(form => form.length < FRAGMENT).sort((a, b) => b.length - a.length)
}

/** Text as a reader could decode it, with each of its characters' place in the original text. */
interface View {
  text: string
  /** Where each character of `text` starts in the original text (absent: the original text itself)... */
  from?: number[]
  /** ...and where it ends there. */
  to?: number[]
}

const startOf = (view: View, at: number): number => (view.from ? view.from[at] : at)
const endOf = (view: View, at: number): number => (view.to ? view.to[at] : at + 1)

/** Format characters (Unicode category Cf): zero-width spaces and joiners, direction marks, tag characters. */
const FORMAT = /\p{Cf}/u
export const FORMAT_CHARACTERS = /\p{Cf}/gu

function withoutFormat(view: View): View {
  if (!FORMAT.test(view.text)) return view
  let text = ''
  const from: number[] = []
  const to: number[] = []
  for (let at = 0; at < view.text.length;) {
    const point = view.text.codePointAt(at) as number
    const width = point > 0xffff ? 2 : 1
    const char = view.text.slice(at, at + width)
    if (!FORMAT.test(char)) {
      text += char
      for (let unit = at; unit < at + width; unit++) {
        from.push(startOf(view, unit))
        to.push(endOf(view, unit))
      }
    }
    at += width
  }
  return { text, from, to }
}

const hexAt = (text: string, at: number, digits: number): number | undefined => {
  const hex = text.slice(at, at + digits)
  return hex.length === digits && /^[0-9A-Fa-f]+$/.test(hex) ? parseInt(hex, 16) : undefined
}

/** The length of a UTF-8 sequence that starts with `lead`, or 0 for a byte that cannot start one. */
const utf8Length = (lead: number): number =>
  lead < 0x80 ? 1 : lead >= 0xc2 && lead < 0xe0 ? 2 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xf0 && lead < 0xf5 ? 4 : 0

/**
 * Percent-encoding (runs of %XX as UTF-8, a bad sequence byte by byte), `\uXXXX` and `\xXX` decoded, anything
 * else kept: a reader's browser or terminal would show the decoded text, so that is what is matched.
 */
function decoded(view: View): View {
  const source = view.text
  if (!/%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}/.test(source)) return view
  let text = ''
  const from: number[] = []
  const to: number[] = []
  const emit = (chars: string, start: number, end: number) => {
    for (let unit = 0; unit < chars.length; unit++) {
      text += chars[unit]
      from.push(startOf(view, start))
      to.push(endOf(view, end - 1))
    }
  }
  for (let at = 0; at < source.length;) {
    const percent = source[at] === '%' ? hexAt(source, at + 1, 2) : undefined
    if (percent !== undefined) {
      const length = utf8Length(percent)
      const bytes = [percent]
      for (let next = 1; next < length; next++) {
        const byte = source[at + 3 * next] === '%' ? hexAt(source, at + 3 * next + 1, 2) : undefined
        if (byte === undefined || (byte & 0xc0) !== 0x80) break
        bytes.push(byte)
      }
      const chars = length > 1 && bytes.length === length ? Buffer.from(bytes).toString('utf8') : String.fromCharCode(percent)
      const used = length > 1 && bytes.length === length ? length : 1
      emit(chars, at, at + 3 * used)
      at += 3 * used
      continue
    }
    const escape = source[at] === '\\' ? source[at + 1] : undefined
    const code = escape === 'u' ? hexAt(source, at + 2, 4) : escape === 'x' ? hexAt(source, at + 2, 2) : undefined
    if (code !== undefined) {
      const end = at + (escape === 'u' ? 6 : 4)
      emit(String.fromCharCode(code), at, end)
      at = end
      continue
    }
    emit(source[at], at, at + 1)
    at += 1
  }
  return { text, from, to }
}

/** Marks, in `marked`, every character of the original text that a secret's run in `view` came from. */
function markSecrets(view: View, marked: Uint8Array): void {
  const text = foldCase(view.text)
  const mark = (start: number, length: number) => marked.fill(1, startOf(view, start), endOf(view, start + length - 1))
  for (const form of shortForms) {
    for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) mark(at, form.length)
  }
  if (text.length < FRAGMENT) return
  windowHashes(text, (hash, at) => {
    if (!hasBits(hash)) return
    const run = text.slice(at, at + FRAGMENT)
    if (longForms.some(form => form.includes(run))) mark(at, FRAGMENT)
  })
}

/** Removes every registered secret, whole or as a fragment of FRAGMENT characters or more, in any form above. */
export function redact(text: string): string {
  if (forms.size === 0 || text.length < 4) return text
  const marked = new Uint8Array(text.length)
  const plain = withoutFormat({ text })
  markSecrets(plain, marked)
  // Decoded twice over: a value percent-encoded twice (%2541) is as readable as once.
  let view = plain
  for (let round = 0; round < 3; round++) {
    const next = withoutFormat(decoded(view))
    if (next === view) break
    markSecrets(next, marked)
    view = next
  }
  if (!marked.includes(1)) return text
  let result = ''
  for (let at = 0; at < text.length; at++) {
    if (!marked[at]) result += text[at]
    else if (at === 0 || !marked[at - 1]) result += REDACTED
  }
  return result
}
