// SQL of stratification runs (migration 0004_stratification.sql). A run is claimed by one node
// at a time (locked_by); a claim whose heartbeat is older than the takeover timeout may be
// taken by another node, which resumes after the run's cursor.
import type pg from 'pg'
import type { ResourceStore } from '../../store/types.js'

export type Queryable = Pick<pg.ClientBase, 'query'>

/** The pg client of a transaction's ResourceStore, so the run's progress commits with its batch. */
export function sqlOf(store: ResourceStore): Queryable {
  const q = (store as unknown as { sql?: Queryable }).sql
  if (!q || typeof q.query !== 'function') throw new Error('The store offers no SQL client')
  return q
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'

export interface RunRequest {
  practiceOdsCodes: string[]
  proposalTier: string
  thresholds: { mild?: number; moderate?: number; severe?: number }
}

export interface RunRow {
  id: string
  cycle: string
  status: RunStatus
  assessed_at: Date
  request: RunRequest
  total: number | null
  cursor: string | null
  processed: number
  assessed: number
  already: number
  tiers: Record<string, number>
  proposals: number
  on_caseload: number
  error: string | null
  locked_by: string | null
  created_at: Date
  started_at: Date | null
  finished_at: Date | null
}

/** A new run, or null when the cycle already has an unfinished one (unique index). */
export const INSERT_RUN = `
  INSERT INTO stratification_run (id, cycle, assessed_at, request) VALUES ($1, $2, $3, $4)
  ON CONFLICT (cycle) WHERE status IN ('queued', 'running') DO NOTHING
  RETURNING *`

export const ACTIVE_RUN = `SELECT * FROM stratification_run WHERE cycle = $1 AND status IN ('queued', 'running')`

export const READ_RUN = `SELECT * FROM stratification_run WHERE id = $1`

/** $1 run, $2 node, $3 takeover timeout (ms): queued, ours, or abandoned. */
export const CLAIM_RUN = `
  UPDATE stratification_run
     SET status = 'running', locked_by = $2, heartbeat_at = now(), started_at = coalesce(started_at, now())
   WHERE id = $1
     AND (status = 'queued'
       OR (status = 'running' AND (locked_by = $2 OR heartbeat_at IS NULL OR heartbeat_at < now() - $3 * interval '1 millisecond')))
  RETURNING *`

/**
 * Runs no node is working on, oldest first. $1 takeover timeout (ms). A queued run counts only
 * once it is as old as the timeout: a fresh one is about to be claimed by the request that made
 * it, which (synchronous $stratify) must not find it taken. Released runs (heartbeat NULL) count at once.
 */
export const ABANDONED_RUNS = `
  SELECT id FROM stratification_run
   WHERE (status = 'queued' AND created_at < now() - $1 * interval '1 millisecond')
      OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < now() - $1 * interval '1 millisecond'))
   ORDER BY created_at`

export const SET_TOTAL = `UPDATE stratification_run SET total = $2 WHERE id = $1 AND locked_by = $3`

/** A batch's progress, in the batch's transaction; no row when the run was cancelled or taken over. */
export const ADVANCE = `
  UPDATE stratification_run
     SET cursor = $3, processed = processed + $4, assessed = assessed + $5, already = already + $6,
         tiers = coalesce((SELECT jsonb_object_agg(k, coalesce((tiers ->> k)::int, 0) + coalesce(($7::jsonb ->> k)::int, 0))
                    FROM (SELECT jsonb_object_keys(tiers || $7::jsonb) AS k) keys), '{}'),
         proposals = proposals + $8, on_caseload = on_caseload + $9, heartbeat_at = now()
   WHERE id = $1 AND locked_by = $2 AND status = 'running'
  RETURNING *`

export const FINISH = `
  UPDATE stratification_run SET status = $3, error = $4, finished_at = now(), locked_by = NULL
   WHERE id = $1 AND locked_by = $2 AND status = 'running'
  RETURNING *`

/** Cancels an unfinished run (async.html: DELETE on the status URL). */
export const CANCEL = `
  UPDATE stratification_run SET status = 'cancelled', finished_at = now(), locked_by = NULL
   WHERE id = $1 AND status IN ('queued', 'running')
  RETURNING *`

export const RELEASE = `UPDATE stratification_run SET locked_by = NULL, heartbeat_at = NULL WHERE id = $1 AND locked_by = $2 AND status = 'running'`
