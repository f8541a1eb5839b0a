#!/usr/bin/env node
// @ts-check
// Runs both emulators until SIGTERM/SIGINT, for a workflow job that runs the action with `uses: ./`:
//
//   node __tests__/emulators/serve.js --github-env "$GITHUB_ENV" > emulators.log &
//   until grep -q '^ready' emulators.log; do sleep 0.2; done
//
// The variables are appended before "ready" is printed, so waiting for that line is enough.
// `--env-file PATH` is accepted too, but Node 20 also claims that flag even after the script
// name: it loads PATH as a dotenv file and exits with "not found" when PATH does not exist yet.
import { appendFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startEcrEmulator } from './ecr.js'
import { startPipecatEmulator } from './pipecat.js'

const { values } = parseArgs({ options: { 'github-env': { type: 'string' }, 'env-file': { type: 'string' } } })

const ecr = await startEcrEmulator()
const pipecat = await startPipecatEmulator()

/** @type {Record<string, string>} */
const environment = {
  AWS_ENDPOINT_URL_ECR: ecr.url,
  // The emulator checks that requests are SigV4-signed, not who signed them; these are AWS's documented examples.
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  AWS_REGION: ecr.region,
  PIPECAT_API_URL: pipecat.url,
  PIPECAT_API_TOKEN: pipecat.token,
  ECR_ACCOUNT_ID: ecr.accountId
}

const envFile = values['github-env'] ?? values['env-file']
if (envFile) {
  appendFileSync(
    envFile,
    Object.entries(environment)
      .map(([name, value]) => `${name}=${value}\n`)
      .join('')
  )
}

console.log(`ECR emulator: ${ecr.url} (account ${ecr.accountId}, region ${ecr.region})`)
console.log(`Pipecat Cloud emulator: ${pipecat.url} (API under /v1)`)
console.log(envFile ? `ready: variables appended to ${envFile}` : 'ready')

/** @param {NodeJS.Signals} signal */
async function stop(signal) {
  await Promise.all([ecr.close(), pipecat.close()])
  console.log(`stopped on ${signal}`)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
