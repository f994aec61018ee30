// R4 Subscriptions with the rest-hook channel (subscription.html), wired in one call: the
// Subscription checks, the notification hook on every write, the outbox kind that sends
// notifications, and this process's cache of live Subscriptions for `db`. Generic FHIR: it knows
// nothing of case management. Every process that writes resources or runs outbox workers over
// the database calls it, so notifications are made and sent wherever the work happens.
import { registerDeliveryKind } from '../routing/kinds.js'
import { onWrite } from '../fhir/write-hooks.js'
import { attachCache, LiveSubscriptions, type SubscriptionDatabase, type SubscriptionLog } from './active.js'
import { notificationHook, REST_HOOK_KIND, subscriptionHook } from './hooks.js'
import { restHook } from './rest-hook.js'

export { REST_HOOK_KIND } from './hooks.js'

export interface Subscriptions {
  /** ends the LISTEN connection */
  stop(): Promise<void>
}

export async function startSubscriptions(db: SubscriptionDatabase, log?: SubscriptionLog): Promise<Subscriptions> {
  onWrite('Subscription', subscriptionHook)
  onWrite('*', notificationHook)
  registerDeliveryKind(REST_HOOK_KIND, restHook)
  const cache = new LiveSubscriptions(db, log)
  await cache.start()
  const detach = attachCache(db.url, cache)
  return {
    async stop() {
      detach()
      await cache.stop()
    },
  }
}
