// CQL library sources: CaseHub's own (rules/*.cql at the repository root, plus the generated
// FHIRHelpers) and, later, any uploaded as FHIR Library resources. A library is known by its
// canonical url and version; includes name it by its CQL name and version (CQL §"Libraries").
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fhirHelpersCql } from './fhir-helpers.js'

export const RULES_DIR = new URL('../../rules/', import.meta.url).pathname
/** Canonical base of CaseHub's Library resources: url = base + CQL library name. */
export const CASEHUB_LIBRARY_BASE = 'https://casehub.org/fhir/Library/'

export interface LibrarySource {
  url: string
  /** the CQL library identifier */
  name: string
  version: string
  cql: string
}

/** `library Name version 'x'` (CQL §"Library"), skipping comments before it; undefined if absent. */
export function libraryHeader(cql: string): { name: string; version: string } | undefined {
  const text = cql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ')
  const m = /^\s*library\s+(?:"([^"]+)"|([A-Za-z_][A-Za-z0-9_]*))\s+version\s+'([^']+)'/.exec(text)
  return m ? { name: m[1] ?? m[2], version: m[3] } : undefined
}

export function sourceOf(cql: string, url?: string): LibrarySource {
  const header = libraryHeader(cql)
  if (!header) throw new Error("A CQL library must start with `library Name version 'x.y.z'`")
  return { url: url ?? CASEHUB_LIBRARY_BASE + header.name, ...header, cql }
}

/** CaseHub's libraries: the generated FHIRHelpers first, then rules/*.cql in name order. */
export function casehubSources(dir: string = RULES_DIR): LibrarySource[] {
  const files = readdirSync(dir).filter((n) => n.endsWith('.cql')).sort()
  return [sourceOf(fhirHelpersCql()), ...files.map((f) => sourceOf(readFileSync(join(dir, f), 'utf8')))]
}
