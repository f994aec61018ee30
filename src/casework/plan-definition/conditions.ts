// The applicability conditions of a PlanDefinition's actions, at every depth, each named by its
// FHIRPath (PlanDefinition.action[0].action[1].condition[0]), and what CaseHub cannot apply:
// conditions in a language other than text/cql, and actions that would need ActivityDefinition
// $apply (definition[x], dynamicValue). Checked before anything is evaluated, so the answer
// depends on the PlanDefinition alone, not on the patient.
import type { OperationOutcomeIssue, PlanDefinition, PlanDefinitionAction } from '@medplum/fhirtypes'
import { invalidResource, issue } from '../../errors.js'

export const CQL = 'text/cql'

export interface ApplicabilityCondition {
  /** FHIRPath of the condition, e.g. PlanDefinition.action[0].condition[0] */
  key: string
  cql: string
}

/** Every action with its FHIRPath, parents before children. */
export function* actionsOf(actions: PlanDefinitionAction[] | undefined, path = 'PlanDefinition'): Generator<[PlanDefinitionAction, string]> {
  for (const [i, action] of (actions ?? []).entries()) {
    const at = `${path}.action[${i}]`
    yield [action, at]
    yield* actionsOf(action.action, at)
  }
}

/** The applicability conditions to evaluate; throws 422 not-supported naming each that cannot be. */
export function applicabilityConditions(plan: PlanDefinition): ApplicabilityCondition[] {
  const out: ApplicabilityCondition[] = []
  const problems: OperationOutcomeIssue[] = []
  const unsupported = (message: string, path: string) => problems.push(issue('not-supported', message, path))
  for (const [action, at] of actionsOf(plan.action)) {
    if (action.definitionCanonical || action.definitionUri) {
      unsupported('Actions with a definition (ActivityDefinition or PlanDefinition $apply) are not supported', `${at}.definition${action.definitionCanonical ? 'Canonical' : 'Uri'}`)
    }
    if (action.dynamicValue?.length) unsupported('Actions with dynamic values are not supported', `${at}.dynamicValue[0]`)
    for (const [j, condition] of (action.condition ?? []).entries()) {
      // Start and stop conditions are carried into the RequestGroup, not evaluated (PlanDefinition.action.condition.kind).
      if (condition.kind !== 'applicability') continue
      const path = `${at}.condition[${j}].expression`
      const expression = condition.expression
      if (expression?.language !== CQL) {
        unsupported(`The condition's language is ${expression?.language ?? 'not given'}; CaseHub evaluates ${CQL} only`, path)
      } else if (!expression.expression?.trim()) {
        unsupported(`The condition has no inline ${CQL} expression${expression.reference ? ' (a reference to an expression is not supported)' : ''}`, path)
      } else {
        out.push({ key: `${at}.condition[${j}]`, cql: expression.expression })
      }
    }
  }
  if (problems.length) throw invalidResource(problems, 422)
  return out
}
