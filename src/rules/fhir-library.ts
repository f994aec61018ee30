// CQL libraries as FHIR Library resources (library.html; the CQL on FHIR IG's "logic-library"):
// the CQL text and its compiled ELM as base64 attachments, includes as depends-on artifacts and
// the retrieved types as data requirements. Both directions, so stored Libraries load back.
import type { Attachment, Library } from '@medplum/fhirtypes'
import { includesOf, retrievedTypes, type ElmLibrary } from './elm.js'
import { CASEHUB_LIBRARY_BASE, sourceOf, type LibrarySource } from './library-source.js'

export const CQL_TYPE = 'text/cql'
export const ELM_JSON_TYPE = 'application/elm+json'

const attachment = (contentType: string, text: string): Attachment => ({ contentType, data: Buffer.from(text, 'utf8').toString('base64') })

const nonEmpty = <K extends string, T>(key: K, list: T[]) => (list.length ? ({ [key]: list } as Record<K, T[]>) : {})

export function toFhirLibrary(source: LibrarySource, elm: ElmLibrary): Library {
  return {
    resourceType: 'Library',
    id: source.name,
    url: source.url,
    version: source.version,
    name: source.name,
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }] },
    // (empty arrays are not valid FHIR JSON, so a library without includes or retrieves has none)
    ...nonEmpty('relatedArtifact', includesOf(elm).map((inc) => ({
      type: 'depends-on' as const,
      resource: `${CASEHUB_LIBRARY_BASE}${inc.name}${inc.version ? `|${inc.version}` : ''}`,
    }))),
    ...nonEmpty('dataRequirement', [...retrievedTypes(elm)].sort().map((type) => ({ type }))),
    content: [attachment(CQL_TYPE, source.cql), attachment(ELM_JSON_TYPE, JSON.stringify(elm))],
  }
}

/** The CQL source (and ELM, when attached) of a Library resource. */
export function fromFhirLibrary(library: Library): { source: LibrarySource; elm?: ElmLibrary } {
  const text = (type: string) => {
    const a = library.content?.find((c) => c.contentType?.split(';')[0].trim() === type)
    return a?.data === undefined ? undefined : Buffer.from(a.data, 'base64').toString('utf8')
  }
  const cql = text(CQL_TYPE)
  if (cql === undefined) throw new Error(`Library ${library.url ?? library.id} has no ${CQL_TYPE} content`)
  const source = sourceOf(cql, library.url)
  if (library.version && library.version !== source.version) {
    throw new Error(`Library.version ${library.version} differs from the CQL library's version '${source.version}'`)
  }
  const elm = text(ELM_JSON_TYPE)
  return { source, elm: elm === undefined ? undefined : (JSON.parse(elm) as ElmLibrary) }
}
