#!/usr/bin/env node
// npm run test:stress [-- --runs K] [--busy N] [-- COMMAND...]: runs the test command K times (default 5)
// while N processes (default: one per CPU) keep every CPU busy, as on a machine other jobs share. Prints each
// run's time and result, keeps each run's output under .tmp/stress/, and fails when any run failed.
// The busy processes stop by themselves when this script ends (their IPC channel closes) and after --max-minutes
// at the latest, and are killed on exit and on Ctrl-C.
import { fork, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { setImmediate } from 'node:timers'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string', default: '5' },
    busy: { type: 'string', default: String(availableParallelism()) },
    'max-minutes': { type: 'string', default: '120' },
    'busy-child': { type: 'boolean', default: false }
  }
})

/** @type {import('node:child_process').ChildProcess | undefined} the test command running now */
let current

if (values['busy-child']) busyLoop(Number(values['max-minutes']))
else await main()

/** Spins in slices of 50 ms, so it still hears its parent go away between them. */
function busyLoop(maxMinutes) {
  const stopAt = Date.now() + maxMinutes * 60_000
  process.on('disconnect', () => process.exit(0))
  const slice = () => {
    const end = Date.now() + 50
    while (Date.now() < end) Math.sqrt(Math.random())
    if (Date.now() > stopAt) process.exit(0)
    setImmediate(slice)
  }
  slice()
}

async function main() {
  const runs = Number(values.runs)
  const busy = Number(values.busy)
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(busy) || busy < 0) {
    console.error('usage: npm run test:stress [-- --runs K] [--busy N] [--max-minutes M] [-- COMMAND...]  (K >= 1, N >= 0)')
    process.exit(2)
  }
  const command = positionals.length > 0 ? positionals : ['npm', 'test']
  const logs = path.join(root, '.tmp', 'stress')
  mkdirSync(logs, { recursive: true })

  const spinners = Array.from({ length: busy }, () =>
    fork(fileURLToPath(import.meta.url), ['--busy-child', '--max-minutes', values['max-minutes']], { stdio: 'ignore' })
  )
  const stopSpinners = () => spinners.forEach(child => child.exitCode === null && child.kill('SIGKILL'))
  process.on('exit', stopSpinners)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      stopSpinners()
      if (current?.exitCode === null) current.kill(signal)
      process.exit(130)
    })
  }

  console.log(`test:stress: ${command.join(' ')}, ${runs} time(s), with ${busy} busy process(es) on ${availableParallelism()} CPU(s)`)
  const results = []
  for (let run = 1; run <= runs; run++) {
    const log = path.join(logs, `run-${run}.log`)
    const started = performance.now()
    const code = await runLogged(command, log)
    const seconds = (performance.now() - started) / 1000
    results.push({ run, code, seconds })
    console.log(`run ${run}/${runs}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds.toFixed(1)} s  (output: ${path.relative(root, log)})`)
    if (code !== 0) console.log(tail(log, 30))
  }
  stopSpinners()

  const failed = results.filter(result => result.code !== 0)
  const times = results.map(result => result.seconds.toFixed(1)).join(', ')
  console.log(`test:stress: ${runs - failed.length} of ${runs} passed under load; times ${times} s`)
  process.exitCode = failed.length > 0 ? 1 : 0
}

function runLogged(command, log) {
  return new Promise(resolve => {
    const out = createWriteStream(log)
    const child = spawn(command[0], command.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    current = child
    child.stdout.pipe(out, { end: false })
    child.stderr.pipe(out, { end: false })
    child.on('error', error => {
      out.end(`${error.message}\n`)
      resolve(127)
    })
    child.on('close', code => out.end(() => resolve(code ?? 1)))
  })
}

function tail(file, lines) {
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
}
