// CaseHub's libraries ship compiled: `npm run rules` writes each as rules/Library-<name>.json with
// its ELM. That ELM is used when the file's CQL is exactly the source's text, so a process that
// only evaluates the rules never starts the translator (seconds of CPU and hundreds of MB).
// test/rules/library-files.test.ts compiles afresh and fails when a file is stale.
import type { Library } from '@medplum/fhirtypes'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ElmLibrary } from './elm.js'
import { fromFhirLibrary } from './fhir-library.js'
import { RULES_DIR, type LibrarySource } from './library-source.js'

/** The ELM shipped for `source`, or undefined when there is none or its CQL differs. */
export function precompiledElm(source: LibrarySource, dir: string = RULES_DIR): ElmLibrary | undefined {
  let library: Library
  try {
    library = JSON.parse(readFileSync(join(dir, `Library-${source.name}.json`), 'utf8')) as Library
  } catch {
    return undefined
  }
  const shipped = fromFhirLibrary(library)
  const same = shipped.source.url === source.url && shipped.source.version === source.version && shipped.source.cql === source.cql
  return same ? shipped.elm : undefined
}
