/**
 * What every outside client obeys: ECR (through the AWS SDK's request handler in ecr.ts), Pipecat Cloud
 * (pipecat.ts, agents.ts), the registry (registry.ts) and GitHub (alert.ts). SECURITY.md says the same
 * for users; __tests__/http/outside-policy.test.ts holds each client to it.
 *
 * - Origin pinning: a credential goes only to the origin the user configured for it. No client follows
 *   a redirect with it (undici follows none); the registry's one hop to blob storage drops it; a GitHub
 *   pagination link to another origin is refused before anything is sent (`pinnedOrigin`).
 * - Deadline: every request, from sending it to its last byte, ends within request-timeout
 *   (http.ts `sendOnce`), and the run within its limit.
 * - Byte cap: a successful answer over MAX_BODY_BYTES is refused, an error answer is cut at 64 KiB.
 * - Retry bound: at most five tries within a minute (http.ts), four for the SDK's; the GitHub calls
 *   are made once, since the next run tries again.
 * - Page cap: a listing follows at most MAX_PAGES pages.
 * - Redaction: outside text reaches a message only through untrusted.ts, an error answer only by its
 *   message fields (`errorFields`).
 * - Claims checked: a value an answer states (a region, an expiry, a digest) is compared with what was
 *   asked or what can be computed before it is believed.
 */

/** The most pages any listing follows: the alert's listings fit in one, ten leaves room for any repository. */
export const MAX_PAGES = 10

/** A request to an origin other than the one its credential belongs to: refused, never sent. */
export class ForeignOriginError extends Error {
  override name = 'ForeignOriginError'
  constructor(readonly origin: string) {
    super(`refused to send a request to ${origin}`)
  }
}

/** Throws ForeignOriginError unless `url` is on `origin`; a URL that cannot be read counts as foreign. */
export function pinnedOrigin(url: string, origin: string): void {
  let target: string
  try {
    target = new URL(url).origin
  } catch {
    throw new ForeignOriginError('an address that is not a URL')
  }
  if (target !== origin) throw new ForeignOriginError(target)
}
