// What a claimed batch of onward referrals needs — the ServiceRequests, their Patients, the
// Endpoints and HealthcareServices — read with one query per resource type for the whole batch
// instead of four reads per delivery (bench/routing.ts: the reads were most of the worker's round
// trips). Read at attempt time, as before, so a delivery sends the resources as they now stand.
import type { Resource, ServiceRequest } from '@medplum/fhirtypes'
import type { ResourceStore } from '../store/types.js'
import { ONWARD_REFERRAL_KIND } from './kinds.js'
import type { OutboxRow } from './sql.js'

/** Current resources by `Type/id`; a key absent means "not prefetched", so read it as usual. */
export type BatchResources = Map<string, Resource | undefined>

const PATIENT = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/

async function readAll(store: ResourceStore, type: string, ids: Iterable<string>, into: BatchResources): Promise<void> {
  const wanted = [...new Set(ids)]
  if (!wanted.length) return
  // _id search: current, not deleted resources (search.html#id); missing ones are recorded as
  // undefined, so the attempt treats them as gone without another read.
  const page = await store.search({ types: [type], conditions: [{ kind: 'id', ids: wanted }], sort: [], count: wanted.length })
  for (const id of wanted) into.set(`${type}/${id}`, undefined)
  for (const m of page.matches) if (m.version.json) into.set(`${type}/${m.version.id}`, JSON.parse(m.version.json) as Resource)
}

export async function prefetchOnward(store: ResourceStore, rows: OutboxRow[]): Promise<BatchResources> {
  const out: BatchResources = new Map()
  const onward = rows.filter((r) => r.kind === ONWARD_REFERRAL_KIND)
  if (!onward.length) return out
  const byType = new Map<string, string[]>()
  for (const r of onward) byType.set(r.payload_type, [...(byType.get(r.payload_type) ?? []), r.payload_id])
  await Promise.all([
    ...[...byType].map(([type, ids]) => readAll(store, type, ids, out)),
    readAll(store, 'Endpoint', onward.map((r) => r.endpoint_id), out),
    readAll(store, 'HealthcareService', onward.flatMap((r) => (r.service_id ? [r.service_id] : [])), out),
  ])
  const patients = onward.flatMap((r) => {
    const subject = (out.get(`${r.payload_type}/${r.payload_id}`) as ServiceRequest | undefined)?.subject?.reference
    const id = PATIENT.exec(subject ?? '')?.[1]
    return id ? [id] : []
  })
  await readAll(store, 'Patient', patients, out)
  return out
}
