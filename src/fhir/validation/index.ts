/**
 * Validation of incoming FHIR R4 resources.
 *
 *   initValidation()                       at boot, compiles everything once
 *   checkResource(body, { expectedType })  issues; empty array = valid
 */
export { checkResource, initValidation, type CheckOptions } from './check-resource.js'
export { isResourceType, resourceTypes } from './definitions.js'
export { MAX_DEPTH } from './preflight.js'
