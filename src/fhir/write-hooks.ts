// Hooks other modules register per resource type (STYLE.md "onWrite(type, fn)"): `check` runs
// before a create or update is written and may refuse it by throwing (its error becomes the
// response); `created` runs in the transaction of a create, before it commits; `committed` runs
// once the write's transaction has committed. app.ts does the
// registering, so the generic FHIR layer never imports case-management code.
import type { Resource } from '@medplum/fhirtypes'
import type { InteractionContext } from './types.js'

export interface WriteHook {
  check?(resource: Resource, path: string): void | Promise<void>
  /** After a create, in its transaction, once the request's other writes are done (so a
   *  transaction Bundle's other entries are visible); may write more; throwing rolls back. */
  created?(resource: Resource, ctx: InteractionContext): Promise<void>
  committed?(resource: Resource): void
}

const hooks = new Map<string, WriteHook[]>()

/** Registers `hook` for `type`; registering the same hook again (another app in the process) does nothing. */
export function onWrite(type: string, hook: WriteHook): void {
  const list = hooks.get(type) ?? []
  if (!list.includes(hook)) hooks.set(type, [...list, hook])
}

export async function runWriteChecks(resource: Resource, path: string): Promise<void> {
  for (const hook of hooks.get(resource.resourceType) ?? []) await hook.check?.(resource, path)
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
