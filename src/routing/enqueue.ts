// enqueue(tx, message): the outbox row commits with the caller's write or not at all, and the
// NOTIFY (delivered by PostgreSQL only at COMMIT) wakes the workers.
import { randomUUID } from 'node:crypto'
import type { ResourceStore } from '../store/types.js'
import { INSERT, OUTBOX_CHANNEL, sqlOf } from './sql.js'

export interface OutboxMessage {
  /** Endpoint/{id} to deliver to */
  endpointId: string
  /** HealthcareService/{id} the delivery is for */
  serviceId?: string
  /** the resource delivered; read again at delivery time */
  payload: { type: 'ServiceRequest'; id: string }
  /** CaseHub's tracking Task, whose status follows the delivery */
  taskId?: string
  kind?: string
  maxAttempts?: number
}

export const DEFAULT_MAX_ATTEMPTS = 8

/** Adds a delivery to the outbox inside `tx`'s transaction; returns the outbox id. */
export async function enqueue(tx: ResourceStore, message: OutboxMessage): Promise<string> {
  const sql = sqlOf(tx)
  const id = randomUUID()
  await sql.query(INSERT, [
    id,
    message.kind ?? 'onward-referral',
    message.endpointId,
    message.serviceId ?? null,
    message.payload.type,
    message.payload.id,
    message.taskId ?? null,
    message.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  ])
  await sql.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', $1)`, [message.endpointId])
  return id
}
