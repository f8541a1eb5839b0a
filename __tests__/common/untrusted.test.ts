import { redact, trackSecret } from '../../src/common/redact.js'
import { errorFields, escapeHtml, forLog, SHAPES, shaped, untrusted } from '../../src/common/untrusted.js'

const PASSWORD = 'eyJwYXlsb2FkIjoiQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVoiLCJkYXRha2V5IjoieHl6In0='
const TOKEN = Buffer.from(`AWS:${PASSWORD}`).toString('base64')
const API_KEY = 'pk_0123456789abcdef0123456789abcdef'

beforeAll(() => {
  trackSecret(TOKEN)
  trackSecret(API_KEY)
})

describe('redact', () => {
  test.each([
    ['the token as is', TOKEN],
    ['the decoded token', `AWS:${PASSWORD}`],
    ['the password alone', PASSWORD],
    ['the token URL-encoded', encodeURIComponent(TOKEN)],
    ['the token JSON-escaped', JSON.stringify(`AWS:${PASSWORD}`).slice(1, -1)],
    ['the password in base64', Buffer.from(PASSWORD).toString('base64')],
    ['the API key', API_KEY],
    ['12 characters of the token', TOKEN.slice(40, 52)],
    ['12 characters of the password', PASSWORD.slice(3, 15)]
  ])('removes %s, and keeps the text around it', (_what, form) => {
    const out = redact(`before ${form} after`)
    expect(out).toBe('before *** after')
  })

  test('leaves 11 characters of a secret, which do not identify it, and unrelated text alone', () => {
    expect(redact(`x ${API_KEY.slice(0, 11)} y`)).toBe(`x ${API_KEY.slice(0, 11)} y`)
    expect(redact('Pipecat Cloud answered 500')).toBe('Pipecat Cloud answered 500')
  })

  test('removes overlapping fragments of two secrets as one stretch', () => {
    expect(redact(`[${TOKEN.slice(-20)}${API_KEY.slice(0, 20)}]`)).toBe('[***]')
  })
})

describe('untrusted', () => {
  test('puts text on one line with no control characters, bidi overrides or command at its start', () => {
    expect(untrusted('a\nb\r\nc\u0007d\u202ee\u2028f')).toBe('a b c d e f')
    expect(untrusted('::error::x')).toBe(' ::error::x')
    expect(untrusted('  ##[warning]x')).toBe('   ##[warning]x')
  })

  test('caps the length, and a secret cut by the cap is still removed', () => {
    expect(untrusted('a'.repeat(500), 10)).toBe(`${'a'.repeat(10)}…`)
    const cut = untrusted(`${'x'.repeat(150)}Basic ${TOKEN}`, 200)
    expect(cut).not.toContain(TOKEN.slice(0, 16))
    expect(cut.length).toBeLessThanOrEqual(201)
  })

  test('shows other values as JSON, so an odd shape is visible', () => {
    expect(untrusted({ name: 'us-west' })).toBe('{"name":"us-west"}')
    expect(untrusted(null)).toBe('null')
    expect(untrusted(undefined)).toBe('nothing')
  })

  test('forLog keeps a long message of ours whole, and still redacts it', () => {
    const message = `Pipecat Cloud refused it (400: ${'y'.repeat(600)} ${API_KEY})`
    expect(forLog(message)).toBe(`Pipecat Cloud refused it (400: ${'y'.repeat(600)} ***)`)
  })
})

describe('shaped', () => {
  test.each([
    [SHAPES.digest, `sha256:${'a'.repeat(64)}`, true],
    [SHAPES.digest, `sha256:<b>${'a'.repeat(60)}</b>`, false],
    [SHAPES.digest, `sha256:${'a'.repeat(64)}\n::error::x`, false],
    [SHAPES.pipecatRegion, 'us-west', true],
    [SHAPES.pipecatRegion, 'us-west\n::warning::x', false],
    [SHAPES.platformPart, 'arm64', true],
    [SHAPES.platformPart, 'v8<script>', false]
  ])('%s against %j: %s', (shape, value, ok) => {
    expect(shaped(value, shape)).toBe(ok ? value : undefined)
  })

  test('refuses a value of the right shape that carries a secret', () => {
    // 64 hex characters hold most of a hex API key: a digest header is a place a hostile registry could put one.
    const hexKey = '0123456789abcdef0123456789abcdef'
    trackSecret(hexKey)
    expect(shaped(`sha256:${hexKey}${'f'.repeat(32)}`, SHAPES.digest)).toBeUndefined()
    expect(shaped(`sha256:${'e'.repeat(64)}`, SHAPES.digest)).toBe(`sha256:${'e'.repeat(64)}`)
  })

  test('refuses what is not a string', () => {
    expect(shaped({ region: 'us-west' }, SHAPES.pipecatRegion)).toBeUndefined()
    expect(shaped(['us-west'], SHAPES.pipecatRegion)).toBeUndefined()
  })
})

test('escapeHtml leaves no tag or attribute a renderer would read', () => {
  expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe('&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;')
})

describe('errorFields', () => {
  test.each([
    ['a Pipecat Cloud error', { error: 'Invalid region', code: 'GENERIC_BAD_REQUEST', echoed: API_KEY.slice(0, 11) }, 'GENERIC_BAD_REQUEST', 'Invalid region'],
    ['a GitHub error with a list of details', { message: 'Validation Failed', errors: [{ code: 'already_exists' }] }, 'already_exists', 'Validation Failed'],
    [
      'a registry error',
      { errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] },
      'DENIED',
      'requested access to the resource is denied'
    ],
    ['a code that is not one', { code: 'A B <b>', error: 'x' }, '', 'x'],
    ['an answer with no message field', { request: `PUT ${API_KEY.slice(0, 11)}` }, '', '']
  ])('%s shows only its code and message', (_what, body, code, message) => {
    expect(errorFields(Buffer.from(JSON.stringify(body)))).toEqual({ code, message })
    expect(errorFields(body)).toEqual({ code, message })
  })

  test('a body that is not JSON says nothing, whatever it holds', () => {
    expect(errorFields(Buffer.from(`<html>Authorization: Bearer ${API_KEY.slice(0, 11)}</html>`))).toEqual({ code: '', message: '' })
    expect(errorFields(`Authorization: Bearer ${API_KEY.slice(0, 11)}`)).toEqual({ code: '', message: '' })
  })

  test('a message is redacted and on one line', () => {
    expect(errorFields({ error: `bad ${API_KEY}\n::error::x` })).toEqual({ code: '', message: 'bad *** ::error::x' })
  })
})
