// ConceptMap/$translate (conceptmap-operation-translate.html) over ConceptMaps the caller has
// found: a code of a source system becomes the codes its map's groups give in the target system
// (or, with reverse, a target code goes back to the source codes that map to it).
import type { CodeableConcept, Coding, ConceptMap, Parameters, ParametersParameter } from '@medplum/fhirtypes'
import { badRequest } from '../errors.js'
import { OperationInput, outputParameters } from './parameters.js'

export interface TranslateMatch {
  equivalence: string
  concept?: Coding
  /** the ConceptMap that gave the match */
  source?: string
}

export interface TranslateRequest {
  codings: Coding[]
  targetSystem?: string
  reverse: boolean
  /** value sets the map must be from (source) and to (target), when given */
  sourceScope?: string
  targetScope?: string
}

/** Equivalences that do not carry the meaning over (conceptmap-equivalence). */
const NO_MAPPING = new Set(['unmatched', 'disjoint'])

/** A match that gives a code meaning the same (or wider, narrower …): not unmatched or disjoint. */
export const carriesMeaning = (m: TranslateMatch) => m.concept !== undefined && !NO_MAPPING.has(m.equivalence)

/** Reads the inputs of $translate (400 naming the parameter when they do not make one request). */
export function translateRequest(params: Parameters | undefined): TranslateRequest {
  const input = new OperationInput(params, '$translate')
  const given = ['code', 'coding', 'codeableConcept'].filter((n) => input.has(n))
  if (given.length !== 1) throw badRequest('$translate: give exactly one of code (with system), coding or codeableConcept', given[1] ?? 'code')
  let codings: Coding[]
  if (given[0] === 'code') {
    const system = input.string('system')
    if (!system) throw badRequest('$translate: a code needs its system', 'system')
    codings = [{ system, code: input.string('code'), version: input.string('version') }]
  } else if (given[0] === 'coding') codings = [input.coding('coding')!]
  else codings = (input.codeableConcept('codeableConcept') as CodeableConcept).coding ?? []
  const incomplete = codings.find((c) => !c.system || !c.code)
  if (!codings.length || incomplete) throw badRequest('$translate: each coding needs a system and a code', given[0])
  return {
    codings,
    targetSystem: input.string('targetsystem'),
    reverse: input.boolean('reverse') ?? false,
    sourceScope: input.string('source'),
    targetScope: input.string('target'),
  }
}

/** Whether a map is from / to the value sets the request names (when it names them). */
export function inScope(map: ConceptMap, req: TranslateRequest): boolean {
  const from = map.sourceUri ?? map.sourceCanonical
  const to = map.targetUri ?? map.targetCanonical
  const [wantFrom, wantTo] = req.reverse ? [req.targetScope, req.sourceScope] : [req.sourceScope, req.targetScope]
  return (!wantFrom || wantFrom === from) && (!wantTo || wantTo === to)
}

export function translate(maps: ConceptMap[], req: TranslateRequest): TranslateMatch[] {
  const matches: TranslateMatch[] = []
  for (const map of maps) {
    for (const group of map.group ?? []) {
      const [from, to] = req.reverse ? [group.target, group.source] : [group.source, group.target]
      const [fromVersion, toVersion] = req.reverse ? [group.targetVersion, group.sourceVersion] : [group.sourceVersion, group.targetVersion]
      if (req.targetSystem && to !== req.targetSystem) continue
      for (const coding of req.codings) {
        if (coding.system !== from || (coding.version && fromVersion && coding.version !== fromVersion)) continue
        for (const element of group.element ?? []) {
          for (const target of element.target ?? []) {
            const [fromCode, toCode, toDisplay] = req.reverse ? [target.code, element.code, element.display] : [element.code, target.code, target.display]
            if (fromCode !== coding.code) continue
            const concept = toCode ? { system: to, ...(toVersion ? { version: toVersion } : {}), code: toCode, ...(toDisplay ? { display: toDisplay } : {}) } : undefined
            matches.push({ equivalence: target.equivalence ?? 'equivalent', ...(concept ? { concept } : {}), ...(map.url ? { source: map.url } : {}) })
          }
        }
      }
    }
  }
  return matches
}

/** The $translate output: result (true when some match carries the meaning), message, match*. */
export function translateResult(matches: TranslateMatch[], req: TranslateRequest, mapCount: number): Parameters {
  const result = matches.some(carriesMeaning)
  const out: ParametersParameter[] = [{ name: 'result', valueBoolean: result }]
  if (!result) {
    const codes = req.codings.map((c) => `${c.system}|${c.code}`).join(', ')
    out.push({ name: 'message', valueString: `No mapping for ${codes} in ${mapCount} ConceptMap(s)${req.reverse ? ' (reverse)' : ''}` })
  }
  for (const m of matches) {
    out.push({
      name: 'match',
      part: [
        { name: 'equivalence', valueCode: m.equivalence },
        ...(m.concept ? [{ name: 'concept', valueCoding: m.concept }] : []),
        ...(m.source ? [{ name: 'source', valueUri: m.source }] : []),
      ],
    })
  }
  return outputParameters(out)
}
