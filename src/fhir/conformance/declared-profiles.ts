// Validation against the profiles a resource claims in meta.profile (profiling.html#profile-use:
// "a resource that claims conformance to a profile must be valid against it"), and against a
// profile named by $validate. Profiles are the StructureDefinitions of the canonical registry.
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes'
import { notSupported } from '../../errors.js'
import { validateAgainstProfile } from '../validation/profile-validate.js'
import { checkCode } from './terminology.js'
import { resolveCanonical } from './canonical-registry.js'
import { isResourceType } from '../validation/index.js'

/** What a meta.profile this server does not know yields: a warning (default) or an error. */
export type UnknownProfilePolicy = 'warning' | 'error'

let unknownProfilePolicy: UnknownProfilePolicy = 'warning'

export function setUnknownProfilePolicy(policy: UnknownProfilePolicy): void {
  unknownProfilePolicy = policy
}

const CORE_PREFIX = 'http://hl7.org/fhir/StructureDefinition/'

/** A profile that can be validated against: a constraint on a resource type, with a snapshot. */
export function usableProfile(canonical: string): StructureDefinition | undefined {
  const sd = resolveCanonical<StructureDefinition>('StructureDefinition', canonical)
  return sd && sd.kind === 'resource' && sd.snapshot?.element?.length ? sd : undefined
}

/** Issues from every profile in meta.profile; the base R4 definitions are checked elsewhere. */
export function declaredProfileIssues(resource: Resource): OperationOutcomeIssue[] {
  const profiles = resource.meta?.profile
  if (!Array.isArray(profiles) || profiles.length === 0) return []
  const type = resource.resourceType
  const issues: OperationOutcomeIssue[] = []
  profiles.forEach((canonical, i) => {
    if (typeof canonical !== 'string' || canonical === `${CORE_PREFIX}${type}`) return
    const where = `${type}.meta.profile[${i}]`
    const sd = usableProfile(canonical)
    if (!sd) {
      issues.push({
        severity: unknownProfilePolicy,
        code: 'not-supported',
        diagnostics: `Profile ${canonical} is not known to this server, so the resource was not checked against it`,
        expression: [where],
      })
      return
    }
    issues.push(...againstProfile(resource, sd, where))
  })
  return issues
}

/** $validate with a `profile` parameter: an unknown profile is an error (Resource-validate). */
export function namedProfileIssues(resource: Resource, canonical: string): OperationOutcomeIssue[] {
  // the base definition of the type (as the CapabilityStatement's resource.profile names it) is
  // what $validate checks anyway; another type's base definition does not fit
  const base = /^http:\/\/hl7\.org\/fhir\/StructureDefinition\/([A-Za-z]+)(\|4\.0\.1)?$/.exec(canonical)
  if (base?.[1] === resource.resourceType) return []
  if (base && isResourceType(base[1])) {
    return [{ severity: 'error', code: 'invalid', diagnostics: `Profile ${canonical} is for ${base[1]}, not ${resource.resourceType}`, expression: ['profile'] }]
  }
  const sd = usableProfile(canonical)
  if (!sd) throw notSupported(`Profile ${canonical} is not known to this server`, 'profile')
  return againstProfile(resource, sd, 'profile')
}

function againstProfile(resource: Resource, sd: StructureDefinition, where: string): OperationOutcomeIssue[] {
  if (sd.type !== resource.resourceType) {
    return [{ severity: 'error', code: 'invalid', diagnostics: `Profile ${sd.url} is for ${sd.type}, not ${resource.resourceType}`, expression: [where] }]
  }
  // Required bindings are checked against the ValueSets this server holds; extensions and
  // other profiles are resolved from the registry.
  return validateAgainstProfile(resource, sd, { codeChecker: checkCode, resolveProfile: resolveDefinition })
}

function resolveDefinition(url: string): StructureDefinition | undefined {
  return resolveCanonical<StructureDefinition>('StructureDefinition', url)
}
