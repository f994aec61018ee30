// patch: PATCH [base]/[type]/[id] with a JSON Patch document (RFC 6902) or a FHIRPath Patch
// (a Parameters resource, fhirpatch.html) — http.html#patch; conditional patch: PATCH [base]/[type]?criteria.
import type { Parameters, Resource } from '@medplum/fhirtypes'
import jsonpatch from 'fast-json-patch'
import { badRequest, FhirError, gone, notFound, preconditionFailed, unprocessable, unsupportedMediaType } from '../../errors.js'
import { findConditional } from '../conditional.js'
import { applyFhirPathPatch, parseFhirPathPatch } from '../fhirpath-patch.js'
import { requireResource } from '../incoming.js'
import type { FhirRequest, FhirResponse, Handler, InteractionContext } from '../types.js'
import { checkIfMatch } from '../versioning.js'
import { nextVersion } from '../write.js'

export const JSON_PATCH = 'application/json-patch+json'

export const patch: Handler = async (req, ctx, { type, id }) => {
  return patchResource(ctx, type!, id!, patchDocument(req), req.headers.ifMatch)
}

export const conditionalPatch: Handler = async (req, ctx, { type }) => {
  const patch = patchDocument(req)
  return ctx.store.transaction(async (tx) => {
    const { matches } = await findConditional(tx, type!, req.query, { baseUrl: ctx.baseUrl })
    if (matches.length === 0) throw notFound(`No ${type} matches the conditional patch criteria`)
    if (matches.length > 1) throw preconditionFailed(`Conditional patch criteria match more than one ${type}`)
    return patchResource({ ...ctx, store: tx }, type!, matches[0].id, patch, req.headers.ifMatch)
  })
}

/** A change to apply to the current resource: JSON Patch, or FHIRPath Patch (a Parameters body). */
type Patch = (current: Resource) => unknown

export function patchDocument(req: FhirRequest): Patch {
  if (req.contentType !== JSON_PATCH) {
    const body = req.body as Parameters | undefined
    if (body?.resourceType !== 'Parameters') {
      throw unsupportedMediaType(`PATCH takes a JSON Patch (Content-Type ${JSON_PATCH}) or a FHIRPath Patch (a Parameters resource)`)
    }
    const ops = parseFhirPathPatch(body)
    return (current) => applyFhirPathPatch(current, ops)
  }
  const ops = req.body
  if (!Array.isArray(ops)) throw badRequest('A JSON Patch document must be an array of operations')
  const invalid = jsonpatch.validate(ops as jsonpatch.Operation[])
  if (invalid) throw badRequest(`Invalid JSON Patch operation ${invalid.index}: ${invalid.name} ${invalid.message.split('\n')[0]}`)
  return (current) => applyJsonPatch(current, ops as jsonpatch.Operation[])
}

function applyJsonPatch(current: Resource, ops: jsonpatch.Operation[]): unknown {
  try {
    return jsonpatch.applyPatch(current, ops, true, true).newDocument
  } catch (err) {
    const e = err as { name?: string; message?: string; index?: number }
    if (e.name === 'TEST_OPERATION_FAILED') throw unprocessable(`JSON Patch test operation ${e.index} failed`)
    throw unprocessable(`JSON Patch could not be applied: ${String(e.message).split('\n')[0]}`)
  }
}

export async function patchResource(
  ctx: InteractionContext,
  type: string,
  id: string,
  patch: Patch,
  ifMatch?: string,
): Promise<FhirResponse> {
  return ctx.store.transaction(async (tx) => {
    const current = await tx.readForUpdate(type, id)
    if (!current) throw notFound(`${type}/${id} is not known`)
    if (current.deleted) throw gone(`${type}/${id} was deleted`)
    checkIfMatch(ifMatch, current)
    const patched = patch(JSON.parse(current.json!))
    // The patch document was well formed but its result is not a valid resource: 422.
    let resource: Resource & { id?: string }
    try {
      resource = requireResource(patched, type)
    } catch (err) {
      throw err instanceof FhirError ? new FhirError(422, err.outcome) : err
    }
    if (resource.id !== id) throw unprocessable('A patch may not change the resource id', `${type}.id`)
    return (await nextVersion({ ...ctx, store: tx }, tx, current, resource, 'PATCH')).response
  })
}
