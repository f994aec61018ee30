// The outbox table's statements (migration 0003_outbox.sql). Parameterised SQL only.
import type pg from 'pg'
import type { ResourceStore } from '../store/types.js'

export type Queryable = Pick<pg.ClientBase, 'query'>

/** The outbox channel: NOTIFY on enqueue (delivered at commit), LISTENed to by workers. */
export const OUTBOX_CHANNEL = 'casehub_outbox'

/** The pg client of a transaction's ResourceStore, so an outbox row is written in the caller's transaction. */
export function sqlOf(store: ResourceStore): Queryable {
  const q = (store as unknown as { sql?: Queryable }).sql
  if (!q || typeof q.query !== 'function') throw new Error('The store offers no SQL client for the outbox')
  return q
}

export interface OutboxRow {
  id: string
  kind: string
  endpoint_id: string
  service_id: string | null
  payload_type: string
  payload_id: string
  task_id: string | null
  status: 'pending' | 'delivered' | 'dead'
  attempts: number
  max_attempts: number
  next_attempt_at: Date
  last_error: string | null
  created_at: Date
}

export const INSERT = `INSERT INTO outbox (id, kind, endpoint_id, service_id, payload_type, payload_id, task_id, max_attempts)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

/**
 * Rows sharing an order_key go out one at a time, in seq order: none is handed out while an
 * earlier one with its key is still pending (claimed, or waiting for a retry). Migration 0006.
 */
const IN_ORDER = `(order_key IS NULL OR NOT EXISTS (SELECT 1 FROM outbox earlier
        WHERE earlier.order_key = outbox.order_key AND earlier.status = 'pending' AND earlier.seq < outbox.seq))`

/**
 * Claims up to $2 due rows for worker $1: one statement, so one short transaction. A claim older
 * than $3 milliseconds (a worker that died mid-delivery) is taken over.
 */
export const CLAIM = `UPDATE outbox SET locked_by = $1, locked_at = now(), attempts = attempts + 1
  WHERE id IN (
    SELECT id FROM outbox
    WHERE status = 'pending' AND next_attempt_at <= now()
      AND (locked_at IS NULL OR locked_at < now() - make_interval(secs => $3::double precision / 1000))
      AND ${IN_ORDER}
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED)
  RETURNING *`

/** Updates a row only while this worker still holds its claim. */
export const DELIVERED = `UPDATE outbox SET status = 'delivered', delivered_at = now(), locked_by = NULL, locked_at = NULL, last_error = NULL
  WHERE id = $1 AND locked_by = $2`
export const RESCHEDULE = `UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $3::double precision / 1000),
  locked_by = NULL, locked_at = NULL, last_error = $4
  WHERE id = $1 AND locked_by = $2`
export const DEAD = `UPDATE outbox SET status = 'dead', locked_by = NULL, locked_at = NULL, last_error = $3
  WHERE id = $1 AND locked_by = $2`

/** DELIVERED for a batch's rows at once: returns the ids this worker still held. */
export const DELIVERED_MANY = `UPDATE outbox SET status = 'delivered', delivered_at = now(), locked_by = NULL, locked_at = NULL, last_error = NULL
  WHERE id = ANY($1::uuid[]) AND locked_by = $2
  RETURNING id`

/** A stopping worker hands back the rows it still holds; the claim's attempt did not happen. */
export const RELEASE = `UPDATE outbox SET locked_by = NULL, locked_at = NULL, attempts = GREATEST(attempts - 1, 0)
  WHERE locked_by = $1 AND status = 'pending'`

/**
 * When the soonest pending row may next be claimed (not waiting behind an earlier one), in ms
 * from now: negative when overdue, null when there is none. A claimed row (a delivery in flight,
 * or a worker that died) may be claimed again once its claim lapses ($1 ms after it was taken).
 * (Not GREATEST(0, …): it skips a null, so an empty outbox would read as due now and idle
 * workers would poll without pause.)
 */
export const NEXT_DUE = `SELECT (EXTRACT(EPOCH FROM (min(CASE WHEN locked_at IS NULL THEN next_attempt_at
    ELSE GREATEST(next_attempt_at, locked_at + make_interval(secs => $1::double precision / 1000)) END) - now())) * 1000)::float8 AS ms
  FROM outbox WHERE status = 'pending' AND ${IN_ORDER}`

export const STATUS = `SELECT
    (SELECT count(*)::int FROM outbox WHERE status = 'pending') AS pending,
    (SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 FROM outbox WHERE status = 'pending') AS oldest,
    (SELECT count(*)::int FROM outbox WHERE status = 'delivered') AS delivered,
    (SELECT count(*)::int FROM outbox WHERE status = 'dead') AS dead`
export const DEAD_BY_ENDPOINT = `SELECT endpoint_id, count(*)::int AS n FROM outbox WHERE status = 'dead' AND endpoint_id IS NOT NULL GROUP BY endpoint_id ORDER BY endpoint_id`
