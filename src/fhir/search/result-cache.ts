// Search results kept for a repeated search while the database has not changed. A work list
// polled every few seconds (Task?owner=…&status=requested) or a page asked for again is answered
// without running the search again — but only when nothing has committed since it was run:
// the key carries the database snapshot (pg_current_snapshot(): xmin, xmax and the transactions
// in progress) taken before the search ran. Any commit anywhere — this process, another server
// or worker on the same database — makes every later snapshot differ, so a stale answer is never
// served (unlike a time-based cache). The in-process search parameter and canonical registries,
// which other processes' writes reach a moment after their commit, are part of the key too.
//
// Requests for the same search at the same snapshot while it runs wait for that one run rather
// than each running it: after a commit, a work list polled by many clients is searched once.
//
// A search is cached from its second request on (a one-off search costs no snapshot query),
// within a byte budget, least recently used first out. Searches inside a transaction are never
// cached. The key holds the requester's principal, so when access control arrives one user's
// results are not served to another.
import { createHash } from 'node:crypto'
import type { ResourceStore } from '../../store/types.js'
import { RawJson } from '../bundle-json.js'
import { reusedBody } from '../http-response.js'
import type { FhirResponse } from '../types.js'
import { canonicalGeneration } from '../conformance/canonical-registry.js'
import { parameterGeneration } from './parameters.js'

/** keys asked for once, remembered to admit them on their second request */
const SEEN_LIMIT = 10_000
/** no single answer may take more than this share of the budget */
const LARGEST_SHARE = 8

interface Entry {
  snapshot: string
  response: FhirResponse
  bytes: number
}

export class SearchResultCache {
  private readonly entries = new Map<string, Entry>()
  private readonly seen = new Set<string>()
  /** searches running now, by key and snapshot */
  private readonly running = new Map<string, Promise<FhirResponse>>()
  private bytes = 0
  readonly stats = { hits: 0, misses: 0, stored: 0, joined: 0 }

  /** `maxBytes` 0 turns the cache off. */
  constructor(readonly maxBytes: number) {}

  /** The answer to the search `key` as of now: from the cache when nothing has changed since it was kept, else from `run`. */
  async answer(key: string, store: ResourceStore, run: () => Promise<FhirResponse>): Promise<FhirResponse> {
    if (this.maxBytes <= 0) return run()
    // hashed: a key holds the whole query, which a POST _search body can make large
    const fullKey = createHash('sha256').update(`${parameterGeneration()}.${canonicalGeneration()} ${JSON.stringify(store.context.principal)} ${key}`).digest('base64url')
    const entry = this.entries.get(fullKey)
    if (!entry && !this.seen.has(fullKey)) {
      this.remember(fullKey)
      return run()
    }
    // taken before the search runs: a commit after this point changes the snapshot
    const snapshot = await store.snapshot()
    if (snapshot === undefined) return run()
    if (entry?.snapshot === snapshot) {
      this.entries.delete(fullKey)
      this.entries.set(fullKey, entry) // most recently used last
      this.stats.hits++
      return entry.response
    }
    const flight = `${fullKey} ${snapshot}`
    const running = this.running.get(flight)
    if (running) {
      this.stats.joined++
      return running
    }
    this.stats.misses++
    const answer = run().then((response) => {
      if (response.status === 200) {
        if (typeof response.body === 'object') reusedBody(response.body)
        this.keep(fullKey, { snapshot, response, bytes: sizeOf(response) })
      }
      return response
    })
    this.running.set(flight, answer)
    try {
      return await answer
    } finally {
      this.running.delete(flight)
    }
  }

  private remember(key: string) {
    this.seen.add(key)
    if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.values().next().value!)
  }

  private keep(key: string, entry: Entry) {
    this.drop(key)
    if (entry.bytes > this.maxBytes / LARGEST_SHARE) return
    this.entries.set(key, entry)
    this.bytes += entry.bytes
    this.stats.stored++
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break
      this.drop(oldest)
    }
  }

  private drop(key: string) {
    const old = this.entries.get(key)
    if (!old) return
    this.entries.delete(key)
    this.bytes -= old.bytes
  }
}

/** About the memory an answer holds: its resources' JSON text, a little per entry, and the encoded bytes (as much again). */
function sizeOf(response: FhirResponse): number {
  const entries = ((response.body as { entry?: { resource?: unknown }[] } | undefined)?.entry ?? [])
  let bytes = 1024
  for (const e of entries) bytes += 256 + (e.resource instanceof RawJson ? e.resource.text.length : 1024)
  return 2 * bytes
}
