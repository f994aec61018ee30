// update: PUT [base]/[type]/[id] — http.html#update (update-as-create with a client id, If-Match
// locking — http.html#concurrency); conditional update: PUT [base]/[type]?criteria — http.html#cond-update.
import type { Resource } from '@medplum/fhirtypes'
import { badRequest, conflict, FhirError, preconditionFailed } from '../../errors.js'
import { findConditional } from '../conditional.js'
import { requireResource, withWarnings } from '../incoming.js'
import type { FhirResponse, Handler, InteractionContext } from '../types.js'
import { assertEntityTags, checkIfMatch, checkIfNoneMatch } from '../versioning.js'
import { createVersion, nextVersion, type WriteOptions } from '../write.js'

export const update: Handler = async (req, ctx, { type, id }) => {
  const resource = requireResource(req.body, type!)
  if (resource.id === undefined) throw badRequest(`The ${type} in the body must carry id "${id}" to match the URL`, `${type}.id`)
  if (resource.id !== id) {
    throw badRequest(`Body id "${resource.id}" does not match the id "${id}" in the URL`, `${type}.id`)
  }
  return withWarnings(await updateResource(ctx, resource, id!, req.headers.ifMatch, { ifNoneMatch: req.headers.ifNoneMatch }), resource)
}

export const conditionalUpdate: Handler = async (req, ctx, { type }) => {
  const resource = requireResource(req.body, type!)
  return withWarnings(await conditionalUpdateResource(ctx, resource, req.query, req.headers.ifMatch, { ifNoneMatch: req.headers.ifNoneMatch }), resource)
}

/**
 * Writes `resource` as the next version of type/id, creating it when absent (update-as-create).
 * `absent`: the caller has seen that type/id does not exist, so the insert is tried first (one
 * round trip instead of two when loading data); if it exists after all, the normal path runs.
 */
export async function updateResource(
  ctx: InteractionContext,
  resource: Resource,
  id: string,
  ifMatch?: string,
  opts: WriteOptions & { absent?: boolean; ifNoneMatch?: string } = {},
): Promise<FhirResponse> {
  assertEntityTags(opts.ifNoneMatch, 'If-None-Match')
  return ctx.store.transaction(async (tx) => {
    const txCtx = { ...ctx, store: tx }
    if (opts.absent && ifMatch === undefined) {
      try {
        return await createVersion(txCtx, tx, resource, { ...opts, id, method: 'PUT' })
      } catch (err) {
        if (!(err instanceof FhirError && err.status === 409)) throw err
      }
    }
    for (let attempt = 0; ; attempt++) {
      const current = await tx.readForUpdate(resource.resourceType, id)
      checkIfMatch(ifMatch, current)
      checkIfNoneMatch(opts.ifNoneMatch, current)
      if (current) return (await nextVersion(txCtx, tx, current, resource, 'PUT', opts)).response
      try {
        return await createVersion(txCtx, tx, resource, { ...opts, id, method: 'PUT' })
      } catch (err) {
        // Another request created the same id between our read and insert: update it instead.
        if (attempt > 0 || !(err instanceof FhirError && err.status === 409)) throw err
      }
    }
  })
}

export async function conditionalUpdateResource(
  ctx: InteractionContext,
  resource: Resource,
  criteria: string | Record<string, string[]>,
  ifMatch?: string,
  opts: WriteOptions & { ifNoneMatch?: string } = {},
): Promise<FhirResponse> {
  const type = resource.resourceType
  assertEntityTags(opts.ifNoneMatch, 'If-None-Match')
  return ctx.store.transaction(async (tx) => {
    const txCtx = { ...ctx, store: tx }
    const { matches } = await findConditional(tx, type, criteria, { guard: true, baseUrl: ctx.baseUrl })
    if (matches.length > 1) throw preconditionFailed(`Conditional update criteria match more than one ${type}`)
    if (matches.length === 1) {
      const match = matches[0]
      if (resource.id !== undefined && resource.id !== match.id) {
        throw badRequest(`Body id "${resource.id}" differs from the matching ${type}/${match.id}`, `${type}.id`)
      }
      return updateResource(txCtx, { ...resource, id: match.id }, match.id, ifMatch, opts)
    }
    if (resource.id === undefined) return createVersion(txCtx, tx, resource, opts)
    const existing = await tx.read(type, resource.id)
    if (existing && !existing.deleted) {
      throw conflict(`No ${type} matches the criteria, but ${type}/${resource.id} already exists`)
    }
    return updateResource(txCtx, resource, resource.id, ifMatch, opts)
  })
}
