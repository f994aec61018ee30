// A worker thread of the EvaluationPool: evaluates one library for chunks of patients. The
// library, code service and PatientSource are built once per thread (the PatientSource parses
// the FHIR model info, ~200 ms, cql-spike.md §5).
import { parentPort, workerData } from 'node:worker_threads'
import cql from 'cql-execution'
import { FhirPatientSource } from './fhir-patient-source.js'
import type { ChunkRequest, ChunkResult, PortableLibrary, PortableParameters } from './evaluation-pool.js'

const { elms, valueSets } = workerData as PortableLibrary
const repository = new cql.Repository(Object.fromEntries(elms.map((e) => [e.library.identifier.id, e])))
const library = new cql.Library(elms[0], repository)
const codeService = new cql.CodeService(valueSets)
// cql-exec-fhir's PatientSource with cheaper FHIR objects (fhir-patient-source.ts)
const source = new FhirPatientSource()

function parameters(p: PortableParameters): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(p.values ?? {}) }
  for (const [name, iso] of Object.entries(p.dateTimes ?? {})) out[name] = cql.DateTime.parse(iso)
  return out
}

/** cql-execution values as plain data: tuples and lists stay, other CQL types become text. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value !== 'object') return value
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, plain(v)]))
  }
  return String(value)
}

async function evaluate(request: ChunkRequest): Promise<ChunkResult> {
  const executor = new cql.Executor(library, codeService, parameters(request.parameters))
  const when = cql.DateTime.parse(request.executionDateTime) ?? undefined
  // All the chunk's patients in one PatientSource: the executor walks them in turn.
  source.reset()
  source.loadBundles(request.bundles.map((b) => JSON.parse(b)))
  try {
    const results = await executor.exec(source as unknown as Parameters<typeof executor.exec>[0], when)
    const out: ChunkResult = {}
    for (const [id, defines] of Object.entries(results.patientResults as Record<string, Record<string, unknown>>)) {
      out[id] = Object.fromEntries(request.defines.map((d) => [d, plain(defines[d])]))
    }
    return out
  } finally {
    source.reset()
  }
}

parentPort!.on('message', (request: ChunkRequest) => {
  evaluate(request).then(
    (result) => parentPort!.postMessage({ result }),
    (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
  )
})
