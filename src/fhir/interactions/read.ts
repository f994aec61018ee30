// read: GET [base]/[type]/[id] — http.html#read (410 for deleted, 404 for unknown; conditional read via If-None-Match / If-Modified-Since).
import { gone, notFound } from '../../errors.js'
import type { Handler } from '../types.js'
import { etagOf, noneMatchHits, versionResponse } from '../versioning.js'

export const read: Handler = async (req, ctx, { type, id }) => {
  const current = await ctx.store.read(type!, id!)
  if (!current) throw notFound(`${type}/${id} is not known`)
  if (current.deleted) throw gone(`${type}/${id} was deleted (version ${current.versionId})`)
  const { ifNoneMatch, ifModifiedSince } = req.headers
  if (ifNoneMatch && noneMatchHits(ifNoneMatch, current.versionId)) {
    return { status: 304, etag: etagOf(current.versionId) }
  }
  if (ifModifiedSince && !ifNoneMatch) {
    const since = Date.parse(ifModifiedSince)
    // HTTP dates have whole seconds; lastUpdated has milliseconds.
    if (!Number.isNaN(since) && Math.floor(Date.parse(current.lastUpdated) / 1000) * 1000 <= since) {
      return { status: 304, etag: etagOf(current.versionId) }
    }
  }
  return versionResponse(200, current, ctx.baseUrl, current.json!)
}
