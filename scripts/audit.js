// Fails on a high or critical advisory in what dist/ bundles: the packages dist/licenses.txt and
// dist/lambda/licenses.txt name (ncc lists every package it bundled there). Those are devDependencies,
// since the published package needs nothing at install time, so npm audit runs over the whole tree and
// the advisories are narrowed here.
// When the registry offers no advisory endpoint (some mirrors answer 405), that is said loudly and not
// taken as a pass or a failure: no verdict could be had.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** The package names in ncc's licenses file: each entry starts with the name on a line of its own, then the license. */
export function bundledPackages(licenses) {
  const lines = licenses.split('\n')
  return new Set(lines.filter((line, at) => at + 1 < lines.length && (at === 0 || lines[at - 1] === '') && /^(@[\w.-]+\/)?[\w.-]+$/.test(line)))
}

// The Lambda handler's bundle has its own list: it alone bundles the Secrets Manager client.
const bundled = new Set(['dist/licenses.txt', 'dist/lambda/licenses.txt'].flatMap(path => [...bundledPackages(readFileSync(path, 'utf8'))]))
execFile('npm', ['audit', '--json'], { maxBuffer: 64 * 1024 * 1024 }, (_error, stdout, stderr) => {
  let report
  try {
    report = JSON.parse(stdout)
  } catch {
    report = undefined
  }
  if (!report?.metadata?.vulnerabilities) {
    const why = report?.error?.summary || stderr.split('\n').find(line => line.includes('error')) || 'no report'
    console.warn(`npm audit: NOT CHECKED, the registry gave no advisory report (${why.trim()}).`)
    return
  }
  const counts = { critical: 0, high: 0, moderate: 0, low: 0, info: 0 }
  const serious = []
  for (const [name, { severity }] of Object.entries(report.vulnerabilities ?? {})) {
    if (!bundled.has(name)) continue
    counts[severity] = (counts[severity] ?? 0) + 1
    if (severity === 'high' || severity === 'critical') serious.push(name)
  }
  console.log(
    `npm audit, the ${bundled.size} bundled packages: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low`
  )
  if (serious.length > 0) {
    console.error(`npm audit: high or critical advisories in packages dist/ bundles (${serious.join(', ')}): run npm audit and update them.`)
    process.exitCode = 1
  }
})
