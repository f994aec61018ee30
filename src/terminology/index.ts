// Terminology over CaseHub's local content: CodeSystems and ValueSets held in memory, with the R4
// terminology operations ($expand, $validate-code, $lookup, $subsumes) and a fast membership
// check for required bindings. Pure: no HTTP, no database.
export { TerminologyIndex, type TerminologyResource } from './terminology-index.js'
export { loadTerminologyDir, readTerminologyDir, TERMINOLOGY_DIR } from './load.js'
export { LocalCodeSystem, type LocalConcept } from './code-system.js'
export { ConceptSet, type Entry } from './concept-set.js'
export { expandValueSet, expansionEntries, matchesText, type ExpandOptions } from './expand.js'
export { validateInValueSet, validateInCodeSystem, validateCodeableConcept, type CodeInput, type ValidateResult } from './validate-code.js'
export { lookupConcept } from './lookup.js'
export { subsumption, type SubsumptionOutcome } from './subsumes.js'
export { codeCheckerFor, type CodeChecker } from './code-checker.js'
export { expandOperation, validateCodeOperation, lookupOperation, subsumesOperation } from './operations.js'
export { TERMINOLOGY_OPERATIONS } from './operation-definitions.js'
export { splitCanonical } from './canonical.js'
