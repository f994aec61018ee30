// The gate every incoming resource passes before anything is written (http.html#create:
// "400 Bad Request - resource could not be parsed or failed basic FHIR validation rules";
// "422 Unprocessable Entity - the proposed resource violated applicable FHIR profiles").
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { badRequest, invalidResource } from '../errors.js'
import { declaredProfileIssues } from './conformance/declared-profiles.js'
import type { FhirResponse } from './types.js'
import { checkResource } from './validation/index.js'

const isError = (i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal'

// Warnings about an accepted resource (e.g. a meta.profile the server does not know), for the
// response's OperationOutcome.
const warnings = new WeakMap<object, OperationOutcomeIssue[]>()

export function requireResource(body: unknown, type: string, where = type): Resource {
  if (body === undefined || body === null || body === '') throw badRequest(`A ${type} resource is required in the request body`)
  const issues = checkResource(body, { expectedType: type })
  if (issues.some(isError)) throw invalidResource(relocate(issues, type, where))
  const profileIssues = declaredProfileIssues(body as Resource)
  if (profileIssues.some(isError)) throw invalidResource(relocate(profileIssues, type, where), 422)
  const remarks = [...issues, ...profileIssues]
  if (remarks.length) warnings.set(body as object, relocate(remarks, type, where))
  return body as Resource
}

/** The warnings requireResource found on a resource it accepted. */
export function warningsOf(resource: object): OperationOutcomeIssue[] {
  return warnings.get(resource) ?? []
}

/** Adds the warnings found on `resource` to the response of its write. */
export function withWarnings(response: FhirResponse, resource: object): FhirResponse {
  const found = warningsOf(resource)
  return found.length ? { ...response, issues: [...found, ...(response.issues ?? [])] } : response
}

function relocate(issues: OperationOutcomeIssue[], type: string, where: string) {
  return where === type ? issues : issues.map((i) => prefixIssue(i, type, where))
}

/** Re-roots expressions when a resource sits inside a Bundle entry (Bundle.entry[3].resource.…). */
function prefixIssue<T extends { expression?: string[] }>(issue: T, type: string, where: string): T {
  if (!issue.expression) return { ...issue, expression: [where] }
  return {
    ...issue,
    expression: issue.expression.map((e) => (e === type || e.startsWith(type + '.') ? where + e.slice(type.length) : `${where}.${e}`)),
  }
}
