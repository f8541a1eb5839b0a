import { FRAGMENT, redact, trackSecret } from '../../src/common/redact.js'
import { untrusted } from '../../src/common/untrusted.js'

// A key a server may send back reformatted: each form below once let most of it through.
const KEY = 'pk_7f3a9c1e5b2d8f4a6c0e9b7d5f3a1c8e2b4d6f0a9c7e5b3d'
const PASSWORD = 'eyJwYXlsb2FkIjoiQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoiLCJkYXRha2V5IjoieHl6In0='
const TOKEN = Buffer.from(`AWS:${PASSWORD}`).toString('base64')

beforeAll(() => {
  trackSecret(KEY)
  trackSecret(TOKEN)
})

const pieces = (text: string, size: number) => text.match(new RegExp(`.{1,${size}}`, 'g')) ?? []
const every = (text: string, size: number, mark: string) => pieces(text, size).join(mark)
const escapes = (text: string) => [...text].map(c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')
const percents = (text: string) => [...Buffer.from(text)].map(byte => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')

/** What is left of the key after redaction: every run of it the text still holds, however written. */
function survivors(out: string): string[] {
  const plain = out.replace(/\p{Cf}/gu, '').toLowerCase()
  const key = KEY.toLowerCase()
  const left: string[] = []
  for (let at = 0; at + 8 <= key.length; at++) if (plain.includes(key.slice(at, at + 8))) left.push(key.slice(at, at + 8))
  return left
}

describe('redact finds a reformatted key', () => {
  test.each([
    ['in 15-character pieces', pieces(KEY, 15).join(' | ')],
    ['in 12-character pieces', pieces(KEY, 12).join(' ')],
    ['with a zero-width space every 10 characters', every(KEY, 10, '\u200b')],
    ['with a left-to-right mark every 5 characters', every(KEY, 5, '\u200e')],
    ['with an Arabic letter mark every 3 characters', every(KEY, 3, '\u061c')],
    ['with tag characters between', every(KEY, 4, '\u{e0041}')],
    ['upper-cased', KEY.toUpperCase()],
    ['fully percent-encoded', percents(KEY)],
    ['percent-encoded in lower case, twice', percents(percents(KEY)).toLowerCase()],
    ['as literal \\u escapes', escapes(KEY)],
    ['as literal \\x escapes', [...KEY].map(c => `\\x${c.charCodeAt(0).toString(16)}`).join('')],
    ['percent-encoded with zero-width spaces, encoded too', percents(every(KEY, 10, '\u200b'))],
    ['as base64 of "Bearer <key>"', Buffer.from(`Bearer ${KEY}`).toString('base64')],
    ['as base64 of "x<key>y"', Buffer.from(`x${KEY}y`).toString('base64')],
    ['as base64 of "xx<key>"', Buffer.from(`xx${KEY}`).toString('base64')],
    ['as base64url of "key=<key>&"', Buffer.from(`key=${KEY}&`).toString('base64url')]
  ])('%s', (_what, form) => {
    const out = redact(`before ${form} after`)
    expect(out).toMatch(/^before .*\*\*\*.* after$/)
    // base64 keeps at most the group that mixes the key's last bytes with what follows; the rest is gone.
    expect(survivors(form.startsWith('%') || form.startsWith('\\') ? decodeURIComponent(out.replace(/\\u|\\x/g, '%')) : out)).toEqual([])
  })

  test('a key cut into pieces of FRAGMENT characters or more keeps none of those pieces', () => {
    for (let size = FRAGMENT; size <= KEY.length; size++) {
      const cut = pieces(KEY, size)
      const out = redact(cut.join(' '))
      expect(cut.filter(piece => piece.length >= FRAGMENT && out.includes(piece))).toEqual([])
    }
  })

  test('the ECR password base64 in a prefixed string', () => {
    // What is left: the prefix's own base64, and the last group, which mixes the password's end with the ";".
    expect(redact(Buffer.from(`password=${PASSWORD};`).toString('base64'))).toMatch(/^cGFzc3dvcmQ9\*\*\*.{0,8}$/)
  })

  test('text with percent signs, backslashes and format characters but no secret stays as it was', () => {
    const text = '100% of C:\\x and \\u00e9t\u00e9 %zz %E2%82 zero\u200bwidth'
    expect(redact(text)).toBe(text)
  })
})

describe('untrusted', () => {
  test.each([
    ['U+200B', '\u200b'],
    ['U+200E', '\u200e'],
    ['U+061C', '\u061c'],
    ['U+2060', '\u2060'],
    ['a tag character', '\u{e0041}']
  ])('removes the format character %s', (_name, char) => {
    expect(untrusted(`a${char}b${char}`)).toBe('ab')
  })
})
