// The plain-JSON evaluator of simple search parameter expressions (src/fhir/search/fast-path.ts)
// must index exactly what @medplum/core's FHIRPath gives for the same expression
// (search.html#2.21.1.2: a parameter's values are what its expression selects). Checked on
// every resource of a few Synthea bundles, with their urn:uuid references rewritten to
// Type/id as the server stores them, against every parameter of its type that has a fast path.
// Left out: expressions starting "Resource." (medplum evaluates them to nothing) and the
// ".as(Type)" function form (medplum 4.5.2 ignores its type filter).
import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { evalFhirPathTyped, toTypedValue, type TypedValue } from '@medplum/core'
import { initValidation } from '../../../src/fhir/validation/index.js'
import { searchParamsFor } from '../../../src/fhir/search/parameters.js'

const DIR = new URL('../../../../shared/data/synthea/', import.meta.url).pathname
// The smallest bundles that between them hold every resource type the whole set holds
// (~1,000 resources; the whole set takes several times longer and adds no new shapes).
const ALL = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort((a, b) => statSync(join(DIR, a)).size - statSync(join(DIR, b)).size)
  .map((file) => ({ file, bundle: JSON.parse(readFileSync(join(DIR, file), 'utf8')) }))
const typesOf = (bundle: any) => new Set<string>(bundle.entry.map((e: any) => e.resource.resourceType))
const allTypes = new Set(ALL.flatMap(({ bundle }) => [...typesOf(bundle)]))
const covered = new Set<string>()
const CHOSEN = ALL.filter(({ bundle }) => {
  const fresh = [...typesOf(bundle)].filter((ty) => !covered.has(ty))
  for (const ty of fresh) covered.add(ty)
  return fresh.length > 0
})

/** The resources of a transaction Bundle, urn:uuid references rewritten to Type/id. */
function storedResources(bundle: any): any[] {
  const refs = new Map<string, string>(bundle.entry.map((e: any) => [e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`]))
  const rewrite = (v: any): any => {
    if (Array.isArray(v)) return v.map(rewrite)
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'reference' && refs.has(x as string) ? refs.get(x as string) : rewrite(x)]))
    }
    return v
  }
  return bundle.entry.map((e: any) => rewrite(e.resource))
}

const canonical = (values: TypedValue[]) => values.map((v) => JSON.stringify({ type: v.type, value: v.value })).sort()

t.test('fast-path values equal medplum FHIRPath values on Synthea resources (search.html#2.21.1.2)', async (t) => {
  initValidation()
  t.ok(ALL.length >= 40, `found ${ALL.length} Synthea bundles`)
  t.same([...covered].sort(), [...allTypes].sort(), `${CHOSEN.length} bundles hold all ${allTypes.size} resource types`)
  let compared = 0
  let nonEmpty = 0
  const differences: string[] = []
  const paramsSeen = new Set<string>()
  for (const { bundle } of CHOSEN) {
    for (const resource of storedResources(bundle)) {
      const typed = [toTypedValue(resource)]
      for (const param of searchParamsFor(resource.resourceType).values()) {
        if (!param.fast || !param.parsed || !param.expression) continue
        if (param.expression.startsWith('Resource.') || /\.as\(/.test(param.expression)) continue
        const fast = canonical(param.fast(resource))
        const slow = canonical(evalFhirPathTyped(param.parsed, typed))
        compared++
        if (slow.length) nonEmpty++
        paramsSeen.add(`${resource.resourceType}.${param.code}`)
        if (JSON.stringify(fast) !== JSON.stringify(slow) && differences.length < 20) {
          differences.push(`${resource.resourceType}/${resource.id} ${param.code} (${param.expression}): fast ${fast.join(', ')} | medplum ${slow.join(', ')}`)
        }
      }
    }
  }
  t.ok(compared > 5000, `compared ${compared} (resource, parameter) pairs over ${paramsSeen.size} parameters`)
  t.ok(nonEmpty > 1000, `${nonEmpty} of them with values`)
  t.same(differences, [], 'no differences')
})
