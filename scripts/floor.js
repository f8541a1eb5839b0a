// The floor for npm run bench: a full refresh with Node's built-ins only, doing the protocol work the
// action does (a SigV4-signed GetAuthorizationToken, the PUT, status reads until ready, the outputs and
// the summary) with none of its checks, messages, retries or libraries. It reads the action's inputs
// and environment, reuses one connection per host, and opens Pipecat Cloud's while ECR answers.
import { createHash, createHmac } from 'node:crypto'
import { appendFileSync } from 'node:fs'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { connect as tlsConnect } from 'node:tls'
import { connect as netConnect } from 'node:net'

const input = name => process.env[`INPUT_${name.toUpperCase()}`] ?? ''
const region = input('aws-region')
const ecrUrl = new URL(process.env.AWS_ENDPOINT_URL_ECR || `https://api.ecr.${region}.amazonaws.com`)
const apiUrl = new URL(input('pipecat-api-url'))

/** One keep-alive connection per host; the first may be one opened ahead of need. */
function agentFor(url, early) {
  const Agent = url.protocol === 'https:' ? HttpsAgent : HttpAgent
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  if (early) {
    const create = agent.createConnection.bind(agent)
    let taken = false
    agent.createConnection = (options, callback) => (taken ? create(options, callback) : ((taken = true), early))
  }
  return agent
}

function open(url) {
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
  return url.protocol === 'https:' ? tlsConnect({ host: url.hostname, port, ALPNProtocols: ['http/1.1'] }) : netConnect(port, url.hostname)
}

function send(url, agent, { method, path, headers, body }) {
  const call = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = call({ host: url.hostname, port: url.port, method, path, headers, agent }, res => {
      const chunks = []
      res.on('data', chunk => chunks.push(chunk)).on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject).end(body)
  })
}

const hmac = (key, text) => createHmac('sha256', key).update(text).digest()
const sha256 = text => createHash('sha256').update(text).digest('hex')

function signedEcrRequest() {
  const body = '{}'
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '')
  const day = amzDate.slice(0, 8)
  const headers = {
    'content-type': 'application/x-amz-json-1.1',
    host: ecrUrl.host,
    'x-amz-date': amzDate,
    'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken'
  }
  const names = Object.keys(headers).sort()
  const canonical = ['POST', '/', '', ...names.map(n => `${n}:${headers[n]}`), '', names.join(';'), sha256(body)].join('\n')
  const scope = `${day}/${region}/ecr/aws4_request`
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
  let key = hmac(`AWS4${process.env.AWS_SECRET_ACCESS_KEY}`, day)
  for (const part of [region, 'ecr', 'aws4_request']) key = hmac(key, part)
  const signature = hmac(key, toSign).toString('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${process.env.AWS_ACCESS_KEY_ID}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`
  return { method: 'POST', path: '/', headers, body }
}

const pipecat = agentFor(apiUrl, open(apiUrl))
const ecr = agentFor(ecrUrl)
const answer = await send(ecrUrl, ecr, signedEcrRequest())
const { authorizationToken, expiresAt } = JSON.parse(answer.body).authorizationData[0]
const name = input('secret-name')
const auth = { authorization: `Bearer ${input('pipecat-api-token')}`, 'content-type': 'application/json' }
const host = `https://${input('aws-account-id')}.dkr.ecr.${region}.amazonaws.com`
const body = JSON.stringify({ isImagePullSecret: true, host, secretValue: authorizationToken })
await send(apiUrl, pipecat, { method: 'PUT', path: `/v1/secrets/${name}`, headers: auth, body })
for (;;) {
  const list = JSON.parse((await send(apiUrl, pipecat, { method: 'GET', path: '/v1/secrets', headers: auth })).body)
  if (list.sets.find(set => set.name === name)?.status === 'ready') break
  await new Promise(resolve => setTimeout(resolve, 250))
}
appendFileSync(process.env.GITHUB_OUTPUT, `expires-at=${new Date(expiresAt * 1000).toISOString()}\nsecret-name=${name}\n`)
appendFileSync(process.env.GITHUB_STEP_SUMMARY, `### Pipecat Cloud pull secret refreshed\n\n| Secret set | ${name} |\n`)
pipecat.destroy()
ecr.destroy()
