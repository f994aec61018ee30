// Search conditions → parameterised SQL over the index tables. Every value is a bind
// parameter; only table and column names chosen here appear in the text.
import type { Condition, Cursor, IndexTable, RangeValue, SortKey } from './search-types.js'

export class SqlParams {
  readonly values: unknown[] = []
  private aliasCount = 0
  add(value: unknown, cast?: string): string {
    this.values.push(value)
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`
  }
  alias(prefix: string): string {
    return `${prefix}${++this.aliasCount}`
  }
}

const TABLE: Record<IndexTable, string> = {
  string: 'search_string',
  token: 'search_token',
  date: 'search_date',
  number: 'search_number',
  quantity: 'search_quantity',
  reference: 'search_reference',
  uri: 'search_uri',
}

/** The least string greater than every string starting with `prefix` ('smith' → 'smiti'). */
function prefixSuccessor(prefix: string): string | undefined {
  const points = [...prefix]
  while (points.length) {
    const last = points.pop()!.codePointAt(0)!
    // skip the surrogate range, which no string value holds
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1
    if (next <= 0x10ffff) return points.join('') + String.fromCodePoint(next)
  }
  return undefined
}

/** LIKE pattern text with its wildcards escaped (the default escape character is \). */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c)

/**
 * SQL true when the resource (typeSql, idSql) meets `c`. `row` names the resource table alias
 * when the caller has one (for _lastUpdated).
 */
export function conditionSql(c: Condition, typeSql: string, idSql: string, p: SqlParams, row?: string): string {
  switch (c.kind) {
    case 'id':
      return `${idSql} = ANY(${p.add(c.ids, 'text[]')})`
    case 'type':
      return `${typeSql} = ANY(${p.add(c.types, 'text[]')})`
    case 'lastUpdated': {
      const col = row ? `${row}.last_updated` : undefined
      // meta.lastUpdated is written to the millisecond, so it stands for [t, t + 1 ms), as a
      // date index row stands for the range its precision implies (search.html#date)
      const at = col ?? 'lu.last_updated'
      const ors = c.values.map((v) => rangeSql(v, at, `(${at} + interval '1 millisecond')`, p, 'timestamptz', true))
      if (col) return `(${ors.join(' OR ')})`
      return `EXISTS (SELECT 1 FROM resource lu WHERE lu.resource_type = ${typeSql} AND lu.id = ${idSql} AND (${ors.join(' OR ')}))`
    }
    case 'missing': {
      const x = p.alias('m')
      const exists = `EXISTS (SELECT 1 FROM ${TABLE[c.table]} ${x} WHERE ${x}.resource_type = ${typeSql} AND ${x}.id = ${idSql} AND ${x}.param = ${p.add(c.param)})`
      return c.missing ? `NOT ${exists}` : exists
    }
    case 'chain': {
      const x = p.alias('c')
      const ors = c.targets.map(({ type, condition }) => {
        const t = p.add(type)
        return `(${x}.target_type = ${t} AND ${conditionSql(condition, t, `${x}.target_id`, p)})`
      })
      return `EXISTS (SELECT 1 FROM search_reference ${x} WHERE ${x}.resource_type = ${typeSql} AND ${x}.id = ${idSql}
        AND ${x}.param = ${p.add(c.param)} AND (${ors.join(' OR ')}))`
    }
    case 'has': {
      const x = p.alias('h')
      const source = p.add(c.sourceType)
      return `EXISTS (SELECT 1 FROM search_reference ${x} WHERE ${x}.target_id = ${idSql} AND ${x}.target_type = ${typeSql}
        AND ${x}.resource_type = ${source} AND ${x}.param = ${p.add(c.param)}
        AND ${conditionSql(c.condition, source, `${x}.id`, p)})`
    }
    case 'text': {
      // search.html#text: PostgreSQL full text ('simple': lower-cased words, no stemming), with
      // web-search syntax ("a phrase", or, -word). Computed per resource: there is no text index.
      const body = row ? `${row}.content` : 'tx.content'
      const document =
        c.scope === 'content'
          ? `to_tsvector('simple', ${body})`
          : `to_tsvector('simple', regexp_replace(coalesce(${body} -> 'text' ->> 'div', ''), '<[^>]*>', ' ', 'g'))`
      const match = `${document} @@ websearch_to_tsquery('simple', ${p.add(c.query)})`
      if (row) return match
      return `EXISTS (SELECT 1 FROM resource tx WHERE tx.resource_type = ${typeSql} AND tx.id = ${idSql} AND ${match})`
    }
    case 'near':
      return `(${c.points.map((point) => nearSql(point, typeSql, idSql, p)).join(' OR ')})`
    case 'or':
      return `(${c.conditions.map((inner) => conditionSql(inner, typeSql, idSql, p, row)).join(' OR ')})`
    case 'and':
      return `(${c.conditions.map((inner) => conditionSql(inner, typeSql, idSql, p, row)).join(' AND ')})`
    case 'not':
      return `NOT (${conditionSql(c.condition, typeSql, idSql, p, row)})`
    case 'tokenIn':
      throw new Error('token :in conditions are expanded before they reach the store')
    case 'composite':
      return `(${c.values.map((components) => compositeSql(components, typeSql, idSql, p)).join(' OR ')})`
    default: {
      const { table, match, negate } = valueMatch(c, p)
      const x = p.alias('v')
      const exists = `EXISTS (SELECT 1 FROM ${TABLE[table]} ${x} WHERE ${x}.resource_type = ${typeSql} AND ${x}.id = ${idSql}
        AND ${x}.param = ${p.add(c.param)} AND (${match.replaceAll('x.', `${x}.`)}))`
      return negate ? `NOT ${exists}` : exists
    }
  }
}

/**
 * The index rows that meet `c`, under alias d, when `c` is a plain value condition a search can
 * be read from (search_token d WHERE d.param = … AND d.code = …); undefined for any other kind
 * and for :not, whose resources are those without such rows. `typeWhere` restricts
 * d.resource_type. A resource may have several such rows.
 */
export function indexRowsSql(c: Condition, typeWhere: (column: string) => string, p: SqlParams): string | undefined {
  if (!VALUE_KINDS.has(c.kind) || (c.kind === 'token' && c.not)) return undefined
  const value = c as ValueCondition
  const { table, match } = valueMatch(value, p)
  return `${TABLE[table]} d WHERE ${typeWhere('d.resource_type')} AND d.param = ${p.add(value.param)} AND (${match.replaceAll('x.', 'd.')})`
}

const VALUE_KINDS = new Set<Condition['kind']>(['string', 'token', 'tokenText', 'date', 'number', 'quantity', 'reference', 'uri'])

type ValueCondition = Exclude<Condition, { kind: 'id' | 'type' | 'lastUpdated' | 'missing' | 'chain' | 'has' | 'text' | 'near' | 'or' | 'and' | 'not' | 'tokenIn' | 'composite' }>

/** Component rows of one element (same tuple) that each meet their component's condition. */
function compositeSql(components: Condition[], typeSql: string, idSql: string, p: SqlParams): string {
  const from: string[] = []
  const where: string[] = []
  let first = ''
  for (const component of components) {
    const { table, match } = valueMatch(component as ValueCondition, p)
    const x = p.alias('k')
    from.push(`${TABLE[table]} ${x}`)
    if (!first) {
      first = x
      where.push(`${x}.resource_type = ${typeSql}`, `${x}.id = ${idSql}`)
    } else where.push(`${x}.resource_type = ${first}.resource_type`, `${x}.id = ${first}.id`, `${x}.tuple = ${first}.tuple`)
    where.push(`${x}.param = ${p.add((component as ValueCondition).param)}`, `(${match.replaceAll('x.', `${x}.`)})`)
  }
  return `EXISTS (SELECT 1 FROM ${from.join(', ')} WHERE ${where.join(' AND ')})`
}

/** The row predicate (over alias `x.`) for a value condition. */
function valueMatch(c: ValueCondition, p: SqlParams): { table: IndexTable; match: string; negate?: boolean } {
  switch (c.kind) {
    case 'string': {
      const ors = c.values.map((v) => {
        if (c.mode === 'exact') return `x.exact = ${p.add(v)}`
        if (c.mode === 'contains') return `x.value LIKE ${p.add('%' + likeEscape(v) + '%')}`
        if (c.mode === 'equal') return `x.value = ${p.add(v)}`
        if (c.mode === 'end') return `x.value LIKE ${p.add('%' + likeEscape(v))}`
        // starts-with as a range in the index's own (byte-wise) order: unlike LIKE, a prepared,
        // generic plan can still use the index for it
        const next = prefixSuccessor(v)
        return next === undefined
          ? `x.value ~>=~ ${p.add(v)}`
          : `(x.value ~>=~ ${p.add(v)} AND x.value ~<~ ${p.add(next)})`
      })
      return { table: 'string', match: ors.join(' OR ') }
    }
    case 'token': {
      const ors = c.values.map((t) => {
        const parts: string[] = []
        if (t.system === null) parts.push('x.system IS NULL')
        else if (t.system !== undefined) parts.push(`x.system = ${p.add(t.system)}`)
        if (t.code !== undefined) parts.push(`x.code = ${p.add(t.code)}`)
        return `(${parts.join(' AND ') || 'true'})`
      })
      return { table: 'token', match: ors.join(' OR '), negate: c.not }
    }
    case 'tokenText':
      return { table: 'token', match: c.values.map((v) => `x.text LIKE ${p.add('%' + likeEscape(v) + '%')}`).join(' OR ') }
    case 'date':
      return { table: 'date', match: c.values.map((v) => rangeSql(v, 'x.low', 'x.high', p, 'timestamptz', true)).join(' OR ') }
    case 'number':
      return { table: 'number', match: c.values.map((v) => rangeSql(v, 'x.low', 'x.high', p, 'numeric', false)).join(' OR ') }
    case 'quantity': {
      const ors = c.values.map((v) => {
        const parts = [rangeSql(v, 'x.low', 'x.high', p, 'numeric', false)]
        if (v.system) parts.push(`x.system = ${p.add(v.system)}`)
        if (v.code) parts.push(`x.code = ${p.add(v.code)}`)
        return `(${parts.join(' AND ')})`
      })
      return { table: 'quantity', match: ors.join(' OR ') }
    }
    case 'reference': {
      const ors = c.values.map((r) => {
        if (r.url !== undefined) return `x.url = ${p.add(r.url)}`
        const parts = [`x.target_id = ${p.add(r.id)}`]
        if (r.type) parts.push(`x.target_type = ${p.add(r.type)}`)
        return `(${parts.join(' AND ')})`
      })
      return { table: 'reference', match: ors.join(' OR ') }
    }
    case 'uri': {
      const ors = c.values.map((v) => {
        if (c.mode === 'below') return `x.value LIKE ${p.add(likeEscape(v) + '%')}`
        if (c.mode === 'above') return `${p.add(v)} LIKE replace(replace(replace(x.value, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`
        return `x.value = ${p.add(v)}`
      })
      return { table: 'uri', match: ors.join(' OR ') }
    }
  }
}

const EARTH_KM = 6371.0088
const KM_PER_DEGREE = (Math.PI * EARTH_KM) / 180

/**
 * A stored position (number rows near$latitude / near$longitude) within km of the point: a
 * bounding box the latitude index can use, then the great-circle (haversine) distance.
 */
/** Kilometres from a Location's position (index rows near$latitude/near$longitude) to the nearest point; Infinity without one. */
function distanceSql(points: { latitude: number; longitude: number }[], p: SqlParams): string {
  const each = points.map((point) => greatCircleKm('la.low', 'lo.low', p.add(point.latitude, 'float8'), p.add(point.longitude, 'float8')))
  return `coalesce((SELECT least(${each.join(', ')}) FROM search_number la JOIN search_number lo ON lo.resource_type = la.resource_type
    AND lo.id = la.id AND lo.param = 'near$longitude'
    WHERE la.resource_type = r.resource_type AND la.id = r.id AND la.param = 'near$latitude' LIMIT 1), 'Infinity'::float8)`
}

/** Haversine distance on a spherical earth between (lat, long) columns and a point. */
function greatCircleKm(latColumn: string, longColumn: string, lat: string, long: string): string {
  return `2 * ${EARTH_KM} * asin(least(1, sqrt(
      power(sin(radians(${latColumn}::float8 - ${lat}) / 2), 2)
      + cos(radians(${lat})) * cos(radians(${latColumn}::float8)) * power(sin(radians(${longColumn}::float8 - ${long}) / 2), 2))))`
}

function nearSql(point: { latitude: number; longitude: number; km: number }, typeSql: string, idSql: string, p: SqlParams): string {
  const a = p.alias('la')
  const b = p.alias('lo')
  const dLat = point.km / KM_PER_DEGREE
  const cos = Math.cos((point.latitude * Math.PI) / 180)
  // near the poles (or for huge distances) every longitude may be in range
  const dLong = cos * KM_PER_DEGREE > 0 && point.km / (cos * KM_PER_DEGREE) < 180 ? point.km / (cos * KM_PER_DEGREE) : 360
  const lat = p.add(point.latitude, 'float8')
  const long = p.add(point.longitude, 'float8')
  const longBox =
    dLong >= 180 ? 'true' : `${b}.low BETWEEN ${p.add(point.longitude - dLong, 'numeric')} AND ${p.add(point.longitude + dLong, 'numeric')}`
  return `EXISTS (SELECT 1 FROM search_number ${a} JOIN search_number ${b} ON ${b}.resource_type = ${a}.resource_type AND ${b}.id = ${a}.id
    AND ${b}.param = 'near$longitude'
    WHERE ${a}.resource_type = ${typeSql} AND ${a}.id = ${idSql} AND ${a}.param = 'near$latitude'
    AND ${a}.low BETWEEN ${p.add(point.latitude - dLat, 'numeric')} AND ${p.add(point.latitude + dLat, 'numeric')} AND ${longBox}
    AND ${greatCircleKm(`${a}.low`, `${b}.low`, lat, long)} <= ${p.add(point.km, 'float8')})`
}

/**
 * Prefix semantics of search.html#prefix. Dates compare ranges: the target [low, high) against
 * the search value's range. Numbers compare the target against the search value's precision
 * range for eq/ne/ap and against the exact value for the ordering prefixes.
 */
function rangeSql(v: RangeValue, low: string, high: string, p: SqlParams, cast: string, isDate: boolean): string {
  if (!isDate && v.prefix !== 'eq' && v.prefix !== 'ne' && v.prefix !== 'ap') {
    const e = p.add(v.exact ?? v.low, cast)
    switch (v.prefix) {
      case 'gt': return `${high} > ${e}`
      case 'lt': return `${low} < ${e}`
      case 'ge': return `${high} >= ${e}`
      case 'le': return `${low} <= ${e}`
      case 'sa': return `${low} > ${e}`
      case 'eb': return `${high} < ${e}`
    }
  }
  // Bind only what the SQL uses: an unused parameter has no type and PostgreSQL rejects it.
  let sl: string | undefined
  let sh: string | undefined
  const searchLow = () => (sl ??= p.add(v.low, cast))
  const searchHigh = () => (sh ??= p.add(v.high, cast))
  const contained = () =>
    isDate
      ? `(${low} >= ${searchLow()} AND ${high} <= ${searchHigh()})`
      : `(${low} >= ${searchLow()} AND ${high} < ${searchHigh()})`
  switch (v.prefix) {
    case 'eq': return contained()
    case 'ne': return `NOT ${contained()}`
    case 'gt': return `${high} > ${searchHigh()}`
    case 'lt': return `${low} < ${searchLow()}`
    case 'ge': return `(${high} > ${searchHigh()} OR ${contained()})`
    case 'le': return `(${low} < ${searchLow()} OR ${contained()})`
    case 'sa': return `${low} >= ${searchHigh()}`
    case 'eb': return `${high} <= ${searchLow()}`
    case 'ap': return `(${low} < ${searchHigh()} AND ${high} > ${searchLow()})` // the range is already widened
  }
  return 'false'
}

interface SortColumn {
  table: string
  /** the key's value on index row alias a */
  column: (a: string) => string
  cast: string
  /** stands in for "no value" so such resources sort last either way */
  missing: string
}

/** Where a sort key's values live, and how they compare (search.html#sort). */
export function sortColumn(k: SortKey): SortColumn {
  const last = (high: string, low: string) => (k.descending ? low : high)
  switch (k.table) {
    case 'string':
      return { table: TABLE.string, column: (a) => `${a}.value`, cast: 'text', missing: last('chr(1114111)', "''") }
    case 'token':
      return { table: TABLE.token, column: (a) => `${a}.code`, cast: 'text', missing: last('chr(1114111)', "''") }
    case 'uri':
      return { table: TABLE.uri, column: (a) => `${a}.value`, cast: 'text', missing: last('chr(1114111)', "''") }
    case 'reference':
      return {
        table: TABLE.reference,
        column: (a) => `coalesce(${a}.target_type || '/' || ${a}.target_id, ${a}.url)`,
        cast: 'text',
        missing: last('chr(1114111)', "''"),
      }
    case 'date':
      return {
        table: TABLE.date,
        column: (a) => (k.descending ? `${a}.high` : `${a}.low`),
        cast: 'timestamptz',
        missing: last("'infinity'::timestamptz", "'-infinity'::timestamptz"),
      }
    default:
      return {
        table: TABLE[k.table as 'number' | 'quantity'],
        column: (a) => (k.descending ? `${a}.high` : `${a}.low`),
        cast: 'numeric',
        missing: last("'Infinity'::numeric", "'-Infinity'::numeric"),
      }
  }
}

/** A secondary sort key as a scalar over resource alias r (its lowest value ascending, highest descending). */
export function sortKeySql(k: SortKey, p: SqlParams): { expr: string; cast: string } {
  if (k.table === 'id') return { expr: 'r.id', cast: 'text' }
  if (k.table === 'type') return { expr: 'r.resource_type', cast: 'text' }
  if (k.table === 'lastUpdated') return { expr: 'r.last_updated', cast: 'timestamptz' }
  if (k.table === 'distance') return { expr: distanceSql(k.points!, p), cast: 'float8' }
  const c = sortColumn(k)
  const expr = `coalesce((SELECT ${k.descending ? 'max' : 'min'}(${c.column('s')}) FROM ${c.table} s
    WHERE s.resource_type = r.resource_type AND s.id = r.id AND s.param = ${p.add(k.param)}), ${c.missing})`
  return { expr, cast: c.cast }
}

/**
 * The leading sort key as a join to one index row per resource (its lowest value ascending,
 * highest descending), so PostgreSQL may walk the index in order and stop at the page size.
 */
export function leadJoinSql(k: SortKey, p: SqlParams): { join: string; expr: string; cast: string; absent: string } {
  const c = sortColumn(k)
  const param = p.add(k.param)
  const better = k.descending ? '>' : '<'
  const onlyRow = k.single
    ? ''
    : `
    AND NOT EXISTS (SELECT 1 FROM ${c.table} d WHERE d.resource_type = k0.resource_type AND d.id = k0.id
      AND d.param = k0.param AND ${c.column('d')} IS NOT NULL
      AND (${c.column('d')} ${better} ${c.column('k0')} OR (${c.column('d')} = ${c.column('k0')} AND d.ctid < k0.ctid)))`
  const join = `JOIN ${c.table} k0 ON k0.resource_type = r.resource_type AND k0.id = r.id AND k0.param = ${param}
    AND ${c.column('k0')} IS NOT NULL${onlyRow}`
  const absent = `NOT EXISTS (SELECT 1 FROM ${c.table} a WHERE a.resource_type = r.resource_type AND a.id = r.id
    AND a.param = ${param} AND ${c.column('a')} IS NOT NULL)`
  return { join, expr: c.column('k0'), cast: c.cast, absent }
}

/** Keyset condition: rows strictly after (or before, walking back) the cursor in sort order. */
export function keysetSql(keys: { expr: string; cast: string; descending: boolean }[], cursor: Cursor, p: SqlParams): string {
  const ors: string[] = []
  for (let i = 0; i < keys.length; i++) {
    const eqs = keys.slice(0, i).map((k, j) => `${k.expr} = ${p.add(cursor.values[j], k.cast)}`)
    const forward = keys[i].descending ? '<' : '>'
    const op = cursor.backwards ? (forward === '<' ? '>' : '<') : forward
    eqs.push(`${keys[i].expr} ${op} ${p.add(cursor.values[i], keys[i].cast)}`)
    ors.push(`(${eqs.join(' AND ')})`)
  }
  return `(${ors.join(' OR ')})`
}
