// Kinds of outbox message besides the onward referral (outbox.kind): each says how to build and
// send one attempt and what its final result means, while the worker keeps what they share —
// claiming, ordering, backoff, retries and dead letters. Modules register their kinds at start
// (app.ts, and any process that runs workers), so routing never imports the modules that use it.
import type { OperationOutcome } from '@medplum/fhirtypes'
import type { ResourceStore } from '../store/types.js'
import type { DeliveryResult } from './delivery.js'
import type { OutboxRow } from './sql.js'

/** An outbox row with the columns of migration 0006. */
export interface KindRow extends Omit<OutboxRow, 'endpoint_id'> {
  endpoint_id: string | null
  subscription_id: string | null
  payload_version: string | null
  order_key: string | null
}

export interface AttemptOptions {
  /** one HTTP attempt's time limit */
  timeoutMs: number
  /** CaseHub's FHIR base URL, for absolute references to resources not sent */
  baseUrl?: string
  /** Endpoint secrets by name (config.endpointSecrets) */
  secrets?: Readonly<Record<string, string>>
}

export interface DeliveryKind {
  /** Reads what to send (a store outside any transaction) and sends it once. */
  attempt(row: KindRow, store: ResourceStore, options: AttemptOptions): Promise<DeliveryResult>
  /** In the transaction that marks the row delivered. */
  delivered?(tx: ResourceStore, row: KindRow, baseUrl: string | undefined): Promise<void>
  /** In the transaction that dead-letters the row (attempts used up, or an answer that will not change). */
  dead?(tx: ResourceStore, row: KindRow, error: string, outcome: OperationOutcome | undefined, baseUrl: string | undefined): Promise<void>
}

/** The kind the worker handles itself (routing/payload.ts). */
export const ONWARD_REFERRAL_KIND = 'onward-referral'

const kinds = new Map<string, DeliveryKind>()

export function registerDeliveryKind(kind: string, handler: DeliveryKind): void {
  kinds.set(kind, handler)
}

/** The handler of a registered kind; undefined for the onward referral and for kinds this process does not know. */
export function deliveryKind(kind: string): DeliveryKind | undefined {
  return kinds.get(kind)
}

/** A kind this process cannot send is retried (another process may know it) until attempts run out. */
export function unknownKind(kind: string): DeliveryResult {
  return { kind: 'retry', error: `no delivery handler for outbox kind "${kind}" in this process` }
}

export const asKindRow = (row: OutboxRow): KindRow => row as unknown as KindRow
