// $validate (operation-resource-validate.html): would this content be accepted, in general, as a
// create, as an update of [id], against a named profile; or may [id] be deleted? The answer is
// always 200 with an OperationOutcome (errors or not); a 4xx means the check could not be run.
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { badRequest, FhirError } from '../../errors.js'
import { declaredProfileIssues, namedProfileIssues } from '../conformance/declared-profiles.js'
import { assertCanonicalFree, assertWritable } from '../conformance/read-only.js'
import { checkResource } from '../validation/index.js'
import { paramResource, paramValue } from './parameters.js'
import { registerOperation, type OperationInput } from './registry.js'

const MODES = ['create', 'update', 'delete', 'profile'] as const
type Mode = (typeof MODES)[number]

export function registerValidate(): void {
  registerOperation({
    code: 'validate',
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    resourceTypes: 'all',
    system: false,
    type: true,
    instance: true,
    affectsState: false,
    inputs: [
      { name: 'resource', type: 'Resource' },
      { name: 'mode', type: 'code' },
      { name: 'profile', type: 'uri' },
    ],
    resourceBody: 'resource',
    run: async (input) => ({ status: 200, body: validate(input) }),
  })
}

function validate({ level, resourceType, id, target, parameters }: OperationInput): OperationOutcome {
  const mode = paramValue(parameters, 'mode') as Mode | undefined
  if (mode !== undefined && !MODES.includes(mode)) {
    throw badRequest(`Unknown mode "${mode}"; use one of ${MODES.join(', ')}`, 'mode')
  }
  if ((mode === 'update' || mode === 'delete') && level !== 'instance') {
    throw badRequest(`Mode ${mode} needs the resource's id: invoke it as POST ${resourceType}/[id]/$validate`, 'mode')
  }
  const profile = paramValue(parameters, 'profile')
  if (mode === 'delete') return result(refusal(() => assertWritable(resourceType!, id!)))
  // Without a resource, an instance-level call checks the stored version.
  const resource = paramResource(parameters, 'resource') ?? target
  if (!resource) throw badRequest('The resource to validate is required: the body, or a "resource" parameter', 'resource')
  const issues = checkResource(resource, { expectedType: resourceType })
  if (issues.some((i) => i.severity === 'fatal')) return result(issues)
  issues.push(...declaredProfileIssues(resource))
  if (typeof profile === 'string') issues.push(...namedProfileIssues(resource, profile))
  if (mode === 'update') {
    if (resource.id !== id) issues.push(problem(`The resource's id "${resource.id ?? ''}" must be "${id}" to update ${resourceType}/${id}`, `${resourceType}.id`))
    issues.push(...refusal(() => assertWritable(resourceType!, id!)))
  }
  if (mode === 'create' || mode === 'update') issues.push(...refusal(() => assertCanonicalFree(resource as Resource, mode === 'update' ? id! : '')))
  return result(issues)
}

/** The issues a write would be refused with, if it would be. */
function refusal(check: () => void): OperationOutcomeIssue[] {
  try {
    check()
    return []
  } catch (err) {
    if (err instanceof FhirError) return err.outcome.issue ?? []
    throw err
  }
}

function problem(diagnostics: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code: 'invalid', diagnostics, expression: [expression] }
}

function result(issues: OperationOutcomeIssue[]): OperationOutcome {
  if (issues.length === 0) issues = [{ severity: 'information', code: 'informational', diagnostics: 'No issues found' }]
  return { resourceType: 'OperationOutcome', issue: issues }
}
