/**
 * CaseHub's conformance resources as a FHIR NPM package (packages.html; the
 * FHIR-I "NPM Package Specification"), the form the HL7 validator, the IG
 * Publisher and other FHIR tools load:
 *
 *   package/package.json        the manifest (name, version, fhirVersions, dependencies, canonical)
 *   package/.index.json         index-version 1: one entry per resource file
 *   package/<Type>-<id>.json    profiles, extensions, SearchParameters, OperationDefinitions, CodeSystems, ValueSets, ...
 *   package/example/...         the profile examples, with their own .index.json
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { type TarEntry, writeTar } from './tar.js'

export const ROOT = join(import.meta.dirname, '../..')
export const PACKAGE_NAME = 'casehub.fhir'
export const CANONICAL = 'https://casehub.org/fhir'

/** Resource types that belong in a conformance package; anything else in the folders is left out. */
const CONFORMANCE_TYPES = new Set([
  'StructureDefinition', 'SearchParameter', 'OperationDefinition', 'CapabilityStatement', 'ImplementationGuide',
  'CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem',
])

export const RESOURCE_DIRS = ['profiles/structure-definitions', 'profiles/search-parameters', 'profiles/operation-definitions', 'terminology']
export const EXAMPLE_DIR = 'profiles/examples'

type Resource = Record<string, unknown> & { resourceType: string; id: string }

export interface IndexEntry {
  filename: string
  resourceType: string
  id: string
  url?: string
  version?: string
  kind?: string
  type?: string
}

function readResources(dir: string, keep: (resource: Resource) => boolean): Resource[] {
  const full = join(ROOT, dir)
  return readdirSync(full)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(full, file), 'utf8')) as Resource)
    .filter((resource) => typeof resource?.resourceType === 'string' && typeof resource.id === 'string' && keep(resource))
}

function indexEntry(resource: Resource, filename: string): IndexEntry {
  const entry: IndexEntry = { filename, resourceType: resource.resourceType, id: resource.id }
  for (const key of ['url', 'version', 'kind', 'type'] as const) {
    if (typeof resource[key] === 'string') entry[key] = resource[key] as string
  }
  return entry
}

/** The files of one package folder: each resource as <Type>-<id>.json, and the folder's .index.json. */
function folder(prefix: string, resources: Resource[]): TarEntry[] {
  const entries: TarEntry[] = []
  const index: IndexEntry[] = []
  const seen = new Set<string>()
  for (const resource of resources) {
    const filename = `${resource.resourceType}-${resource.id}.json`
    if (seen.has(filename)) throw new Error(`Two resources would be ${prefix}${filename}`)
    seen.add(filename)
    entries.push({ name: prefix + filename, data: Buffer.from(JSON.stringify(resource, null, 2) + '\n') })
    index.push(indexEntry(resource, filename))
  }
  const indexJson = { 'index-version': 1, files: index }
  return [{ name: `${prefix}.index.json`, data: Buffer.from(JSON.stringify(indexJson, null, 2) + '\n') }, ...entries]
}

export function packageManifest(version: string): Record<string, unknown> {
  return {
    name: PACKAGE_NAME,
    version,
    description: 'CaseHub profiles, extensions, search parameters and terminology for NHS community case management of long-term conditions (FHIR R4)',
    author: 'CaseHub',
    license: 'Apache-2.0',
    canonical: CANONICAL,
    url: CANONICAL,
    fhirVersions: ['4.0.1'],
    type: 'fhir.ig',
    jurisdiction: 'urn:iso:std:iso:3166#GB',
    dependencies: { 'hl7.fhir.r4.core': '4.0.1' },
  }
}

/** The package's files, in archive order. */
export function packageEntries(version: string): TarEntry[] {
  const resources = RESOURCE_DIRS.flatMap((dir) => readResources(dir, (r) => CONFORMANCE_TYPES.has(r.resourceType)))
  const examples = readResources(EXAMPLE_DIR, () => true)
  return [
    { name: 'package/package.json', data: Buffer.from(JSON.stringify(packageManifest(version), null, 2) + '\n') },
    ...folder('package/', resources),
    ...folder('package/example/', examples),
  ]
}

/** The .tgz bytes of the package. */
export function buildPackage(version: string): Buffer {
  return gzipSync(writeTar(packageEntries(version)), { level: 9 })
}
