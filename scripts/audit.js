// Fails on a high or critical advisory in the production dependencies (what dist/ bundles).
// When the registry offers no advisory endpoint (some mirrors answer 405), that is said loudly and not
// taken as a pass or a failure: no verdict could be had.
import { execFile } from 'node:child_process'

execFile('npm', ['audit', '--omit=dev', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_error, stdout, stderr) => {
  let report
  try {
    report = JSON.parse(stdout)
  } catch {
    report = undefined
  }
  const counts = report?.metadata?.vulnerabilities
  if (!counts) {
    const why = report?.error?.summary || stderr.split('\n').find(line => line.includes('error')) || 'no report'
    console.warn(`npm audit: NOT CHECKED, the registry gave no advisory report (${why.trim()}).`)
    return
  }
  const serious = (counts.high ?? 0) + (counts.critical ?? 0)
  console.log(`npm audit --omit=dev: ${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`)
  if (serious > 0) {
    console.error('npm audit: high or critical advisories in production dependencies: run npm audit --omit=dev and update them.')
    process.exitCode = 1
  }
})
