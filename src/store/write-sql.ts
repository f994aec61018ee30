// The statements that write a version: the current row, its history row and its search index
// rows in one statement. Shared with the benchmark's baseline so both run the same SQL.
import { deleteIndexCtes, EMPTY_INDEX, INDEX_TABLES, insertIndexCtes } from './index-sql.js'
import type { NewVersion, SearchIndexRows } from './types.js'

/** $1 type, $2 id, $3 version, $4 lastUpdated, $5 body, $6 method, then the index arrays. */
export function insertVersionSql(index: SearchIndexRows) {
  const rows = insertIndexCtes(index, 7, 'current')
  const text = `WITH current AS (
               INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)
               VALUES ($1, $2, $3, $4, false, $5::json)
               ON CONFLICT DO NOTHING
               RETURNING resource_type, id, version_id, last_updated, content),
             history AS (
               INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
               SELECT resource_type, id, version_id, last_updated, $6, content FROM current RETURNING 1),
             ${rows.ctes.join(',\n')}
             SELECT count(*)::int AS n FROM history`
  return { text, indexValues: rows.values }
}

/**
 * Version 1 of many new resources in one statement (loading, transactions): $1..$6 are arrays
 * (type, id, version, lastUpdated, body, method), then per index table its columns as arrays
 * led by the row's position in the batch. Resources that already exist are skipped (ON CONFLICT)
 * and so are their index rows; the statement returns the ids it inserted.
 */
export function insertVersionsSql(versions: { index?: SearchIndexRows }[]) {
  const { ctes, values } = batchIndexCtes(versions, 7)
  const text = `WITH input AS (
               SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[], $6::text[])
                 WITH ORDINALITY AS x(resource_type, id, version_id, last_updated, content, method, position)),
             current AS (
               INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)
               SELECT resource_type, id, version_id, last_updated, false, content::json FROM input
               ON CONFLICT DO NOTHING
               RETURNING resource_type, id, version_id, last_updated, content),
             history AS (
               INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
               SELECT c.resource_type, c.id, c.version_id, c.last_updated, i.method, c.content
               FROM current c JOIN input i ON i.resource_type = c.resource_type AND i.id = c.id
               RETURNING resource_type, id)${ctes.map((c) => `,\n${c}`).join('')}
             SELECT resource_type, id FROM history`
  return { text, values }
}

/**
 * The next version of many resources in one statement (the writes a transaction held back,
 * write-behind.ts): one row each, and no resource twice. The parameters are arrays (type, id,
 * version, lastUpdated, deleted, body, method) and then the index arrays as insertVersionsSql's.
 * The old versions' index rows go and the new ones arrive in the same statement, as in
 * replaceVersionSql.
 */
export function replaceVersionsSql(versions: NewVersion[]) {
  const index = batchIndexCtes(versions.map((v) => (v.json === null ? {} : v)), 8)
  const text = `WITH input AS (
               SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::boolean[], $6::text[], $7::text[])
                 WITH ORDINALITY AS x(resource_type, id, version_id, last_updated, deleted, content, method, position)),
             current AS (
               UPDATE resource r SET version_id = i.version_id, last_updated = i.last_updated, deleted = i.deleted, content = i.content::json
               FROM input i WHERE r.resource_type = i.resource_type AND r.id = i.id
               RETURNING r.resource_type, r.id, r.version_id, r.last_updated, r.content),
             history AS (
               INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
               SELECT c.resource_type, c.id, c.version_id, c.last_updated, i.method, c.content
               FROM current c JOIN input i ON i.resource_type = c.resource_type AND i.id = c.id),
             ${INDEX_TABLES.map((t) => `del_${t.table} AS (DELETE FROM ${t.table} x USING input i WHERE x.resource_type = i.resource_type AND x.id = i.id)`).join(',\n')}${index.ctes.map((c) => `,\n${c}`).join('')}
             SELECT 1`
  const values = [
    versions.map((v) => v.resourceType),
    versions.map((v) => v.id),
    versions.map((v) => v.versionId),
    versions.map((v) => v.lastUpdated),
    versions.map((v) => v.json === null),
    versions.map((v) => v.json),
    versions.map((v) => v.method),
    ...index.values,
  ]
  return { text, values }
}

/**
 * Index rows of a batch: per index table that has rows, an INSERT from unnest() over one array
 * per column, led by the row's position in the batch and joined to the `current` rows written.
 */
function batchIndexCtes(versions: { index?: SearchIndexRows }[], first: number) {
  const values: unknown[] = []
  const ctes: string[] = []
  let n = first
  for (const t of INDEX_TABLES) {
    const owners: number[] = []
    const columns: unknown[][] = t.columns.map(() => [])
    versions.forEach((v, position) => {
      for (const row of (v.index?.[t.key] ?? []) as unknown[][]) {
        owners.push(position + 1)
        t.columns.forEach((_c, i) => columns[i].push(row[i] ?? null))
      }
    })
    if (owners.length === 0) continue
    const args = [`$${n++}::int[]`, ...t.casts.map((cast) => `$${n++}::${cast}[]`)]
    values.push(owners, ...columns)
    ctes.push(`ins_${t.table} AS (INSERT INTO ${t.table} (resource_type, id, ${t.columns.join(', ')})
      SELECT c.resource_type, c.id, ${t.columns.map((c) => `u.${c}`).join(', ')}
      FROM unnest(${args.join(', ')}) AS u(position, ${t.columns.join(', ')})
      JOIN input i ON i.position = u.position
      JOIN current c ON c.resource_type = i.resource_type AND c.id = i.id)`)
  }
  return { ctes, values }
}

/**
 * $1 type, $2 id, $3 version, $4 lastUpdated, $5 deleted, $6 body, $7 method, then the index
 * arrays. The old version's index rows go and the new version's arrive in the same statement
 * (all sub-statements see one snapshot, so the DELETEs cannot remove the rows being inserted).
 */
export function replaceVersionSql(index: SearchIndexRows) {
  const rows = insertIndexCtes(index, 8, 'current')
  const text = `WITH current AS (
               UPDATE resource SET version_id = $3, last_updated = $4, deleted = $5, content = $6::json
               WHERE resource_type = $1 AND id = $2
               RETURNING resource_type, id, version_id, last_updated, content),
             history AS (
               INSERT INTO resource_history (resource_type, id, version_id, last_updated, method, content)
               SELECT resource_type, id, version_id, last_updated, $7, content FROM current),
             ${deleteIndexCtes().join(',\n')},
             ${rows.ctes.join(',\n')}
             SELECT 1`
  return { text, indexValues: rows.values }
}

/**
 * $1 type, $2 id, $3 version, $4 body, then the index arrays: the body of the current version
 * rewritten in place, in the resource and its history row, with its index rows (no new version:
 * the $meta-add / $meta-delete case). Nothing is written unless $3 is still the current version.
 */
export function rewriteCurrentSql(index: SearchIndexRows) {
  const rows = insertIndexCtes(index, 5, 'current')
  const text = `WITH current AS (
               UPDATE resource SET content = $4::json
               WHERE resource_type = $1 AND id = $2 AND version_id = $3 AND NOT deleted
               RETURNING resource_type, id),
             history AS (
               UPDATE resource_history SET content = $4::json
               WHERE resource_type = $1 AND id = $2 AND version_id = $3 AND EXISTS (SELECT 1 FROM current)),
             ${deleteIndexCtes('EXISTS (SELECT 1 FROM current)').join(',\n')},
             ${rows.ctes.join(',\n')}
             SELECT count(*)::int AS n FROM current`
  return { text, indexValues: rows.values }
}

/** The named statement writing `v` over the current version (replaceVersionSql with its values). */
export function replaceVersionQuery(v: NewVersion) {
  const { text, indexValues } = replaceVersionSql(v.json === null ? EMPTY_INDEX : (v.index ?? EMPTY_INDEX))
  return { name: 'replace-resource', text, values: [v.resourceType, v.id, v.versionId, v.lastUpdated, v.json === null, v.json, v.method, ...indexValues] }
}
