/**
 * Cheap checks that run before the schema and profile validators: the input
 * must be a JSON object of a known R4 resource type, must not be nested too
 * deeply (both validators recurse), and its id must be a valid FHIR id.
 */
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { isResourceType } from './definitions.js'
import { childPath, describeValue, errorIssue } from './issues.js'

/** Maximum number of nested objects/arrays, counting the resource itself. */
export const MAX_DEPTH = 64

/** R4 id rule, see https://hl7.org/fhir/R4/datatypes.html#id */
export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/
export const ID_RULE = 'must match [A-Za-z0-9\\-\\.]{1,64}'

export interface PreflightResult {
  /** Problems found; when `fatal` is true no further checks should run. */
  issues: OperationOutcomeIssue[]
  fatal: boolean
  /** The resource's type, once it is known to be a valid R4 resource type. */
  resourceType?: string
  /** Whether some value in the resource is null (found by the same walk as the depth check). */
  hasNulls?: boolean
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

function fatal(issue: OperationOutcomeIssue): PreflightResult {
  return { issues: [issue], fatal: true }
}

export function preflight(resource: unknown, expectedType?: string): PreflightResult {
  const rootName = expectedType ?? 'Resource'
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) {
    return fatal(
      errorIssue('structure', `Expected a JSON object for the resource, got ${describeJsonType(resource)}`, rootName),
    )
  }
  const resourceType = (resource as Record<string, unknown>).resourceType
  if (resourceType === undefined) {
    return fatal(errorIssue('required', "Missing required element 'resourceType'", 'resourceType'))
  }
  if (typeof resourceType !== 'string') {
    return fatal(
      errorIssue('structure', `Expected a string for resourceType, got ${describeJsonType(resourceType)}`, 'resourceType'),
    )
  }
  if (expectedType !== undefined && resourceType !== expectedType) {
    return fatal(
      errorIssue(
        'invalid',
        `Resource type ${describeValue(resourceType)} does not match the URL type '${expectedType}'`,
        'resourceType',
      ),
    )
  }
  if (!isResourceType(resourceType)) {
    return fatal(errorIssue('value', `Unknown resource type ${describeValue(resourceType)}`, 'resourceType'))
  }

  const { tooDeep, hasNulls } = scan(resource, resourceType, MAX_DEPTH)
  if (tooDeep !== undefined) {
    return fatal(
      errorIssue('structure', `Resource is nested too deeply: more than ${MAX_DEPTH} levels of objects/arrays`, tooDeep),
    )
  }

  const issues: OperationOutcomeIssue[] = []
  const id = (resource as Record<string, unknown>).id
  if (typeof id === 'string' && !ID_PATTERN.test(id)) {
    const got = id.length > 64 ? `${id.length} characters` : describeValue(id)
    issues.push(errorIssue('value', `Invalid id: ${ID_RULE} (got ${got})`, `${resourceType}.id`))
  }
  return { issues, fatal: false, resourceType, hasNulls }
}

interface Frame {
  value: object
  depth: number
  parent: Frame | undefined
  key: string | number
}

function framePath(frame: Frame, root: string): string {
  const parts: string[] = []
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) {
    parts.push(typeof f.key === 'number' ? `[${f.key}]` : childPath('', f.key))
  }
  return root + parts.reverse().join('')
}

/**
 * Walks the value without recursion and returns the location of the first
 * object/array nested deeper than MAX_DEPTH, or undefined.
 */
export function findTooDeep(root: object, rootName: string, maxDepth = MAX_DEPTH): string | undefined {
  return scan(root, rootName, maxDepth).tooDeep
}

/**
 * Walks the value without recursion: the location of the first object/array
 * nested deeper than `maxDepth` (the walk stops there), and whether a null
 * was seen on the way.
 */
function scan(root: object, rootName: string, maxDepth: number): { tooDeep?: string; hasNulls: boolean } {
  let hasNulls = false
  const stack: Frame[] = [{ value: root, depth: 1, parent: undefined, key: '' }]
  while (stack.length > 0) {
    const frame = stack.pop() as Frame
    if (frame.depth > maxDepth) return { tooDeep: framePath(frame, rootName), hasNulls }
    if (Array.isArray(frame.value)) {
      const items = frame.value as unknown[]
      for (let i = items.length - 1; i >= 0; i--) {
        const item = items[i]
        if (item !== null && typeof item === 'object') {
          stack.push({ value: item, depth: frame.depth + 1, parent: frame, key: i })
        } else if (item === null) {
          hasNulls = true
        }
      }
    } else {
      for (const key of Object.keys(frame.value)) {
        const item = (frame.value as Record<string, unknown>)[key]
        if (item !== null && typeof item === 'object') {
          stack.push({ value: item, depth: frame.depth + 1, parent: frame, key })
        } else if (item === null) {
          hasNulls = true
        }
      }
    }
  }
  return { hasNulls }
}
