/**
 * Checks a CloudFormation template against the resource specification AWS publishes for the CDK
 * (`@aws-cdk/aws-service-spec`, the CloudFormation registry schemas with AWS's patches): each resource
 * type exists, each property exists on its type or nested type, required properties are there, literal
 * values have the type the specification gives (primitives, lists, maps, nested types, allowed values),
 * and each `Ref`, `Fn::GetAtt` and `Fn::Sub` variable names a parameter, a resource, a pseudo parameter
 * or an attribute the resource type has. A value computed by an intrinsic function is not type-checked:
 * only CloudFormation knows it. It also evaluates the intrinsic functions the templates here use, for a
 * test to read a policy or an environment as CloudFormation would build it.
 *
 * The specification is a 2.6 MB gzipped database; loading it takes a few seconds and ~150 MB. No
 * validator on npm does this job well: AWS's cfn-lint is a Python tool, the npm package of that name
 * (martysweet/cfn-lint) carries its own copy of the older specification format and a dozen old
 * dependencies, and `@aws-cdk/cfnspec` is that older format, no longer updated.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type Template = { [key: string]: Json }
type SpecDatabase = ReturnType<typeof loadAwsServiceSpecSync>
type PropertyType = { type: string; reference?: unknown; element?: PropertyType; types?: PropertyType[]; allowedValues?: unknown[] }
type Properties = Record<string, { required?: boolean; type: PropertyType }>

const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix'
]
const TEMPLATE_KEYS = [
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs'
]
const RESOURCE_KEYS = ['Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy', 'UpdateReplacePolicy', 'CreationPolicy', 'UpdatePolicy']
const OUTPUT_KEYS = ['Description', 'Value', 'Export', 'Condition']
const PARAMETER_KEYS = [
  'Type',
  'Default',
  'Description',
  'AllowedPattern',
  'AllowedValues',
  'ConstraintDescription',
  'MinLength',
  'MaxLength',
  'MinValue',
  'MaxValue',
  'NoEcho'
]
const PARAMETER_TYPES = /^(String|Number|List<Number>|CommaDelimitedList|AWS::[\w:]+|List<AWS::[\w:]+>)$/
const INTRINSICS = new Set([
  'Ref',
  'Condition',
  'Fn::Base64',
  'Fn::Cidr',
  'Fn::FindInMap',
  'Fn::GetAtt',
  'Fn::GetAZs',
  'Fn::ImportValue',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::Sub',
  'Fn::Transform',
  'Fn::If',
  'Fn::Equals',
  'Fn::And',
  'Fn::Or',
  'Fn::Not',
  'Fn::Length',
  'Fn::ToJsonString'
])

let database: SpecDatabase | undefined
export const specification = (): SpecDatabase => (database ??= loadAwsServiceSpecSync())

const isObject = (value: unknown): value is { [key: string]: Json } => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The name of the intrinsic function a value is (`{ "Ref": ... }`, `{ "Fn::Sub": ... }`), if it is one. */
export function intrinsic(value: unknown): string | undefined {
  if (!isObject(value)) return undefined
  const keys = Object.keys(value)
  return keys.length === 1 && INTRINSICS.has(keys[0]) ? keys[0] : undefined
}

function resourceType(type: string) {
  return specification().lookup('resource', 'cloudFormationType', 'equals', type)[0]
}

/** Every problem found, one line each, naming where: `Resources.Fn.Properties.Code.S3Key: ...`. */
export function validateTemplate(template: Template): string[] {
  const problems: string[] = []
  const resources = isObject(template.Resources) ? template.Resources : {}
  const parameters = isObject(template.Parameters) ? template.Parameters : {}

  for (const key of Object.keys(template)) if (!TEMPLATE_KEYS.includes(key)) problems.push(`${key}: not a template section`)
  if (Object.keys(resources).length === 0) problems.push('Resources: none')

  for (const [name, parameter] of Object.entries(parameters)) {
    if (!isObject(parameter) || typeof parameter.Type !== 'string' || !PARAMETER_TYPES.test(parameter.Type)) {
      problems.push(`Parameters.${name}: no valid Type`)
      continue
    }
    for (const key of Object.keys(parameter)) if (!PARAMETER_KEYS.includes(key)) problems.push(`Parameters.${name}.${key}: not a parameter field`)
    if (typeof parameter.Default === 'string' && typeof parameter.AllowedPattern === 'string') {
      if (!new RegExp(parameter.AllowedPattern).test(parameter.Default)) problems.push(`Parameters.${name}: its Default does not match its AllowedPattern`)
    }
  }

  for (const [name, output] of Object.entries(isObject(template.Outputs) ? template.Outputs : {})) {
    if (!isObject(output) || !('Value' in output)) problems.push(`Outputs.${name}: no Value`)
    else for (const key of Object.keys(output)) if (!OUTPUT_KEYS.includes(key)) problems.push(`Outputs.${name}.${key}: not an output field`)
  }

  for (const [name, resource] of Object.entries(resources)) {
    const where = `Resources.${name}`
    if (!isObject(resource)) {
      problems.push(`${where}: not an object`)
      continue
    }
    for (const key of Object.keys(resource)) if (!RESOURCE_KEYS.includes(key)) problems.push(`${where}.${key}: not a resource attribute`)
    const spec = typeof resource.Type === 'string' ? resourceType(resource.Type) : undefined
    if (!spec) {
      problems.push(`${where}.Type: no resource type ${JSON.stringify(resource.Type)} in the specification`)
      continue
    }
    const properties = resource.Properties ?? {}
    if (!isObject(properties)) problems.push(`${where}.Properties: not an object`)
    else problems.push(...checkObject(properties, spec.properties as Properties, `${where}.Properties`))
  }

  problems.push(...checkReferences(template))
  return problems
}

function checkObject(value: { [key: string]: Json }, properties: Properties, where: string): string[] {
  const problems: string[] = []
  for (const [key, item] of Object.entries(value)) {
    const property = properties[key]
    if (!property) problems.push(`${where}.${key}: no such property`)
    else problems.push(...checkValue(item, property.type, `${where}.${key}`))
  }
  for (const [key, property] of Object.entries(properties)) {
    if (property.required && !(key in value)) problems.push(`${where}.${key}: required, missing`)
  }
  return problems
}

function checkValue(value: Json, type: PropertyType, where: string): string[] {
  // A value an intrinsic function computes has whatever type CloudFormation makes of it.
  if (intrinsic(value)) return []
  const wrong = (expected: string) => [`${where}: ${JSON.stringify(value)} is not ${expected}`]
  switch (type.type) {
    case 'string':
    case 'date-time':
      if (typeof value !== 'string') return wrong('a string')
      if (type.allowedValues && !type.allowedValues.includes(value)) return wrong(`one of ${type.allowedValues.join(', ')}`)
      return []
    case 'number':
      return typeof value === 'number' ? [] : wrong('a number')
    case 'integer':
      if (!Number.isInteger(value)) return wrong('an integer')
      if (type.allowedValues && !type.allowedValues.includes(value)) return wrong(`one of ${type.allowedValues.join(', ')}`)
      return []
    case 'boolean':
      return typeof value === 'boolean' ? [] : wrong('a boolean')
    case 'json':
      return isObject(value) || Array.isArray(value) || typeof value === 'string' ? [] : wrong('a JSON object')
    case 'null':
      return value === null ? [] : wrong('null')
    case 'tag':
      return isObject(value) && typeof value.Key === 'string' && 'Value' in value && Object.keys(value).length === 2 ? [] : wrong('a tag {Key, Value}')
    case 'array':
      return Array.isArray(value) ? value.flatMap((item, index) => checkValue(item, type.element as PropertyType, `${where}[${index}]`)) : wrong('a list')
    case 'map':
      return isObject(value)
        ? Object.entries(value).flatMap(([key, item]) => checkValue(item, type.element as PropertyType, `${where}.${key}`))
        : wrong('a map')
    case 'ref': {
      const definition = specification().get('typeDefinition', type.reference as never) as { name: string; properties: Properties }
      return isObject(value) ? checkObject(value, definition.properties, where) : wrong(`an object (${definition.name})`)
    }
    case 'union': {
      const attempts = (type.types ?? []).map(option => checkValue(value, option, where))
      return attempts.some(found => found.length === 0) ? [] : (attempts.sort((a, b) => a.length - b.length)[0] ?? wrong('any type'))
    }
    default:
      return [`${where}: the specification's type ${type.type} is not known to this check`]
  }
}

/** Each Ref, Fn::GetAtt and Fn::Sub variable in Resources and Outputs names something that exists. */
function checkReferences(template: Template): string[] {
  const resources = isObject(template.Resources) ? template.Resources : {}
  const names = new Set([...Object.keys(isObject(template.Parameters) ? template.Parameters : {}), ...Object.keys(resources), ...PSEUDO_PARAMETERS])
  const problems: string[] = []

  const checkGetAtt = (target: string, attribute: string, where: string): void => {
    const resource = resources[target]
    if (!isObject(resource)) {
      problems.push(`${where}: Fn::GetAtt names ${target}, which is no resource`)
      return
    }
    const spec = resourceType(String(resource.Type))
    if (spec && !(attribute in spec.attributes))
      problems.push(`${where}: ${resource.Type} has no attribute ${attribute} (it has ${Object.keys(spec.attributes).join(', ')})`)
  }

  const walk = (value: Json, where: string): void => {
    if (Array.isArray(value)) return value.forEach((item, index) => walk(item, `${where}[${index}]`))
    if (!isObject(value)) return
    const fn = intrinsic(value)
    const argument = fn ? value[fn] : undefined
    if (fn === 'Ref') {
      if (typeof argument !== 'string' || !names.has(argument))
        problems.push(`${where}: Ref to ${JSON.stringify(argument)}, which is no parameter, resource or pseudo parameter`)
      return
    }
    if (fn === 'Fn::GetAtt') {
      const [target, ...attribute] = typeof argument === 'string' ? argument.split('.') : Array.isArray(argument) ? argument.map(String) : []
      if (!target || attribute.length === 0) problems.push(`${where}: Fn::GetAtt needs [resource, attribute]`)
      else checkGetAtt(target, attribute.join('.'), where)
      return
    }
    if (fn === 'Fn::Sub') {
      const [text, variables] = Array.isArray(argument) ? argument : [argument, {}]
      if (typeof text !== 'string' || !isObject(variables)) return void problems.push(`${where}: Fn::Sub needs a string, or [string, variables]`)
      const local = new Set(Object.keys(variables))
      for (const [, variable] of text.matchAll(/\$\{(?!!)([^}]+)\}/g)) {
        const [target, ...attribute] = variable.split('.')
        if (attribute.length > 0 && !variable.startsWith('AWS::')) checkGetAtt(target, attribute.join('.'), where)
        else if (!names.has(variable) && !local.has(variable)) problems.push(`${where}: Fn::Sub variable \${${variable}} names nothing`)
      }
      return walk(variables, `${where}.Fn::Sub`)
    }
    for (const [key, item] of Object.entries(value)) walk(item, `${where}.${key}`)
  }

  walk(template.Resources ?? null, 'Resources')
  walk(template.Outputs ?? null, 'Outputs')
  return problems
}

/**
 * The value CloudFormation would make of `value`, for the intrinsic functions these templates use:
 * parameters and pseudo parameters from `given`, a resource's Ref as `<Name>`, an attribute as `<Name.Attr>`.
 */
export function evaluate(value: Json, given: Record<string, string>): Json {
  const resolve = (name: string): string => given[name] ?? `<${name}>`
  if (Array.isArray(value)) return value.map(item => evaluate(item, given))
  if (!isObject(value)) return value
  const fn = intrinsic(value)
  const argument = fn ? value[fn] : undefined
  switch (fn) {
    case undefined:
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, evaluate(item, given)]))
    case 'Ref':
      return resolve(String(argument))
    case 'Fn::GetAtt':
      return `<${Array.isArray(argument) ? argument.join('.') : String(argument)}>`
    case 'Fn::Sub': {
      const [text, variables] = Array.isArray(argument) ? argument : [argument, {}]
      const local = Object.fromEntries(Object.entries(variables as { [key: string]: Json }).map(([key, item]) => [key, String(evaluate(item, given))]))
      return String(text).replace(/\$\{(?!!)([^}]+)\}/g, (_, name: string) => local[name] ?? resolve(name))
    }
    case 'Fn::Split': {
      const [separator, text] = argument as [string, Json]
      return String(evaluate(text, given)).split(separator)
    }
    case 'Fn::Select': {
      const [index, list] = argument as [number, Json]
      return (evaluate(list, given) as Json[])[Number(index)]
    }
    case 'Fn::Join': {
      const [separator, list] = argument as [string, Json]
      return (evaluate(list, given) as Json[]).join(separator)
    }
    default:
      throw new Error(`evaluate: ${fn} is not used by these templates`)
  }
}
