// search-type: GET [base]/[type]?params and POST [base]/[type]/_search — http.html#search.
// The core server evaluates _id, identifier and _lastUpdated; other parameters are reported as
// not applied (a warning in the searchset, or 400 with Prefer: handling=strict — search.html#errors).
import { badRequest, issue, outcome } from '../../errors.js'
import { pageLinks, RawJson } from '../bundle-json.js'
import { pageParams } from '../paging.js'
import { parseCriteria } from '../search/criteria.js'
import type { Handler } from '../types.js'

export const search: Handler = async (req, ctx, { type }) => {
  const { count, offset } = pageParams(req.query)
  const { filters, unsupported } = parseCriteria(req.query)
  const strict = /handling\s*=\s*strict/.test(req.headers.prefer ?? '')
  if (unsupported.length && strict) {
    throw badRequest(`Unknown or unsupported search parameter(s) for ${type}: ${unsupported.join(', ')}`)
  }
  const [total, matches] = await Promise.all([
    ctx.store.count(type!, filters),
    count === 0 ? Promise.resolve([]) : ctx.store.find(type!, filters, count, offset),
  ])
  const applied = Object.fromEntries(Object.entries(req.query).filter(([k]) => !unsupported.includes(k)))
  const entry: object[] = matches.map((m) => ({
    fullUrl: `${ctx.baseUrl}/${m.resourceType}/${m.id}`,
    resource: new RawJson(m.json!),
    search: { mode: 'match' },
  }))
  if (unsupported.length) {
    entry.push({
      resource: outcome(
        unsupported.map((name) => issue('not-supported', `Search parameter "${name}" was not applied`, name, 'warning')),
      ),
      search: { mode: 'outcome' },
    })
  }
  return {
    status: 200,
    body: {
      resourceType: 'Bundle',
      type: 'searchset',
      total,
      link: pageLinks(ctx.baseUrl, type!, applied, offset, count, total),
      entry,
    },
  }
}
