// @ts-check
// Loaded with `node --import` before the bundle: per-request deadlines never fire (as if a library
// ignored them), and timers of a minute or more run 20 times faster, so the run's own time limit,
// not a request's, is what ends a hung run, and a test sees it in seconds rather than minutes.
import { setTimeout as setTimer } from 'node:timers'

Object.assign(globalThis, {
  setTimeout: (/** @type {(...args: unknown[]) => void} */ callback, /** @type {number} */ ms, /** @type {unknown[]} */ ...args) =>
    setTimer(callback, ms >= 60_000 ? ms / 20 : ms, ...args)
})
Object.assign(globalThis.AbortSignal, { timeout: () => new globalThis.AbortController().signal })
