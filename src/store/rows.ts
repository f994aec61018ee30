// Column lists and row mapping shared by the store's queries.
import type { StoredVersion } from './types.js'

/** Body text as written (a json column keeps the text: resourceType first, nothing re-rendered). */
export function bodySql(alias = ''): string {
  return `${alias ? `${alias}.` : ''}content::text`
}

/** The current-version columns toVersion reads, optionally qualified by a table alias. */
export function currentColumns(alias = ''): string {
  const a = alias ? `${alias}.` : ''
  return `${a}resource_type, ${a}id, ${a}version_id::text AS version_id, ${a}last_updated, ${a}deleted,
  CASE WHEN ${a}deleted THEN 'DELETE' ELSE 'PUT' END AS method, ${bodySql(alias)} AS json`
}

export const toVersion = (row: any): StoredVersion => ({
  resourceType: row.resource_type,
  id: row.id,
  versionId: row.version_id,
  lastUpdated: (row.last_updated as Date).toISOString(),
  deleted: row.deleted,
  method: row.method,
  json: row.json,
})
