// The SELECT statements behind search, count, _include and _revinclude.
import { currentColumns } from './rows.js'
import { conditionSql, keysetSql, leadJoinSql, sortKeySql, SqlParams } from './search-sql.js'
import type { IncludeQuery, SearchQuery } from './search-types.js'

function whereSql(q: SearchQuery, p: SqlParams): string {
  const parts = [
    q.types.length === 1 ? `r.resource_type = ${p.add(q.types[0])}` : `r.resource_type = ANY(${p.add(q.types, 'text[]')})`,
    'NOT r.deleted',
  ]
  for (const c of q.conditions) parts.push(conditionSql(c, 'r.resource_type', 'r.id', p, 'r'))
  return parts.join('\n  AND ')
}

/**
 * Searches sorted by an index parameter run in two phases: resources with a value for the
 * leading sort key ('valued'), then those without one ('missing', which sort last). Others
 * run in one ('all').
 */
export type SearchPhase = 'all' | 'valued' | 'missing'

export function leadsWithIndexKey(q: SearchQuery): boolean {
  const lead = q.sort[0]
  return lead !== undefined && lead.table !== 'id' && lead.table !== 'type' && lead.table !== 'lastUpdated'
}

/**
 * One page in sort order (the resource id breaks ties), one row more than asked for. Walking
 * backwards returns rows in reverse order. Without a cursor, backwards starts at the end.
 */
export function searchSql(q: SearchQuery, phase: SearchPhase, backwards: boolean) {
  const p = new SqlParams()
  // resource type then id break ties, so the order is total even across types (system search)
  const sorts = [...q.sort, { table: 'type' as const, descending: false }, { table: 'id' as const, descending: false }]
  let from = 'resource r'
  const extraWhere: string[] = []
  const keys: { expr: string; cast: string; descending: boolean }[] = []
  sorts.forEach((k, i) => {
    if (i === 0 && phase !== 'all') {
      const lead = leadJoinSql(k, p)
      if (phase === 'valued') {
        from += ` ${lead.join}`
        keys.push({ expr: lead.expr, cast: lead.cast, descending: k.descending })
      } else extraWhere.push(lead.absent)
      return
    }
    const { expr, cast } = sortKeySql(k, p)
    if (k.table === 'id' || k.table === 'type' || k.table === 'lastUpdated') keys.push({ expr, cast, descending: k.descending })
    else {
      // computed once per row, in a LATERAL subquery
      from += ` CROSS JOIN LATERAL (SELECT ${expr} AS v) s${i}`
      keys.push({ expr: `s${i}.v`, cast, descending: k.descending })
    }
  })
  const where = [whereSql(q, p), ...extraWhere]
  if (q.cursor) {
    // in the missing phase the cursor's leading value is null and not compared
    const values = phase === 'missing' ? q.cursor.values.slice(1) : q.cursor.values
    where.push(keysetSql(keys, { values, backwards }, p))
  }
  const order = keys.map((k) => `${k.expr} ${k.descending !== backwards ? 'DESC' : 'ASC'}`).join(', ')
  // The page is chosen on keys alone; bodies are turned into text only for its rows.
  const offset = phase === 'missing' ? 1 : 0
  const pageOrder = keys.map((k, i) => `page.k${i + offset} ${k.descending !== backwards ? 'DESC' : 'ASC'}`).join(', ')
  const keyColumns = keys.map((k, i) => `${k.expr} AS k${i + offset}`)
  const outColumns = keys.map((_k, i) => `page.k${i + offset}::text AS k${i + offset}`)
  if (phase === 'missing') outColumns.unshift('NULL::text AS k0')
  const text = `SELECT ${currentColumns('x')}, ${outColumns.join(', ')}
FROM (SELECT r.resource_type AS page_type, r.id AS page_id, ${keyColumns.join(', ')}
  FROM ${from}
  WHERE ${where.join('\n  AND ')}
  ORDER BY ${order}
  LIMIT ${Math.trunc(q.count) + 1}) page
JOIN resource x ON x.resource_type = page.page_type AND x.id = page.page_id
ORDER BY ${pageOrder}`
  return { text, values: p.values, keyCount: sorts.length }
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
