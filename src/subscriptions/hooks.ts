// The write hooks of R4 Subscriptions (subscription.html: "the server checks every resource that
// is created or updated, and if the resource matches the given criteria, it sends a message on
// the defined channel"):
//  - on every type ('*'): a create or update that matches a live Subscription enqueues a
//    notification in the outbox, in the write's own transaction, so it is sent if and only if
//    the write commits. Deletes notify nobody: R4 defines notifications for created and updated
//    resources only, and a deleted resource is in no search's results.
//  - on Subscription: the checks (check.ts), and telling every process that the live set changed.
import type { Resource } from '@medplum/fhirtypes'
import type { InteractionContext } from '../fhir/types.js'
import type { WriteHook } from '../fhir/write-hooks.js'
import { enqueueMessage } from '../routing/enqueue-message.js'
import { sqlOf } from '../routing/sql.js'
import { cacheFor, concernsAny, liveFor, SUBSCRIPTION_CHANNEL } from './active.js'
import { checkSubscription } from './check.js'
import { matches } from './match.js'

export const REST_HOOK_KIND = 'subscription-notification'

/** Notifications about one resource for one Subscription go out in order (outbox.order_key). */
export const orderKey = (subscriptionId: string, resource: Resource) => `Subscription/${subscriptionId}|${resource.resourceType}/${resource.id}`

async function notify(resource: Resource, ctx: InteractionContext): Promise<void> {
  const type = resource.resourceType
  const subs = await liveFor(type, ctx.store)
  if (subs.length === 0 || !resource.id) return
  // One notification per version; when the same transaction wrote the resource again, the
  // later version's own hook notifies (with the criteria judged on what commits).
  const current = await ctx.store.read(type, resource.id)
  if (!current || current.deleted || current.versionId !== resource.meta?.versionId) return
  const now = Date.now()
  for (const sub of subs) {
    if (sub.end !== undefined && sub.end <= now) continue
    // A Subscription's own status changes (e.g. to error) never notify itself: no feedback loop.
    if (type === 'Subscription' && resource.id === sub.id) continue
    if (!(await matches(sub, resource, ctx))) continue
    await enqueueMessage(ctx.store, {
      kind: REST_HOOK_KIND,
      subscriptionId: sub.id,
      payload: { type, id: resource.id, versionId: current.versionId },
      orderKey: orderKey(sub.id, resource),
    })
  }
}

export const notificationHook: WriteHook = {
  name: 'subscription-notifications',
  concerns: concernsAny,
  created: (resource, ctx) => notify(resource, ctx),
  updated: (resource, _previous, ctx) => notify(resource, ctx),
}

/** The live set changed: other processes hear it at commit; this one drops its cache after commit. */
async function changed(ctx: InteractionContext): Promise<void> {
  await sqlOf(ctx.store).query(`SELECT pg_notify('${SUBSCRIPTION_CHANNEL}', '')`)
  const cache = cacheFor(ctx.store)
  ctx.store.afterCommit(() => cache?.invalidate())
}

export const subscriptionHook: WriteHook = {
  name: 'subscription-channel',
  check: (resource, path) => checkSubscription(resource, path),
  created: (_resource, ctx) => changed(ctx),
  updated: (_resource, _previous, ctx) => changed(ctx),
  deleted: (_type, _id, ctx) => changed(ctx),
}
