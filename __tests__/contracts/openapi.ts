/**
 * One exchange with an emulator held to an OpenAPI 3.0 description: the request (method, path, query,
 * body) against the operation it names, the answer (status, JSON body) against what that operation may
 * answer. OpenAPI 3.0 is JSON Schema with a few words of its own; `nullable` and `$ref` into components are
 * turned into plain JSON Schema once, and each schema is compiled with Ajv the first time it is needed.
 */
import { createRequire } from 'node:module'
import { Ajv, type ValidateFunction } from 'ajv'
import type { Exchange } from '../emulators/exchanges.js'

// ajv-formats is CommonJS, and its module is the plugin itself.
const addFormats = createRequire(import.meta.url)('ajv-formats') as (ajv: Ajv) => Ajv

type Json = Record<string, unknown>
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options']

export interface ContractOptions {
  /** What the messages call the service. */
  name: string
  /** The OpenAPI document. */
  document: Json
  /** The path the servers' URL adds before every path of the document, e.g. `/v1`. */
  basePath: string
  /** The schema every error answer has, for a status the operation does not list (4xx and 5xx only). */
  errorSchema: string
}

export class OpenApiContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false })
  private readonly document: Json
  private readonly templates: Array<{ template: string; segments: string[] }>
  private readonly compiled = new WeakMap<object, ValidateFunction>()

  constructor(private readonly options: ContractOptions) {
    this.document = toJsonSchema(structuredClone(options.document)) as Json
    addFormats(this.ajv)
    for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']) this.ajv.addFormat(format, true)
    this.ajv.addSchema(this.document, DOCUMENT)
    // Literal segments win over templated ones, as a router picks /agents/x/logs before /{serviceName}/...
    this.templates = Object.keys(this.document.paths as Json)
      .map(template => ({ template, segments: template.split('/') }))
      .sort((a, b) => literalCount(b.segments) - literalCount(a.segments))
  }

  /**
   * Everything about the exchange the contract does not allow, each as one line; empty when it fits.
   * With `requests: false` only the answer is held to the contract (a request off it is then no fault).
   */
  violations(exchange: Exchange, { requests = true } = {}): string[] {
    const where = `${this.options.name}: ${exchange.method} ${exchange.path}`
    const found = this.operation(exchange)
    if (typeof found === 'string') return requests ? [`${where}: ${found}`] : []
    const problems = requests ? this.requestProblems(exchange, found) : []
    if (exchange.status !== undefined && exchange.offContract === undefined) {
      problems.push(...this.answerProblems(exchange, found.operation).map(p => `answer ${exchange.status}: ${p}`))
    }
    return problems.map(problem => `${where}: ${problem}`)
  }

  private operation(exchange: Exchange): Operation | string {
    const url = new URL(exchange.path, 'http://emulator')
    if (!url.pathname.startsWith(`${this.options.basePath}/`)) return `the path is not under ${this.options.basePath || '/'}`
    const segments = url.pathname.slice(this.options.basePath.length).split('/')
    for (const { template, segments: expected } of this.templates) {
      if (expected.length !== segments.length) continue
      const params: Record<string, string> = {}
      const fits = expected.every((part, i) => {
        const name = /^\{(.+)\}$/.exec(part)?.[1]
        if (name === undefined) return part === segments[i]
        params[name] = decodeURIComponent(segments[i])
        return segments[i] !== ''
      })
      if (!fits) continue
      const item = (this.document.paths as Json)[template] as Json
      const method = exchange.method.toLowerCase()
      const operation = item[method] as Json | undefined
      if (!METHODS.includes(method) || !operation) return `the contract has no ${exchange.method} ${template}`
      const declared = [...((item.parameters as Json[]) ?? []), ...((operation.parameters as Json[]) ?? [])].map(p => this.resolve(p))
      return { template, operation, params, query: url.searchParams, declared }
    }
    return 'the contract has no such path'
  }

  private requestProblems(exchange: Exchange, found: Operation): string[] {
    const problems: string[] = []
    for (const parameter of found.declared) {
      const name = parameter.name as string
      const schema = parameter.schema as Json | undefined
      const raw = parameter.in === 'path' ? found.params[name] : parameter.in === 'query' ? (found.query.get(name) ?? undefined) : null
      if (raw === null) continue
      if (raw === undefined) {
        if (parameter.required) problems.push(`the ${parameter.in} parameter ${name} is missing`)
        continue
      }
      if (schema) problems.push(...this.check(schema, coerce(raw, schema)).map(p => `the ${parameter.in} parameter ${name} ${p}`))
    }
    for (const name of new Set(found.query.keys())) {
      if (!found.declared.some(p => p.in === 'query' && p.name === name)) problems.push(`the query parameter ${name} is not in the contract`)
    }
    const requestBody = found.operation.requestBody ? this.resolve(found.operation.requestBody as Json) : undefined
    if (exchange.rawBody === '') {
      if (requestBody?.required) problems.push('the request has no body, which the contract requires')
      return problems
    }
    if (!requestBody) return [...problems, 'the request has a body, which the operation does not take']
    const schema = ((requestBody.content as Json)?.['application/json'] as Json | undefined)?.schema as Json | undefined
    if (!schema) return [...problems, 'the request has a body, which the contract does not describe as JSON']
    if (!/^application\/json\b/.test(exchange.contentType ?? ''))
      problems.push(`the request body is sent as ${exchange.contentType ?? 'no content type'}, not application/json`)
    let body: unknown
    try {
      body = JSON.parse(exchange.rawBody)
    } catch {
      return [...problems, 'the request body is not JSON']
    }
    return [...problems, ...this.check(schema, body).map(p => `the request body ${p}`)]
  }

  private answerProblems(exchange: Exchange, operation: Json): string[] {
    const status = exchange.status as number
    const responses = operation.responses as Json
    const listed = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default
    if (!listed) {
      if (status < 400) return [`the operation does not answer ${status}`]
      return this.check({ $ref: this.options.errorSchema }, exchange.body).map(p => `the error body ${p}`)
    }
    const schema = ((this.resolve(listed as Json).content as Json)?.['application/json'] as Json | undefined)?.schema as Json | undefined
    if (!schema) return exchange.body === undefined ? [] : ['the answer has a body, which the contract does not describe']
    return this.check(schema, exchange.body).map(p => `the body ${p}`)
  }

  private check(schema: Json, value: unknown): string[] {
    let validate = this.compiled.get(schema)
    if (!validate) {
      validate = this.ajv.compile(schema)
      this.compiled.set(schema, validate)
    }
    if (validate(value)) return []
    return (validate.errors ?? []).map(error => {
      const detail = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : ''
      return `${error.instancePath ? `at ${error.instancePath} ` : ''}${error.message ?? 'is invalid'}${detail}`
    })
  }

  private resolve(node: Json): Json {
    const ref = node.$ref
    if (typeof ref !== 'string') return node
    let target: unknown = this.document
    for (const part of ref.slice(`${DOCUMENT}#/`.length).split('/')) target = (target as Json)[part.replace(/~1/g, '/').replace(/~0/g, '~')]
    return this.resolve(target as Json)
  }
}

interface Operation {
  template: string
  operation: Json
  params: Record<string, string>
  query: URLSearchParams
  declared: Json[]
}

const DOCUMENT = 'openapi.json'

const literalCount = (segments: string[]) => segments.filter(s => !s.startsWith('{')).length

/** A path or query value is text; the schema says what it stands for. */
function coerce(raw: string, schema: Json): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw)
  if (schema.type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true'
  return raw
}

/**
 * OpenAPI 3.0's own words in JSON Schema terms: `nullable: true` admits null (beside a type, or around a
 * `$ref` or a composition), `discriminator` only names which branch of a oneOf applies and is dropped,
 * and every `$ref` into the document names the document, so any part of it compiles on its own.
 */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema)
  if (node === null || typeof node !== 'object') return node
  const object: Json = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'discriminator' && typeof value === 'object') continue
    object[key] = key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${DOCUMENT}${value}` : toJsonSchema(value)
  }
  if (object.nullable !== true) return object
  delete object.nullable
  if (typeof object.type === 'string' && object.$ref === undefined) {
    object.type = [object.type, 'null']
    if (Array.isArray(object.enum) && !object.enum.includes(null)) object.enum = [...object.enum, null]
    return object
  }
  return { anyOf: [object, { type: 'null' }] }
}
