// enqueueMessage(tx, message): enqueue for kinds other than the onward referral (routing/kinds.ts),
// with the columns of migration 0006. Like enqueue(), the row commits with the caller's write
// or not at all, and the NOTIFY (sent by PostgreSQL at COMMIT) wakes the workers.
import { randomUUID } from 'node:crypto'
import type { ResourceStore } from '../store/types.js'
import { DEFAULT_MAX_ATTEMPTS } from './enqueue.js'
import { OUTBOX_CHANNEL, sqlOf } from './sql.js'

export interface KindMessage {
  kind: string
  /** Endpoint/{id} delivered to, when the destination is an Endpoint resource */
  endpointId?: string
  /** Subscription/{id} the message notifies for */
  subscriptionId?: string
  /** the resource the message is about (read again at delivery), and the version meant */
  payload: { type: string; id: string; versionId?: string }
  /** messages with the same key are delivered one at a time, in the order enqueued */
  orderKey?: string
  maxAttempts?: number
}

const INSERT_MESSAGE = `INSERT INTO outbox (id, kind, endpoint_id, subscription_id, payload_type, payload_id, payload_version, order_key, max_attempts)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

/** Adds a message to the outbox inside `tx`'s transaction; returns the outbox id. */
export async function enqueueMessage(tx: ResourceStore, m: KindMessage): Promise<string> {
  const sql = sqlOf(tx)
  const id = randomUUID()
  await sql.query(INSERT_MESSAGE, [
    id,
    m.kind,
    m.endpointId ?? null,
    m.subscriptionId ?? null,
    m.payload.type,
    m.payload.id,
    m.payload.versionId ?? null,
    m.orderKey ?? null,
    m.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  ])
  await sql.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', $1)`, [m.kind])
  return id
}
