// SearchParameter resources written through the API take effect in this process at once (and
// in other processes over the same database within seconds, conformance/follow-changes.ts);
// existing data needs `casehub reindex` (as HAPI does).
// A parameter may not redefine a code R4 already defines for its base: that would change
// what other clients' searches mean.
import type { Resource, SearchParameter } from '@medplum/fhirtypes'
import { unprocessable } from '../../errors.js'
import type { ResourceStore } from '../../store/types.js'
import { registerSearchParameter, searchParam, searchParameterProblem } from './parameters.js'
import { resourceTypes } from '../validation/index.js'

/** Throws 422 when a SearchParameter being written could not be applied. */
export function checkSearchParameter(resource: Resource, path = 'SearchParameter'): void {
  if (resource.resourceType !== 'SearchParameter') return
  const sp = resource as SearchParameter
  const problem = searchParameterProblem(sp)
  if (problem) throw unprocessable(problem, path)
  for (const base of expandBase(sp)) {
    const existing = searchParam(base, sp.code!)
    if (existing && existing.url !== sp.url && existing.url.startsWith('http://hl7.org/fhir/')) {
      throw unprocessable(`${base} already has the R4 search parameter "${sp.code}" (${existing.url})`, `${path}.code`)
    }
  }
}

/** Registers an active SearchParameter after it was written. */
export function applySearchParameter(resource: Resource): void {
  if (resource.resourceType === 'SearchParameter' && (resource as SearchParameter).status === 'active') {
    registerSearchParameter(resource as SearchParameter)
  }
}

/** At start: the active SearchParameters stored in the database. */
export async function loadStoredSearchParameters(store: ResourceStore): Promise<number> {
  let after: { resourceType: string; id: string } | undefined
  let count = 0
  for (;;) {
    const batch = await store.scan({ type: 'SearchParameter', after, limit: 500 })
    if (batch.length === 0) return count
    for (const v of batch) {
      const sp = JSON.parse(v.json!) as SearchParameter
      if (sp.status === 'active' && !searchParameterProblem(sp)) {
        registerSearchParameter(sp)
        count++
      }
    }
    after = { resourceType: 'SearchParameter', id: batch[batch.length - 1].id }
  }
}

function expandBase(sp: SearchParameter): string[] {
  return ((sp.base ?? []) as string[]).flatMap((b) => (b === 'Resource' || b === 'DomainResource' ? resourceTypes() : [b]))
}
