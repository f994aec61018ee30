// Where the time of one eligibility assessment goes, measured in this process over the benchmark
// database with the code the server runs (assessEligibility): reading the Patient and the
// referral, fetching the record the rules need, and evaluating the rules. Sequential, after a
// warm-up, so the phases do not wait on each other.
import type { Patient, ServiceRequest } from '@medplum/fhirtypes'
import { readdirSync, readFileSync } from 'node:fs'
import pg from 'pg'
import { assessEligibility } from '../src/casework/eligibility.js'
import { registerCanonical } from '../src/fhir/conformance/canonical-registry.js'
import { systemContext } from '../src/store/context.js'
import { PgResourceStore } from '../src/store/pg-resource-store.js'
import { summarise, type Summary } from './latency.js'

export interface Split {
  read: Summary
  fetch: Summary
  evaluate: Summary
  total: Summary
  resources: number
}

/** The server's terminology (terminology/*.json), which the rules read from the canonical registry. */
function registerTerminology() {
  const dir = new URL('../terminology/', import.meta.url).pathname
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) registerCanonical(JSON.parse(readFileSync(dir + f, 'utf8')))
}

export async function measureSplit(databaseUrl: string, pairs: { patient: string; referral: string }[], warmup: number): Promise<Split> {
  registerTerminology()
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 })
  const store = new PgResourceStore(pool, systemContext('bench-triage'))
  const read = async (type: string, id: string) => JSON.parse((await store.read(type, id))!.json!)
  const samples = { read: [] as number[], fetch: [] as number[], evaluate: [] as number[], total: [] as number[] }
  let resources = 0
  try {
    for (const [i, pair] of pairs.entries()) {
      const t0 = performance.now()
      const patient = (await read('Patient', pair.patient)) as Patient
      const referral = (await read('ServiceRequest', pair.referral)) as ServiceRequest
      const t1 = performance.now()
      const phases: Record<string, number> = {}
      await assessEligibility(store, {
        patient,
        referral,
        baseUrl: 'http://127.0.0.1/fhir',
        timing: (phase, ms, count) => {
          phases[phase] = ms
          if (count !== undefined && i >= warmup) resources += count
        },
      })
      const t2 = performance.now()
      if (i < warmup) continue
      samples.read.push(t1 - t0)
      samples.fetch.push(phases.fetch)
      samples.evaluate.push(phases.evaluate)
      samples.total.push(t2 - t0)
    }
  } finally {
    await pool.end()
  }
  const measured = Math.max(1, pairs.length - warmup)
  return { read: summarise(samples.read), fetch: summarise(samples.fetch), evaluate: summarise(samples.evaluate), total: summarise(samples.total), resources: resources / measured }
}
