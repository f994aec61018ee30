// Puts dead-lettered outbox rows back in the queue: status pending, attempts reset, due now.
// Runs in the caller's transaction (the tracking Tasks move with it); the NOTIFY is delivered
// at commit, so workers wake only once the retry is visible.
import { OUTBOX_CHANNEL, type Queryable } from './sql.js'

export type RetryScope = { taskId: string } | { endpointId: string }

const RETRY = (column: 'task_id' | 'endpoint_id') => `UPDATE outbox
  SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = NULL, locked_by = NULL, locked_at = NULL
  WHERE status = 'dead' AND ${column} = $1
  RETURNING id, task_id, endpoint_id`

export async function retryDeadLetters(sql: Queryable, scope: RetryScope): Promise<{ id: string; task_id: string | null; endpoint_id: string }[]> {
  const [column, value] = 'taskId' in scope ? (['task_id', scope.taskId] as const) : (['endpoint_id', scope.endpointId] as const)
  const { rows } = await sql.query(RETRY(column), [value])
  for (const endpoint of new Set(rows.map((r) => r.endpoint_id as string))) {
    await sql.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', $1)`, [endpoint])
  }
  return rows
}

/** The states of the deliveries a tracking Task follows (none: the Task tracks no delivery). */
export async function deliveryStates(sql: Queryable, taskId: string): Promise<string[]> {
  const { rows } = await sql.query('SELECT status FROM outbox WHERE task_id = $1', [taskId])
  return rows.map((r) => r.status as string)
}
