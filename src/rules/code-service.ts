// cql-execution's CodeService (an in-memory TerminologyProvider) filled from the terminology
// engine's expansions of the value sets a library declares, so membership tests at run time make
// no terminology calls (cql-spike.md §7.3). Rebuilt by the caller when the terminology changes.
import cql from 'cql-execution'
import type { TerminologyIndex } from '../terminology/index.js'

export type CodeServiceJson = Record<string, Record<string, { code: string; system: string; version?: string }[]>>

export function codeServiceFor(index: TerminologyIndex, valueSetUrls: Iterable<string>): InstanceType<typeof cql.CodeService> {
  return new cql.CodeService(codeServiceJson(index, valueSetUrls))
}

/** The value sets' codes as cql.CodeService takes them (plain data: it can cross to a worker thread). */
export function codeServiceJson(index: TerminologyIndex, valueSetUrls: Iterable<string>): CodeServiceJson {
  const json: CodeServiceJson = {}
  for (const url of new Set(valueSetUrls)) {
    const vs = index.valueSet(url)
    if (!vs) throw new Error(`The rules use ValueSet ${url}, which this server does not hold`)
    const set = index.conceptSet(vs)
    // A whole external code system (e.g. all of SNOMED CT) cannot be listed for the engine.
    if (set.open.size) throw new Error(`ValueSet ${url} includes all of ${[...set.open].join(', ')}; the rules need an enumerable value set`)
    // Versions of code systems are left out: FHIR data rarely carries them and cql-execution
    // matches on system and code only.
    const codes = [...set.entries.values()].filter((e) => !e.abstract && !e.inactive).map((e) => ({ code: e.code, system: e.system }))
    // CQL value sets without a version resolve to the highest version (cql-execution findValueSet).
    json[url] = { [vs.version ?? '']: codes }
  }
  return json
}
