// One patient's data for the rules, fetched through the store: only the resource types the
// library retrieves (its data requirements), each searched by `patient` (search.html) and, for a
// type the rules only ever retrieve by code, by those codes too; plus the referral being
// assessed and the GP practice Organizations the Patient names.
import type { Bundle, Patient, Resource, ServiceRequest } from '@medplum/fhirtypes'
import { parseSearch } from '../fhir/search/parse.js'
import type { ResourceStore } from '../store/types.js'

/** The largest page the store hands out; a long record is read page by page. */
const PAGE = 1000

export interface RecordRequest {
  patient: Patient
  /** resource types to fetch (Patient, Organization and ServiceRequest are handled specially) */
  types: Iterable<string>
  referral?: ServiceRequest
  baseUrl: string
  /** per type, the only codes (`system|code`) the rules look for; a type not named is fetched whole */
  codes?: ReadonlyMap<string, ReadonlySet<string>>
}

export async function fetchPatientRecord(store: ResourceStore, req: RecordRequest): Promise<Bundle> {
  const resources: Resource[] = [req.patient]
  const work: Promise<Resource[]>[] = []
  for (const type of req.types) {
    if (type === 'Patient') continue
    // Only the referral under assessment: the rules read "the referral", not the patient's others.
    else if (type === 'ServiceRequest') resources.push(...(req.referral ? [req.referral] : []))
    else if (type === 'Organization') work.push(gpOrganizations(store, req.patient))
    else work.push(searchAll(store, type, req.patient.id!, req.baseUrl, req.codes?.get(type)))
  }
  for (const found of await Promise.all(work)) resources.push(...found)
  return { resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource })) }
}

async function searchAll(store: ResourceStore, type: string, patientId: string, baseUrl: string, codes?: ReadonlySet<string>): Promise<Resource[]> {
  // A token search matches system and code exactly, as the rules' retrieves do. A code that
  // would need escaping in a search (search.html#escaping) makes the type fetched whole.
  const plain = codes && [...codes].every((c) => /^[^,$\\|]*\|[^,$\\|]+$/.test(c))
  const code: Record<string, string[]> = plain ? { code: [[...codes!].join(',')] } : {}
  const { query } = parseSearch([type], { patient: [`Patient/${patientId}`], _count: [String(PAGE)], ...code }, baseUrl)
  const out: Resource[] = []
  for (;;) {
    const page = await store.search(query)
    for (const m of page.matches) if (m.version.json) out.push(JSON.parse(m.version.json) as Resource)
    const last = page.matches.at(-1)
    if (!page.hasMore || !last) return out
    query.cursor = { values: last.keys, backwards: false }
  }
}

/** The Organizations named by literal reference in Patient.generalPractitioner, when stored. */
async function gpOrganizations(store: ResourceStore, patient: Patient): Promise<Resource[]> {
  const ids = new Set<string>()
  for (const gp of patient.generalPractitioner ?? []) {
    const m = /(?:^|\/)Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(gp.reference ?? '')
    if (m) ids.add(m[1])
  }
  const found = await Promise.all([...ids].map((id) => store.read('Organization', id)))
  return found.filter((v) => v && !v.deleted && v.json).map((v) => JSON.parse(v!.json!) as Resource)
}
