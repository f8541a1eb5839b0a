/**
 * Times as people on call read them: an ISO timestamp alone makes the reader do the arithmetic at the
 * worst moment, so every expiry is also said relative to now.
 */

const MINUTE = 60_000

/** "in 11 h 59 m", "3 d 2 h ago", "in under a minute": the two largest units, rounded down. */
export function relativeTime(at: Date, now: Date = new Date()): string {
  const ms = at.getTime() - now.getTime()
  const minutes = Math.floor(Math.abs(ms) / MINUTE)
  if (minutes === 0) return ms >= 0 ? 'in under a minute' : 'under a minute ago'
  const parts = [
    [Math.floor(minutes / 1440), 'd'],
    [Math.floor(minutes / 60) % 24, 'h'],
    [minutes % 60, 'm']
  ] as const
  const first = parts.findIndex(([value]) => value > 0)
  const span = parts
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ')
  return ms >= 0 ? `in ${span}` : `${span} ago`
}

/** "2026-12-01T22:44:00.000Z (in 11 h 59 m)" */
export function whenWithRelative(at: Date, now: Date = new Date()): string {
  return `${at.toISOString()} (${relativeTime(at, now)})`
}
