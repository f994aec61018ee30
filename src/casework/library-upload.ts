// A Library with CQL content (text/cql) written through the API is compiled before it is stored:
// CQL that does not compile is refused with 422, each error with its line and column, and
// nothing is stored. Once committed, its ELM joins the process's library cache by url|version,
// so rules can use the new version without a restart (issue: "rules as data").
import type { Library, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { invalidResource, unprocessable } from '../errors.js'
import type { WriteHook } from '../fhir/write-hooks.js'

const CQL = 'text/cql'

function cqlContent(library: Library): number {
  return (library.content ?? []).findIndex((c) => c.contentType?.split(';')[0].trim() === CQL)
}

// The translator is heavy (hundreds of MB, seconds to start), so it loads with the first Library.
const rules = () => import('../rules/index.js')

export const libraryUpload: WriteHook = {
  name: 'library-upload',
  async check(resource: Resource, path: string) {
    const library = resource as Library
    const at = cqlContent(library)
    if (at < 0) return
    const { CqlCompileError, casehubLibraryCache, compileCql, fromFhirLibrary } = await rules()
    let source
    try {
      source = fromFhirLibrary(library).source
    } catch (err) {
      throw unprocessable((err as Error).message, `${path}.content[${at}]`)
    }
    const cache = casehubLibraryCache()
    try {
      compileCql(source.cql, (name, version) => cache.byName(name, version)?.cql)
    } catch (err) {
      if (!(err instanceof CqlCompileError)) throw err
      const issues: OperationOutcomeIssue[] = err.issues
        .filter((i) => i.severity === 'error')
        .map((i) => ({
          severity: 'error',
          code: 'invalid',
          diagnostics: `CQL${i.library ? ` (${i.library})` : ''}${i.line !== undefined ? ` line ${i.line}, column ${i.column}` : ''}: ${i.message}`,
          expression: [`${path}.content[${at}].data`],
        }))
      throw invalidResource(issues, 422)
    }
  },
  committed(resource: Resource) {
    const library = resource as Library
    if (cqlContent(library) < 0) return
    void rules().then(({ casehubLibraryCache, fromFhirLibrary }) => {
      const { source, elm } = fromFhirLibrary(library)
      casehubLibraryCache().add(source, elm)
    })
  },
}
