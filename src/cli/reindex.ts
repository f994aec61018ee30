// `casehub reindex [--type T]`: recomputes the search index of current resources, for search
// parameters added or changed after the data was written. Batches of 500 resources, each in
// one transaction, with a progress line.
import { extractIndex } from '../fhir/search/extract.js'
import type { ResourceStore } from '../store/types.js'
import { Progress } from './progress.js'

const BATCH = 500

export async function reindex(store: ResourceStore, baseUrl: string, type?: string, total = 0): Promise<number> {
  const progress = new Progress(total, 'resources reindexed')
  let after: { resourceType: string; id: string } | undefined
  let count = 0
  for (;;) {
    const batch = await store.scan({ type, after, limit: BATCH })
    if (batch.length === 0) break
    await store.transaction(async (tx) => {
      for (const v of batch) await tx.writeIndex(v.resourceType, v.id, extractIndex(JSON.parse(v.json!), baseUrl))
    })
    count += batch.length
    progress.tick(batch.length, batch.length)
    const last = batch[batch.length - 1]
    after = { resourceType: last.resourceType, id: last.id }
  }
  progress.finish()
  return count
}
