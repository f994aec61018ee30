// vread: GET [base]/[type]/[id]/_history/[vid] — http.html#vread
import { gone, notFound } from '../../errors.js'
import type { Handler } from '../types.js'
import { versionResponse } from '../versioning.js'

export const vread: Handler = async (_req, ctx, { type, id, versionId }) => {
  const version = await ctx.store.vread(type!, id!, versionId!)
  if (!version) {
    const current = await ctx.store.read(type!, id!)
    throw notFound(current ? `${type}/${id} has no version ${versionId}` : `${type}/${id} is not known`)
  }
  if (version.deleted) throw gone(`Version ${versionId} of ${type}/${id} is a deletion`)
  return versionResponse(200, version, ctx.baseUrl, version.json!)
}
