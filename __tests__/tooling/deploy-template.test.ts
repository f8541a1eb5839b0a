// The CloudFormation template of docs/aws-lambda.md (deploy/aws/pipecat-ecr-pull-secret.yaml): valid against
// the published resource specification; its roles allowed exactly what a refresh and its schedule need;
// no credential anywhere in it; and its function configured the way the Lambda handler reads it
// (action.yml's inputs as environment variables, the key by its secret's ARN only).
import { beforeAll, describe, expect, it } from '@jest/globals'
import { execFile, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { evaluate, intrinsic, specification, validateTemplate, type Template } from '../support/cloudformation.js'
import { parseImageReference } from '../../src/common/image.js'
import { readInputs } from '../../src/common/inputs.js'
import { invocationLimitMs } from '../../src/lambda.js'
import { runTimeLimitMs } from '../../src/run/main.js'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the template as YAML gives it, or changed on purpose
type Editable = Record<string, any>

const TEMPLATE_FILE = 'deploy/aws/pipecat-ecr-pull-secret.yaml'
const template = parse(readFileSync(TEMPLATE_FILE, 'utf8')) as Template
const resources = template.Resources as Record<string, { Type: string; Properties: Editable }>
const parameters = template.Parameters as Record<string, { Default?: string; AllowedPattern?: string; NoEcho?: boolean }>

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pipecat/api-key-AbC123'
/** A value for each parameter, and the pseudo parameters, as CloudFormation would pass them. */
const GIVEN: Record<string, string> = {
  SecretName: 'my-ecr-credentials',
  PipecatRegion: 'us-west',
  Image: 'voice/agent:v1',
  PipecatApiKeySecretArn: SECRET_ARN,
  HeartbeatUrl: 'https://hc-ping.com/0f6a1c2e-7b8d-4e9f-a0b1-c2d3e4f5a6b7',
  HeartbeatFailureUrl: '',
  AlarmEmail: 'ops@example.com',
  CodeBucket: 'my-artifacts',
  CodeKey: 'pipecat-ecr-pull-secret/lambda-1.0.0.zip',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  'AWS::Partition': 'aws',
  'AWS::StackName': 'pipecat-ecr-refresh'
}

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type)
const only = (type: string) => {
  const found = ofType(type)
  expect(found).toHaveLength(1)
  return found[0]
}
const [functionName, refreshFunction] = only('AWS::Lambda::Function')
const [scheduleName] = only('AWS::Scheduler::Schedule')

interface Statement {
  Effect: string
  Action: string | string[]
  Resource: string | string[]
  [key: string]: unknown
}

/** A role's statements as CloudFormation would build them, each as { Action: [...], Resource: [...] }. */
function permissions(roleName: string, given = GIVEN) {
  const role = resources[roleName]
  expect(role.Type).toBe('AWS::IAM::Role')
  expect(Object.keys(role.Properties).sort()).toEqual(['AssumeRolePolicyDocument', 'Description', 'Policies'])
  const policies = evaluate(role.Properties.Policies, given) as { PolicyDocument: { Statement: Statement[] } }[]
  return policies.flatMap(policy =>
    policy.PolicyDocument.Statement.map(({ Effect, Action, Resource, Sid: _sid, ...rest }) => {
      // No Condition, NotAction or NotResource: what is allowed is what Action and Resource say.
      expect(rest).toEqual({})
      expect(Effect).toBe('Allow')
      return { Action: [Action].flat(), Resource: [Resource].flat() }
    })
  )
}

/** Every string in a value, with where it is. */
function strings(value: unknown, where: string): [string, string][] {
  if (typeof value === 'string') return [[where, value]]
  if (Array.isArray(value)) return value.flatMap((item, index) => strings(item, `${where}[${index}]`))
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([key, item]) => strings(item, `${where}.${key}`))
  return []
}

describe('the template against the CloudFormation resource specification', () => {
  beforeAll(() => {
    specification()
  }, 120_000)

  it('has only resource types, properties, value types and references that exist', () => {
    expect(validateTemplate(template)).toEqual([])
  })

  it.each<[string, (copy: Editable) => void, string]>([
    ['a required property removed', t => delete t.Resources[functionName].Properties.Code, `Resources.${functionName}.Properties.Code: required, missing`],
    ['a misspelled type', t => (t.Resources[functionName].Type = 'AWS::Lambda::Functions'), 'no resource type "AWS::Lambda::Functions"'],
    ['a misspelled property', t => (t.Resources[functionName].Properties.Handlr = 'index.handler'), 'Properties.Handlr: no such property'],
    ['a string for an integer', t => (t.Resources[functionName].Properties.Timeout = '480'), 'Properties.Timeout: "480" is not an integer'],
    ['a nested required property removed', t => delete t.Resources[scheduleName].Properties.Target.RoleArn, 'Properties.Target.RoleArn: required, missing'],
    [
      'a value outside the allowed ones',
      t => (t.Resources[scheduleName].Properties.FlexibleTimeWindow.Mode = 'SOMETIMES'),
      'Mode: "SOMETIMES" is not one of OFF, FLEXIBLE'
    ],
    [
      'a nested value of the wrong type',
      t => (t.Resources.NoSuccessfulRefreshAlarm.Properties.Metrics[0].MetricStat.Period = '1h'),
      'Metrics[0].MetricStat.Period: "1h" is not an integer'
    ],
    ['a parameter field misspelled', t => (t.Parameters.Image.AllowedPatern = '.*'), 'Parameters.Image.AllowedPatern: not a parameter field'],
    ['an output without a value', t => delete t.Outputs.FunctionName.Value, 'Outputs.FunctionName: no Value'],
    ['a list where a map belongs', t => (t.Resources[functionName].Properties.Environment.Variables = ['A']), 'Variables: ["A"] is not a map'],
    [
      'an attribute the type lacks',
      t => (t.Resources[functionName].Properties.Role = { 'Fn::GetAtt': ['RefreshRole', 'Name'] }),
      'AWS::IAM::Role has no attribute Name'
    ],
    ['a Ref to nothing', t => (t.Outputs.FunctionName.Value = { Ref: 'RefreshFunctio' }), 'Ref to "RefreshFunctio"'],
    [
      'a Fn::Sub variable naming nothing',
      t => (t.Resources.RefreshLogGroup.Properties.LogGroupName = { 'Fn::Sub': '/aws/lambda/${StackName}' }),
      '${StackName} names nothing'
    ]
  ])('finds %s', (_, change, problem) => {
    const copy = structuredClone(template) as Editable
    change(copy)
    expect(validateTemplate(copy).join('\n')).toContain(problem)
  })
})

// AWS's own linter (Python, `pip install cfn-lint`), where it is installed: a second, independent reading.
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' })
const cfnLintMissing = cfnLint.status === 0 ? undefined : 'cfn-lint is not installed (pip install cfn-lint)'
if (cfnLintMissing) console.warn(`SKIPPING the cfn-lint cross-check of ${TEMPLATE_FILE}: ${cfnLintMissing}`)

it(
  cfnLintMissing ? `passes cfn-lint (skipped: ${cfnLintMissing})` : `passes ${cfnLint.stdout.trim()} without an error or a warning`,
  async () => {
    if (cfnLintMissing) return
    const linted = await promisify(execFile)('cfn-lint', ['--format', 'parseable', TEMPLATE_FILE]).catch((error: { stdout?: string }) => error)
    expect(linted.stdout).toBe('')
  },
  120_000
)

describe('the permissions', () => {
  it('lets the function get the ECR token, pull the one repository, read the one key and write its own log group, and nothing else', () => {
    const roleName = (refreshFunction.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]
    const [logGroupName] = only('AWS::Logs::LogGroup')

    expect(permissions(roleName)).toEqual([
      { Action: ['ecr:GetAuthorizationToken'], Resource: ['*'] },
      {
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Resource: ['arn:aws:ecr:us-east-1:123456789012:repository/voice/agent']
      },
      { Action: ['secretsmanager:GetSecretValue'], Resource: [SECRET_ARN] },
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [`<${logGroupName}.Arn>`] }
    ])
    expect(evaluate(resources[roleName].Properties.AssumeRolePolicyDocument, GIVEN)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]
    })
  })

  it.each([
    ['voice/agent:v1'],
    ['my-agent:1.0'],
    ['team/voice/agent-x_y.z:2026-12-07'],
    ['my-agent@sha256:' + 'a'.repeat(64)],
    ['my-agent:1.0@sha256:' + 'b'.repeat(64)]
  ])('derives the repository of Image %s as the action does', image => {
    const pattern = new RegExp(parameters.Image.AllowedPattern as string)
    const roleName = (refreshFunction.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]
    const { repository } = parseImageReference(image, '123456789012.dkr.ecr.us-east-1.amazonaws.com')

    expect(pattern.test(image)).toBe(true)
    expect(permissions(roleName, { ...GIVEN, Image: image })[1].Resource).toEqual([`arn:aws:ecr:us-east-1:123456789012:repository/${repository}`])
  })

  it.each([
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com/my-agent:1.0', 'a registry host'],
    ['my.org/agent:1.0', 'a first part the action would read as a host'],
    ['localhost/agent:1.0', 'localhost'],
    ['my-agent', 'neither tag nor digest'],
    ['My-Agent:1.0', 'an upper-case repository'],
    ['my-agent:-1', 'a tag starting with -'],
    ['my-agent@sha256:abc', 'a short digest'],
    ['*:1.0', 'a wildcard']
  ])('refuses Image %s (%s), whose repository the policy could not name', image => {
    expect(new RegExp(parameters.Image.AllowedPattern as string).test(image)).toBe(false)
  })

  it('lets the scheduler invoke the function, and send to its dead-letter queue, and nothing else', () => {
    const [, schedule] = only('AWS::Scheduler::Schedule')
    const target = schedule.Properties.Target as { RoleArn: { 'Fn::GetAtt': string[] }; Arn: unknown; DeadLetterConfig: { Arn: unknown } }
    const [queueName] = only('AWS::SQS::Queue')

    expect(target.Arn).toEqual({ 'Fn::GetAtt': [functionName, 'Arn'] })
    expect(target.DeadLetterConfig.Arn).toEqual({ 'Fn::GetAtt': [queueName, 'Arn'] })
    expect(permissions(target.RoleArn['Fn::GetAtt'][0])).toEqual([
      { Action: ['lambda:InvokeFunction'], Resource: [`<${functionName}.Arn>`] },
      { Action: ['sqs:SendMessage'], Resource: [`<${queueName}.Arn>`] }
    ])
    expect(evaluate(resources[target.RoleArn['Fn::GetAtt'][0]].Properties.AssumeRolePolicyDocument, GIVEN)).toMatchObject({
      Statement: [{ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } }]
    })
  })

  it('has no other roles, policies or permissions', () => {
    const types = Object.values(resources).map(resource => resource.Type)
    expect(types.filter(type => type.startsWith('AWS::IAM::')).sort()).toEqual(['AWS::IAM::Role', 'AWS::IAM::Role'])
    expect(types.filter(type => /::(Permission|.*Policy)$/.test(type))).toEqual([])
  })
})

describe('credentials', () => {
  const everyString = strings(template, 'template')

  it.each<[string, RegExp]>([
    ['a Pipecat key', /\bpk_[A-Za-z0-9]/],
    ['an AWS access key ID', /\b(AKIA|ASIA)[A-Z0-9]{16}\b/],
    ['a long base64 or hex run', /[A-Za-z0-9+/=]{40,}/],
    ['a URL with a user or password', /\/\/[^/\s]*@/],
    ['a ping URL', /hc-ping\.com\/|cronitor\.link\/|heartbeat\/[A-Za-z0-9]/]
  ])('none is in the template: no %s', (_, shape) => {
    expect(everyString.filter(([, text]) => shape.test(text)).map(([where]) => where)).toEqual([])
  })

  it('the key reaches the function as its secret ARN only, and URLs that are credentials are never echoed', () => {
    const variables = (refreshFunction.Properties.Environment as { Variables: Record<string, unknown> }).Variables
    expect(Object.keys(variables).filter(name => /KEY|TOKEN|PASSWORD|SECRET/.test(name))).toEqual(['SECRET_NAME', 'PIPECAT_API_KEY_SECRET_ARN'])
    expect(variables.PIPECAT_API_KEY_SECRET_ARN).toEqual({ Ref: 'PipecatApiKeySecretArn' })
    expect(new RegExp(parameters.PipecatApiKeySecretArn.AllowedPattern as string).test(SECRET_ARN)).toBe(true)
    expect(new RegExp(parameters.PipecatApiKeySecretArn.AllowedPattern as string).test('pk_0123456789abcdef')).toBe(false)
    expect(Object.keys(parameters).filter(name => /Key|Token|Password/i.test(name) && !name.endsWith('SecretArn') && name !== 'CodeKey')).toEqual([])
    for (const name of ['HeartbeatUrl', 'HeartbeatFailureUrl']) expect(parameters[name]).toMatchObject({ NoEcho: true, Default: '' })
  })

  it('every parameter has a rule, and the values docs/aws-lambda.md uses pass it', () => {
    for (const [name, parameter] of Object.entries(parameters)) {
      expect([name, typeof parameter.AllowedPattern]).toEqual([name, 'string'])
      expect([name, new RegExp(parameter.AllowedPattern as string).test(GIVEN[name])]).toEqual([name, true])
    }
    expect(new RegExp(parameters.SecretName.AllowedPattern as string).test('My_Secret')).toBe(false)
  })
})

describe('the function, as the Lambda handler expects it', () => {
  const action = parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, { default?: string }> }
  const variables = (refreshFunction.Properties.Environment as { Variables: Record<string, unknown> }).Variables
  /** The action.yml input an environment variable stands for: upper case, "-" as "_". */
  const inputOf = (name: string) => name.toLowerCase().replace(/_/g, '-')

  it('runs index.handler on nodejs24.x from the uploaded zip', () => {
    expect(refreshFunction.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Code: { S3Bucket: { Ref: 'CodeBucket' }, S3Key: { Ref: 'CodeKey' } }
    })
  })

  it('names its settings after action.yml inputs, leaves aws-region to Lambda, and has no input the function refuses', () => {
    const settings = Object.keys(variables).filter(name => name !== 'PIPECAT_API_KEY_SECRET_ARN')

    expect(settings.filter(name => !(inputOf(name) in action.inputs))).toEqual([])
    expect(settings.map(inputOf)).toEqual(expect.arrayContaining(['aws-account-id', 'secret-name', 'pipecat-region', 'image', 'heartbeat-url']))
    // aws-region is Lambda's reserved AWS_REGION; the key comes from the secret; GitHub's features do not exist there.
    expect(settings.map(inputOf).filter(name => ['aws-region', 'pipecat-api-token', 'github-token', 'alert-issue'].includes(name))).toEqual([])
  })

  it('gives settings the action accepts, and a timeout the handler accepts for the run limit they make', () => {
    const environment = evaluate(variables as never, GIVEN) as Record<string, string>
    const inputs = readInputs({
      ...Object.fromEntries(Object.entries(environment).map(([name, value]) => [`INPUT_${inputOf(name).toUpperCase()}`, value])),
      // What the handler adds: the key read from the secret, and Lambda's own region.
      'INPUT_PIPECAT-API-TOKEN': 'a-key-read-from-the-secret',
      AWS_REGION: GIVEN['AWS::Region']
    })

    expect(inputs).toMatchObject({ accountId: '123456789012', awsRegion: 'us-east-1', secretName: 'my-ecr-credentials', pipecatRegion: 'us-west' })
    expect(inputs.image?.repository).toBe('voice/agent')
    expect(inputs.heartbeat).toBeDefined()
    // The handler refuses to start with less time than a refresh may take: the key's read, the run's limit, its report.
    expect(refreshFunction.Properties.Timeout * 1000).toBeGreaterThanOrEqual(invocationLimitMs(inputs, runTimeLimitMs(inputs)))
    expect(refreshFunction.Properties.Timeout).toBeLessThanOrEqual(900)
  })

  it('logs to its own log group, kept for a while', () => {
    const [logGroupName, logGroup] = only('AWS::Logs::LogGroup')
    expect(refreshFunction.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupName } })
    expect(logGroup.Properties.RetentionInDays).toBeGreaterThanOrEqual(7)
  })
})

describe('the schedule and the alarms', () => {
  const alarms = ofType('AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties as Editable)
  const [topicName] = only('AWS::SNS::Topic')

  it('runs every 6 hours, retries a start, and keeps a start it could not deliver', () => {
    const [, schedule] = only('AWS::Scheduler::Schedule')
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(6 hours)',
      State: 'ENABLED',
      Target: { RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) } }
    })
  })

  it('e-mails the address given', () => {
    const [, subscription] = only('AWS::SNS::Subscription')
    expect(subscription.Properties).toEqual({ TopicArn: { Ref: topicName }, Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } })
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topicName }])
  })

  it('alarms when a refresh fails', () => {
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionName } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold'
      })
    )
  })

  it('alarms when no refresh has succeeded for 8 hours, counting hours without runs', () => {
    const alarm = alarms.find(properties => properties.Metrics)
    const metrics = alarm?.Metrics as {
      Id: string
      Expression?: string
      ReturnData: boolean
      MetricStat?: { Metric: { MetricName: string }; Period: number; Stat: string }
    }[]
    const returned = metrics.filter(metric => metric.ReturnData)
    const byName = Object.fromEntries(metrics.filter(metric => metric.MetricStat).map(metric => [metric.MetricStat!.Metric.MetricName, metric]))

    expect(alarm).toMatchObject({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching' })
    expect(returned).toHaveLength(1)
    expect(returned[0].Expression?.replace(/\s/g, '')).toBe(`FILL(${byName.Invocations.Id},0)-FILL(${byName.Errors.Id},0)`)
    const period = byName.Invocations.MetricStat!.Period
    for (const metric of [byName.Invocations, byName.Errors]) expect(metric.MetricStat).toMatchObject({ Period: period, Stat: 'Sum' })
    // Every period of the 8 hours must have had no success: one success in any of them keeps it quiet.
    expect(alarm?.EvaluationPeriods * period).toBe(8 * 3600)
    expect(alarm?.DatapointsToAlarm).toBe(alarm?.EvaluationPeriods)
  })

  it('alarms when the scheduler could not start a refresh', () => {
    const [queueName] = only('AWS::SQS::Queue')
    expect(alarms).toContainEqual(
      expect.objectContaining({ Namespace: 'AWS/SQS', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueName, 'QueueName'] } }] })
    )
  })

  it('writes intrinsic functions in their long form', () => {
    expect(readFileSync(TEMPLATE_FILE, 'utf8')).not.toMatch(/!(Ref|Sub|GetAtt|Select|Split|Join|If)\b/)
    expect(intrinsic({ Ref: 'x' })).toBe('Ref')
  })
})
