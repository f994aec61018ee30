// patch: PATCH [base]/[type]/[id] with a JSON Patch document (RFC 6902) — http.html#patch;
// conditional patch: PATCH [base]/[type]?criteria.
import type { Resource } from '@medplum/fhirtypes'
import jsonpatch from 'fast-json-patch'
import { badRequest, FhirError, gone, notFound, preconditionFailed, unprocessable, unsupportedMediaType } from '../../errors.js'
import { findConditional } from '../conditional.js'
import { requireResource } from '../incoming.js'
import type { FhirRequest, FhirResponse, Handler, InteractionContext } from '../types.js'
import { checkIfMatch } from '../versioning.js'
import { nextVersion } from '../write.js'

export const JSON_PATCH = 'application/json-patch+json'

export const patch: Handler = async (req, ctx, { type, id }) => {
  const ops = patchDocument(req)
  return patchResource(ctx, type!, id!, ops, req.headers.ifMatch)
}

export const conditionalPatch: Handler = async (req, ctx, { type }) => {
  const ops = patchDocument(req)
  return ctx.store.transaction(async (tx) => {
    const { matches } = await findConditional(tx, type!, req.query, { baseUrl: ctx.baseUrl })
    if (matches.length === 0) throw notFound(`No ${type} matches the conditional patch criteria`)
    if (matches.length > 1) throw preconditionFailed(`Conditional patch criteria match more than one ${type}`)
    return patchResource({ ...ctx, store: tx }, type!, matches[0].id, ops, req.headers.ifMatch)
  })
}

function patchDocument(req: FhirRequest): jsonpatch.Operation[] {
  if (req.contentType !== JSON_PATCH) {
    throw unsupportedMediaType(`PATCH needs Content-Type ${JSON_PATCH} (FHIRPath Patch is not supported yet)`)
  }
  const ops = req.body
  if (!Array.isArray(ops)) throw badRequest('A JSON Patch document must be an array of operations')
  const invalid = jsonpatch.validate(ops as jsonpatch.Operation[])
  if (invalid) throw badRequest(`Invalid JSON Patch operation ${invalid.index}: ${invalid.name} ${invalid.message.split('\n')[0]}`)
  return ops as jsonpatch.Operation[]
}

export async function patchResource(
  ctx: InteractionContext,
  type: string,
  id: string,
  ops: jsonpatch.Operation[],
  ifMatch?: string,
): Promise<FhirResponse> {
  return ctx.store.transaction(async (tx) => {
    const current = await tx.readForUpdate(type, id)
    if (!current) throw notFound(`${type}/${id} is not known`)
    if (current.deleted) throw gone(`${type}/${id} was deleted`)
    checkIfMatch(ifMatch, current)
    let patched: unknown
    try {
      patched = jsonpatch.applyPatch(JSON.parse(current.json!), ops, true, true).newDocument
    } catch (err) {
      const e = err as { name?: string; message?: string; index?: number }
      if (e.name === 'TEST_OPERATION_FAILED') throw unprocessable(`JSON Patch test operation ${e.index} failed`)
      throw unprocessable(`JSON Patch could not be applied: ${String(e.message).split('\n')[0]}`)
    }
    // The patch document was well formed but its result is not a valid resource: 422.
    let resource: Resource & { id?: string }
    try {
      resource = requireResource(patched, type)
    } catch (err) {
      throw err instanceof FhirError ? new FhirError(422, err.outcome) : err
    }
    if (resource.id !== id) throw unprocessable('JSON Patch may not change the resource id', `${type}.id`)
    return (await nextVersion({ ...ctx, store: tx }, tx, current, resource, 'PATCH')).response
  })
}
