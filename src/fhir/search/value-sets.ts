// token :in and :not-in (search.html#modifiers): the codes of a ValueSet held by this server,
// from its expansion.contains when present, else from its compose as the terminology engine
// reads it (listed concepts, whole code systems, imported value sets, filters over local code
// systems, excludes). What cannot be turned into a list of codes is refused, not answered wrongly.
import type { ValueSet, ValueSetComposeInclude } from '@medplum/fhirtypes'
import { badRequest, notSupported } from '../../errors.js'
import type { Condition, TokenMatch } from '../../store/search-types.js'
import type { ResourceStore } from '../../store/types.js'
import { referenceKey } from './references.js'
import { terminologyIndex } from '../conformance/terminology.js'
import type { ConceptSet } from '../../terminology/index.js'

const MAX_DEPTH = 5

/** Replaces every tokenIn condition (also inside chains and _has) by the token condition it means. */
export async function resolveValueSets(conditions: Condition[], store: ResourceStore, baseUrl: string): Promise<Condition[]> {
  const out: Condition[] = []
  for (const c of conditions) out.push(await resolve(c, store, baseUrl))
  return out
}

async function resolve(c: Condition, store: ResourceStore, baseUrl: string): Promise<Condition> {
  switch (c.kind) {
    case 'tokenIn': {
      const values: TokenMatch[] = c.hierarchy ? subsumed(c.hierarchy, c.origin ?? `${c.param}:${c.hierarchy.direction}`) : []
      for (const url of c.valueSets) values.push(...(await expand(url, store, baseUrl, 0, c.origin ?? `${c.param}:${c.not ? 'not-in' : 'in'}`)))
      // An empty value set matches nothing (and :not-in everything).
      if (values.length === 0) {
        const has = (missing: boolean): Condition => ({ kind: 'missing', table: 'token', param: c.param, missing })
        return c.not ? { kind: 'or', conditions: [has(true), has(false)] } : { kind: 'id', ids: [] }
      }
      return { kind: 'token', param: c.param, values, not: c.not }
    }
    case 'chain':
      return { ...c, targets: await Promise.all(c.targets.map(async (t) => ({ ...t, condition: await resolve(t.condition, store, baseUrl) }))) }
    case 'has':
      return { ...c, condition: await resolve(c.condition, store, baseUrl) }
    case 'or':
    case 'and':
      return { ...c, conditions: await Promise.all(c.conditions.map((x) => resolve(x, store, baseUrl))) }
    case 'not':
      return { ...c, condition: await resolve(c.condition, store, baseUrl) }
    default:
      return c
  }
}

async function expand(ref: string, store: ResourceStore, baseUrl: string, depth: number, param: string): Promise<TokenMatch[]> {
  if (depth > MAX_DEPTH) throw badRequest(`ValueSet ${ref} includes value sets more than ${MAX_DEPTH} deep`, param)
  const vs = await findValueSet(ref, store, baseUrl)
  if (!vs) throw badRequest(`Unknown ValueSet ${ref}: this server holds no ValueSet with that url or id`, param)
  if (vs.expansion?.contains?.length) return flattenExpansion(vs.expansion.contains)
  if (vs.url && composeIsLocal(vs)) return fromConceptSet(terminologyIndex().conceptSet(vs), ref, param)
  if (vs.compose?.exclude?.length) throw badRequest(`ValueSet ${ref} uses compose.exclude, which :in does not support yet`, param)
  const out: TokenMatch[] = []
  for (const include of vs.compose?.include ?? []) out.push(...(await expandInclude(include, ref, store, baseUrl, depth, param)))
  return out
}

/** The codes a code subsumes (:below) or is subsumed by (:above), itself included. */
function subsumed(h: NonNullable<Extract<Condition, { kind: 'tokenIn' }>['hierarchy']>, key: string): TokenMatch[] {
  return h.codes.flatMap(({ system, code }) => {
    const cs = terminologyIndex().codeSystem(system)
    if (!cs) {
      throw notSupported(`${key} needs the code system's hierarchy, and this server holds no CodeSystem ${system} (SNOMED CT hierarchies need a terminology server)`, key)
    }
    if (!cs.find(code)) throw badRequest(`${key}: ${system} has no code "${code}"`, key)
    const related = h.direction === 'below' ? cs.descendants(code) : cs.ancestors(code)
    return [code, ...related].map((c) => ({ system, code: c }))
  })
}

/** Imports by canonical URL (not by server-relative reference) can be read from the registry. */
function composeIsLocal(vs: ValueSet): boolean {
  const parts = [...(vs.compose?.include ?? []), ...(vs.compose?.exclude ?? [])]
  return parts.every((p) => (p.valueSet ?? []).every((v) => /^(https?|urn):/.test(v) && terminologyIndex().valueSet(v) !== undefined))
}

function fromConceptSet(set: ConceptSet, ref: string, param: string): TokenMatch[] {
  if (set.holes.size) throw badRequest(`ValueSet ${ref} excludes codes from a code system this server does not hold, which :in cannot search`, param)
  return [...[...set.entries.values()].map((e) => ({ system: e.system, code: e.code })), ...[...set.open].map((system) => ({ system }))]
}

async function expandInclude(include: ValueSetComposeInclude, ref: string, store: ResourceStore, baseUrl: string, depth: number, param: string) {
  if (include.filter?.length) throw badRequest(`ValueSet ${ref} uses compose.include.filter, which :in does not support yet`, param)
  const out: TokenMatch[] = []
  if (include.system && include.concept?.length) {
    for (const concept of include.concept) out.push({ system: include.system, code: concept.code })
  } else if (include.system && !include.valueSet?.length) {
    out.push({ system: include.system }) // every code of the system
  }
  for (const nested of include.valueSet ?? []) out.push(...(await expand(nested, store, baseUrl, depth + 1, param)))
  return out
}

function flattenExpansion(contains: NonNullable<NonNullable<ValueSet['expansion']>['contains']>): TokenMatch[] {
  const out: TokenMatch[] = []
  for (const c of contains) {
    if (c.code) out.push({ system: c.system ?? null, code: c.code })
    if (c.contains) out.push(...flattenExpansion(c.contains))
  }
  return out
}

async function findValueSet(ref: string, store: ResourceStore, baseUrl: string): Promise<ValueSet | undefined> {
  const local = referenceKey(ref, baseUrl)
  if (local?.type === 'ValueSet' && local.id) {
    const v = await store.read('ValueSet', local.id)
    return v && !v.deleted ? (JSON.parse(v.json!) as ValueSet) : undefined
  }
  const [url, version] = ref.split('|')
  const page = await store.search({
    types: ['ValueSet'],
    conditions: [
      { kind: 'uri', param: 'url', mode: 'eq', values: [url] },
      ...(version ? [{ kind: 'token' as const, param: 'version', values: [{ code: version }] }] : []),
    ],
    sort: [],
    count: 1,
  })
  const found = page.matches[0]?.version
  return found ? (JSON.parse(found.json!) as ValueSet) : undefined
}
