import * as core from './core.js'
import { ActionError } from './errors.js'
import { createHttpClient, preconnect } from './http.js'
import type { Inputs } from './inputs.js'
import { setOutputs, writeSummary, type Report } from './summary.js'

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

async function refresh(inputs: Inputs): Promise<Report> {
  const config = await planConfig(inputs)
  const http = createHttpClient({ timeoutMs: inputs.requestTimeoutMs, proxy: inputs.proxy })
  // Pipecat Cloud's handshakes happen while the AWS SDK loads and ECR answers, off the critical path.
  if (!inputs.dryRun) preconnect(inputs.apiUrl, inputs.proxy)

  const { getEcrToken } = await import('./ecr.js')
  const token = await getEcrToken(inputs.awsRegion, http)
  core.info(`Got an ECR token for ${inputs.registryHost}, valid until ${token.expiresAt.toISOString()}.`)

  const report: Report = {
    dryRun: inputs.dryRun,
    registry: inputs.registryHost,
    secretName: inputs.secretName,
    secretRegion: inputs.pipecatRegion,
    status: 'not stored (dry run)',
    expiresAt: token.expiresAt,
    image: inputs.image?.full,
    configFile: config?.path,
    configChanges: config?.changes
  }

  if (inputs.image && inputs.verifyImage) {
    const { verifyImage } = await import('./registry.js')
    const check = await verifyImage(http, { registryUrl: inputs.registryUrl, image: inputs.image, authorizationToken: token.authorizationToken })
    core.info(`Image ${inputs.image.full} can be pulled: ${check.digest} (${check.platforms.join(', ')}).`)
    Object.assign(report, { imageDigest: check.digest, platforms: check.platforms })
  }

  if (inputs.dryRun) {
    core.info(`Dry run: the secret set ${inputs.secretName} was not changed${config ? ` and ${config.path} was not written` : ''}.`)
    return report
  }

  const { storePullSecret, waitForReady } = await import('./pipecat.js')
  const api = { http, apiUrl: inputs.apiUrl, token: inputs.apiToken }
  const stored = await storePullSecret(api, {
    secretName: inputs.secretName,
    host: inputs.registryUrl,
    authorizationToken: token.authorizationToken,
    region: inputs.pipecatRegion
  })
  report.secretRegion = stored.region ?? inputs.pipecatRegion
  report.status = 'stored'
  core.info(`Stored the image pull secret ${inputs.secretName} for ${inputs.registryHost} in Pipecat region ${report.secretRegion ?? '(default)'}.`)

  if (inputs.waitForReady) {
    const state = await waitForReady(api, inputs.secretName, { timeoutMs: inputs.waitTimeoutMs })
    report.secretRegion = state.region || report.secretRegion
    report.status = 'ready'
    core.info(`Secret set ${inputs.secretName} is ready.`)
  }

  if (config) {
    config.notices.forEach(notice => core.notice(notice))
    if (config.changed) {
      const { writeDeployConfig } = await import('./deploy-config.js')
      await writeDeployConfig(config.path, config.text)
      core.info(`Wrote ${config.path}.`)
    } else {
      core.info(`${config.path} already up to date.`)
    }
  }
  return report
}

/** An alert that cannot be sent is a warning: it must never hide the refresh's own result. */
async function alert(inputs: Inputs, outcome: { failure: string } | { report: Report }): Promise<void> {
  if (!inputs.alert || inputs.dryRun) return
  const target = { ...inputs.alert, secretName: inputs.secretName }
  try {
    const { reportFailure, reportRecovery } = await import('./alert.js')
    const result =
      'failure' in outcome
        ? await reportFailure(target, { message: outcome.failure })
        : await reportRecovery(target, { expiresAt: outcome.report.expiresAt.toISOString(), registry: outcome.report.registry })
    if (result.action !== 'none') core.info(`Alert issue #${result.issueNumber}: ${result.action}.`)
  } catch (error) {
    core.warning(`Could not update the alert issue: ${(error as Error).message}`)
  }
}

export async function run(inputs: Inputs): Promise<void> {
  // Masked before anything is logged: from here on the runner hides them wherever they appear.
  core.setSecret(inputs.apiToken)
  if (inputs.alert) core.setSecret(inputs.alert.token)
  try {
    const report = await refresh(inputs)
    setOutputs(report)
    await writeSummary(report)
    await alert(inputs, { report })
  } catch (error) {
    const message =
      error instanceof ActionError
        ? error.message
        : `Unexpected error (${(error as Error)?.name ?? 'unknown'}: ${String((error as Error)?.message ?? error).split('\n')[0]}); rerun, and report it with this log if it persists.`
    core.setFailed(message)
    await alert(inputs, { failure: message })
  }
}
