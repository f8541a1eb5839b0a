import { EventEmitter } from 'node:events'
import { guardRun, LIMIT_GRACE_MS, WATCHDOG_MS } from '../../src/run/ending.js'

// The process and the clock are stand-ins: each ending is caused by hand, and time passes only when a test says so.

class FakeProcess extends EventEmitter {
  exits: number[] = []
  exitCode?: number
  exit(code: number): void {
    this.exits.push(code)
  }
}

function setUp(options: { conclusionHangs?: boolean } = {}) {
  const proc = new FakeProcess()
  const timers: { at: number; callback: () => void; fired?: boolean }[] = []
  const calls: string[] = []
  let doing = 'getting the ECR token'
  let finish: () => void = () => undefined
  let conclusion: Promise<void> | undefined
  const guard = guardRun({
    doing: () => doing,
    conclude: (failure: string, urgent: boolean) => {
      conclusion ??= new Promise<void>(done => {
        calls.push(`conclude${urgent ? ' (urgent)' : ''}: ${failure}`)
        proc.exitCode = 1
        finish = done
        if (!options.conclusionHangs) done()
      })
      return conclusion
    },
    limitMs: 60_000,
    onLimit: () => calls.push('requests stopped'),
    lastWord: message => calls.push(`last word: ${message}`),
    process: proc,
    setTimer: (callback, ms) => {
      timers.push({ at: ms, callback })
      return {}
    }
  })
  const passTime = (ms: number) =>
    timers
      .filter(timer => timer.at <= ms && !timer.fired)
      .forEach(timer => {
        timer.fired = true
        timer.callback()
      })
  const settle = () => new Promise(done => setImmediate(done))
  return { proc, calls, guard, passTime, settle, finish: () => finish(), setDoing: (now: string) => (doing = now) }
}

test('a signal concludes the run once, urgently, naming what it was doing, and then ends the process with 1', async () => {
  const { proc, calls, settle, setDoing } = setUp()
  setDoing('waiting for Pipecat Cloud to report secret set my-ecr-credentials ready')
  proc.emit('SIGINT')
  proc.emit('SIGTERM')
  await settle()

  expect(calls).toEqual([
    'conclude (urgent): The run was cancelled (SIGINT) while waiting for Pipecat Cloud to report secret set my-ecr-credentials ready: rerun the workflow so the refresh completes.'
  ])
  expect(proc.exits).toEqual([1])
})

test('an unawaited rejection and an uncaught exception conclude the run as unexpected errors', async () => {
  const { proc, calls, settle } = setUp()
  proc.emit('unhandledRejection', new TypeError('x is not a function\nat somewhere'))
  await settle()

  expect(calls).toEqual([
    'conclude: Unexpected error (TypeError: x is not a function) while getting the ECR token; rerun, and report it with this log if it persists.'
  ])
  expect(proc.exits).toEqual([1])
})

test('an emptied event loop concludes the run; a second one, with the conclusion stuck, ends the process with what it reached', async () => {
  const { proc, calls, settle } = setUp({ conclusionHangs: true })
  proc.emit('beforeExit')
  await settle()
  expect(calls).toEqual([expect.stringMatching(/^conclude: The run stopped while getting the ECR token with nothing left to wait for/)])
  expect(proc.exits).toEqual([])

  proc.emit('beforeExit')
  expect(proc.exits).toEqual([1])
})

test('at the limit requests are stopped; after the grace, the run is ended by its limit if its own message has not come', async () => {
  const { proc, calls, passTime, settle } = setUp()
  passTime(60_000)
  expect(calls).toEqual(['requests stopped'])

  passTime(60_000 + LIMIT_GRACE_MS)
  await settle()
  expect(calls).toEqual([
    'requests stopped',
    "conclude: The run reached its time limit (60s: 60s + 6 x request-timeout + wait-timeout) while getting the ECR token: rerun; if it persists, check the services' status and the runner's network."
  ])
  expect(proc.exits).toEqual([1])
})

test('the watchdog has the last word when the conclusion itself hangs, and ends the process', () => {
  const { proc, calls, passTime } = setUp({ conclusionHangs: true })
  passTime(60_000 + LIMIT_GRACE_MS + WATCHDOG_MS)

  expect(calls.at(-1)).toMatch(
    /^last word: The run did not end within its time limit \(60s: .*\) and could not finish its report while getting the ECR token: rerun/
  )
  expect(proc.exits).toEqual([1])
})

test('once released, nothing ends the run again and the handlers are gone', async () => {
  const { proc, calls, guard, passTime, settle } = setUp()
  guard.release()
  for (const event of ['SIGINT', 'SIGTERM', 'beforeExit', 'unhandledRejection', 'uncaughtException']) expect(proc.listenerCount(event)).toBe(0)
  passTime(Infinity)
  await settle()

  expect(calls).toEqual(['requests stopped'])
  expect(proc.exits).toEqual([])
})
