// Patient/[id]/$everything (patient-operation-everything.html): the patient, every resource in
// their compartment (compartmentdefinition-patient.html), and the resources those refer to
// (practitioners, organisations, locations, medications), as a searchset paged like any search.
// What comes along is only of types outside the Patient compartment: a resource of a compartment
// type that belongs to this patient is a match already (on some page), and one that does not
// (a Group's other members, an Observation of someone else in a List) is another patient's.
//  - start / end: care dates ("not record currency dates"). A resource whose care date lies
//    wholly outside the range is left out: the date parameter of CARE_DATE for the types it names
//    (a MedicationRequest's authoredOn, a Condition's onset, …), else R4's clinical `date`
//    (Encounter, Observation, CarePlan, Procedure, …). Resources without a care date
//    (a Condition with no onset, a Group, a Coverage) are always in.
//  - _since: only resources changed at or after that instant; _type (repeatable, comma-separated):
//    only those types, among the matches and among what comes along; _count: the page size.
import { badRequest } from '../../errors.js'
import type { Condition } from '../../store/search-types.js'
import type { StoredVersion } from '../../store/types.js'
import { runSearch } from '../interactions/search.js'
import { wholeCompartment } from '../search/compartment.js'
import { instantParameter, instantRange } from '../search/date-range.js'
import { searchParam } from '../search/parameters.js'
import { parseSearch } from '../search/parse.js'
import type { FhirResponse, InteractionContext } from '../types.js'
import { isResourceType } from '../validation/index.js'
import { paramValue } from './parameters.js'
import { registerOperation, type OperationInput } from './registry.js'

const DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/

export function registerEverythingOperation(): void {
  registerOperation({
    code: 'everything',
    definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
    resourceTypes: ['Patient'],
    system: false,
    type: false,
    instance: true,
    affectsState: false,
    inputs: [
      { name: 'start', type: 'string' },
      { name: 'end', type: 'string' },
      { name: '_since', type: 'string' },
      { name: '_type', type: 'string' },
      { name: '_count', type: 'integer' },
      // the position in the result, in the paging links this operation writes
      { name: '_cursor', type: 'string' },
    ],
    run: everything,
  })
}

async function everything(input: OperationInput, ctx: InteractionContext): Promise<FhirResponse> {
  const id = input.id!
  const whole = wholeCompartment('Patient', id)!
  const text = (name: string) => {
    const value = paramValue(input.parameters, name)
    return value === undefined ? undefined : String(value)
  }
  const start = text('start')
  const end = text('end')
  const since = text('_since')
  for (const [name, value] of [['start', start], ['end', end]] as const) {
    if (value !== undefined && !(DATE.test(value) && instantRange(value))) {
      throw badRequest(`${name} must be a date (YYYY, YYYY-MM or YYYY-MM-DD), not "${value.slice(0, 40)}"`, name)
    }
  }
  instantParameter(since, '_since')

  // _type is a code in the OperationDefinition; a string is taken too
  const typeParams = (input.parameters.parameter ?? []).filter((p) => p.name === '_type').map((p) => String(p.valueCode ?? p.valueString ?? ''))
  const asked = typeParams.length ? typeParams.flatMap((v) => v.split(',')).map((t) => t.trim()) : undefined
  let types = whole.types
  if (asked) {
    const unknown = asked.filter((t) => !isResourceType(t))
    if (unknown.length) throw badRequest(`_type names no resource type: ${unknown.map((t) => `"${t}"`).join(', ')}`, '_type')
    types = whole.types.filter((t) => asked.includes(t))
    if (types.length === 0) throw badRequest('_type must name at least one type of the Patient compartment (Encounter, Observation, …); other types only narrow what comes along', '_type')
  }
  const along = (v: StoredVersion) => !whole.types.includes(v.resourceType) && (!asked || asked.includes(v.resourceType))

  const query: Record<string, string[]> = { _include: ['*'] }
  const count = text('_count')
  if (count !== undefined) query._count = [count]
  const cursor = text('_cursor')
  if (cursor !== undefined) query._cursor = [cursor]
  if (since !== undefined) query._lastUpdated = [`ge${since}`]

  // the compartment holds the Patients linked to this one; the patient is in by definition
  const self: Condition = { kind: 'and', conditions: [{ kind: 'type', types: ['Patient'] }, { kind: 'id', ids: [id] }] }
  const conditions: Condition[] = [{ kind: 'or', conditions: [self, whole.condition] }]
  const care = careDates(types, start, end, ctx.baseUrl)
  if (care) conditions.push(care)
  // the links repeat this operation's own inputs, so the next page is asked of $everything again
  const links: Record<string, string[]> = typeParams.length ? { _type: typeParams } : {}
  for (const name of ['start', 'end', '_since', '_count']) {
    const value = text(name)
    if (value !== undefined) links[name] = [value]
  }
  const request = { ...input.request, query }
  return runSearch(request, ctx, types, `Patient/${id}/$everything`, { extra: { kind: 'and', conditions }, linkQuery: links, showIncluded: along })
}

/**
 * The care date of the Patient compartment's types that have no R4 `date` search parameter, or
 * whose `date` is something else (a MedicationRequest's `date` is its dosage timing).
 */
const CARE_DATE: Record<string, string> = {
  Account: 'period', Basic: 'created', ChargeItem: 'entered-date', Claim: 'created', ClaimResponse: 'created',
  Communication: 'sent', CommunicationRequest: 'authored', Condition: 'onset-date', CoverageEligibilityRequest: 'created',
  CoverageEligibilityResponse: 'created', DetectedIssue: 'identified', DeviceRequest: 'authored-on', DocumentManifest: 'created',
  // a document's `date` is when it was indexed; the care it records is its context period
  DocumentReference: 'period',
  ExplanationOfBenefit: 'created', Goal: 'start-date', ImagingStudy: 'started', Media: 'created',
  MedicationAdministration: 'effective-time', MedicationDispense: 'whenhandedover', MedicationRequest: 'authoredon',
  MedicationStatement: 'effective', NutritionOrder: 'datetime', Provenance: 'recorded', QuestionnaireResponse: 'authored',
  RequestGroup: 'authored', ServiceRequest: 'authored', Specimen: 'collected', Task: 'authored-on', VisionPrescription: 'datewritten',
}

/** The date search parameter that holds a type's care date, if it has one. */
function careDateParam(type: string): string | undefined {
  for (const code of [CARE_DATE[type], 'date']) if (code && searchParam(type, code)?.type === 'date') return code
  return undefined
}

/**
 * `types` whose care date is in range (search.html#prefix: ge/le match any overlap), or who have
 * none. Types sharing a care-date parameter share one condition, so the SQL stays short.
 */
function careDates(types: string[], start: string | undefined, end: string | undefined, baseUrl: string): Condition | undefined {
  const values = [...(start ? [`ge${start}`] : []), ...(end ? [`le${end}`] : [])]
  if (values.length === 0) return undefined
  const byParam = new Map<string | undefined, string[]>()
  for (const type of types) byParam.set(careDateParam(type), [...(byParam.get(careDateParam(type)) ?? []), type])
  const conditions: Condition[] = []
  for (const [param, group] of byParam) {
    const type: Condition = { kind: 'type', types: group }
    if (!param) {
      conditions.push(type)
      continue
    }
    const inRange = parseSearch([group[0]], { [param]: values }, baseUrl).query.conditions
    const dated: Condition = { kind: 'or', conditions: [{ kind: 'missing', table: 'date', param, missing: true }, { kind: 'and', conditions: inRange }] }
    conditions.push({ kind: 'and', conditions: [type, dated] })
  }
  return { kind: 'or', conditions }
}
