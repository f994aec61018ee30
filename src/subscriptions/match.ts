// Does a resource just written match a Subscription's criteria?
//
// The criteria run as a search through the store, with `_id=<id>` added, inside the write's
// transaction (where the new version and its search index rows are already visible). This is
// the server's own search — the same parser, index and SQL as `GET [base]/[criteria]` — so a
// notification means exactly "this resource is now in the results of your search", for every
// parameter type, modifier, chain, _has, :in/:below against ValueSets and CodeSystems held
// here, and CaseHub's own SearchParameters. An in-memory matcher (@medplum/core's
// matchesSearchRequest) would be cheaper by one indexed query per write and Subscription, but
// it evaluates FHIRPath itself instead of reading our index, and knows nothing of chains, _has
// or our ValueSets: its answers could differ from what a search returns.
import type { Resource } from '@medplum/fhirtypes'
import { FhirError } from '../errors.js'
import type { InteractionContext } from '../fhir/types.js'
import { parseSearch } from '../fhir/search/parse.js'
import { resolveValueSets } from '../fhir/search/value-sets.js'
import { withId } from './criteria.js'
import type { LiveSubscription } from './active.js'

export async function matches(sub: LiveSubscription, resource: Resource, ctx: InteractionContext): Promise<boolean> {
  if (resource.resourceType !== sub.type || !resource.id) return false
  let conditions
  try {
    const parsed = parseSearch([sub.type], withId(sub.query, resource.id), ctx.baseUrl)
    conditions = await resolveValueSets(parsed.query.conditions, ctx.store, ctx.baseUrl)
  } catch (err) {
    // Criteria that no longer parse (a SearchParameter or ValueSet they use has gone) match
    // nothing; the write that asked is not the one at fault and must not fail for it.
    if (err instanceof FhirError && err.status < 500) return false
    throw err
  }
  const page = await ctx.store.search({ types: [sub.type], conditions, sort: [], count: 1 })
  return page.matches.length > 0
}
