// Rules: CQL libraries compiled to ELM and evaluated over one patient's FHIR data. Pure: no
// HTTP, no database; callers hand in the patient's resources and the terminology.
import type { Library } from '@medplum/fhirtypes'
import type { TerminologyIndex } from '../terminology/index.js'
import { RuleEvaluator } from './evaluator.js'
import { toFhirLibrary } from './fhir-library.js'
import { LibraryCache } from './library-cache.js'
import { casehubSources } from './library-source.js'
import { precompiledElm } from './precompiled.js'

export { CqlCompileError, type CqlIssue } from './compile-issues.js'
export { compileCql, type IncludeResolver } from './translator.js'
export { fhirHelpersCql, FHIR_HELPERS } from './fhir-helpers.js'
export { LibraryCache, splitCanonical } from './library-cache.js'
export { selectLibrary, type LibraryVersion, type PlanVersion, type Selection } from './library-selection.js'
export { compareVersions } from './versions.js'
export { RuleEvaluator, type CqlResults } from './evaluator.js'
export { codeServiceFor, codeServiceJson, type CodeServiceJson } from './code-service.js'
export { toFhirLibrary, fromFhirLibrary, CQL_TYPE, ELM_JSON_TYPE } from './fhir-library.js'
export { casehubSources, sourceOf, libraryHeader, CASEHUB_LIBRARY_BASE, RULES_DIR, type LibrarySource } from './library-source.js'
export { retrievedTypes, type ElmLibrary } from './elm.js'
export * from './eligibility.js'
export * from './risk-stratification.js'
export { EvaluationPool, type PortableLibrary, type PortableParameters } from './evaluation-pool.js'
export { elementsRead } from './elm.js'

let shared: LibraryCache | undefined

/** The process's library cache, holding CaseHub's own libraries (their shipped ELM, else compiled on first use). */
export function casehubLibraryCache(): LibraryCache {
  if (!shared) {
    shared = new LibraryCache()
    for (const source of casehubSources()) shared.add(source, precompiledElm(source))
  }
  return shared
}

/** CaseHub's libraries as FHIR Library resources, compiled afresh from rules/*.cql (a few seconds). */
export function casehubLibraries(): Library[] {
  const fresh = new LibraryCache()
  const sources = casehubSources()
  for (const source of sources) fresh.add(source)
  return sources.map((s) => toFhirLibrary(s, fresh.elm(s.url, s.version)))
}

/** The version of `url` that CaseHub ships in rules/: the fallback when none is stored. */
export function casehubVersion(url: string): string | undefined {
  return casehubSources().find((s) => s.url === url)?.version
}

/** An evaluator over the shared cache; `terminology` is read on each use (it may change). */
export function createEvaluator(terminology: () => TerminologyIndex): RuleEvaluator {
  return new RuleEvaluator(casehubLibraryCache(), terminology)
}
