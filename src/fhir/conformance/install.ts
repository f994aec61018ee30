// At start, CaseHub's conformance resources (profiles/, terminology/, rules/) are written into the
// database — idempotently: a file whose content is already current writes nothing; a changed
// file (usually a new `version`) becomes the next version of the same id. Then every
// StructureDefinition, ValueSet and CodeSystem stored is registered for this process.
import type { Resource } from '@medplum/fhirtypes'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { FhirError } from '../../errors.js'
import type { ResourceStore } from '../../store/types.js'
import type { InteractionContext } from '../types.js'
import { checkResource } from '../validation/index.js'
import { createVersion, nextVersion } from '../write.js'
import { CANONICAL_TYPES, registerCanonical } from './canonical-registry.js'
import { markInstalled } from './read-only.js'

/** Resource types read from the conformance folders; anything else there is ignored. */
const INSTALLABLE = new Set([
  'StructureDefinition', 'SearchParameter', 'ValueSet', 'CodeSystem', 'ConceptMap', 'NamingSystem', 'OperationDefinition', 'Library', 'PlanDefinition',
])

export interface InstallSummary {
  created: number
  updated: number
  unchanged: number
}

/** Reads every installable resource under `dirs` (recursively, examples excluded). */
export function readConformanceFiles(dirs: string[]): { file: string; resource: Resource }[] {
  const out: { file: string; resource: Resource }[] = []
  const walk = (dir: string) => {
    if (!existsSync(dir)) return
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== 'examples') walk(path)
      } else if (entry.name.endsWith('.json') && entry.name !== 'package.json') {
        const resource = JSON.parse(readFileSync(path, 'utf8')) as Resource
        if (INSTALLABLE.has(resource.resourceType)) out.push({ file: path, resource })
      }
    }
  }
  for (const dir of dirs) walk(dir)
  return out
}

export async function installConformance(ctx: InteractionContext, dirs: string[]): Promise<InstallSummary> {
  const files = readConformanceFiles(dirs)
  for (const { file, resource } of files) {
    if (!resource.id) throw new Error(`${relative(process.cwd(), file)}: a conformance resource needs an id`)
  }
  const attempt = () =>
    ctx.store.transaction(async (tx) => {
      const summary: InstallSummary = { created: 0, updated: 0, unchanged: 0 }
      const txCtx = { ...ctx, store: tx }
      for (const { file, resource } of files) {
        const current = await tx.readForUpdate(resource.resourceType, resource.id!)
        // Only what is written is validated (validating large snapshots costs tens of ms each)
        if (!current || current.deleted || !sameContent(JSON.parse(current.json!), resource)) assertValid(file, resource)
        if (!current) {
          await createVersion(txCtx, tx, resource, { id: resource.id, method: 'PUT', install: true })
          summary.created++
        } else if (current.deleted || !sameContent(JSON.parse(current.json!), resource)) {
          await nextVersion(txCtx, tx, current, resource, 'PUT', { install: true })
          summary.updated++
        } else summary.unchanged++
      }
      return summary
    })
  let summary: InstallSummary
  try {
    summary = await attempt()
  } catch (err) {
    // Two processes starting at once: the second sees the first's rows on its retry.
    if (!(err instanceof FhirError && err.status === 409)) throw err
    summary = await attempt()
  }
  for (const { resource } of files) markInstalled(resource.resourceType, resource.id!)
  return summary
}

function assertValid(file: string, resource: Resource) {
  const errors = checkResource(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal')
  if (errors.length) {
    const first = errors[0]
    throw new Error(`${relative(process.cwd(), file)} is not a valid ${resource.resourceType}: ${first.diagnostics} at ${first.expression?.[0]}`)
  }
}

/** Registers every stored StructureDefinition, ValueSet and CodeSystem in this process. */
export async function registerStoredCanonicals(store: ResourceStore): Promise<number> {
  let count = 0
  for (const type of CANONICAL_TYPES) {
    let after: { resourceType: string; id: string } | undefined
    for (;;) {
      const batch = await store.scan({ type, after, limit: 500 })
      if (batch.length === 0) break
      for (const v of batch) {
        registerCanonical(JSON.parse(v.json!) as Resource)
        count++
      }
      after = { resourceType: type, id: batch[batch.length - 1].id }
    }
  }
  return count
}

/** Equal apart from meta.versionId/lastUpdated, which the server stamps. */
function sameContent(stored: Resource, file: Resource): boolean {
  const strip = (r: Resource) => {
    const { meta, ...rest } = r
    const { versionId: _v, lastUpdated: _l, ...otherMeta } = meta ?? {}
    return stableJson(Object.keys(otherMeta).length ? { ...rest, meta: otherMeta } : rest)
  }
  return strip(stored) === strip(file)
}

/** JSON with object keys sorted, so key order (which the store may change) does not count. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}
