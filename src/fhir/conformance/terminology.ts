// The terminology the server answers from: every ValueSet and CodeSystem it stores (CaseHub's
// own from terminology/, and any written through the API), kept in step with the registry.
import type { CodeSystem, ValueSet } from '@medplum/fhirtypes'
import { codeCheckerFor, TerminologyIndex, type CodeChecker } from '../../terminology/index.js'
import { allCanonical, canonicalGeneration } from './canonical-registry.js'

let current: { generation: number; index: TerminologyIndex; checker: CodeChecker } | undefined

/** Rebuilt (cheaply: expansions are computed on demand) after a ValueSet or CodeSystem changes. */
export function terminologyIndex(): TerminologyIndex {
  return state().index
}

/** Is system|code in the ValueSet? undefined when the ValueSet is not known here. */
export const checkCode: CodeChecker = (valueSetUrl, system, code) => state().checker(valueSetUrl, system, code)

function state() {
  const generation = canonicalGeneration()
  if (current?.generation === generation) return current
  const index = new TerminologyIndex()
  for (const r of [...allCanonical<CodeSystem>('CodeSystem'), ...allCanonical<ValueSet>('ValueSet')]) {
    try {
      index.add(r)
    } catch {
      // A stored resource the index cannot use (e.g. without a url) is left out, not fatal.
    }
  }
  current = { generation, index, checker: codeCheckerFor(index) }
  return current
}
