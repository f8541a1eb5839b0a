// npm run bench [-- --runs N] [-- --latency] [-- --check [--strict]] [-- --dist DIR ...]
// Start-up is most of this action's run time, so it is measured against bare `node -e 0` in the same run,
// on node24 (the runtime action.yml declares), as medians of interleaved runs.
// --latency: the emulators over TLS behind a relay that adds a round-trip time (40 and 80 ms), as a runner
// far from AWS and Pipecat Cloud sees them; it counts connections and round trips, and how long a run takes
// to notice a set that turns ready late, and what 4 targets cost against 1 ("4 targets vs 1 at 40 ms RTT").
// --check: both, briefly; fails when a count or the size misses its target. Counts must match exactly (they
// do not depend on the machine). Times are measured and reported against their targets, but a busy machine
// makes any run slow, so they fail the check only with --strict (with a margin): the test command runs
// --check, a maintainer runs --check --strict on a quiet machine before a release. Without --strict, where
// no time can fail, --check takes the fewest samples that give its counts and size (3 local runs, 1 relayed
// run of each kind, no ready-late runs): the times it reports are then rough, and `npm run bench` is where
// they are measured.
// --dist DIR (repeatable): other builds (`node scripts/bundle.js DIR`) run beside dist/ in the local bench,
// interleaved, each with the median and quartiles of its difference from dist/ within the same iteration:
// how docs/performance.md measures what each trick of the start-up layer buys.
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startEcrEmulator } from '../__tests__/emulators/ecr.js'
import { startPipecatEmulator } from '../__tests__/emulators/pipecat.js'
import { countRoundTrips, startLatencyProxy } from '../__tests__/support/latency-proxy.js'
import { makeCertificate } from '../__tests__/support/tls-certificate.js'
import { performance } from 'node:perf_hooks'
import { findNode24, NODE24_MISSING, onCi } from './node24.js'

const args = process.argv.slice(2)
const check = args.includes('--check')
const strict = args.includes('--strict')
const latencyOnly = args.includes('--latency')
const quick = check && !strict
const runs = Number(args[args.indexOf('--runs') + 1]) || (quick ? 3 : check ? 10 : latencyOnly ? 7 : 20)
const relayedRuns = quick ? 1 : check ? 3 : runs
const BUNDLE = resolve('dist/index.js')
const OTHER_DISTS = args.flatMap((arg, i) => (arg === '--dist' ? [resolve(args[i + 1])] : []))
// The same protocol work with Node's built-ins only: what the runtime and the network cost, for scale.
const FLOOR = resolve('scripts/floor.js')
// The AWS SDK alone making the one ECR call, bundled as the action is: what keeping the SDK costs, for scale.
// Built here (a few seconds of ncc), so not under --check; in a child process, since a child's peak memory
// starts from its parent's (Linux counts the memory a process had when it forked).
const SDK_FLOOR = resolve('scripts/sdk-floor.js')
const TARGETS = { sizeBytes: 1.5 * 1024 * 1024, load: 1.5, refresh: 3.5 }
const LATENCY_TARGETS = { refreshMs: 550, roundTrips: 7, criticalRoundTrips: 5, connections: 2, overshootMs: 600 }
// Several targets in one step: 4 sets cost at most this much more time than one, over the same connections
// and round trips (their PUTs pipelined on one connection, one status read for all).
const TARGETS_RATIO = 1.3
const FOUR_REGIONS = ['us-west', 'us-east', 'eu-central', 'ap-south']
// Sets that turn ready this long after the PUT: early, between polls, and at the end of the quick-poll phase.
const READY_AFTER_MS = quick ? [] : check ? [1100, 4900] : [300, 1100, 2300, 3100, 4900]
const MARGIN = 1.2
// The local full refresh misses its target (docs/performance.md: the AWS SDK and undici alone cost more
// than the gap to the floor; the bench shows the SDK alone); until it is met, --check holds the line where it
// is (4.2-5.0x measured on a shared machine), so it cannot get worse.
const REFRESH_GUARD = 5.5

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

/** The first and third quartiles, by the median of each half. */
const quartiles = values => {
  const sorted = [...values].sort((a, b) => a - b)
  const half = Math.floor(sorted.length / 2)
  return [median(sorted.slice(0, half)), median(sorted.slice(sorted.length - half))]
}

/**
 * CPU time (user and system, every thread) of this process's children that have ended, in ms, where Linux
 * tells (/proc/self/stat); in clock ticks, so one run reads to 10 ms, a sum over many runs exactly.
 */
function childrenCpuMs() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100
  } catch {
    return NaN
  }
}

/** Runs node24 with argv; resolves with start and end on this process's performance.now() clock, and its CPU time. */
function run(argv, env) {
  return new Promise((done, fail) => {
    const cpuBefore = childrenCpuMs()
    const startedAt = performance.now()
    execFile(NODE, argv, { env }, (error, stdout, stderr) => {
      const endedAt = performance.now()
      if (env.EXPECT_EXIT !== undefined && (error?.code ?? 0) !== Number(env.EXPECT_EXIT)) {
        fail(new Error(`${argv.join(' ')} exited ${error?.code ?? 0}, expected ${env.EXPECT_EXIT}:\n${stdout}${stderr}`))
      } else done({ startedAt, endedAt, ms: endedAt - startedAt, cpuMs: childrenCpuMs() - cpuBefore })
    })
  })
}

const time = async (argv, env) => (await run(argv, env)).ms

function dirSize(dir) {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0)
}

function printTable(rows) {
  const head = ['case', 'value', 'ratio', 'target']
  const widths = head.map((title, c) => Math.max(...rows.map(r => r[c].length), title.length))
  const line = r =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd()
  console.log(line(head))
  rows.forEach(r => console.log(line(r)))
}

const work = mkdtempSync(join(tmpdir(), 'bench-'))
const missed = []
/** Time targets missed: reported; failures only with --strict. */
const slow = []

function actionEnv(ecrUrl, inputs, extra = {}) {
  const env = {
    PATH: process.env.PATH,
    HOME: work,
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_ECR: ecrUrl,
    ...extra
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
  return env
}

function inputsFor(ecr, pipecat, pipecatUrl = pipecat.url) {
  return {
    'aws-account-id': ecr.accountId,
    'aws-region': ecr.region,
    'secret-name': 'my-ecr-credentials',
    'pipecat-api-token': pipecat.token,
    'pipecat-api-url': pipecatUrl
  }
}

function clearRunnerFiles() {
  writeFileSync(join(work, 'output'), '')
  writeFileSync(join(work, 'summary'), '')
}

/** Local emulators, no added latency: what start-up and the code cost against bare node. */
async function localBench() {
  const ecr = await startEcrEmulator()
  const pipecat = await startPipecatEmulator({ readyAfter: 0 })
  const rssProbe = join(work, 'rss.cjs')
  writeFileSync(rssProbe, "process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)))\n")
  const good = inputsFor(ecr, pipecat)
  const cases = {
    bare: { argv: ['-e', '0'], env: { PATH: process.env.PATH } },
    load: { argv: [BUNDLE], env: actionEnv(ecr.url, { ...good, 'aws-account-id': '12345678901' }, { EXPECT_EXIT: '1' }) },
    refresh: { argv: [BUNDLE], env: actionEnv(ecr.url, good, { EXPECT_EXIT: '0' }) },
    floor: { argv: [FLOOR], env: actionEnv(ecr.url, good, { EXPECT_EXIT: '0' }) }
  }
  for (const dir of OTHER_DISTS) {
    cases[`load ${dir}`] = { argv: [join(dir, 'index.js')], env: cases.load.env }
    cases[`refresh ${dir}`] = { argv: [join(dir, 'index.js')], env: cases.refresh.env }
  }
  try {
    if (!check) {
      const sdkFloor = join(work, 'sdk-floor')
      execFileSync(process.execPath, [resolve('scripts/ncc-build.js'), SDK_FLOOR, sdkFloor], { stdio: 'inherit' })
      cases.sdk = { argv: [join(sdkFloor, 'index.js')], env: actionEnv(ecr.url, good, { EXPECT_EXIT: '0' }) }
    }
    clearRunnerFiles()
    for (const { argv, env } of Object.values(cases)) await time(argv, env) // warm the file cache
    const samples = Object.fromEntries(Object.keys(cases).map(name => [name, []]))
    const cpu = Object.fromEntries(Object.keys(cases).map(name => [name, []]))
    for (let i = 0; i < runs; i++) {
      for (const [name, { argv, env }] of Object.entries(cases)) {
        clearRunnerFiles()
        const { ms, cpuMs } = await run(argv, env)
        samples[name].push(ms)
        cpu[name].push(cpuMs)
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
    const floor = median(samples.floor)
    const size = dirSize(resolve('dist'))
    console.log(`\nLocal emulators, no added latency: medians of ${runs} interleaved runs`)
    printTable([
      ['node -e 0', `${bare.toFixed(1)} ms`, '1.00x', ''],
      ['bundle, bad input (load cost)', `${load.toFixed(1)} ms`, `${(load / bare).toFixed(2)}x`, `< ${TARGETS.load}x`],
      ['bundle, full refresh', `${refresh.toFixed(1)} ms`, `${(refresh / bare).toFixed(2)}x`, `<= ${TARGETS.refresh}x`],
      ['built-ins only, same protocol work', `${floor.toFixed(1)} ms`, `${(floor / bare).toFixed(2)}x`, ''],
      ...(cases.sdk ? [['AWS SDK alone, the one ECR call', `${median(samples.sdk).toFixed(1)} ms`, `${(median(samples.sdk) / bare).toFixed(2)}x`, '']] : []),
      ['dist/ size', `${(size / 1024).toFixed(0)} KiB`, '', `<= ${TARGETS.sizeBytes / 1024} KiB`],
      ['peak memory, full refresh', `${(peakKiB / 1024).toFixed(1)} MiB`, `${(peakKiB / bareKiB).toFixed(2)}x`, '']
    ])
    const margin = `+${Math.round((MARGIN - 1) * 100)}% margin`
    if (OTHER_DISTS.length) {
      console.log(`\nOther builds beside dist/: medians, and each one's difference from dist/ in the same iteration (median, quartiles)`)
      // CPU time is steadier than wall time on a busy machine: its mean difference, with the standard error.
      console.log('and the mean difference in CPU time (all threads, to exit), with its standard error')
      const rows = [
        ['dist/', '', '', `CPU ${(cpu.load.reduce((a, b) => a + b, 0) / runs).toFixed(1)} / ${(cpu.refresh.reduce((a, b) => a + b, 0) / runs).toFixed(1)} ms`]
      ]
      const ms = value => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`
      for (const dir of OTHER_DISTS) {
        rows.push([`${dir}`, '', '', ''])
        for (const kind of ['load', 'refresh']) {
          const own = samples[`${kind} ${dir}`]
          const differences = own.map((value, i) => value - samples[kind][i])
          const [low, high] = quartiles(differences)
          const cpuDifferences = cpu[`${kind} ${dir}`].map((value, i) => value - cpu[kind][i])
          const mean = cpuDifferences.reduce((a, b) => a + b, 0) / runs
          const error = Math.sqrt(cpuDifferences.reduce((sum, d) => sum + (d - mean) ** 2, 0) / (runs - 1) / runs)
          rows.push([
            `  ${kind === 'load' ? 'bad input' : 'full refresh'}`,
            `${median(own).toFixed(1)} ms, ${(median(own) / bare).toFixed(2)}x`,
            `${ms(median(differences))} ms (${ms(low)} to ${ms(high)})`,
            `CPU ${ms(mean)} ± ${error.toFixed(1)} ms`
          ])
        }
      }
      const widths = [0, 1, 2, 3].map(c => Math.max(...rows.map(r => r[c].length)))
      for (const r of rows)
        console.log(
          r
            .map((cell, c) => cell.padEnd(widths[c]))
            .join('  ')
            .trimEnd()
        )
    }
    if (size > TARGETS.sizeBytes) missed.push(`dist/ is ${size} bytes, over ${TARGETS.sizeBytes}`)
    if (load / bare >= TARGETS.load * MARGIN) slow.push(`bad input ${(load / bare).toFixed(2)}x is not under ${TARGETS.load}x (${margin})`)
    if (refresh / bare > REFRESH_GUARD * MARGIN) slow.push(`full refresh ${(refresh / bare).toFixed(2)}x is over its guard of ${REFRESH_GUARD}x (${margin})`)
    else if (refresh / bare > TARGETS.refresh) console.warn(`bench: full refresh ${(refresh / bare).toFixed(2)}x still misses its ${TARGETS.refresh}x target`)
  } finally {
    await ecr.close()
    await pipecat.close()
  }
}

/**
 * One full refresh through the relays. Round trips come from the servers' records of the run's
 * connections; "ready to end" is from the moment the answer that said `ready` reached the run to its exit.
 */
async function relayedRefresh(setup, script = BUNDLE) {
  const { ecr, pipecat, ecrRelay, pipecatRelay, env } = setup
  const ecrSeen = ecr.connections.length
  const pipecatSeen = pipecat.connections.length
  const relayedSeen = ecrRelay.connections.length + pipecatRelay.connections.length
  clearRunnerFiles()
  const { startedAt, endedAt, ms } = await run([script], env)
  const ecrConnections = ecr.connections.slice(ecrSeen)
  const pipecatConnections = pipecat.connections.slice(pipecatSeen)
  const rtt = ecrRelay.rttMs
  const ecrTrips = countRoundTrips(ecrConnections, rtt)
  const pipecatTrips = countRoundTrips(pipecatConnections, rtt)
  const pipecatRequests = pipecatConnections.flatMap(c => c.requests).sort((a, b) => a.receivedAt - b.receivedAt)
  const put = pipecatRequests.find(r => r.method === 'PUT')
  const last = pipecatRequests.at(-1)
  const relayed = ecrRelay.connections.length + pipecatRelay.connections.length - relayedSeen
  return {
    ms,
    startedAt,
    endedAt,
    ecrTrips,
    pipecatTrips,
    roundTrips: ecrTrips.total + pipecatTrips.total,
    critical: ecrTrips.critical + pipecatTrips.critical,
    connections: ecrTrips.connections + pipecatTrips.connections,
    relayed,
    polls: pipecatRequests.filter(r => r.method === 'GET').length,
    putAnsweredAt: put?.answeredAt,
    readyToEndMs: endedAt - (last.answeredAt + rtt / 2)
  }
}

async function latencyBench() {
  const tls = makeCertificate(work)
  const ecr = await startEcrEmulator({ tls })
  const pipecat = await startPipecatEmulator({ tls, readyAfter: 0 })
  const closers = [() => ecr.close(), () => pipecat.close()]
  const bareEnv = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: tls.certPath }
  try {
    const rows = []
    const countsSeen = new Set()
    let at40
    for (const rttMs of check ? [40] : [40, 80]) {
      const ecrRelay = await startLatencyProxy({ target: ecr.url, rttMs })
      const pipecatRelay = await startLatencyProxy({ target: pipecat.url, rttMs })
      closers.push(
        () => ecrRelay.close(),
        () => pipecatRelay.close()
      )
      const env = actionEnv(ecrRelay.url, inputsFor(ecr, pipecat, pipecatRelay.url), { EXPECT_EXIT: '0', NODE_EXTRA_CA_CERTS: tls.certPath })
      const setup = { ecr, pipecat, ecrRelay, pipecatRelay, env }
      await relayedRefresh(setup) // warm the file cache
      const bare = []
      const refreshes = []
      const floors = []
      for (let i = 0; i < relayedRuns; i++) {
        bare.push(await time(['-e', '0'], bareEnv))
        refreshes.push(await relayedRefresh(setup))
        if (!check) floors.push(await relayedRefresh(setup, FLOOR))
      }
      const r = refreshes.at(-1)
      for (const each of refreshes) countsSeen.add(`${each.roundTrips}/${each.critical}/${each.connections}/${each.relayed}`)
      const refreshMs = median(refreshes.map(x => x.ms))
      const bareMs = median(bare)
      if (rttMs === 40) at40 = { refreshMs, r }
      rows.push(
        [`${rttMs} ms RTT: node -e 0`, `${bareMs.toFixed(0)} ms`, '1.00x', ''],
        [
          `${rttMs} ms RTT: full refresh`,
          `${refreshMs.toFixed(0)} ms`,
          `${(refreshMs / bareMs).toFixed(2)}x`,
          rttMs === 40 ? `<= ${LATENCY_TARGETS.refreshMs} ms` : ''
        ],
        ...(floors.length
          ? [
              [
                `${rttMs} ms RTT: built-ins only (floor)`,
                `${median(floors.map(x => x.ms)).toFixed(0)} ms`,
                `${(median(floors.map(x => x.ms)) / bareMs).toFixed(2)}x`,
                `${floors.at(-1).roundTrips} (${floors.at(-1).critical}) round trips`
              ]
            ]
          : []),
        [`${rttMs} ms RTT: ready to end of run`, `${median(refreshes.map(x => x.readyToEndMs)).toFixed(0)} ms`, '', ''],
        [
          `${rttMs} ms RTT: round trips (critical path)`,
          `${r.roundTrips} (${r.critical})`,
          `ECR ${r.ecrTrips.total}, Pipecat ${r.pipecatTrips.total}`,
          `<= ${LATENCY_TARGETS.roundTrips}`
        ],
        [
          `${rttMs} ms RTT: connections`,
          `${r.connections}`,
          `ECR ${r.ecrTrips.connections}, Pipecat ${r.pipecatTrips.connections}`,
          `<= ${LATENCY_TARGETS.connections}`
        ]
      )
    }

    // Sets that take a while to turn ready: how long after that the run ends.
    const ecrRelay = await startLatencyProxy({ target: ecr.url, rttMs: 40 })
    closers.push(() => ecrRelay.close())
    const overshoots = []
    for (const readyAfterMs of READY_AFTER_MS) {
      const emulator = await startPipecatEmulator({ tls, readyAfterMs })
      const relay = await startLatencyProxy({ target: emulator.url, rttMs: 40 })
      const env = actionEnv(ecrRelay.url, inputsFor(ecr, emulator, relay.url), { EXPECT_EXIT: '0', NODE_EXTRA_CA_CERTS: tls.certPath })
      try {
        const r = await relayedRefresh({ ecr, pipecat: emulator, ecrRelay, pipecatRelay: relay, env })
        const overshoot = r.endedAt - (r.putAnsweredAt + readyAfterMs)
        overshoots.push({ readyAfterMs, overshoot, polls: r.polls })
      } finally {
        await relay.close()
        await emulator.close()
      }
    }
    for (const { readyAfterMs, overshoot, polls } of overshoots) {
      rows.push([
        `40 ms RTT: set ready ${(readyAfterMs / 1000).toFixed(1)} s after the PUT`,
        `ends ${overshoot.toFixed(0)} ms later`,
        `${polls} status reads`,
        `<= ${LATENCY_TARGETS.overshootMs} ms`
      ])
    }

    const several = await targetsBench(ecr, ecrRelay, tls)
    rows.push(
      [
        '4 targets vs 1 at 40 ms RTT',
        `${several.fourMs.toFixed(0)} vs ${several.oneMs.toFixed(0)} ms`,
        `${(several.fourMs / several.oneMs).toFixed(2)}x`,
        `<= ${TARGETS_RATIO}x, same connections`
      ],
      ['4 targets vs 1 at 40 ms RTT: round trips', `${several.four.roundTrips} vs ${several.one.roundTrips}`, '', 'equal'],
      ['4 targets vs 1 at 40 ms RTT: connections', `${several.four.connections} vs ${several.one.connections}`, '', 'equal'],
      [
        'Keep-Alive: timeout=2 at 40 ms RTT: 1 and 4 targets',
        `${several.hinted.map(r => r.connections).join(' and ')} connections`,
        `${several.hinted.map(r => r.roundTrips).join(' and ')} round trips`,
        `${LATENCY_TARGETS.connections} each`
      ]
    )

    console.log(`\nTLS emulators behind a latency relay: medians of ${relayedRuns} interleaved runs`)
    printTable(rows)
    console.log(
      'A round trip: the TCP handshake, each TLS handshake leg the client waits on (one in TLS 1.3), and each\n' +
        'request and its answer. On the critical path: without handshakes done ahead of the first request.'
    )

    const margin = `+${Math.round((MARGIN - 1) * 100)}% margin`
    // Round trips and connections are exact. Which handshakes were done ahead of need is read from timings:
    // a busy machine can hold a request back after its handshake, which only makes that handshake look
    // done ahead, so the critical path gets a bound instead.
    const T = LATENCY_TARGETS
    for (const counts of countsSeen) {
      const [total, critical, connections, relayed] = counts.split('/').map(Number)
      if (total !== T.roundTrips || critical > T.criticalRoundTrips || connections !== T.connections || relayed !== T.connections) {
        missed.push(
          `a full refresh took ${total} round trips (${critical} on the critical path) over ${connections} connections (${relayed} relayed); ` +
            `expected exactly ${T.roundTrips} (at most ${T.criticalRoundTrips}) over exactly ${T.connections}`
        )
      }
    }
    for (const [what, seen] of [
      ['4 targets', several.four],
      ['a server hinting Keep-Alive: timeout=2 (1 target)', several.hinted[0]],
      ['a server hinting Keep-Alive: timeout=2 (4 targets)', several.hinted[1]]
    ]) {
      if (seen.roundTrips !== several.one.roundTrips || seen.connections !== several.one.connections) {
        missed.push(
          `a refresh of ${what} took ${seen.roundTrips} round trips over ${seen.connections} connections; expected what one target takes, ${several.one.roundTrips} over ${several.one.connections}`
        )
      }
    }
    if (several.fourMs > several.oneMs * TARGETS_RATIO * MARGIN) {
      slow.push(`4 targets took ${(several.fourMs / several.oneMs).toFixed(2)}x one target at 40 ms RTT, over ${TARGETS_RATIO}x (${margin})`)
    }
    if (at40 && at40.refreshMs > LATENCY_TARGETS.refreshMs * MARGIN) {
      slow.push(`full refresh at 40 ms RTT took ${at40.refreshMs.toFixed(0)} ms, over ${LATENCY_TARGETS.refreshMs} ms (${margin})`)
    }
    for (const { readyAfterMs, overshoot } of overshoots) {
      if (overshoot > LATENCY_TARGETS.overshootMs * MARGIN) {
        slow.push(
          `a set ready ${readyAfterMs} ms after the PUT ended the run ${overshoot.toFixed(0)} ms later, over ${LATENCY_TARGETS.overshootMs} ms (${margin})`
        )
      }
    }
  } finally {
    for (const close of closers.reverse()) await close()
  }
}

/**
 * 4 targets against 1 through the same relays, interleaved, and both against a server that hints a 2 s
 * keep-alive: the times as medians, the counts from each kind's last run (they do not vary).
 */
async function targetsBench(ecr, ecrRelay, tls) {
  const emulators = []
  try {
    const setup = async (keepAliveSeconds, targets) => {
      const pipecat = await startPipecatEmulator({ tls, readyAfter: 0, regions: FOUR_REGIONS, keepAliveSeconds })
      const pipecatRelay = await startLatencyProxy({ target: pipecat.url, rttMs: 40 })
      emulators.push(pipecat, pipecatRelay)
      const inputs = targets
        ? { ...inputsFor(ecr, pipecat, pipecatRelay.url), 'secret-name': '', targets: FOUR_REGIONS.map(region => `ecr-pull-${region}: ${region}`).join('\n') }
        : { ...inputsFor(ecr, pipecat, pipecatRelay.url), 'pipecat-region': 'us-west' }
      const env = actionEnv(ecrRelay.url, inputs, { EXPECT_EXIT: '0', NODE_EXTRA_CA_CERTS: tls.certPath })
      return { ecr, pipecat, ecrRelay, pipecatRelay, env }
    }
    const one = await setup(undefined, false)
    const four = await setup(undefined, true)
    await relayedRefresh(one) // warm the file cache
    const oneRuns = []
    const fourRuns = []
    for (let i = 0; i < relayedRuns; i++) {
      oneRuns.push(await relayedRefresh(one))
      fourRuns.push(await relayedRefresh(four))
    }
    const hinted = [await relayedRefresh(await setup(2, false)), await relayedRefresh(await setup(2, true))]
    return {
      oneMs: median(oneRuns.map(r => r.ms)),
      fourMs: median(fourRuns.map(r => r.ms)),
      one: oneRuns.at(-1),
      four: fourRuns.at(-1),
      hinted
    }
  } finally {
    for (const each of emulators.reverse()) await each.close()
  }
}

try {
  console.log(`node ${execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim()}`)
  if (!latencyOnly) await localBench()
  if (latencyOnly || check) await latencyBench()
  if (check) {
    const failing = strict ? [...missed, ...slow] : missed
    if (slow.length && !strict) {
      console.warn(`bench: times over their targets on this machine now (reported, not failed; --strict fails on them): ${slow.join('; ')}`)
    }
    if (failing.length) {
      console.error(`bench: ${failing.join('; ')}`)
      process.exitCode = 1
    } else console.log(`bench: checks passed (${strict ? 'counts, size and times' : 'counts and size; times reported'})`)
  } else if (missed.length || slow.length) console.warn(`bench: targets missed: ${[...missed, ...slow].join('; ')}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
