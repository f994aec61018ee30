// Prefer: return=minimal | representation | OperationOutcome (http.html#ops) for write results.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes'
import { issue, outcome } from '../errors.js'

export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome'

export function returnPreference(prefer: string | undefined): ReturnPreference {
  const m = /return\s*=\s*"?(minimal|representation|OperationOutcome)"?/i.exec(prefer ?? '')
  if (!m) return 'representation'
  const v = m[1].toLowerCase()
  return v === 'minimal' ? 'minimal' : v === 'operationoutcome' ? 'OperationOutcome' : 'representation'
}

export function writeOutcome(status: number, warnings: OperationOutcomeIssue[] = []) {
  const text = status === 201 ? 'Created' : status === 200 ? 'Updated' : 'Done'
  return outcome([issue('informational', text, undefined, 'information'), ...warnings])
}
