// ValueSet.compose → ConceptSet (valueset.html#compose, R4): each include is the intersection of
// its system part (listed concepts, filters, or the whole system) and its imported value sets;
// includes are unioned, excludes subtracted; compose.inactive = false drops inactive concepts.
import type { ValueSet, ValueSetComposeInclude, ValueSetExpansionContains } from '@medplum/fhirtypes'
import { notFound, notSupported, unprocessable } from '../errors.js'
import type { LocalCodeSystem } from './code-system.js'
import { ConceptSet, type Entry } from './concept-set.js'
import { applyFilter } from './filters.js'

export interface ComposeResolver {
  codeSystem(url: string, version?: string): LocalCodeSystem | undefined
  /** true when a CodeSystem with this url is held in any version */
  hasCodeSystem(url: string): boolean
  /** the concept set of an imported value set (canonical, may carry |version) */
  importedSet(canonical: string, visiting: Set<string>): ConceptSet
}

export function composeConcepts(resolver: ComposeResolver, vs: ValueSet, visiting: Set<string> = new Set()): ConceptSet {
  const name = `ValueSet ${vs.url ?? vs.id ?? '(inline)'}`
  if (!vs.compose) return fromExpansion(vs.expansion?.contains ?? [])
  let set = new ConceptSet()
  for (const include of vs.compose.include ?? []) set = ConceptSet.union(set, part(resolver, include, name, visiting))
  for (const exclude of vs.compose.exclude ?? []) set = ConceptSet.subtract(set, part(resolver, exclude, name, visiting))
  if (vs.compose.inactive === false) {
    for (const [key, e] of set.entries) if (e.inactive) set.entries.delete(key)
  }
  return set
}

function part(resolver: ComposeResolver, include: ValueSetComposeInclude, name: string, visiting: Set<string>): ConceptSet {
  if (!include.system && !include.valueSet?.length) throw unprocessable(`${name}: each include/exclude needs a system or a valueSet (vsd-1)`)
  const sets: ConceptSet[] = []
  if (include.system) sets.push(systemPart(resolver, include, name))
  for (const canonical of include.valueSet ?? []) sets.push(resolver.importedSet(canonical, visiting))
  return sets.reduce((a, b) => ConceptSet.intersect(a, b))
}

function systemPart(resolver: ComposeResolver, include: ValueSetComposeInclude, name: string): ConceptSet {
  const system = include.system!
  const cs = resolver.codeSystem(system, include.version)
  if (!cs && include.version && resolver.hasCodeSystem(system)) {
    throw notFound(`${name} includes ${system} version ${include.version}, which this server does not hold`)
  }
  if (include.concept?.length && include.filter?.length) throw unprocessable(`${name}: an include cannot have both concept and filter (vsd-3)`)
  const out = new ConceptSet()
  if (include.concept?.length) {
    for (const c of include.concept) {
      if (!cs) {
        out.add({ system, version: include.version, code: c.code!, display: c.display, designation: c.designation })
        continue
      }
      const concept = cs.find(c.code!)
      if (!concept) throw unprocessable(`${name} lists code '${c.code}', which is not in CodeSystem ${system}`)
      out.add({ ...local(cs, concept.code), ...(c.display ? { display: c.display } : {}) })
    }
    return out
  }
  if (include.filter?.length) {
    if (!cs) throw notSupported(`${name} filters ${system}, which is not a CodeSystem held by this server; list the concepts instead`)
    const passing = include.filter.map((f) => applyFilter(cs, f, name))
    for (const code of cs.concepts.keys()) if (passing.every((p) => p.has(code))) out.add(local(cs, code))
    return out
  }
  if (!cs) out.open.add(system)
  else for (const code of cs.concepts.keys()) out.add(local(cs, code))
  return out
}

function local(cs: LocalCodeSystem, code: string): Entry {
  const c = cs.concepts.get(code)!
  const e: Entry = { system: cs.url, code: c.code, display: c.display }
  if (cs.version) e.version = cs.version
  if (c.inactive) e.inactive = true
  if (c.abstract) e.abstract = true
  if (c.designation.length) e.designation = c.designation
  return e
}

/** A ValueSet stored with an expansion but no compose: its expansion is its content. */
function fromExpansion(contains: ValueSetExpansionContains[], out = new ConceptSet()): ConceptSet {
  for (const c of contains) {
    if (c.system && c.code) out.add({ system: c.system, version: c.version, code: c.code, display: c.display, inactive: c.inactive, abstract: c.abstract })
    if (c.contains) fromExpansion(c.contains, out)
  }
  return out
}
