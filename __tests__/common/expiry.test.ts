import { describe, expect, it } from '@jest/globals'
import { relativeTime, whenWithRelative } from '../../src/common/expiry.js'

const now = new Date('2026-12-01T10:00:00.000Z')
const at = (iso: string) => new Date(iso)

describe('relative expiry', () => {
  it.each([
    ['2026-12-01T21:59:30.000Z', 'in 11 h 59 m'],
    ['2026-12-01T10:00:20.000Z', 'in under a minute'],
    ['2026-12-01T10:45:00.000Z', 'in 45 m'],
    ['2026-12-01T12:00:00.000Z', 'in 2 h'],
    ['2026-12-04T12:07:00.000Z', 'in 3 d 2 h'],
    ['2026-12-01T07:55:00.000Z', '2 h 5 m ago'],
    ['2026-12-01T09:59:50.000Z', 'under a minute ago'],
    ['2026-11-20T10:00:00.000Z', '11 d ago']
  ])('%s is %s', (when, expected) => {
    expect(relativeTime(at(when), now)).toBe(expected)
  })

  it('puts the timestamp first, then the relative form', () => {
    expect(whenWithRelative(at('2026-12-01T21:59:30.000Z'), now)).toBe('2026-12-01T21:59:30.000Z (in 11 h 59 m)')
  })
})
