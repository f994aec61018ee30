// Rules: CQL libraries compiled to ELM and evaluated over one patient's FHIR data. Pure: no
// HTTP, no database; callers hand in the patient's resources and the terminology.
//
// This index is the light part, which the server loads at start: the libraries' contracts
// (urls, results), their sources and versions, and the ELM cache. The heavy parts load where
// CQL is compiled or evaluated, lazily from code the server loads at start: the translator
// (@cqframework/cql, over a second) through loadTranslator() or LibraryCache.ready(), and the
// engine (cql-execution, cql-exec-fhir, about half a second) from evaluator.ts and parameters.ts.
export { CqlCompileError, type CqlIssue } from './compile-issues.js'
export { loadTranslator } from './load-translator.js'
export type { IncludeResolver } from './translator.js'
export { fhirHelpersCql, FHIR_HELPERS } from './fhir-helpers.js'
export { LibraryCache, splitCanonical } from './library-cache.js'
export { selectLibrary, type LibraryVersion, type PlanVersion, type Selection } from './library-selection.js'
export { compareVersions } from './versions.js'
export type { CqlResults, RuleEvaluator } from './evaluator.js'
export type { CodeServiceJson } from './code-service.js'
export { toFhirLibrary, fromFhirLibrary, CQL_TYPE, ELM_JSON_TYPE } from './fhir-library.js'
export { casehubSources, sourceOf, libraryHeader, CASEHUB_LIBRARY_BASE, RULES_DIR, type LibrarySource } from './library-source.js'
export { casehubLibraryCache, casehubLibraries, casehubVersion } from './casehub-libraries.js'
export { retrievedTypes, elementsRead, type ElmLibrary } from './elm.js'
export * from './eligibility.js'
export * from './risk-stratification.js'
export { EvaluationPool, type PortableLibrary, type PortableParameters } from './evaluation-pool.js'
