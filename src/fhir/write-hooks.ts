// Hooks other modules register per resource type (STYLE.md "onWrite(type, fn)"): `check` runs
// before a create or update is written and may refuse it by throwing (its error becomes the
// response); `committed` runs once the write's transaction has committed. app.ts does the
// registering, so the generic FHIR layer never imports case-management code.
import type { Resource } from '@medplum/fhirtypes'

export interface WriteHook {
  check?(resource: Resource, path: string): void | Promise<void>
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

export function runCommittedHooks(resource: Resource): void {
  for (const hook of hooks.get(resource.resourceType) ?? []) hook.committed?.(resource)
}
