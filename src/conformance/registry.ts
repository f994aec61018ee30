/**
 * CaseHub's own StructureDefinitions (profiles and extension definitions),
 * read once from profiles/structure-definitions/ and found by canonical URL
 * (with or without a `|version` suffix, canonical.html).
 */
import type { StructureDefinition } from '@medplum/fhirtypes'
import { readDefinitionFiles } from './profile-files.js'

let byUrl: Map<string, StructureDefinition> | undefined

export function caseHubDefinitions(): ReadonlyMap<string, StructureDefinition> {
  byUrl ??= new Map(readDefinitionFiles().map(({ definition }) => [definition.url ?? '', definition]))
  return byUrl
}

export function resolveCaseHubDefinition(canonical: string): StructureDefinition | undefined {
  const [url, version] = canonical.split('|')
  const definition = caseHubDefinitions().get(url)
  return definition && (!version || definition.version === version) ? definition : undefined
}
