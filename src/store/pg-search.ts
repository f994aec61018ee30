// The SELECT statements behind search, count, _include and _revinclude.
import { currentColumns } from './rows.js'
import { conditionSql, keysetSql, sortKeySql, SqlParams } from './search-sql.js'
import type { IncludeQuery, SearchQuery } from './search-types.js'

function whereSql(q: SearchQuery, p: SqlParams): string {
  const parts = [`r.resource_type = ANY(${p.add(q.types, 'text[]')})`, 'NOT r.deleted']
  for (const c of q.conditions) parts.push(conditionSql(c, 'r.resource_type', 'r.id', p, 'r'))
  return parts.join('\n  AND ')
}

/** One page in sort order (the resource id breaks ties), one row more than asked for. */
export function searchSql(q: SearchQuery) {
  const p = new SqlParams()
  const sorts = [...q.sort, { table: 'id' as const, descending: false }]
  // Each index-table sort key is computed once per row, in a LATERAL subquery.
  const laterals: string[] = []
  const keys = sorts.map((k, i) => {
    const { expr, cast } = sortKeySql(k, p)
    if (k.table === 'id' || k.table === 'lastUpdated') return { expr, cast, descending: k.descending }
    laterals.push(`CROSS JOIN LATERAL (SELECT ${expr} AS v) s${i}`)
    return { expr: `s${i}.v`, cast, descending: k.descending }
  })
  let where = whereSql(q, p)
  if (q.cursor) where += `\n  AND ${keysetSql(keys, q.cursor, p)}`
  const backwards = q.cursor?.backwards ?? false
  const order = keys.map((k) => `${k.expr} ${k.descending !== backwards ? 'DESC' : 'ASC'}`).join(', ')
  const text = `SELECT ${currentColumns('r')}, ${keys.map((k, i) => `(${k.expr})::text AS k${i}`).join(', ')}
FROM resource r ${laterals.join(' ')}
WHERE ${where}
ORDER BY ${order}
LIMIT ${Math.trunc(q.count) + 1}`
  return { text, values: p.values, keyCount: keys.length }
}

export function countSql(q: SearchQuery) {
  const p = new SqlParams()
  return { text: `SELECT count(*)::int AS n FROM resource r WHERE ${whereSql(q, p)}`, values: p.values }
}

function fromKeys(q: IncludeQuery, p: SqlParams, typeCol: string, idCol: string) {
  return `(${typeCol}, ${idCol}) IN (SELECT * FROM unnest(${p.add(q.from.map((f) => f.resourceType), 'text[]')}, ${p.add(q.from.map((f) => f.id), 'text[]')}))`
}

/** _include: the resources the `from` resources refer to by `param`. */
export function includeSql(q: IncludeQuery) {
  const p = new SqlParams()
  const where = [fromKeys(q, p, 'x.resource_type', 'x.id'), 'NOT t.deleted']
  if (q.param) where.push(`x.param = ${p.add(q.param)}`)
  if (q.sourceType) where.push(`x.resource_type = ${p.add(q.sourceType)}`)
  if (q.targetType) where.push(`x.target_type = ${p.add(q.targetType)}`)
  const text = `SELECT DISTINCT ON (t.resource_type, t.id) ${currentColumns('t')}
FROM search_reference x JOIN resource t ON t.resource_type = x.target_type AND t.id = x.target_id
WHERE ${where.join(' AND ')}`
  return { text, values: p.values }
}

/** _revinclude: the resources of sourceType that refer to the `from` resources by `param`. */
export function revIncludeSql(q: IncludeQuery) {
  const p = new SqlParams()
  const where = [fromKeys(q, p, 'x.target_type', 'x.target_id'), 'NOT s.deleted']
  if (q.param) where.push(`x.param = ${p.add(q.param)}`)
  if (q.sourceType) where.push(`x.resource_type = ${p.add(q.sourceType)}`)
  const text = `SELECT DISTINCT ON (s.resource_type, s.id) ${currentColumns('s')}
FROM search_reference x JOIN resource s ON s.resource_type = x.resource_type AND s.id = x.id
WHERE ${where.join(' AND ')}`
  return { text, values: p.values }
}
