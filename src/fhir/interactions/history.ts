// history: GET [base]/_history, [base]/[type]/_history, [base]/[type]/[id]/_history — http.html#history
// (newest first; _count, _since, _at; deletions appear as entries with request.method DELETE).
import { notFound } from '../../errors.js'
import type { StoredVersion } from '../../store/types.js'
import { pageLinks, RawJson, statusLine } from '../bundle-json.js'
import { pageParams } from '../paging.js'
import type { Handler } from '../types.js'
import { etagOf } from '../versioning.js'
import { instantParameter } from '../search/date-range.js'

export const history: Handler = async (req, ctx, { type, id }) => {
  const { count, offset } = pageParams(req.query)
  const since = instantParameter(req.query._since?.[0], '_since')
  const at = instantParameter(req.query._at?.[0], '_at')
  if (id) {
    const current = await ctx.store.read(type!, id)
    if (!current) throw notFound(`${type}/${id} is not known`)
  }
  const { total, versions } = await ctx.store.history({ resourceType: type, id, since, at, count, offset })
  const path = [type, id, '_history'].filter(Boolean).join('/')
  return {
    status: 200,
    body: {
      resourceType: 'Bundle',
      type: 'history',
      total,
      link: pageLinks(ctx.baseUrl, path, req.query, offset, count, total),
      entry: versions.map((v) => historyEntry(v, ctx.baseUrl)),
    },
  }
}

function historyEntry(v: StoredVersion, baseUrl: string) {
  const first = v.versionId === '1' && v.method === 'POST'
  return {
    fullUrl: `${baseUrl}/${v.resourceType}/${v.id}`,
    ...(v.json ? { resource: new RawJson(v.json) } : {}),
    request: { method: v.method, url: first ? v.resourceType : `${v.resourceType}/${v.id}` },
    response: {
      status: statusLine(v.deleted ? 200 : v.versionId === '1' ? 201 : 200),
      etag: etagOf(v.versionId),
      lastModified: v.lastUpdated,
    },
  }
}
