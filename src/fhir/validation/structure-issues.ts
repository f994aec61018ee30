// The issues of the base structure check (structure-check.ts) about single values, in the form
// and words of medplum's validator, so that the OperationOutcome stays as it was: blank or too
// long strings, numbers out of their type's range, and null values (R4 json.html#primitive).
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'

const MAX_STRING_LENGTH = 1024 * 1024

/** An issue in medplum's form (converted by fromMedplumIssues). */
export function issue(severity: 'error' | 'warning', code: OperationOutcomeIssue['code'], text: string, path: string): OperationOutcomeIssue {
  return { severity, code, details: { text }, expression: [path] }
}

/** What is wrong with a string value, in medplum's words (its format regexes are not reproduced: structure-check.ts). */
export function stringProblem(value: string): string | undefined {
  const first = value.charCodeAt(0)
  // Starts with a visible ASCII character: not blank.
  if (!(first > 32 && first < 127) && !value.trim()) return 'String must contain non-whitespace content'
  if (value.length > MAX_STRING_LENGTH) return 'String cannot be larger than 1 MB'
  return undefined
}

/** Location of an item: `parent.name`, with `[index]` when the element is an array. */
export function at(parent: string, name: string, index: number): string {
  return index < 0 ? `${parent}.${name}` : `${parent}.${name}[${index}]`
}

/** What is wrong with a number of FHIR type `type`, in medplum's words. */
export function numberProblem(value: number, type: string): string | undefined {
  if (Number.isNaN(value) || !Number.isFinite(value)) return 'Invalid numeric value'
  if ((type === 'integer' || type === 'positiveInt' || type === 'unsignedInt') && !Number.isInteger(value)) return 'Expected number to be an integer'
  if (type === 'positiveInt' && value <= 0) return 'Expected number to be positive'
  if (type === 'unsignedInt' && value < 0) return 'Expected number to be non-negative'
  return undefined
}

/**
 * Null values: only allowed as items of a primitive array whose `_x` array
 * has an item at the same index, and the reverse (R4 json.html#primitive).
 */
export function checkNulls(object: Record<string, unknown>, path: string, issues: OperationOutcomeIssue[]): void {
  for (const key of Object.keys(object)) {
    const value = object[key]
    const propertyPath = `${path}.${key}`
    if (value === null) {
      issues.push(issue('error', 'structure', 'Invalid null value', propertyPath))
    } else if (Array.isArray(value)) {
      const partner = object[key.startsWith('_') ? key.slice(1) : `_${key}`] as any
      for (let i = 0; i < value.length; i++) {
        const item = value[i]
        if (item === undefined) {
          issues.push(issue('error', 'structure', 'Invalid undefined value', `${propertyPath}[${i}]`))
        } else if (item === null && !partner?.[i]) {
          issues.push(issue('error', 'structure', 'Invalid null value', `${propertyPath}[${i}]`))
        } else if (item && typeof item === 'object') {
          checkNulls(item as Record<string, unknown>, `${propertyPath}[${i}]`, issues)
        }
      }
    } else if (typeof value === 'object') {
      checkNulls(value as Record<string, unknown>, propertyPath, issues)
    }
  }
}
