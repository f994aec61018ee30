/**
 * Issue construction, FHIRPath location formatting and de-duplication.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'

export type IssueSeverity = 'error' | 'warning'
export type IssueCode = NonNullable<OperationOutcomeIssue['code']>

export function makeIssue(
  severity: IssueSeverity,
  code: IssueCode,
  diagnostics: string,
  expression: string,
): OperationOutcomeIssue {
  return { severity, code, diagnostics, expression: [expression] }
}

export function errorIssue(code: IssueCode, diagnostics: string, expression: string): OperationOutcomeIssue {
  return makeIssue('error', code, diagnostics, expression)
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Formats one property name as a FHIRPath identifier, quoting it if needed. */
export function fhirPathName(name: string): string {
  if (IDENTIFIER.test(name)) return name
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`'
}

/** Appends a property name to a FHIRPath expression. */
export function childPath(base: string, name: string): string {
  return `${base}.${fhirPathName(name)}`
}

/**
 * Converts a JSON pointer (ajv instancePath, e.g. "/name/0/given/1") into a
 * FHIRPath location ("Patient.name[0].given[1]"). The data is used to tell
 * array indexes apart from property names.
 */
export function pointerToFhirPath(root: string, pointer: string, data: unknown): string {
  if (pointer === '') return root
  let path = root
  let current: unknown = data
  const segments = pointer.split('/')
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i].replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(current)) {
      path += `[${segment}]`
      current = current[Number(segment)]
    } else {
      path = childPath(path, segment)
      current =
        current !== null && typeof current === 'object'
          ? (current as Record<string, unknown>)[segment]
          : undefined
    }
  }
  return path
}

/**
 * Replaces choice element names in a location with the JSON key present in
 * the resource: "Observation.value[x]" -> "Observation.valueQuantity".
 * @medplum/core reports choice elements by their definition name.
 */
export function resolveChoiceExpression(expression: string, resource: unknown): string {
  if (!expression.includes('[x]')) return expression
  const segments = expression.split('.')
  let current: unknown = resource
  const out = [segments[0]]
  for (let i = 1; i < segments.length; i++) {
    const match = /^([^[]+)((?:\[(?:\d+|x)\])*)$/.exec(segments[i])
    if (!match) return expression
    let [, name, suffix] = match
    const object = current !== null && typeof current === 'object' ? (current as Record<string, unknown>) : undefined
    if (suffix.startsWith('[x]')) {
      suffix = suffix.slice(3)
      const key = object && Object.keys(object).find((k) => k.startsWith(name) && /^[A-Z]/.test(k.slice(name.length)))
      if (!key) return expression
      name = key
    }
    current = object?.[name]
    for (const index of suffix.matchAll(/\[(\d+)\]/g)) {
      current = Array.isArray(current) ? current[Number(index[1])] : undefined
    }
    out.push(name + suffix)
  }
  return out.join('.')
}

/** Reads the value at a JSON pointer, or undefined when it does not exist. */
export function valueAtPointer(data: unknown, pointer: string): unknown {
  if (pointer === '') return data
  let current: unknown = data
  const segments = pointer.split('/')
  for (let i = 1; i < segments.length; i++) {
    if (current === null || typeof current !== 'object') return undefined
    const segment = segments[i].replace(/~1/g, '/').replace(/~0/g, '~')
    current = (current as Record<string, unknown>)[segment]
  }
  return current
}

/** The last property of a location, with its index: "Patient.name[0].given[1]" -> "given[1]". */
export function lastSegment(expression: string): string {
  const dot = expression.lastIndexOf('.')
  return dot === -1 ? expression : expression.slice(dot + 1)
}

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  null: 'null',
}

/** 'string' -> 'a string', 'object' -> 'an object'. */
export function withArticle(type: string): string {
  return ARTICLE[type] ?? type
}

/** The JSON type of a value: string, number, boolean, object, array or null. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** Shortens a value for display in a message. */
export function describeValue(value: unknown, max = 40): string {
  let text: string
  if (typeof value === 'string') text = `'${value}'`
  else if (value === undefined) text = 'undefined'
  else {
    try {
      text = JSON.stringify(value)
    } catch {
      text = String(value)
    }
  }
  return text.length > max ? text.slice(0, max - 3) + '...' : text
}

function expressionKey(issue: OperationOutcomeIssue): string {
  return (issue.expression ?? []).join('|')
}

/**
 * Merges the issues of several checks, given in order of preference.
 *
 * The checks often report the same problem at the same location (a bad date
 * is both a schema pattern failure and an "Invalid date format" in the
 * profile check). An error from a later check is dropped when an earlier check
 * already reported an error at the same location, unless it is an invariant (a
 * separate rule that also failed). Identical issues are reported once.
 */
export function mergeIssues(layers: OperationOutcomeIssue[][]): OperationOutcomeIssue[] {
  const result: OperationOutcomeIssue[] = []
  const seen = new Set<string>()
  const errorLocations = new Set<string>()
  for (const layer of layers) {
    const layerErrorLocations: string[] = []
    for (const issue of layer) {
      const location = expressionKey(issue)
      if (issue.severity === 'error' && issue.code !== 'invariant' && errorLocations.has(location)) continue
      const key = `${issue.severity}|${issue.code}|${location}|${issue.diagnostics ?? ''}`
      if (seen.has(key)) continue
      seen.add(key)
      result.push(issue)
      if (issue.severity === 'error') layerErrorLocations.push(location)
    }
    for (const location of layerErrorLocations) errorLocations.add(location)
  }
  return result
}
