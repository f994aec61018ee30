// Conformance resources written through another CaseHub process over the same database take
// effect here too (DESIGN.md: stateless nodes side by side). The writing process applies its
// change once it commits (write.ts); every process also polls the history of these types and
// applies the versions it has not seen, as the writer did. The poll reads a handful of rows
// from the history index every couple of seconds. It looks back over a window, so a
// transaction that commits after a later-stamped one is still seen, and so are writers whose
// clocks differ a little.
import type { Resource } from '@medplum/fhirtypes'
import type { ResourceStore } from '../../store/types.js'
import { applySearchParameter } from '../search/custom-parameters.js'
import { runCommittedHooks } from '../write-hooks.js'
import { registerCanonical, unregisterCanonical } from './canonical-registry.js'

/** The types whose writes change how this process validates, searches or runs rules. */
export const FOLLOWED_TYPES = ['SearchParameter', 'StructureDefinition', 'ValueSet', 'CodeSystem', 'Library']

/** `Type/id` → the newest version this process has applied (its own writes included). */
const applied = new Map<string, number>()

/** Records a version this process applied itself, so the poll does not apply it again. */
export function markApplied(resource: Resource): void {
  if (!FOLLOWED_TYPES.includes(resource.resourceType) || !resource.id) return
  const version = Number(resource.meta?.versionId ?? 0)
  const key = `${resource.resourceType}/${resource.id}`
  if (version > (applied.get(key) ?? 0)) applied.set(key, version)
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>
}

export interface FollowOptions {
  /** how often to look (default 2 s) */
  intervalMs?: number
  /** how far back each look reaches (default 60 s) */
  windowMs?: number
  log?: (fields: Record<string, unknown>, msg: string) => void
}

export class ConformanceFollower {
  private timer?: NodeJS.Timeout
  private since = 0
  private running?: Promise<void>

  constructor(
    private readonly sql: Queryable,
    private readonly store: ResourceStore,
    private readonly opts: FollowOptions = {},
  ) {}

  /** Starts from now: what is stored already was loaded at start. */
  async start(): Promise<void> {
    const { rows } = await this.sql.query('SELECT now() AS now')
    this.since = (rows[0].now as Date).getTime()
    const every = this.opts.intervalMs ?? 2000
    const loop = () => {
      this.running = this.poll()
        .then(() => undefined)
        .catch((err) => this.opts.log?.({ err: (err as Error).message }, 'could not look for conformance changes'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, every)
        })
    }
    this.timer = setTimeout(loop, every)
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }

  /** One look: applies every newer version of a followed resource written elsewhere. */
  async poll(): Promise<number> {
    const from = new Date(this.since - (this.opts.windowMs ?? 60_000))
    const { rows } = await this.sql.query(
      `SELECT resource_type, id, max(version_id)::int AS version, max(last_updated) AS at FROM resource_history
       WHERE resource_type = ANY($1::text[]) AND last_updated > $2 GROUP BY resource_type, id`,
      [FOLLOWED_TYPES, from],
    )
    let changes = 0
    for (const row of rows) {
      this.since = Math.max(this.since, (row.at as Date).getTime())
      const key = `${row.resource_type}/${row.id}`
      if ((applied.get(key) ?? 0) >= row.version) continue
      const current = await this.store.read(row.resource_type, row.id)
      if (!current) continue
      if (current.deleted || !current.json) unregisterCanonical(row.resource_type, row.id)
      else {
        const resource = JSON.parse(current.json) as Resource
        applySearchParameter(resource)
        registerCanonical(resource)
        runCommittedHooks(resource)
      }
      applied.set(key, Number(current.versionId))
      changes++
      this.opts.log?.({ resource: key, version: current.versionId }, 'conformance resource changed by another process')
    }
    return changes
  }
}
