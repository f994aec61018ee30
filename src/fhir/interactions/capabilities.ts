// capabilities: GET [base]/metadata — http.html#capabilities. Built from the routing table and
// the resource types the validator knows, so it states what the code does, no more.
import { getDataType } from '@medplum/core'
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes'
import { ROUTES, type Interaction } from '../routes.js'
import { resourceTypes } from '../validation/index.js'
import { JSON_PATCH } from './patch.js'
import type { Handler } from '../types.js'
import { VERSION } from '../../version.js'

const routed = new Set<Interaction>(Object.values(ROUTES).flatMap((m) => Object.values(m)))
const has = (i: Interaction) => routed.has(i)

/** Search parameters the core server evaluates (search.html); the rest arrive with full search. */
const SEARCH_PARAMS = [
  { name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' },
  { name: '_lastUpdated', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/Resource-lastUpdated' },
] as const

let cached: { key: string; statement: CapabilityStatement } | undefined

export function capabilityStatement(baseUrl: string, version: string): CapabilityStatement {
  if (cached?.key === baseUrl) return cached.statement
  const typeInteractions = (
    ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type'] as const
  ).filter((i) => has(i)).map((code) => ({ code }))
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
    searchParam: [
      ...SEARCH_PARAMS,
      ...(hasIdentifier(type)
        ? [{ name: 'identifier', type: 'token' as const, definition: `http://hl7.org/fhir/SearchParameter/${type}-identifier` }]
        : []),
    ],
  }))
  const statement: CapabilityStatement = {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    publisher: 'CaseHub',
    kind: 'instance',
    software: { name: 'CaseHub', version },
    implementation: { description: 'CaseHub FHIR R4 server', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    patchFormat: [JSON_PATCH],
    rest: [
      {
        mode: 'server',
        resource,
        interaction: (['transaction', 'batch', 'history-system'] as const)
          .filter((i) => (i === 'batch' ? has('transaction') : has(i as Interaction)))
          .map((code) => ({ code })),
      },
    ],
  }
  cached = { key: baseUrl, statement }
  return statement
}

function hasIdentifier(type: string): boolean {
  try {
    return Boolean(getDataType(type)?.elements?.identifier)
  } catch {
    return false
  }
}

export const capabilities: Handler = async (_req, ctx) => ({
  status: 200,
  body: capabilityStatement(ctx.baseUrl, VERSION),
})
