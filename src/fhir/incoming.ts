// The gate every incoming resource passes before anything is written (http.html#create:
// "400 Bad Request - resource could not be parsed or failed basic FHIR validation rules").
import type { Resource } from '@medplum/fhirtypes'
import { badRequest, invalidResource } from '../errors.js'
import { checkResource } from './validation/index.js'

export function requireResource(body: unknown, type: string, where = type): Resource {
  if (body === undefined || body === null || body === '') throw badRequest(`A ${type} resource is required in the request body`)
  const issues = checkResource(body, { expectedType: type })
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal')
  if (errors.length) {
    throw invalidResource(where === type ? issues : issues.map((i) => prefixIssue(i, type, where)))
  }
  return body as Resource
}

/** Re-roots expressions when a resource sits inside a Bundle entry (Bundle.entry[3].resource.…). */
function prefixIssue<T extends { expression?: string[] }>(issue: T, type: string, where: string): T {
  if (!issue.expression) return { ...issue, expression: [where] }
  return {
    ...issue,
    expression: issue.expression.map((e) => (e === type || e.startsWith(type + '.') ? where + e.slice(type.length) : `${where}.${e}`)),
  }
}
