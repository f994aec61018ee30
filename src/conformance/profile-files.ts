/**
 * CaseHub's StructureDefinition files (profiles/structure-definitions/):
 * reading them, and regenerating their snapshots from their differentials
 * (`npm run profiles`). A profile on another CaseHub profile
 * (casehub-emergency-plan on casehub-careplan) is regenerated after its
 * base, from the base's fresh snapshot, never from a stale committed one.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { StructureDefinition } from '@medplum/fhirtypes'
import { SnapshotError, generateSnapshot } from './snapshot.js'

export const STRUCTURE_DEFINITIONS_DIR = join(import.meta.dirname, '../../profiles/structure-definitions')

export interface DefinitionFile {
  file: string
  definition: StructureDefinition
}

export function readDefinitionFiles(dir = STRUCTURE_DEFINITIONS_DIR): DefinitionFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, definition: JSON.parse(readFileSync(join(dir, file), 'utf8')) as StructureDefinition }))
}

/** The file's JSON text, as `npm run profiles` writes it. */
export function formatDefinition(definition: StructureDefinition): string {
  return JSON.stringify(definition, null, 2) + '\n'
}

/**
 * Returns every definition with its snapshot regenerated, in the input
 * order. Throws a SnapshotError naming the profile and element at fault.
 */
export function regenerateSnapshots(files: DefinitionFile[]): DefinitionFile[] {
  const byUrl = new Map(files.map((entry) => [entry.definition.url ?? '', entry]))
  const done = new Map<string, StructureDefinition>()
  const inProgress = new Set<string>()

  function build(entry: DefinitionFile): StructureDefinition {
    const url = entry.definition.url ?? entry.file
    const finished = done.get(url)
    if (finished) return finished
    if (inProgress.has(url)) throw new SnapshotError(`${url}: circular baseDefinition`)
    inProgress.add(url)
    // Local bases and extension definitions used as type profiles are built first.
    const resolve = (dependency: string) => {
      const local = byUrl.get(dependency)
      return local ? build(local) : undefined
    }
    const element = generateSnapshot(entry.definition, resolve)
    const result = { ...entry.definition, snapshot: { element } }
    inProgress.delete(url)
    done.set(url, result)
    return result
  }

  return files.map((entry) => ({ file: entry.file, definition: build(entry) }))
}
