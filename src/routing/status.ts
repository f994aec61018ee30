// The outbox's state for $outbox-status: queue depth, oldest pending age, deliveries and dead
// letters by destination.
import type { Queryable } from './sql.js'
import { DEAD_BY_ENDPOINT, STATUS } from './sql.js'

export interface OutboxStatus {
  pending: number
  oldestPendingSeconds: number
  delivered: number
  dead: number
  deadByEndpoint: { endpointId: string; count: number }[]
}

export async function outboxStatus(sql: Queryable): Promise<OutboxStatus> {
  const [{ rows }, dead] = [await sql.query(STATUS), await sql.query(DEAD_BY_ENDPOINT)]
  const r = rows[0]
  return {
    pending: r.pending,
    oldestPendingSeconds: Math.round(Number(r.oldest) * 1000) / 1000,
    delivered: r.delivered,
    dead: r.dead,
    deadByEndpoint: dead.rows.map((d) => ({ endpointId: d.endpoint_id, count: d.n })),
  }
}
