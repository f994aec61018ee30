// Hooks other modules register per resource type (STYLE.md "onWrite(type, fn)"): `check` runs
// before a create or update is written and may refuse it by throwing (its error becomes the
// response); `created` runs in the transaction of a create, before it commits; `committed` runs
// once the write's transaction has committed. app.ts does the
// registering, so the generic FHIR layer never imports case-management code.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import type { InteractionContext } from './types.js'

export interface WriteHook {
  /** one hook per name and type: registering a name again replaces it */
  name: string
  /** may refuse by throwing; informational issues it returns go back with the response */
  check?(resource: Resource, path: string): void | OperationOutcomeIssue[] | Promise<void | OperationOutcomeIssue[]>
  /** After a create, in its transaction, once the request's other writes are done (so a
   *  transaction Bundle's other entries are visible); may write more; throwing rolls back. */
  created?(resource: Resource, ctx: InteractionContext): Promise<void>
  /** After an update or patch, in its transaction, just before it commits (like `created`);
   *  `previous` is the version it replaced (absent when that was a deletion). */
  updated?(resource: Resource, previous: Resource | undefined, ctx: InteractionContext): Promise<void>
  /** After a delete, in its transaction, just before it commits. */
  deleted?(type: string, id: string, ctx: InteractionContext): Promise<void>
  committed?(resource: Resource): void
  /** For a hook registered on '*': whether writes of `type` concern it now (synchronous and
   *  cheap, asked on every write; false spares the write the hook and its transaction). */
  concerns?(type: string): boolean
}

const hooks = new Map<string, WriteHook[]>()

/** Registers `hook` for `type` ('*': every type), replacing one of the same name (e.g. another app in the process). */
export function onWrite(type: string, hook: WriteHook): void {
  hooks.set(type, [...(hooks.get(type) ?? []).filter((h) => h.name !== hook.name), hook])
}

/** The type's own hooks, then the '*' hooks that it concerns. */
function hooksFor(type: string): WriteHook[] {
  const all = hooks.get('*')
  const own = hooks.get(type) ?? []
  return all ? [...own, ...all.filter((h) => h.concerns?.(type) ?? true)] : own
}

/** Runs the checks; returns the issues they want the response to carry. */
export async function runWriteChecks(resource: Resource, path: string): Promise<OperationOutcomeIssue[]> {
  const remarks: OperationOutcomeIssue[] = []
  for (const hook of hooksFor(resource.resourceType)) remarks.push(...((await hook.check?.(resource, path)) ?? []))
  return remarks
}

export function hasCreatedHooks(type: string): boolean {
  return hooksFor(type).some((h) => h.created)
}

/** Whether `store` is inside a transaction: afterCommit runs its function at once outside one. */
function inTransaction(store: InteractionContext['store']): boolean {
  let outside = false
  store.afterCommit(() => (outside = true))
  return !outside
}

/** Queues the `created` hooks of a new resource to run before its transaction commits. */
export function queueCreatedHooks(resource: Resource, ctx: InteractionContext): void {
  const type = resource.resourceType
  const wanted = hooksFor(type).filter((h) => h.created)
  // A '*' hook may have come to concern the type after createVersion chose to write without a
  // transaction (e.g. a Subscription committed meanwhile): that write began first and is left be.
  const own = hooks.get(type) ?? []
  const outside = wanted.some((h) => !own.includes(h)) && !inTransaction(ctx.store)
  for (const hook of wanted) {
    if (outside && !own.includes(hook)) continue
    ctx.store.beforeCommit(() => hook.created!(resource, ctx))
  }
}

/** Queues the `updated` (body) or `deleted` (body null) hooks of a write over `previous` (its
 *  JSON, null when it was deleted) to run before the write's transaction commits. */
export function queueChangeHooks(type: string, id: string, previous: string | null, body: Resource | null, ctx: InteractionContext): void {
  const wanted = hooksFor(type).filter((h) => (body ? h.updated : h.deleted))
  if (wanted.length === 0) return
  const before = body && previous ? (JSON.parse(previous) as Resource) : undefined
  for (const hook of wanted) {
    ctx.store.beforeCommit(() => (body ? hook.updated!(body, before, ctx) : hook.deleted!(type, id, ctx)))
  }
}

export function runCommittedHooks(resource: Resource): void {
  for (const hook of hooksFor(resource.resourceType)) hook.committed?.(resource)
}
