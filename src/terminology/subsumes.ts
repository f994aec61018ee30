// $subsumes (codesystem-operation-subsumes.html, R4) over a local is-a hierarchy.
import type { LocalCodeSystem } from './code-system.js'

export type SubsumptionOutcome = 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed'

/** Both codes must be codes of `cs` (the caller checks and names the bad one). */
export function subsumption(cs: LocalCodeSystem, codeA: string, codeB: string): SubsumptionOutcome {
  if (codeA === codeB) return 'equivalent'
  if (cs.descendants(codeA).has(codeB)) return 'subsumes'
  if (cs.ancestors(codeA).has(codeB)) return 'subsumed-by'
  return 'not-subsumed'
}
