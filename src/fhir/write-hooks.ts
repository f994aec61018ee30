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
  committed?(resource: Resource): void
}

const hooks = new Map<string, WriteHook[]>()

/** Registers `hook` for `type`, replacing one of the same name (e.g. another app in the process). */
export function onWrite(type: string, hook: WriteHook): void {
  hooks.set(type, [...(hooks.get(type) ?? []).filter((h) => h.name !== hook.name), hook])
}

/** Runs the checks; returns the issues they want the response to carry. */
export async function runWriteChecks(resource: Resource, path: string): Promise<OperationOutcomeIssue[]> {
  const remarks: OperationOutcomeIssue[] = []
  for (const hook of hooks.get(resource.resourceType) ?? []) remarks.push(...((await hook.check?.(resource, path)) ?? []))
  return remarks
}

export function hasCreatedHooks(type: string): boolean {
  return (hooks.get(type) ?? []).some((h) => h.created)
}

/** Queues the `created` hooks of a new resource to run before its transaction commits. */
export function queueCreatedHooks(resource: Resource, ctx: InteractionContext): void {
  for (const hook of hooks.get(resource.resourceType) ?? []) {
    if (hook.created) ctx.store.beforeCommit(() => hook.created!(resource, ctx))
  }
}

export function runCommittedHooks(resource: Resource): void {
  for (const hook of hooks.get(resource.resourceType) ?? []) hook.committed?.(resource)
}
