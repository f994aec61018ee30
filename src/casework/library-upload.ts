// A Library with CQL content (text/cql) written through the API is compiled before it is stored:
// CQL that does not compile is refused with 422, each error with its line and column, and
// nothing is stored. Once committed, its ELM joins the process's library cache by url|version.
// Which stored version the rules run is chosen on every use (library-selection.ts), from the
// search index: so a new active version, a retired one or a new intake PlanDefinition takes
// effect at once, in every process, and after a restart.
import type { Library, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { invalidResource, unprocessable } from '../errors.js'
import type { WriteHook } from '../fhir/write-hooks.js'
import type { ResourceStore } from '../store/types.js'
import {
  casehubLibraryCache, casehubVersion, CqlCompileError, fromFhirLibrary, loadTranslator, selectLibrary,
  type ElmLibrary, type LibraryVersion, type PlanVersion,
} from '../rules/index.js'
import { sqlOf } from './stratification/sql.js'

const CQL = 'text/cql'

function cqlContent(library: Library): number {
  return (library.content ?? []).findIndex((c) => c.contentType?.split(';')[0].trim() === CQL)
}

const originOf = (library: Library) => `Library/${library.id}/_history/${library.meta?.versionId ?? ''}`

/** ELM compiled by `check`, by CQL text, for `committed` to cache instead of compiling again
 *  (seconds); a few entries, since a write that rolls back leaves its entry behind. */
const checked = new Map<string, ElmLibrary>()
const CHECKED_KEPT = 8

export const libraryUpload: WriteHook = {
  name: 'library-upload',
  async check(resource: Resource, path: string) {
    const library = resource as Library
    const at = cqlContent(library)
    if (at < 0) return
    // The translator is heavy (hundreds of MB, a second or more to load): it loads with the first such Library.
    const { compileCql } = await loadTranslator()
    let source
    try {
      source = fromFhirLibrary(library).source
    } catch (err) {
      throw unprocessable((err as Error).message, `${path}.content[${at}]`)
    }
    const cache = casehubLibraryCache()
    try {
      const { elm } = compileCql(source.cql, (name, version) => cache.byName(name, version)?.cql)
      checked.set(source.cql, elm)
      if (checked.size > CHECKED_KEPT) checked.delete(checked.keys().next().value!)
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
    const { source, elm } = fromFhirLibrary(library)
    const compiled = elm ?? checked.get(source.cql)
    checked.delete(source.cql)
    casehubLibraryCache().add(source, compiled, originOf(library))
  },
}

/**
 * The stored Libraries at `$1` with CQL, and the PlanDefinitions at `$2`, read from the search
 * index (url, version, status, content-type): Library bodies carry their ELM and are hundreds
 * of kB, so only the PlanDefinitions' (small) bodies are read, for their `library` canonicals.
 */
const VERSIONS = `
  SELECT r.resource_type AS type, r.id, r.version_id::text AS "versionId",
         (SELECT t.code FROM search_token t WHERE t.resource_type = r.resource_type AND t.id = r.id AND t.param = 'version' LIMIT 1) AS version,
         (SELECT t.code FROM search_token t WHERE t.resource_type = r.resource_type AND t.id = r.id AND t.param = 'status' LIMIT 1) AS status,
         CASE WHEN r.resource_type = 'PlanDefinition' THEN r.content -> 'library' END AS library
    FROM search_uri u
    JOIN resource r ON r.resource_type = u.resource_type AND r.id = u.id AND NOT r.deleted
   WHERE u.param = 'url'
     AND ((u.resource_type = 'PlanDefinition' AND u.value = $2)
       OR (u.resource_type = 'Library' AND u.value = $1
           AND EXISTS (SELECT 1 FROM search_token t WHERE t.resource_type = r.resource_type AND t.id = r.id AND t.param = 'content-type' AND t.code LIKE '${CQL}%')))`

interface VersionRow {
  type: 'Library' | 'PlanDefinition'
  id: string
  versionId: string
  version: string | null
  status: string | null
  library: string[] | null
}

/**
 * The canonical (`url|version`) of the library version the rules run now, named by the
 * PlanDefinition at `planUrl` when given; its source is in the process's cache on return
 * (read from the store when this process has not seen it, or has seen an older body), and can
 * be compiled if it has no ELM (the translator is then loaded). Without any active stored
 * version, the version CaseHub ships in rules/.
 */
export async function selectedLibrary(store: ResourceStore, url: string, planUrl?: string): Promise<string> {
  // A named (prepared) statement: it runs for every evaluation, and planning it was most of its cost.
  const { rows } = await sqlOf(store).query<VersionRow>({ name: 'casehub-library-versions', text: VERSIONS, values: [url, planUrl ?? null] })
  const libraries: LibraryVersion[] = rows
    .filter((r) => r.type === 'Library')
    .map((r) => ({ id: r.id, versionId: r.versionId, version: r.version ?? '', status: r.status ?? '' }))
  const plans: PlanVersion[] = rows
    .filter((r) => r.type === 'PlanDefinition')
    .map((r) => ({ version: r.version ?? '', status: r.status ?? '', library: Array.isArray(r.library) ? r.library : [] }))
  const chosen = selectLibrary(url, libraries, plans)
  if (!chosen) {
    const shipped = casehubVersion(url)
    if (!shipped) throw new Error(`No active version of the CQL library ${url} is stored`)
    await casehubLibraryCache().ready()
    return `${url}|${shipped}`
  }
  const cache = casehubLibraryCache()
  const origin = `Library/${chosen.held.id}/_history/${chosen.held.versionId}`
  const seen = cache.origin(url, chosen.version)
  if (!cache.source(url, chosen.version) || (seen !== undefined && seen !== origin)) {
    const stored = await store.read('Library', chosen.held.id)
    if (!stored?.json || stored.deleted) throw new Error(`Library/${chosen.held.id} is no longer stored`)
    const library = JSON.parse(stored.json) as Library
    const { source, elm } = fromFhirLibrary(library)
    cache.add(source, elm, originOf(library))
  }
  await cache.ready()
  return `${url}|${chosen.version}`
}
