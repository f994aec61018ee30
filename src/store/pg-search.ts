// The SELECT statements behind search, count, _include and _revinclude.
import { currentColumns } from './rows.js'
import { conditionSql, indexRowsSql, keysetSql, leadJoinSql, sortKeySql, SqlParams } from './search-sql.js'
import type { Condition, IncludeQuery, SearchQuery, SortKey } from './search-types.js'

function typeWhere(q: SearchQuery, p: SqlParams) {
  const types = q.types.length === 1 ? p.add(q.types[0]) : `ANY(${p.add(q.types, 'text[]')})`
  return (column: string) => `${column} = ${types}`
}

/**
 * The resources a search reads, as `FROM` text naming them r (with r.resource_type and r.id)
 * and the conditions left for its WHERE. When every match is read anyway (a count, a first page
 * with its total) and a plain value condition narrows the search (Patient?family=…,
 * Task?owner=…), r is read from the index rows that meet it, grouped per resource: index rows
 * exist only for current, undeleted versions, and this spares a resource lookup per match
 * (about half of the database's time for a page of 100 out of 761). The other conditions stay
 * EXISTS tests the planner may still start from. Otherwise r is the resource table, which a
 * page may walk in order and leave at the page size.
 */
function matchingSql(q: SearchQuery, p: SqlParams, useIndexRows: boolean): { from: string; where: string[] } {
  const type = typeWhere(q, p)
  const driver = useIndexRows ? indexDriver(q) : undefined
  const rows = driver && indexRowsSql(driver, type, p)
  if (rows) {
    const others = q.conditions.filter((c) => c !== driver).map((c) => conditionSql(c, 'd.resource_type', 'd.id', p))
    return { from: `(SELECT d.resource_type, d.id FROM ${[rows, ...others].join('\n  AND ')}\n  GROUP BY d.resource_type, d.id) r`, where: [] }
  }
  const where = [type('r.resource_type'), 'NOT r.deleted', ...q.conditions.map((c) => conditionSql(c, 'r.resource_type', 'r.id', p, 'r'))]
  return { from: 'resource r', where }
}

/** Rough selectivity, most selective first: a reference names one target, a token one code. */
const DRIVER_ORDER: Condition['kind'][] = ['reference', 'token', 'string', 'uri', 'date', 'quantity', 'number', 'tokenText']

/** The condition whose index rows a search is read from, if any (see matchingSql). */
function indexDriver(q: SearchQuery): Condition | undefined {
  // _id is a primary-key lookup; _lastUpdated sorts on the resource row
  if (q.conditions.some((c) => c.kind === 'id') || q.sort.some((k) => k.table === 'lastUpdated')) return undefined
  let best: Condition | undefined
  for (const c of q.conditions) {
    const rank = DRIVER_ORDER.indexOf(c.kind)
    if (rank < 0 || (c.kind === 'token' && c.not)) continue
    if (!best || rank < DRIVER_ORDER.indexOf(best.kind)) best = c
  }
  return best
}

/**
 * Searches sorted by an index parameter have two parts: resources with a value for the leading
 * sort key ('valued'), then those without one ('missing', which sort last). Others have one
 * part ('all').
 */
export type SearchPhase = 'all' | 'valued' | 'missing'

export function leadsWithIndexKey(q: SearchQuery): boolean {
  const lead = q.sort[0]
  return lead !== undefined && lead.table !== 'id' && lead.table !== 'type' && lead.table !== 'lastUpdated' && lead.table !== 'distance'
}

/** One part of a page: a phase, and whether the request's cursor applies to it. */
export interface PagePart {
  phase: SearchPhase
  useCursor: boolean
}

/**
 * Which parts a page draws from. Resources without the leading sort value come after all the
 * others (search.html#sort), so walking forward goes valued → missing, backward the reverse.
 */
export function pageParts(q: SearchQuery): PagePart[] {
  if (!leadsWithIndexKey(q) || matchesFew(q)) return [{ phase: 'all', useCursor: true }]
  const inMissing = q.cursor !== undefined && q.cursor.values[0] === null
  if (!q.cursor?.backwards) {
    return inMissing
      ? [{ phase: 'missing', useCursor: true }]
      : [{ phase: 'valued', useCursor: true }, { phase: 'missing', useCursor: false }]
  }
  return inMissing
    ? [{ phase: 'missing', useCursor: true }, { phase: 'valued', useCursor: false }]
    : [{ phase: 'valued', useCursor: true }]
}

/**
 * A search narrowed by a reference (Task?owner=…, Observation?subject=…) or by _id finds few
 * resources: sorting them, missing sort values last, beats walking the sort index in order,
 * and one part instead of two halves PostgreSQL's planning (2–4 ms of a work-list query).
 */
function matchesFew(q: SearchQuery): boolean {
  return q.conditions.some((c) => c.kind === 'id' || c.kind === 'reference')
}

/**
 * One page in sort order (type then id break ties), one row more than asked for, from one or
 * two parts in the order given (one statement). Walking backwards returns rows in reverse
 * order; without a cursor, backwards starts at the end.
 */
export function searchSql(q: SearchQuery, parts: PagePart[], backwards: boolean, withTotal = false) {
  const p = new SqlParams()
  const sorts = [...q.sort, { table: 'type' as const, descending: false }, { table: 'id' as const, descending: false }]
  const dir = (descending: boolean) => (descending !== backwards ? 'DESC' : 'ASC')
  const pages = parts.map((part, n) => pageSql(q, sorts, part, backwards, p, n, withTotal))
  const outer = sorts.map((k, i) => `page.k${i} ${dir(k.descending)}`)
  // Each part counts all its matches (a window over the rows before its LIMIT) when asked to.
  const total = withTotal ? `, (SELECT sum(t.n) FROM (SELECT DISTINCT part, part_total AS n FROM pages) t)::int AS total` : ''
  const text = `WITH pages AS (${pages.join('\nUNION ALL\n')})
SELECT ${currentColumns('x')}, ${sorts.map((_k, i) => `page.k${i}::text AS k${i}`).join(', ')}${total}
FROM pages page
JOIN resource x ON x.resource_type = page.page_type AND x.id = page.page_id AND NOT x.deleted
ORDER BY page.part, ${outer.join(', ')}
LIMIT ${Math.trunc(q.count) + 1}`
  return { text, values: p.values, keyCount: sorts.length }
}

/** The keys of one part's rows: page_type, page_id, part, k0..kn (k0 null in the missing phase). */
function pageSql(q: SearchQuery, sorts: SortKey[], part: PagePart, backwards: boolean, p: SqlParams, n: number, withTotal: boolean): string {
  // read from index rows only when every match is read anyway (counted): without a total,
  // walking the resources in order may stop at the page, which a broad condition needs
  const matching = matchingSql(q, p, part.phase === 'all' && withTotal)
  let from = matching.from
  const extraWhere: string[] = []
  const keys: { expr: string; cast: string; descending: boolean }[] = []
  sorts.forEach((k, i) => {
    if (i === 0 && part.phase !== 'all') {
      const lead = leadJoinSql(k, p)
      if (part.phase === 'valued') {
        from += ` ${lead.join}`
        keys.push({ expr: lead.expr, cast: lead.cast, descending: k.descending })
      } else {
        extraWhere.push(lead.absent)
        keys.push({ expr: `NULL::${lead.cast}`, cast: lead.cast, descending: k.descending })
      }
      return
    }
    const { expr, cast } = sortKeySql(k, p)
    if (k.table === 'id' || k.table === 'type' || k.table === 'lastUpdated') keys.push({ expr, cast, descending: k.descending })
    else {
      // computed once per row, in a LATERAL subquery
      from += ` CROSS JOIN LATERAL (SELECT ${expr} AS v) s${n}_${i}`
      keys.push({ expr: `s${n}_${i}.v`, cast, descending: k.descending })
    }
  })
  const where = [...matching.where, ...extraWhere]
  if (part.useCursor && q.cursor) {
    // in the missing phase the leading value is null for every row and not compared
    const compared = part.phase === 'missing' ? keys.slice(1) : keys
    const values = part.phase === 'missing' ? q.cursor.values.slice(1) : q.cursor.values
    where.push(keysetSql(compared, { values, backwards }, p))
  }
  const ordered = (part.phase === 'missing' ? keys.slice(1) : keys).map((k) => `${k.expr} ${k.descending !== backwards ? 'DESC' : 'ASC'}`)
  const count = withTotal ? ', count(*) OVER () AS part_total' : ''
  return `(SELECT r.resource_type AS page_type, r.id AS page_id, ${n} AS part${count}, ${keys.map((k, i) => `${k.expr} AS k${i}`).join(', ')}
  FROM ${from}
  WHERE ${where.join('\n  AND ') || 'true'}
  ORDER BY ${ordered.join(', ')}
  LIMIT ${Math.trunc(q.count) + 1})`
}

export function countSql(q: SearchQuery) {
  const p = new SqlParams()
  const { from, where } = matchingSql(q, p, true)
  return { text: `SELECT count(*)::int AS n FROM ${from} WHERE ${where.join('\n  AND ') || 'true'}`, values: p.values }
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
