import type { RequestContext } from './context.js'
import type { IncludeQuery, SearchQuery } from './search-types.js'

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
  /** search index rows of this version (replacing the previous version's); none for a delete */
  index?: SearchIndexRows
}

/**
 * The values a resource is found by, one row per (parameter, value), written with the version
 * in the same statement. Dates and ranges are half-open [low, high); '-infinity'/'infinity'
 * mark open ends. The optional last element of a row is the composite tuple number.
 */
export interface SearchIndexRows {
  /** param, normalised value (lower case, no accents), value as written */
  strings: [string, string, string, number?][]
  /** param, system, code, display text (normalised) */
  tokens: [string, string | null, string | null, string | null, number?][]
  /** param, low, high */
  dates: [string, string, string, number?][]
  /** param, low, high (numbers as decimal text) */
  numbers: [string, string, string, number?][]
  /** param, system, code, low, high */
  quantities: [string, string | null, string | null, string, string, number?][]
  /** param, target type, target id, url (absolute or canonical references) */
  references: [string, string | null, string | null, string | null, number?][]
  /** param, value */
  uris: [string, string, number?][]
}

export interface HistoryQuery {
  resourceType?: string
  id?: string
  since?: string
  at?: string
  count: number
  offset: number
}

/** a tag or security label as the index holds it */
export interface MetaCode {
  system?: string
  code: string
}

export interface ResourceStore {
  readonly context: RequestContext
  read(resourceType: string, id: string): Promise<StoredVersion | undefined>
  /** Current version, row-locked until the surrounding transaction ends. */
  readForUpdate(resourceType: string, id: string): Promise<StoredVersion | undefined>
  /** Row-locks many resources in one statement (in a transaction); the readForUpdate of each
   *  that follows in the transaction is answered from what was read here. */
  lockForUpdate(resourceType: string, ids: string[]): Promise<void>
  vread(resourceType: string, id: string, versionId: string): Promise<StoredVersion | undefined>
  /** Inserts version 1 of a new resource; false when (type, id) already exists. */
  insert(version: NewVersion): Promise<boolean>
  /** Inserts version 1 of many new resources in one statement; returns the Type/id keys written
   *  (those that already existed are left alone). */
  insertMany(versions: NewVersion[]): Promise<Set<string>>
  /** Writes the next version of a resource the caller holds locked via readForUpdate. */
  replace(version: NewVersion): Promise<void>
  history(query: HistoryQuery): Promise<{ total: number; versions: StoredVersion[] }>
  /** One page of current, not deleted resources meeting every condition, in sort order;
   *  `total` also counts every match (first pages only). */
  search(query: SearchQuery, opts?: { total?: boolean }): Promise<SearchPage>
  /** Matches of a search; `estimate` asks for the planner's estimate instead of a count. */
  count(query: SearchQuery, estimate?: boolean): Promise<number>
  /** Resources referred to by the given ones (_include). */
  include(query: IncludeQuery): Promise<StoredVersion[]>
  /** Resources referring to the given ones (_revinclude). */
  revInclude(query: IncludeQuery): Promise<StoredVersion[]>
  /** Current, not deleted resources in (type, id) order after `after`, for batch jobs. */
  scan(opts: { type?: string; after?: { resourceType: string; id: string }; limit: number }): Promise<StoredVersion[]>
  /** Rewrites the body of version `versionId`, still current, in place with its index rows
   *  (no new version: $meta-add); false when it is no longer the current version. */
  rewriteCurrent(resourceType: string, id: string, versionId: string, json: string, index: SearchIndexRows): Promise<boolean>
  /** Rewrites the body of an earlier (not current, not deleted) version in place: $meta-add on
   *  [type]/[id]/_history/[vid]; false when there is no such version. */
  rewriteHistory(resourceType: string, id: string, versionId: string, json: string): Promise<boolean>
  /** The profiles, tags and security labels in use on current resources of these types (at most
   *  `limit` of each kind), read from the index: the cost follows the tagged resources only. */
  metaInUse(resourceTypes: string[], limit: number): Promise<{ profiles: string[]; tags: MetaCode[]; security: MetaCode[] }>
  /** Replaces a resource's search index rows (reindexing after parameters change) if it is still
   *  at `versionId` and not deleted; false when it has moved on. */
  writeIndex(resourceType: string, id: string, versionId: string, index: SearchIndexRows): Promise<boolean>
  /** Serialises conditional creates with the same criteria until the transaction ends. */
  guardConditional(resourceType: string, criteria: string): Promise<void>
  /** Which of the `Type/id` keys name a current, not deleted resource. */
  existing(keys: string[]): Promise<Set<string>>
  /** The database's current snapshot (pg_current_snapshot()) as text, outside a transaction;
   *  undefined inside one. Equal snapshots see the same committed data. */
  snapshot(): Promise<string | undefined>
  /** Runs `fn` once the current transaction commits (at once outside a transaction); not after a rollback. */
  afterCommit(fn: () => void): void
  /** Inside a transaction: runs `fn` (which may write more) after the caller's work, just before
   *  COMMIT; a failure rolls everything back. Outside a transaction it is an error. */
  beforeCommit(fn: () => Promise<void>): void
  /** Runs fn in one database transaction (joins the surrounding one when already inside). */
  transaction<T>(fn: (tx: ResourceStore) => Promise<T>): Promise<T>
}

export interface SearchPage {
  /** each match with its sort key values (the cursor after it) */
  matches: { version: StoredVersion; keys: (string | null)[] }[]
  /** more rows follow in the direction walked */
  hasMore: boolean
  /** all matches, when asked for on a first page (counted in the same statement) */
  total?: number
}
