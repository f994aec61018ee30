// Sending a notification on a rest-hook channel (R4 subscription.html "rest-hook";
// subscription-channel-type: "The channel is executed by making a post to the URI. If a payload
// is included, the URL is interpreted as the service base, and an update (PUT) is made."):
//  - no channel.payload: POST to channel.endpoint with an empty body;
//  - channel.payload (application/fhir+json): PUT [endpoint]/[type]/[id] with the version of
//    the resource that triggered the notification as the body, in that MIME type;
//  - every channel.header line ("Name: value") goes with the request. They may hold the
//    subscriber's credentials: they are never logged.
// The notification is durable and retried through the outbox (routing/kinds.ts). When its
// attempts run out the Subscription goes to `error` with the error text ("error: The server has
// an error executing the notification"); a later delivery brings it back to `active`.
import type { OperationOutcome, Subscription } from '@medplum/fhirtypes'
import type { ResourceStore, StoredVersion } from '../store/types.js'
import type { InteractionContext } from '../fhir/types.js'
import { nextVersion } from '../fhir/write.js'
import type { DeliveryResult } from '../routing/delivery.js'
import { sendHttp } from '../routing/http-delivery.js'
import type { AttemptOptions, DeliveryKind, KindRow } from '../routing/kinds.js'
import { checkSubscription, parseHeader } from './check.js'

async function subscriptionOf(store: ResourceStore, row: KindRow): Promise<Subscription | undefined> {
  const v = row.subscription_id ? await store.read('Subscription', row.subscription_id) : undefined
  return v && !v.deleted && v.json ? (JSON.parse(v.json) as Subscription) : undefined
}

/** The request a notification makes (exported for tests of its shape). */
export function notificationRequest(sub: Subscription, resource: StoredVersion | undefined, row: KindRow, timeoutMs: number) {
  const headers: Record<string, string> = {}
  for (const line of sub.channel.header ?? []) {
    const h = parseHeader(line)
    if (h) headers[h[0]] = h[1]
  }
  const endpoint = sub.channel.endpoint!.replace(/\/+$/, '')
  if (sub.channel.payload === undefined) return { method: 'POST' as const, url: sub.channel.endpoint!, headers, timeoutMs }
  return {
    method: 'PUT' as const,
    url: `${endpoint}/${row.payload_type}/${encodeURIComponent(row.payload_id)}`,
    headers: { ...headers, 'content-type': sub.channel.payload },
    body: resource?.json ?? undefined,
    timeoutMs,
  }
}

async function attempt(row: KindRow, store: ResourceStore, options: AttemptOptions): Promise<DeliveryResult> {
  const sub = await subscriptionOf(store, row)
  if (!sub) return { kind: 'dead', error: `Subscription/${row.subscription_id} is no longer held here; notification dropped` }
  if (sub.status === 'off' || sub.status === 'requested') return { kind: 'dead', error: `Subscription/${row.subscription_id} is ${sub.status}; notification dropped` }
  if (sub.channel?.type !== 'rest-hook' || !sub.channel.endpoint) return { kind: 'dead', error: `Subscription/${row.subscription_id} has no rest-hook endpoint any more` }
  let version: StoredVersion | undefined
  if (sub.channel.payload !== undefined) {
    version = row.payload_version
      ? await store.vread(row.payload_type, row.payload_id, row.payload_version)
      : await store.read(row.payload_type, row.payload_id)
    if (!version?.json) return { kind: 'dead', error: `${row.payload_type}/${row.payload_id} version ${row.payload_version} is no longer held here` }
  }
  return sendHttp(notificationRequest(sub, version, row, options.timeoutMs))
}

/** Writes the Subscription's next version when `change` alters it (in the outbox row's transaction). */
async function update(tx: ResourceStore, row: KindRow, baseUrl: string | undefined, change: (s: Subscription) => Subscription | undefined) {
  if (!row.subscription_id) return
  const current = await tx.readForUpdate('Subscription', row.subscription_id)
  if (!current || current.deleted || !current.json) return
  const { meta: _meta, ...sub } = JSON.parse(current.json) as Subscription
  const next = change(sub as Subscription)
  if (!next) return
  // One the checks would now refuse (its criteria use a SearchParameter since removed) is left
  // as it is: failing here would also undo the outbox row's own update.
  try {
    checkSubscription(structuredClone(next))
  } catch {
    return
  }
  const ctx: InteractionContext = { store: tx, baseUrl: baseUrl ?? '', referencePolicy: 'lenient' }
  await nextVersion(ctx, tx, current, next, 'PUT')
}

export const restHook: DeliveryKind = {
  attempt,
  delivered: (tx, row, baseUrl) =>
    update(tx, row, baseUrl, (sub) => {
      if (sub.status !== 'error') return undefined
      const { error: _error, ...rest } = sub
      return { ...rest, status: 'active' }
    }),
  dead: (tx, row, error, _outcome: OperationOutcome | undefined, baseUrl) =>
    update(tx, row, baseUrl, (sub) => {
      if (sub.status !== 'active' && sub.status !== 'error') return undefined
      const text = `Notification about ${row.payload_type}/${row.payload_id} not delivered: ${error}`.slice(0, 1000)
      if (sub.status === 'error' && sub.error === text) return undefined
      return { ...sub, status: 'error', error: text }
    }),
}

