// The copy-ready examples for schedulers other than GitHub's (examples/outside-github/): each parses, runs
// the command-line tool with flags that exist (action.yml's inputs) and none that it refuses, keeps the
// Pipecat key in the environment, and pins what it runs on. What cannot run here (GitLab, a cluster,
// systemd) is checked for the settings docs/outside-github.md says it needs.
import { readFileSync } from 'node:fs'
import { parse, parseAllDocuments } from 'yaml'
import { ACTION_INPUTS } from '../../src/hosts/generated/action-inputs.js'

const DIR = 'examples/outside-github'
const read = (file: string) => readFileSync(`${DIR}/${file}`, 'utf8')
const REFUSED = ['pipecat-api-token', 'github-token', 'alert-issue']
const FLAGS = new Set([...ACTION_INPUTS.map(input => input.name).filter(name => !REFUSED.includes(name)), 'json', 'debug'])

/** The tool's arguments from a command, as words: what follows the package (npx) or the installed bin. */
function toolArgs(words: string[]): string[] {
  const at = words.findIndex(word => /^pipecat-ecr-pull-secret(@|$)|\/pipecat-ecr-pull-secret$/.test(word))
  expect(at).toBeGreaterThanOrEqual(0)
  const rest = words.slice(at + 1)
  const end = rest.findIndex(word => ['|', ';', '&&', '2>&1'].includes(word))
  return end === -1 ? rest : rest.slice(0, end)
}

function expectValidCommand(args: string[]): void {
  const flags = args.filter(word => word.startsWith('--')).map(word => word.slice(2).split('=')[0])
  expect(flags.filter(flag => !FLAGS.has(flag))).toEqual([])
  expect(flags).toEqual(expect.arrayContaining(['aws-account-id', 'secret-name']))
  expect(args.join(' ')).not.toMatch(/pk_|PIPECAT_API_KEY/)
}

test('GitLab CI: the OIDC token becomes the web identity token file, and the job runs a pinned Node and package', () => {
  const job = parse(read('gitlab-ci.yml'))['refresh-pull-secret']
  expect(job.image).toMatch(/^node:24\.\d+\.\d+-/)
  expect(job.id_tokens.AWS_ID_TOKEN.aud).toBe('sts.amazonaws.com')
  expect(job.resource_group).toBeTruthy()
  const script: string[] = job.script
  expect(script).toEqual(
    expect.arrayContaining([expect.stringMatching(/^export AWS_WEB_IDENTITY_TOKEN_FILE=/), `printf '%s' "$AWS_ID_TOKEN" > "$AWS_WEB_IDENTITY_TOKEN_FILE"`])
  )
  const command = script.find(line => line.includes('pipecat-ecr-pull-secret')) ?? ''
  expect(command).toMatch(/^npx --yes pipecat-ecr-pull-secret@\d+ /)
  expectValidCommand(toolArgs(command.split(/\s+/)))
  expect(job.variables.AWS_REGION).toMatch(/^[a-z]{2}-[a-z]+-\d$/)
})

test('Kubernetes: a CronJob that never overlaps, with the key from a Secret and the role of its service account', () => {
  const [account, cronJob] = parseAllDocuments(read('kubernetes-cronjob.yaml')).map(document => document.toJS())
  expect(account).toMatchObject({
    kind: 'ServiceAccount',
    metadata: { annotations: { 'eks.amazonaws.com/role-arn': expect.stringMatching(/^arn:aws:iam::\d{12}:role\//) } }
  })
  expect(cronJob).toMatchObject({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { schedule: '17 */6 * * *', concurrencyPolicy: 'Forbid' } })
  const pod = cronJob.spec.jobTemplate.spec.template.spec
  expect(pod.serviceAccountName).toBe(account.metadata.name)
  const [container] = pod.containers
  expect(container.image).toMatch(/^node:24\.\d+\.\d+-/)
  expect(container.command.slice(0, 3)).toEqual(['npx', '--yes', expect.stringMatching(/^pipecat-ecr-pull-secret@\d+$/)])
  expectValidCommand(toolArgs(container.command))
  expect(container.env).toEqual(expect.arrayContaining([{ name: 'PIPECAT_API_KEY', valueFrom: { secretKeyRef: { name: 'pipecat-api', key: 'api-key' } } }]))
})

test('systemd and cron: the key from a root-only environment file, every 6 hours, the installed bin', () => {
  const service = read('cron/pipecat-ecr-refresh.service')
  expect(service).toMatch(/^EnvironmentFile=\/etc\/pipecat-ecr-refresh\.env$/m)
  expect(service).toMatch(/^Type=oneshot$/m)
  const execStart = /^ExecStart=(.*)$/m.exec(service)?.[1] ?? ''
  expect(execStart).toMatch(/^\/usr\/local\/bin\/pipecat-ecr-pull-secret /)
  expectValidCommand(toolArgs(execStart.split(/\s+/)))
  expect(read('cron/pipecat-ecr-refresh.timer')).toMatch(/^OnCalendar=\*-\*-\* 00\/6:17:00$/m)

  const [line] = read('cron/crontab')
    .split('\n')
    .filter(text => text && !text.startsWith('#'))
  expect(line).toMatch(/^17 \*\/6 \* \* \* /)
  expectValidCommand(toolArgs(line.split(/\s+/)))
  expect(read('cron/pipecat-ecr-refresh.env.example')).toMatch(/^PIPECAT_API_KEY=/m)
})
