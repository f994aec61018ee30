// SQL that writes a version's search index rows in the same statement as the version itself.
// Each index table gets its rows from unnest() over one array parameter per column.
import type { SearchIndexRows } from './types.js'

interface IndexTable {
  table: string
  key: keyof SearchIndexRows
  /** value columns after (resource_type, id), in row order */
  columns: string[]
  casts: string[]
}

export const INDEX_TABLES: IndexTable[] = [
  { table: 'search_string', key: 'strings', columns: ['param', 'value', 'exact', 'tuple'], casts: ['text', 'text', 'text', 'smallint'] },
  {
    table: 'search_token',
    key: 'tokens',
    columns: ['param', 'system', 'code', 'text', 'tuple'],
    casts: ['text', 'text', 'text', 'text', 'smallint'],
  },
  { table: 'search_date', key: 'dates', columns: ['param', 'low', 'high', 'tuple'], casts: ['text', 'timestamptz', 'timestamptz', 'smallint'] },
  { table: 'search_number', key: 'numbers', columns: ['param', 'low', 'high', 'tuple'], casts: ['text', 'numeric', 'numeric', 'smallint'] },
  {
    table: 'search_quantity',
    key: 'quantities',
    columns: ['param', 'system', 'code', 'low', 'high', 'tuple'],
    casts: ['text', 'text', 'text', 'numeric', 'numeric', 'smallint'],
  },
  {
    table: 'search_reference',
    key: 'references',
    columns: ['param', 'target_type', 'target_id', 'url', 'tuple'],
    casts: ['text', 'text', 'text', 'text', 'smallint'],
  },
  { table: 'search_uri', key: 'uris', columns: ['param', 'value', 'tuple'], casts: ['text', 'text', 'smallint'] },
]

export const EMPTY_INDEX: SearchIndexRows = {
  strings: [], tokens: [], dates: [], numbers: [], quantities: [], references: [], uris: [],
}

/**
 * CTEs inserting the rows for (typeSql, idSql) from array parameters numbered from `first`,
 * and the parameter values (one array per column).
 */
export function insertIndexCtes(rows: SearchIndexRows, first: number, from: string) {
  const ctes: string[] = []
  const values: unknown[] = []
  let n = first
  for (const t of INDEX_TABLES) {
    const list = rows[t.key] as unknown[][]
    const arrays = t.columns.map((_c, i) => list.map((r) => r[i] ?? null))
    const args = t.casts.map((cast) => `$${n++}::${cast}[]`)
    values.push(...arrays)
    ctes.push(`ins_${t.table} AS (INSERT INTO ${t.table} (resource_type, id, ${t.columns.join(', ')})
      SELECT src.resource_type, src.id, u.* FROM ${from} src, unnest(${args.join(', ')}) u)`)
  }
  return { ctes, values }
}

/**
 * CTEs deleting every index row of the resource named by parameters $1 (type) and $2 (id);
 * with `onlyIf`, only when that SQL condition holds (e.g. another CTE wrote a row).
 */
export function deleteIndexCtes(onlyIf?: string): string[] {
  return INDEX_TABLES.map((t) => `del_${t.table} AS (DELETE FROM ${t.table} WHERE resource_type = $1 AND id = $2${onlyIf ? ` AND ${onlyIf}` : ''})`)
}
