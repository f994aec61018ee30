// The R4 terminology operations over the server's own content: ValueSet/$expand,
// ValueSet/$validate-code, CodeSystem/$validate-code, CodeSystem/$lookup, CodeSystem/$subsumes
// and ConceptMap/$translate (terminology-service.html). The work is done by src/terminology;
// this file routes to it (and finds the ConceptMaps $translate reads in the store).
import type { CodeSystem, ConceptMap, OperationDefinition, Parameters, Resource, ValueSet } from '@medplum/fhirtypes'
import { expandOperation, lookupOperation, subsumesOperation, TERMINOLOGY_OPERATIONS, validateCodeOperation } from '../../terminology/index.js'
import { OperationInput as Inputs } from '../../terminology/parameters.js'
import { inScope, translate, translateRequest, translateResult } from '../../terminology/translate.js'
import { notFound } from '../../errors.js'
import { terminologyIndex } from '../conformance/terminology.js'
import { findResources } from '../search/find.js'
import type { InteractionContext } from '../types.js'
import { registerOperation, type OperationInput, type ParameterType } from './registry.js'

type Run = (input: OperationInput, ctx: InteractionContext) => Resource | Promise<Resource>

const RUNS: Record<string, Run> = {
  'ValueSet-expand': ({ parameters, target }) => expandOperation(terminologyIndex(), parameters, target as ValueSet | undefined),
  'ValueSet-validate-code': ({ parameters, target }) => validateCodeOperation(terminologyIndex(), 'ValueSet', parameters, target as ValueSet | undefined),
  'CodeSystem-validate-code': ({ parameters, target }) => validateCodeOperation(terminologyIndex(), 'CodeSystem', parameters, target as CodeSystem | undefined),
  'CodeSystem-lookup': ({ parameters, target }) => lookupOperation(terminologyIndex(), parameters, target as CodeSystem | undefined),
  'CodeSystem-subsumes': ({ parameters, target }) => subsumesOperation(terminologyIndex(), parameters, target as CodeSystem | undefined),
  'ConceptMap-translate': async ({ parameters, target }, ctx) => {
    const req = translateRequest(parameters)
    const maps = (await conceptMaps(parameters, target as ConceptMap | undefined, req, ctx)).filter((m) => inScope(m, req))
    return translateResult(translate(maps, req), req, maps.length)
  },
}

/** The maps to translate with: the instance, an inline conceptMap, those with the url, or every map of the systems. */
async function conceptMaps(parameters: Parameters | undefined, target: ConceptMap | undefined, req: ReturnType<typeof translateRequest>, ctx: InteractionContext) {
  if (target) return [target]
  const input = new Inputs(parameters, '$translate')
  const inline = input.resource<ConceptMap>('conceptMap', 'ConceptMap')
  if (inline) return [inline]
  const url = input.string('url')
  const version = input.string('conceptMapVersion')
  const query: Record<string, string> = url
    ? { url, ...(version ? { version } : {}) }
    : { [req.reverse ? 'target-system' : 'source-system']: [...new Set(req.codings.map((c) => escapeValue(c.system!)))].join(',') }
  const maps = await findResources<ConceptMap>(ctx.store, 'ConceptMap', query, { baseUrl: ctx.baseUrl, count: 200 })
  if (url && maps.length === 0) throw notFound(`$translate: no ConceptMap ${url}${version ? `|${version}` : ''} here`, 'url')
  return maps
}

export function registerTerminologyOperations(): void {
  for (const def of TERMINOLOGY_OPERATIONS) {
    const run = RUNS[def.id!]
    registerOperation({
      code: def.code!,
      definition: def.url!,
      resourceTypes: def.resource ?? [],
      system: false,
      type: def.type ?? true,
      instance: def.instance ?? false,
      affectsState: false,
      inputs: inputsOf(def),
      run: async (input, ctx) => ({ status: 200, body: await run(input, ctx) }),
    })
  }
}

const PRIMITIVES = new Set<string>(['string', 'uri', 'canonical', 'code', 'integer', 'boolean', 'dateTime', 'Coding', 'CodeableConcept'])

function inputsOf(def: OperationDefinition): { name: string; type: ParameterType }[] {
  return (def.parameter ?? [])
    .filter((p) => p.use === 'in')
    .map((p) => ({ name: p.name!, type: (PRIMITIVES.has(p.type ?? '') ? p.type : 'Resource') as ParameterType }))
}

/** A search value with its commas and backslashes escaped (search.html#escaping). */
const escapeValue = (v: string) => v.replace(/[\\,]/g, (c) => `\\${c}`)
