// The statements that write a version: the current row, its history row and its search index
// rows in one statement. Shared with the benchmark's baseline so both run the same SQL.
import { deleteIndexCtes, insertIndexCtes } from './index-sql.js'
import type { SearchIndexRows } from './types.js'

/** $1 type, $2 id, $3 version, $4 lastUpdated, $5 body, $6 method, then the index arrays. */
export function insertVersionSql(index: SearchIndexRows) {
  const rows = insertIndexCtes(index, 7, 'current')
  const text = `WITH current AS (
               INSERT INTO resource (resource_type, id, version_id, last_updated, deleted, content)
               VALUES ($1, $2, $3, $4, false, $5::jsonb)
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
 * $1 type, $2 id, $3 version, $4 lastUpdated, $5 deleted, $6 body, $7 method, then the index
 * arrays. The old version's index rows go and the new version's arrive in the same statement
 * (all sub-statements see one snapshot, so the DELETEs cannot remove the rows being inserted).
 */
export function replaceVersionSql(index: SearchIndexRows) {
  const rows = insertIndexCtes(index, 8, 'current')
  const text = `WITH current AS (
               UPDATE resource SET version_id = $3, last_updated = $4, deleted = $5, content = $6::jsonb
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
