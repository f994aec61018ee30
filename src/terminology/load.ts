// Reads CaseHub's terminology/ folder (one CodeSystem or ValueSet per .json file). Synchronous:
// it runs once at boot over a few dozen small files, like initValidation().
import type { Resource } from '@medplum/fhirtypes'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { TerminologyIndex, type TerminologyResource } from './terminology-index.js'

export const TERMINOLOGY_DIR = new URL('../../terminology/', import.meta.url).pathname

export function readTerminologyDir(dir: string = TERMINOLOGY_DIR): TerminologyResource[] {
  const out: TerminologyResource[] = []
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    let resource: Resource
    try {
      resource = JSON.parse(readFileSync(join(dir, name), 'utf8'))
    } catch (err) {
      throw new Error(`${join(dir, name)} is not valid JSON: ${(err as Error).message}`)
    }
    if (resource.resourceType === 'CodeSystem' || resource.resourceType === 'ValueSet') out.push(resource)
  }
  return out
}

export function loadTerminologyDir(dir: string = TERMINOLOGY_DIR): TerminologyIndex {
  return new TerminologyIndex(readTerminologyDir(dir))
}
