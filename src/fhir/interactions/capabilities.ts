// capabilities: GET [base]/metadata — http.html#capabilities. Built from the routing table and
// the resource types the validator knows, so it states what the code does, no more.
import type { CapabilityStatement, CapabilityStatementRestResource, CapabilityStatementRestResourceSearchParam, StructureDefinition } from '@medplum/fhirtypes'
import { badRequest } from '../../errors.js'
import { allCanonical, canonicalGeneration } from '../conformance/canonical-registry.js'
import { usableProfile } from '../conformance/declared-profiles.js'
import { operationsFor, systemOperations, type Operation } from '../operations/registry.js'
import { namedQueriesFor, type NamedQuery } from '../search/named-queries.js'
import { instanceHeader } from './instance-header.js'
import { terminologyCapabilities } from './terminology-capabilities.js'
import { ROUTES, type Interaction } from '../routes.js'
import { resourceTypes } from '../validation/index.js'
import { JSON_PATCH } from './patch.js'
import { parameterGeneration, searchParamsFor } from '../search/parameters.js'
import { COMPARTMENTS, compartmentUrl } from '../search/compartment.js'
import type { Handler } from '../types.js'
import { VERSION } from '../../version.js'

const routed = new Set<Interaction>(Object.values(ROUTES).flatMap((m) => Object.values(m)))
const has = (i: Interaction) => routed.has(i)

let cached: { key: string; statement: CapabilityStatement } | undefined

export function capabilityStatement(baseUrl: string, version: string): CapabilityStatement {
  // Profiles, SearchParameters and operations can change while the server runs.
  const key = `${baseUrl} ${canonicalGeneration()} ${parameterGeneration()}`
  if (cached?.key === key) return cached.statement
  const profiles = supportedProfiles()
  const typeInteractions = (
    ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const
  ).filter((i) => has(i)).map((code) => ({ code }))
  const revIncludes = new Map<string, string[]>()
  for (const source of resourceTypes()) {
    for (const code of referenceParams(source)) {
      for (const target of searchParamsFor(source).get(code)!.targets) {
        if (!revIncludes.has(target)) revIncludes.set(target, [])
        revIncludes.get(target)!.push(`${source}:${code}`)
      }
    }
  }
  const resource: CapabilityStatementRestResource[] = resourceTypes().map((type) => ({
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: typeInteractions,
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'full-support',
    conditionalUpdate: true,
    conditionalDelete: 'single',
    referencePolicy: ['literal', 'logical', 'local'],
    // search.html#include: the wildcards (every reference, or every one of this type) as well
    searchInclude: ['*', ...(referenceParams(type).length ? [`${type}:*`] : []), ...referenceParams(type).map((code) => `${type}:${code}`)],
    searchRevInclude: ['*', ...(revIncludes.get(type) ?? [])],
    ...(profiles.has(type) ? { supportedProfile: profiles.get(type) } : {}),
    searchParam: [...supportedParams(type).map((p) => ({
      name: p.code,
      definition: p.url,
      type: p.type as 'token',
      ...(p.definition.description ? { documentation: p.definition.description } : {}),
    })), ...UNINDEXED_PARAMS, ...queryParam(type)] as CapabilityStatementRestResourceSearchParam[],
    ...operationList(operationsFor(type), namedQueriesFor(type)),
  }))
  const statement: CapabilityStatement = {
    resourceType: 'CapabilityStatement',
    ...instanceHeader(baseUrl, version),
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json', 'application/fhir+xml', 'xml'],
    // JSON Patch, and FHIRPath Patch as a Parameters resource in either format (fhirpatch.html)
    patchFormat: [JSON_PATCH, 'application/fhir+json', 'application/fhir+xml'],
    rest: [
      {
        mode: 'server',
        resource,
        interaction: (['transaction', 'batch', 'history-system', 'search-system'] as const)
          .filter((i) => (i === 'batch' ? has('transaction') : has(i as Interaction)))
          .map((code) => ({ code })),
        // capabilitystatement.html#CapabilityStatement.rest.compartment: compartment search
        ...(has('search-compartment') ? { compartment: COMPARTMENTS.map(compartmentUrl) } : {}),
        // the parameters of every type, which system search (GET [base]?_type=…) takes
        ...(has('search-system') ? { searchParam: systemParams() } : {}),
        ...operationList(systemOperations()),
      },
    ],
  }
  cached = { key, statement }
  return statement
}

/** The parameters searches on `type` evaluate: indexed ones plus _id and _lastUpdated. */
/** Searches every type supports without index rows (search.html#text, search.html#list, search_filter.html). */
const UNINDEXED_PARAMS: CapabilityStatementRestResourceSearchParam[] = [
  {
    name: '_text',
    definition: 'http://hl7.org/fhir/SearchParameter/DomainResource-text',
    type: 'string',
    documentation: 'Words in the narrative (PostgreSQL full text, web-search syntax; not accent-folded)',
  },
  {
    name: '_content',
    definition: 'http://hl7.org/fhir/SearchParameter/Resource-content',
    type: 'string',
    documentation: 'Words anywhere in the resource (PostgreSQL full text, web-search syntax; not accent-folded)',
  },
  { name: '_list', type: 'special', documentation: 'Resources that a List holds as entry.item (functional lists are not supported)' },
  {
    name: '_filter',
    type: 'special',
    documentation: 'search_filter.html expressions: and, or, not(…), parentheses, chains; eq ne co sw ew on strings, eq ne on tokens, date/number/quantity prefixes and po, re on references, pr on all (not: in ni ss sb, name[filter])',
  },
]

/** Parameters of every resource type (those of Resource and DomainResource), and _type. */
function systemParams(): CapabilityStatementRestResourceSearchParam[] {
  const common = supportedParams('Basic').filter((p) => p.code.startsWith('_'))
  return [
    ...common.map((p) => ({ name: p.code, definition: p.url, type: p.type as 'token', ...(p.definition.description ? { documentation: p.definition.description } : {}) })),
    ...UNINDEXED_PARAMS,
    { name: '_type', type: 'token', documentation: 'The resource types searched (comma-separated or repeated); without it, every type' },
  ] as CapabilityStatementRestResourceSearchParam[]
}

function supportedParams(type: string) {
  // of the special parameters, only Location's near is supported
  return [...searchParamsFor(type).values()].filter((p) => (p.type !== 'special' || p.code === 'near') && (p.type !== 'composite' || p.components))
}

/** Profiles (constraints on a resource type with a snapshot) by type, as url|version. */
function supportedProfiles(): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const sd of allCanonical<StructureDefinition>('StructureDefinition')) {
    if (sd.derivation !== 'constraint' || sd.kind !== 'resource' || !sd.type || !sd.url || !usableProfile(`${sd.url}|${sd.version ?? ''}`)) continue
    if (!out.has(sd.type)) out.set(sd.type, [])
    out.get(sd.type)!.push(sd.version ? `${sd.url}|${sd.version}` : sd.url)
  }
  for (const list of out.values()) list.sort()
  return out
}

/** Operations and named queries (capabilitystatement.html#CapabilityStatement.rest.resource.operation). */
function operationList(ops: Operation[], queries: NamedQuery[] = []) {
  const all = [
    ...ops.map((o) => ({ name: o.code, definition: o.definition })),
    ...queries.map((q) => ({ name: q.definition.code, definition: q.definition.url!, documentation: q.definition.description })),
  ]
  return all.length ? { operation: all } : {}
}

function queryParam(type: string) {
  const names = namedQueriesFor(type).map((q) => q.definition.code)
  return names.length ? [{ name: '_query', type: 'token', documentation: `A named query (search.html#query): ${names.join(', ')}` }] : []
}

function referenceParams(type: string): string[] {
  return supportedParams(type).filter((p) => p.type === 'reference').map((p) => p.code)
}

/** GET [base]/metadata[?mode=full|normative|terminology] (http.html#capabilities). */
export const capabilities: Handler = async (req, ctx) => {
  const mode = req.query.mode?.[0] ?? 'full'
  if (mode === 'terminology') return { status: 200, body: terminologyCapabilities(ctx.baseUrl, VERSION) }
  // every part of the statement is normative, so mode=normative is the full statement
  if (mode !== 'full' && mode !== 'normative') throw badRequest(`mode must be full, normative or terminology, not ${JSON.stringify(mode)}`, 'mode')
  return { status: 200, body: capabilityStatement(ctx.baseUrl, VERSION) }
}
