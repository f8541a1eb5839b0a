// @ts-check
// Loaded with `node --import` before the bundle: once the file FAULT_TRIGGER names exists, a promise
// rejects that nobody awaits, as a bug in the action or a library would leave one.
import { existsSync } from 'node:fs'
import { clearInterval, setInterval } from 'node:timers'

const trigger = process.env.FAULT_TRIGGER ?? ''
const poll = setInterval(() => {
  if (!existsSync(trigger)) return
  clearInterval(poll)
  void Promise.reject(new Error('injected fault'))
}, 20)
poll.unref()
