// The registered population and the data the rules need, read in bulk: one statement per
// resource type per batch of patients, not one per patient. Bodies are read with json
// operators only (they work on json and jsonb columns alike).
import type { Queryable } from './sql.js'

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

/** Registered with one of the practices (by reference to their Organization, or by ODS code), alive and active. */
const REGISTERED = `
  r.resource_type = 'Patient' AND NOT r.deleted
  AND coalesce(r.content::json ->> 'active', 'true') <> 'false'
  AND coalesce(r.content::json ->> 'deceasedBoolean', 'false') <> 'true'
  AND r.content::json ->> 'deceasedDateTime' IS NULL
  AND EXISTS (
    SELECT 1 FROM json_array_elements(coalesce(r.content::json -> 'generalPractitioner', '[]'::json)) gp
     WHERE substring(gp ->> 'reference' from '(?:^|/)(Organization/[^/]+)$') = ANY($1::text[])
        OR (gp #>> '{identifier,system}' = '${ODS}' AND gp #>> '{identifier,value}' = ANY($2::text[])))`

export interface Practices {
  /** Organization/{id} of the practices held here */
  references: string[]
  odsCodes: string[]
}

/** The Organizations held here whose ODS code is one of `odsCodes`. */
export async function practices(sql: Queryable, odsCodes: string[]): Promise<Practices> {
  const { rows } = await sql.query<{ id: string }>(
    `SELECT r.id FROM resource r, json_array_elements(coalesce(r.content::json -> 'identifier', '[]'::json)) i
      WHERE r.resource_type = 'Organization' AND NOT r.deleted AND i ->> 'system' = '${ODS}' AND i ->> 'value' = ANY($1::text[])`,
    [odsCodes],
  )
  return { references: rows.map((r) => `Organization/${r.id}`), odsCodes }
}

export async function countRegistered(sql: Queryable, p: Practices): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource r WHERE ${REGISTERED}`, [p.references, p.odsCodes])
  return rows[0].n
}

/** The next registered patients after `after`, in id order (the primary key's), with their bodies. */
export async function nextPatients(sql: Queryable, p: Practices, after: string | null, limit: number): Promise<{ id: string; json: string }[]> {
  const { rows } = await sql.query<{ id: string; json: string }>(
    `SELECT r.id, r.content::text AS json FROM resource r WHERE ${REGISTERED} AND r.id > $3 ORDER BY r.id LIMIT $4`,
    [p.references, p.odsCodes, after ?? '', limit],
  )
  return rows
}

/**
 * The `type` resources of these patients (by the search index's `patient` reference), whole.
 * `since`: only those whose search index `date` reaches it (for Encounters, the period), a
 * superset of those that started on or after it, found without reading the bodies. Bodies are
 * not cut down to the elements the library reads: doing that in SQL parsed every body and cost
 * PostgreSQL twice as much as sending the whole text (0.44 vs 0.21 ms per patient on the
 * benchmark's population, whose Encounters average 580 bytes).
 */
export async function recordsOf(sql: Queryable, type: string, patientIds: string[], since?: string): Promise<{ patient: string; json: string }[]> {
  const { rows } = await sql.query<{ patient: string; json: string }>(
    `SELECT sr.target_id AS patient, r.content::text AS json
       FROM search_reference sr
       JOIN resource r ON r.resource_type = sr.resource_type AND r.id = sr.id AND NOT r.deleted
      WHERE sr.resource_type = $1 AND sr.param = 'patient' AND sr.target_type = 'Patient' AND sr.target_id = ANY($2::text[])
        ${since ? `AND EXISTS (SELECT 1 FROM search_date d WHERE d.resource_type = sr.resource_type AND d.id = sr.id AND d.param = 'date' AND d.high >= $3::timestamptz)` : ''}`,
    since ? [type, patientIds, since] : [type, patientIds],
  )
  return rows
}

/**
 * Which of these patients are already on the case management caseload, or already proposed:
 *   - an active EpisodeOfCare managed by the case management team, or typed case management
 *     (service-type#case-management);
 *   - a referral Task owned by the team that triage accepted (accepted, or in-progress as the
 *     episode runs), which is what referral intake writes;
 *   - a stratification proposal not yet declined (requested, received, accepted, in-progress,
 *     on-hold), from this or an earlier cycle: the GP has not yet answered it.
 */
export async function onCaseload(sql: Queryable, patientIds: string[], team: string, proposalSystem: string): Promise<Set<string>> {
  const byPatient = (type: string) => `
    SELECT sr.target_id AS patient, r.content::json AS c FROM search_reference sr
      JOIN resource r ON r.resource_type = sr.resource_type AND r.id = sr.id AND NOT r.deleted
     WHERE sr.resource_type = '${type}' AND sr.param = 'patient' AND sr.target_type = 'Patient' AND sr.target_id = ANY($1::text[])`
  const ref = (path: string) => `substring(c #>> '${path}' from '(?:^|/)(Organization/[^/]+)$')`
  const { rows } = await sql.query<{ patient: string }>(
    `SELECT patient FROM (${byPatient('EpisodeOfCare')}) e
      WHERE c ->> 'status' = 'active'
        AND (${ref('{managingOrganization,reference}')} = $2
          OR EXISTS (SELECT 1 FROM json_array_elements(coalesce(c -> 'type', '[]'::json)) t, json_array_elements(coalesce(t -> 'coding', '[]'::json)) x
                      WHERE x ->> 'system' = 'https://casehub.org/fhir/CodeSystem/service-type' AND x ->> 'code' = 'case-management'))
     UNION
     SELECT patient FROM (${byPatient('Task')}) t
      WHERE (c ->> 'status' IN ('accepted', 'in-progress') AND ${ref('{owner,reference}')} = $2 AND c #>> '{focus,reference}' ~ '(^|/)ServiceRequest/')
         OR (c ->> 'status' IN ('requested', 'received', 'accepted', 'in-progress', 'on-hold')
             AND EXISTS (SELECT 1 FROM json_array_elements(coalesce(c -> 'identifier', '[]'::json)) i WHERE i ->> 'system' = $3))`,
    [patientIds, team, proposalSystem],
  )
  return new Set(rows.map((r) => r.patient))
}
