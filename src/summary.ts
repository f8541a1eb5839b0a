import * as core from './core.js'

/** What a run did, in the terms the job summary and the outputs use. Never holds a credential. */
export interface Report {
  dryRun: boolean
  registry: string
  secretName: string
  secretRegion?: string
  status: string
  expiresAt: Date
  image?: string
  imageDigest?: string
  platforms?: string[]
  configFile?: string
  /** Markdown from the deploy config planner: the keys that changed, or would. */
  configChanges?: string
}

export function setOutputs(report: Report): void {
  core.setOutput('registry', report.registry)
  core.setOutput('expires-at', report.expiresAt.toISOString())
  core.setOutput('secret-name', report.secretName)
  core.setOutput('secret-region', report.secretRegion ?? '')
  core.setOutput('image', report.image ?? '')
  core.setOutput('image-digest', report.imageDigest ?? '')
  core.setOutput('config-file', report.dryRun ? '' : (report.configFile ?? ''))
}

export async function writeSummary(report: Report): Promise<void> {
  const rows = [
    ['Registry', report.registry],
    ['Secret set', report.secretName],
    ['Pipecat region', report.secretRegion ?? 'organization default'],
    ['Status', report.status],
    ['Token expires', report.expiresAt.toISOString()]
  ]
  if (report.image) rows.push(['Image', report.image])
  if (report.imageDigest) rows.push(['Digest', report.imageDigest])
  if (report.platforms) rows.push(['Platforms', report.platforms.join(', ') || 'none'])
  core.summary
    .addHeading(report.dryRun ? 'Pipecat Cloud pull secret (dry run: nothing stored)' : 'Pipecat Cloud pull secret refreshed', 3)
    .addTable([[{ data: 'Item', header: true }, { data: 'Value', header: true }], ...rows])
  if (report.configFile) {
    const verb = report.dryRun ? 'would change' : 'changes'
    core.summary.addHeading(`${report.configFile} (${verb})`, 4).addRaw(report.configChanges || 'No change needed.', true)
  }
  try {
    await core.summary.write()
  } catch (error) {
    // The summary is a convenience; a runner without the file must not fail a refresh that worked.
    core.warning(`Job summary not written: ${(error as Error).message}`)
  }
}
