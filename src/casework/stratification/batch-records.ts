// A batch of patients' records as the rules take them: one collection Bundle per patient
// (Patient first), holding only the resource types the library retrieves, and Encounters only
// those whose period reaches a little before the 12-month lookback (the library applies the
// exact bound to period.start; the margin covers time zone offsets).
import { recordsOf } from './population.js'
import type { Queryable } from './sql.js'

const LOOKBACK_MARGIN_DAYS = 2

export async function batchBundles(
  sql: Queryable, patients: { id: string; json: string }[], types: string[], assessedAt: Date,
): Promise<string[]> {
  const ids = patients.map((p) => p.id)
  const since = new Date(assessedAt)
  since.setUTCFullYear(since.getUTCFullYear() - 1)
  since.setUTCDate(since.getUTCDate() - LOOKBACK_MARGIN_DAYS)
  const byPatient = new Map<string, string[]>(ids.map((id) => [id, []]))
  const found = await Promise.all(types.map((type) => recordsOf(sql, type, ids, type === 'Encounter' ? since.toISOString() : undefined)))
  for (const rows of found) for (const row of rows) byPatient.get(row.patient)?.push(row.json)
  // Text, not objects: the worker parses it (posting text between threads is cheaper than cloning objects).
  return patients.map((p) => `{"resourceType":"Bundle","type":"collection","entry":[{"resource":${p.json}}${byPatient.get(p.id)!.map((j) => `,{"resource":${j}}`).join('')}]}`)
}
