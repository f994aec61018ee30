import type { RequestContext } from './context.js'

/** One stored version, as the store hands it back. `json` is the body text, resourceType first. */
export interface StoredVersion {
  resourceType: string
  id: string
  versionId: string
  lastUpdated: string
  deleted: boolean
  method: string
  json: string | null
}

export interface NewVersion {
  resourceType: string
  id: string
  versionId: number
  lastUpdated: string
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** body text (already carrying meta.versionId/lastUpdated); null for a delete */
  json: string | null
}

/** One token value of a search parameter: system null means "must have no system". */
export interface TokenValue {
  system?: string | null
  code?: string
}

/** AND of filters, each an OR of its values. The FHIR layer parses search strings into these. */
export type Filter =
  | { kind: 'id'; values: string[] }
  | { kind: 'identifier'; values: TokenValue[] }
  | { kind: 'lastUpdated'; op: 'gt' | 'ge' | 'lt' | 'le'; value: string }

export interface HistoryQuery {
  resourceType?: string
  id?: string
  since?: string
  at?: string
  count: number
  offset: number
}

export interface ResourceStore {
  readonly context: RequestContext
  read(resourceType: string, id: string): Promise<StoredVersion | undefined>
  /** Current version, row-locked until the surrounding transaction ends. */
  readForUpdate(resourceType: string, id: string): Promise<StoredVersion | undefined>
  vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined>
  /** Inserts version 1 of a new resource; false when (type, id) already exists. */
  insert(version: NewVersion): Promise<boolean>
  /** Writes the next version of a resource the caller holds locked via readForUpdate. */
  replace(version: NewVersion): Promise<void>
  history(query: HistoryQuery): Promise<{ total: number; versions: StoredVersion[] }>
  /** Current, not deleted resources of a type matching every filter. */
  find(resourceType: string, filters: Filter[], limit: number, offset?: number): Promise<StoredVersion[]>
  count(resourceType: string, filters: Filter[]): Promise<number>
  /** Serialises conditional creates with the same criteria until the transaction ends. */
  guardConditional(resourceType: string, criteria: string): Promise<void>
  /** Which of the `Type/id` keys name a current, not deleted resource. */
  existing(keys: string[]): Promise<Set<string>>
  /** Runs fn in one database transaction (joins the surrounding one when already inside). */
  transaction<T>(fn: (tx: ResourceStore) => Promise<T>): Promise<T>
}
