// npm run bench [-- --runs N] [-- --check]
// Start-up is most of this action's run time, so it is measured against bare `node -e 0` in the same run,
// on node24 (the runtime action.yml declares), as medians of interleaved runs. --check fails when a target is
// missed, with a margin for a noisy machine; the test command runs it that way.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startEcrEmulator } from '../__tests__/emulators/ecr.js'
import { startPipecatEmulator } from '../__tests__/emulators/pipecat.js'
import { findNode24, NODE24_MISSING, onCi } from './node24.js'

const args = process.argv.slice(2)
const check = args.includes('--check')
const runs = Number(args[args.indexOf('--runs') + 1]) || (check ? 10 : 20)
const BUNDLE = resolve('dist/index.js')
const TARGETS = { sizeBytes: 2 * 1024 * 1024, load: 2, refresh: 3 }
// The full refresh does not meet its target yet (see README, Performance); until it does, --check holds
// the line where it is, so it cannot get worse unnoticed.
const REFRESH_GUARD = 8
const MARGIN = 1.2

const node24 = findNode24()
if (!node24) {
  if (onCi()) {
    console.error(`bench: ${NODE24_MISSING}`)
    process.exit(1)
  }
  console.error(`\n!!! bench SKIPPED: it measures on node24 only. ${NODE24_MISSING}\n`)
  process.exit(0)
}
const NODE = node24.path

const median = values => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

function time(argv, env) {
  return new Promise((done, fail) => {
    const started = process.hrtime.bigint()
    execFile(NODE, argv, { env }, (error, stdout) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      if (env.EXPECT_EXIT !== undefined && (error?.code ?? 0) !== Number(env.EXPECT_EXIT)) {
        fail(new Error(`${argv.join(' ')} exited ${error?.code ?? 0}, expected ${env.EXPECT_EXIT}:\n${stdout}`))
      } else done(ms)
    })
  })
}

function dirSize(dir) {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0)
}

const work = mkdtempSync(join(tmpdir(), 'bench-'))
const ecr = await startEcrEmulator()
const pipecat = await startPipecatEmulator({ readyAfter: 0 })
const rssProbe = join(work, 'rss.cjs')
writeFileSync(rssProbe, "process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)))\n")

function actionEnv(inputs, extra = {}) {
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_ECR: ecr.url,
    ...extra
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return env
}

const good = {
  'aws-account-id': ecr.accountId,
  'aws-region': ecr.region,
  'secret-name': 'my-ecr-credentials',
  'pipecat-api-token': pipecat.token,
  'pipecat-api-url': pipecat.url
}
const cases = {
  bare: { argv: ['-e', '0'], env: { PATH: process.env.PATH } },
  load: { argv: [BUNDLE], env: actionEnv({ ...good, 'aws-account-id': '12345678901' }, { EXPECT_EXIT: '1' }) },
  refresh: { argv: [BUNDLE], env: actionEnv(good, { EXPECT_EXIT: '0' }) }
}

try {
  writeFileSync(join(work, 'output'), '')
  writeFileSync(join(work, 'summary'), '')
  for (const { argv, env } of Object.values(cases)) await time(argv, env) // warm the file cache
  const samples = { bare: [], load: [], refresh: [] }
  for (let i = 0; i < runs; i++) {
    for (const [name, { argv, env }] of Object.entries(cases)) {
      writeFileSync(join(work, 'output'), '')
      writeFileSync(join(work, 'summary'), '')
      samples[name].push(await time(argv, env))
    }
  }
  const rssFile = join(work, 'rss')
  await time(['--require', rssProbe, BUNDLE], { ...cases.refresh.env, BENCH_RSS_FILE: rssFile })
  const peakKiB = Number(readFileSync(rssFile, 'utf8'))
  await time(['--require', rssProbe, '-e', '0'], { PATH: process.env.PATH, BENCH_RSS_FILE: rssFile })
  const bareKiB = Number(readFileSync(rssFile, 'utf8'))

  const bare = median(samples.bare)
  const load = median(samples.load)
  const refresh = median(samples.refresh)
  const size = dirSize(resolve('dist'))
  const rows = [
    ['node -e 0', `${bare.toFixed(1)} ms`, '1.00x', ''],
    ['bundle, bad input (load cost)', `${load.toFixed(1)} ms`, `${(load / bare).toFixed(2)}x`, `<= ${TARGETS.load}x`],
    ['bundle, full refresh (emulators)', `${refresh.toFixed(1)} ms`, `${(refresh / bare).toFixed(2)}x`, `<= ${TARGETS.refresh}x`],
    ['dist/ size', `${(size / 1024).toFixed(0)} KiB`, '', `<= ${TARGETS.sizeBytes / 1024} KiB`],
    ['peak memory, full refresh', `${(peakKiB / 1024).toFixed(1)} MiB`, `${(peakKiB / bareKiB).toFixed(2)}x`, '']
  ]
  console.log(`node ${(await new Promise(r => execFile(NODE, ['--version'], (_e, out) => r(out.trim()))))}, medians of ${runs} interleaved runs`)
  const widths = [0, 1, 2, 3].map(c => Math.max(...rows.map(r => r[c].length), ['case', 'value', 'ratio', 'target'][c].length))
  const line = r => r.map((cell, c) => cell.padEnd(widths[c])).join('  ')
  console.log(line(['case', 'value', 'ratio', 'target']))
  rows.forEach(r => console.log(line(r)))

  if (check) {
    const missed = []
    if (size > TARGETS.sizeBytes) missed.push(`dist/ is ${size} bytes, over ${TARGETS.sizeBytes}`)
    if (load / bare > TARGETS.load * MARGIN) missed.push(`load cost ${(load / bare).toFixed(2)}x is over ${TARGETS.load}x (+${Math.round((MARGIN - 1) * 100)}% margin)`)
    if (refresh / bare > REFRESH_GUARD * MARGIN) missed.push(`full refresh ${(refresh / bare).toFixed(2)}x is over its guard of ${REFRESH_GUARD}x (+${Math.round((MARGIN - 1) * 100)}% margin)`)
    else if (refresh / bare > TARGETS.refresh) console.warn(`bench: full refresh ${(refresh / bare).toFixed(2)}x still misses its ${TARGETS.refresh}x target`)
    if (missed.length) {
      console.error(`bench: ${missed.join('; ')}`)
      process.exitCode = 1
    } else console.log('bench: checks passed')
  }
} finally {
  await ecr.close()
  await pipecat.close()
  rmSync(work, { recursive: true, force: true })
}
