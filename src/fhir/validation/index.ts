/**
 * Validation of incoming FHIR R4 resources, before they are stored.
 *
 *   initValidation()                        at boot: loads the definitions (~1.5 s,
 *                                           once); each type's JSON schema validator
 *                                           compiles on first use
 *   warmSchemaValidators()                  compiles the rest in the background
 *   checkResource(body, { expectedType })   the problems found; [] = valid
 *   isResourceType(name), resourceTypes()   the R4 resource types
 *
 * Checks, in order (see the files for details): preflight.ts (JSON object,
 * resourceType, nesting depth, id), schema-check.ts (R4 JSON schema with
 * ajv, plus calendar dates and narrative XHTML), structure-check.ts (the
 * base R4 StructureDefinitions, with @medplum/core's rules from precomputed
 * plans) and invariant-check.ts (invariants @medplum/core leaves out).
 * profile-check.ts validates against any StructureDefinition with
 * @medplum/core's validator (for profiles; not used for the base ones).
 */
export { checkResource, initValidation, type CheckOptions } from './check-resource.js'
export { isResourceType, resourceTypes } from './definitions.js'
export { MAX_DEPTH } from './preflight.js'
export { loadProfiles } from './profile-check.js'
export { warmSchemaValidators } from './schema-check.js'
