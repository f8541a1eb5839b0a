import * as log from './log.js'
import { ActionError } from './errors.js'
import { createHttpClient } from './http.js'
import type { Inputs } from './inputs.js'
import { whenWithRelative } from './expiry.js'
import { setOutputs, writeSummary, type Report } from './summary.js'
import { SHAPES, shaped, untrusted } from './untrusted.js'

// Heavy modules (the AWS SDK, the TOML parser, the GitHub client) are imported where a run needs
// them, after the inputs are checked: start-up is most of this action's run time.

interface ConfigPlan {
  path: string
  text: string
  changed: boolean
  changes: string
  notices: string[]
}

/** Reads and plans the deploy config before any network call, so a broken file stops the run early. */
async function planConfig(inputs: Inputs): Promise<ConfigPlan | undefined> {
  if (!inputs.configFile) return undefined
  const { readDeployConfig, planDeployConfig, formatChanges } = await import('./deploy-config.js')
  const existing = await readDeployConfig(inputs.configFile)
  const plan = planDeployConfig(
    existing,
    {
      imageCredentials: inputs.secretName,
      image: inputs.image?.full,
      region: inputs.pipecatRegion,
      ...inputs.deployConfig
    },
    inputs.configFile
  )
  return { path: inputs.configFile, text: plan.text, changed: plan.changes.length > 0, changes: formatChanges(plan.changes), notices: plan.notices }
}

/** The report a run starts with: only what the inputs say; each step adds what it learned. */
function startReport(inputs: Inputs): Report {
  return {
    dryRun: inputs.dryRun,
    registry: inputs.registryHost,
    secretName: inputs.secretName,
    secret: 'untouched',
    waitForReady: inputs.waitForReady,
    image: inputs.image?.full,
    verifyImage: inputs.verifyImage,
    configFile: inputs.configFile
  }
}

/** The story of a run. It fills `report` as it goes, so a failure still reports how far it got. */
async function refresh(inputs: Inputs, report: Report): Promise<void> {
  const config = await planConfig(inputs)
  if (config) {
    report.config = 'planned'
    report.configChanges = config.changes
  }
  const http = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy })

  const { getEcrToken } = await import('./ecr.js')
  const token = await getEcrToken(inputs.awsRegion, http)
  report.expiresAt = token.expiresAt
  log.info(`Got an ECR token for ${inputs.registryHost}, valid until ${whenWithRelative(token.expiresAt)}.`)

  if (inputs.image && inputs.verifyImage) {
    const { verifyImage } = await import('./registry.js')
    const check = await verifyImage(http, { registryUrl: inputs.registryUrl, image: inputs.image, authorizationToken: token.authorizationToken })
    log.info(`Image ${inputs.image.full} can be pulled: ${check.digest} (${check.platforms.join(', ')}).`)
    Object.assign(report, { imageDigest: check.digest, platforms: check.platforms })
  }

  const pipecat = await import('./pipecat.js')
  const api = { http, apiUrl: inputs.apiUrl, token: inputs.apiToken }
  const secret = { secretName: inputs.secretName, region: inputs.pipecatRegion }

  if (inputs.dryRun) {
    const { existing } = await pipecat.checkPullSecret(api, secret)
    report.secret = 'checked'
    report.secretRegion = existing?.region
    report.existingStatus = existing?.status
    const found = existing
      ? `secret set ${inputs.secretName} is an image pull secret in region ${existing.region} (${existing.status})`
      : `the name ${inputs.secretName} is free${inputs.pipecatRegion ? ` and region ${inputs.pipecatRegion} is offered` : ''}`
    log.info(`Dry run: Pipecat Cloud accepts the key and ${found}; nothing was stored${config ? ` and ${config.path} was not written` : ''}.`)
    return
  }

  const stored = await pipecat.storePullSecret(api, { ...secret, host: inputs.registryUrl, authorizationToken: token.authorizationToken })
  report.secret = 'stored'
  report.secretRegion = shaped(stored.region, SHAPES.pipecatRegion) ?? inputs.pipecatRegion
  log.info(`Stored the image pull secret ${inputs.secretName} for ${inputs.registryHost} in Pipecat region ${report.secretRegion ?? '(default)'}.`)

  if (inputs.waitForReady) {
    const state = await pipecat.waitForReady(api, inputs.secretName, { timeoutMs: inputs.waitTimeoutMs })
    report.secretRegion = shaped(state.region, SHAPES.pipecatRegion) ?? report.secretRegion
    report.secret = 'ready'
    log.info(`Secret set ${inputs.secretName} is ready; the next refresh must succeed before ${whenWithRelative(token.expiresAt)}.`)
  }

  if (config) {
    config.notices.forEach(notice => log.notice(notice))
    if (config.changed) {
      const { writeDeployConfig } = await import('./deploy-config.js')
      await writeDeployConfig(config.path, config.text)
      report.config = 'written'
      log.info(`Wrote ${config.path}.`)
    } else {
      report.config = 'unchanged'
      log.info(`${config.path} already up to date.`)
    }
  }
}

/** An alert that cannot be sent is a warning: it must never hide the refresh's own result. */
async function alert(inputs: Inputs, report: Report): Promise<void> {
  if (!inputs.alert || inputs.dryRun) return
  const target = { ...inputs.alert, secretName: inputs.secretName }
  try {
    const { reportFailure, reportRecovery } = await import('./alert.js')
    const result = report.failure
      ? await reportFailure(target, { message: report.failure, secret: report.secret, expiresAt: report.expiresAt })
      : await reportRecovery(target, { expiresAt: report.expiresAt as Date, registry: report.registry })
    if (result.action !== 'none') log.info(`Alert issue #${result.issueNumber}: ${result.action}.`)
  } catch (error) {
    log.warning(`Could not update the alert issue: ${(error as Error).message}`)
  }
}

function failureMessage(error: unknown): string {
  return error instanceof ActionError
    ? error.message
    : `Unexpected error (${(error as Error)?.name ?? 'unknown'}: ${String((error as Error)?.message ?? error).split('\n')[0]}); rerun, and report it with this log if it persists.`
}

export async function run(inputs: Inputs): Promise<void> {
  // Masked before anything is logged: from here on the runner hides them wherever they appear.
  log.protect(inputs.apiToken)
  if (inputs.alert) log.protect(inputs.alert.token)
  inputs.environmentSecrets.forEach(log.protect)
  const report = startReport(inputs)
  try {
    await refresh(inputs, report)
  } catch (error) {
    // Redacted once here: the summary and the alert issue show it too, and the runner masks only the log.
    report.failure = untrusted(failureMessage(error), 2000)
    log.fail(report.failure)
  }
  // A failed run reports too: what was done, what was not, and the outputs that are known.
  setOutputs(report)
  await writeSummary(report)
  await alert(inputs, report)
}
