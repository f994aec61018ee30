// create: POST [base]/[type] — http.html#create; conditional create (If-None-Exist) — http.html#ccreate.
import type { Resource } from '@medplum/fhirtypes'
import { preconditionFailed } from '../../errors.js'
import { findConditional } from '../conditional.js'
import { requireResource, withWarnings } from '../incoming.js'
import type { FhirResponse, Handler, InteractionContext } from '../types.js'
import { versionResponse } from '../versioning.js'
import { createVersion, type WriteOptions } from '../write.js'

export const create: Handler = async (req, ctx, { type }) => {
  const resource = requireResource(req.body, type!)
  return withWarnings(await createResource(ctx, resource, req.headers.ifNoneExist), resource)
}

/**
 * Creates `resource`, or with `ifNoneExist` returns the one existing match (200) instead.
 * Identical concurrent conditional creates are serialised by a guard row, so exactly one wins.
 */
export async function createResource(
  ctx: InteractionContext,
  resource: Resource,
  ifNoneExist?: string,
  opts: WriteOptions = {},
): Promise<FhirResponse> {
  // The client's id is ignored on create (http.html#create); the server assigns one.
  const { id: _ignored, ...body } = resource
  if (!ifNoneExist) return createVersion(ctx, ctx.store, body as Resource, opts)
  return ctx.store.transaction(async (tx) => {
    const { matches } = await findConditional(tx, resource.resourceType, ifNoneExist, { guard: true, baseUrl: ctx.baseUrl })
    if (matches.length > 1) {
      throw preconditionFailed(`If-None-Exist criteria "${ifNoneExist}" match more than one ${resource.resourceType}`)
    }
    if (matches.length === 1) return versionResponse(200, matches[0], ctx.baseUrl, matches[0].json!, true)
    return createVersion({ ...ctx, store: tx }, tx, body as Resource, opts)
  })
}
