// CaseHub's own libraries (rules/*.cql): the process's shared cache, which holds them with their
// shipped ELM (so evaluating them needs no translator), and the same compiled afresh for
// `npm run rules`.
import type { Library } from '@medplum/fhirtypes'
import { toFhirLibrary } from './fhir-library.js'
import { LibraryCache } from './library-cache.js'
import { casehubSources } from './library-source.js'
import { precompiledElm } from './precompiled.js'

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
export async function casehubLibraries(): Promise<Library[]> {
  const fresh = new LibraryCache()
  const sources = casehubSources()
  for (const source of sources) fresh.add(source)
  await fresh.ready()
  return sources.map((s) => toFhirLibrary(s, fresh.elm(s.url, s.version)))
}

/** The version of `url` that CaseHub ships in rules/: the fallback when none is stored. */
export function casehubVersion(url: string): string | undefined {
  return casehubSources().find((s) => s.url === url)?.version
}
