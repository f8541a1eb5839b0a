/**
 * A clock that moves only when the code under test sleeps, and records each sleep: retries, backoff and
 * waits are proven by the sleeps asked for, without real waiting and whatever the machine's load.
 */
export function sleepClock(start = 0): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let now = start
  const slept: number[] = []
  return {
    slept,
    now: () => now,
    sleep: async (ms: number) => {
      slept.push(ms)
      now += ms
    }
  }
}
