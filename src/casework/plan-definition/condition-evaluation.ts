// Evaluates a PlanDefinition's text/cql applicability conditions for one patient: the conditions
// are compiled into a copy of the PlanDefinition's library (rules/condition-library.ts), once per
// library text and conditions, and run over the patient's record like the eligibility rules are,
// at the referral's authoredOn (else now). true → applicable; false or null → not.
import type { OperationOutcomeIssue, Patient, ServiceRequest } from '@medplum/fhirtypes'
import { invalidResource, issue, unprocessable } from '../../errors.js'
import { terminologyIndex } from '../../fhir/conformance/terminology.js'
import { codeRequirements, type CodeRequirements } from '../../rules/code-requirements.js'
import { conditionDefine, conditionLibrary, issuesByCondition, type ConditionLibrary } from '../../rules/condition-library.js'
import { casehubLibraryCache, CqlCompileError, FHIR_HELPERS, LibraryCache, loadTranslator, type LibrarySource } from '../../rules/index.js'
import { RuleEvaluator } from '../../rules/evaluator.js'
import { eligibilityParameters } from '../../rules/parameters.js'
import type { TerminologyIndex } from '../../terminology/index.js'
import type { ResourceStore } from '../../store/types.js'
import { fetchPatientRecord } from '../patient-record.js'
import type { ApplicabilityCondition } from './conditions.js'

export interface ConditionContext {
  patient: Patient
  referral?: ServiceRequest
  baseUrl: string
  /** the assessment date when there is no referral (default: now) */
  now?: Date
}

interface Prepared {
  library: ConditionLibrary
  evaluator: RuleEvaluator
  codes?: { index: TerminologyIndex; generation: number; requirements: CodeRequirements }
}

/** Compiled wrappers by url (a hash of their text) and the shared cache's generation; a few PlanDefinitions at most. */
const prepared = new Map<string, Prepared>()
const KEEP = 32

/** The main library a PlanDefinition names (PlanDefinition.library, `url|version`), from the process's library cache. */
export function mainLibrary(canonicals: string[] | undefined): LibrarySource | undefined {
  if (!canonicals?.length) return undefined
  if (canonicals.length > 1) throw invalidResource([issue('not-supported', 'CaseHub evaluates conditions over one library; this PlanDefinition names several', 'PlanDefinition.library[1]')], 422)
  const [url, version] = splitCanonical(canonicals[0])
  const source = casehubLibraryCache().source(url, version)
  if (!source) throw unprocessable(`The PlanDefinition's library ${canonicals[0]} is not loaded on this server`, 'PlanDefinition.library[0]')
  return source
}

function splitCanonical(canonical: string): [string, string | undefined] {
  const bar = canonical.lastIndexOf('|')
  return bar < 0 ? [canonical, undefined] : [canonical.slice(0, bar), canonical.slice(bar + 1) || undefined]
}

/** Each condition's value for the patient: true, false, or undefined when null. */
export async function evaluateConditions(
  store: ResourceStore,
  main: LibrarySource | undefined,
  conditions: ApplicabilityCondition[],
  ctx: ConditionContext,
): Promise<Map<string, boolean | undefined>> {
  // The conditions are compiled into a library of their own: the translator is needed.
  await loadTranslator()
  const p = prepare(main, conditions)
  const url = p.library.source.url
  const bundle = await fetchPatientRecord(store, {
    patient: ctx.patient, referral: ctx.referral, types: p.evaluator.dataRequirements(url), baseUrl: ctx.baseUrl, codes: codesFor(p),
  })
  // CaseHub's libraries take the assessment date and the referral by these parameters; a library
  // that does not declare them ignores them.
  const parameters = eligibilityParameters({ assessmentDate: ctx.referral?.authoredOn ?? ctx.now ?? new Date(), referralId: ctx.referral?.id })
  let results: Record<string, unknown>
  try {
    results = await p.evaluator.evaluate(url, bundle, parameters)
  } catch (err) {
    throw unprocessable(`The PlanDefinition's conditions could not be evaluated for Patient/${ctx.patient.id}: ${(err as Error).message}`)
  }
  return new Map(conditions.map((c) => {
    const value = results[conditionDefine(c.key)]
    return [c.key, typeof value === 'boolean' ? value : undefined]
  }))
}

function prepare(main: LibrarySource | undefined, conditions: ApplicabilityCondition[]): Prepared {
  const shared = casehubLibraryCache()
  const library = conditionLibrary(main, conditions)
  // The shared generation moves when a library is uploaded: an include may have changed.
  const key = `${library.source.url}|${shared.generation}`
  const found = prepared.get(key)
  if (found) return found
  // A cache of its own, so adding the wrapper does not disturb the shared one's evaluations.
  const cache = new LibraryCache()
  const root = main ?? shared.byName(FHIR_HELPERS.name, FHIR_HELPERS.version)!
  try {
    for (const [i, elm] of shared.closure(root.url, root.version).entries()) {
      const id = elm.library.identifier
      cache.add(i === 0 ? root : shared.byName(id.id, id.version)!, elm)
    }
  } catch (err) {
    throw unprocessable(`The PlanDefinition's library ${root.url}|${root.version} cannot be used: ${(err as Error).message}`, 'PlanDefinition.library[0]')
  }
  cache.add(library.source)
  try {
    cache.elm(library.source.url)
  } catch (err) {
    if (err instanceof CqlCompileError) throw invalidResource(compileIssues(library, err), 422)
    throw err
  }
  const made: Prepared = { library, evaluator: new RuleEvaluator(cache, terminologyIndex) }
  if (prepared.size >= KEEP) prepared.delete(prepared.keys().next().value!)
  prepared.set(key, made)
  return made
}

/** Translator errors as issues at the condition they are in, lines counted within its expression. */
function compileIssues(library: ConditionLibrary, err: CqlCompileError): OperationOutcomeIssue[] {
  const out: OperationOutcomeIssue[] = []
  for (const [key, issues] of issuesByCondition(library, err.issues.filter((i) => i.severity === 'error'))) {
    for (const i of issues) {
      const line = key && i.line !== undefined ? Math.max(1, i.line - library.firstLine(key) + 1) : i.line
      const where = line !== undefined ? ` line ${line}, column ${i.column}` : ''
      out.push(issue('invalid', `CQL${where}: ${i.message}`, key ? `${key}.expression.expression` : 'PlanDefinition.library[0]'))
    }
  }
  return out
}

function codesFor(p: Prepared): CodeRequirements {
  const index = terminologyIndex()
  if (p.codes?.index !== index || p.codes.generation !== index.generation) {
    const { elms, valueSets } = p.evaluator.portable(p.library.source.url)
    p.codes = { index, generation: index.generation, requirements: codeRequirements(elms, valueSets) }
  }
  return p.codes.requirements
}
