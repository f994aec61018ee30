// delete: DELETE [base]/[type]/[id] — http.html#delete; conditional delete — http.html#cdelete
// (conditionalDelete 'single': several matches → 412). History keeps the deletion as a version.
import { preconditionFailed } from '../../errors.js'
import { outcome, issue } from '../../errors.js'
import { findConditional } from '../conditional.js'
import type { FhirResponse, Handler, InteractionContext } from '../types.js'
import { checkIfMatch, etagOf } from '../versioning.js'
import { nextVersion } from '../write.js'

export const remove: Handler = async (req, ctx, { type, id }) => deleteResource(ctx, type!, id!, req.headers.ifMatch)

export const conditionalDelete: Handler = async (req, ctx, { type }) =>
  ctx.store.transaction(async (tx) => {
    const { matches } = await findConditional(tx, type!, req.query, { baseUrl: ctx.baseUrl })
    if (matches.length > 1) throw preconditionFailed(`Conditional delete criteria match more than one ${type}`)
    if (matches.length === 0) return deleted(`No ${type} matched; nothing deleted`)
    return deleteResource({ ...ctx, store: tx }, type!, matches[0].id, req.headers.ifMatch)
  })

export async function deleteResource(
  ctx: InteractionContext,
  type: string,
  id: string,
  ifMatch?: string,
): Promise<FhirResponse> {
  return ctx.store.transaction(async (tx) => {
    const current = await tx.readForUpdate(type, id)
    checkIfMatch(ifMatch, current)
    // Deleting what does not exist (any more) succeeds without a new version (http.html#delete).
    if (!current) return deleted(`${type}/${id} does not exist; nothing deleted`)
    if (current.deleted) return { ...deleted(`${type}/${id} was already deleted`), etag: etagOf(current.versionId) }
    const { versionId } = await nextVersion({ ...ctx, store: tx }, tx, current, null, 'DELETE')
    return { ...deleted(`Deleted ${type}/${id}`), etag: etagOf(versionId) }
  })
}

const deleted = (message: string): FhirResponse => ({
  status: 200,
  body: outcome([issue('informational', message, undefined, 'information')]),
})
