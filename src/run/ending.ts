/**
 * One ending for every run. A run that throws ends through main.ts's catch; this module makes every other
 * way a process can end take the same road (one error line, the outputs, the job summary, the alert):
 * a cancel (the runner sends SIGINT, then SIGTERM about 7.5 s later), a rejection nobody awaits, an event
 * loop that empties while the run still waits (Node would end it with exit code 13 and no word), and the
 * run's time limit. A watchdog ends the process if even that ending hangs.
 */
import { unexpectedErrorMessage } from '../common/errors.js'

/** The process as this module uses it, so the tests can hand it a stand-in. */
export interface GuardedProcess {
  on(event: 'SIGINT' | 'SIGTERM' | 'beforeExit' | 'unhandledRejection' | 'uncaughtException', listener: (...args: unknown[]) => void): unknown
  off(event: string, listener: (...args: unknown[]) => void): unknown
  exit(code: number): void
  exitCode?: number | string | null
}

export interface GuardOptions {
  /** What the run is doing now, in the user's words: "getting the ECR token". */
  doing(): string
  /** Fails the run with this line, unless it already failed, and concludes it; the same promise every time. */
  conclude(failure: string, urgent: boolean): Promise<void>
  /** The run's time limit, in ms: past it (and a grace for the run's own, more precise message) the run is ended. */
  limitMs: number
  /** Called at the limit, before the grace: stops every request the run still has under way. */
  onLimit(): void
  /** Past the limit, the grace and the conclusion's own bound: the last word, written however the run stands. */
  lastWord(message: string): void
  process?: GuardedProcess
  setTimer?: (callback: () => void, ms: number) => { unref?(): unknown }
}

/** After the limit, the run's own message (naming the request that was cut off) gets this long to come first. */
export const LIMIT_GRACE_MS = 5_000
/** The conclusion (summary, alert) of a run ended at its limit gets this long before the watchdog ends the process. */
export const WATCHDOG_MS = 45_000

export function limitMessage(seconds: number, doing: string): string {
  return `The run reached its time limit (${seconds}s: 60s + 6 x request-timeout + wait-timeout) while ${doing}: rerun; if it persists, check the services' status and the runner's network.`
}

export interface Guard {
  /** The run ended the ordinary way: no handler may end it again. */
  release(): void
}

export function guardRun(options: GuardOptions): Guard {
  const proc = options.process ?? process
  const setTimer = options.setTimer ?? ((callback: () => void, ms: number) => setTimeout(callback, ms))
  let released = false
  let ending: Promise<void> | undefined
  const listeners: [string, (...args: unknown[]) => void][] = []

  const exitCode = (): number => (Number(proc.exitCode) ? Number(proc.exitCode) : 0)
  function end(failure: string, urgent = false): void {
    if (released) return
    if (ending) return
    ending = options.conclude(failure, urgent).then(
      () => proc.exit(exitCode() || 1),
      () => proc.exit(1)
    )
  }
  function listen(event: Parameters<GuardedProcess['on']>[0], listener: (...args: unknown[]) => void): void {
    proc.on(event, listener)
    listeners.push([event, listener])
  }

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    listen(signal, () => end(`The run was cancelled (${signal}) while ${options.doing()}: rerun the workflow so the refresh completes.`, true))
  }
  const unexpected = (error: unknown) => end(unexpectedErrorMessage(error, options.doing()))
  listen('unhandledRejection', unexpected)
  listen('uncaughtException', unexpected)
  listen('beforeExit', () => {
    // A second empty loop means the ending itself has nothing left to wait for: end with what it reached.
    if (ending) return void proc.exit(exitCode())
    end(
      `The run stopped while ${options.doing()} with nothing left to wait for (a request that will never be answered), a fault in this action or a library it uses: rerun; if it persists, report it with this log.`
    )
  })

  const seconds = Math.round(options.limitMs / 1000)
  setTimer(() => options.onLimit(), options.limitMs).unref?.()
  setTimer(() => end(limitMessage(seconds, options.doing())), options.limitMs + LIMIT_GRACE_MS).unref?.()
  setTimer(
    () => {
      // A released run has reported; in a process that outlives it (a Lambda function's), a later run is not its to end.
      if (released) return
      options.lastWord(
        `The run did not end within its time limit (${seconds}s: 60s + 6 x request-timeout + wait-timeout) and could not finish its report while ${options.doing()}: rerun; if it persists, report it with this log.`
      )
      proc.exit(1)
    },
    options.limitMs + LIMIT_GRACE_MS + WATCHDOG_MS
  ).unref?.()

  return {
    release() {
      released = true
      for (const [event, listener] of listeners) proc.off(event, listener)
    }
  }
}
