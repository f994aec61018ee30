// `casehub reindex [--type T]`: recomputes the search index of current resources, for search
// parameters added or changed after the data was written. Batches of 500 resources, each in
// one transaction, with a progress line. A resource whose values can no longer be indexed (one
// written before CaseHub refused values too long for an index entry) keeps its rows, and is named.
import { FhirError } from '../errors.js'
import { extractIndex } from '../fhir/search/extract.js'
import type { ResourceStore } from '../store/types.js'
import { Progress } from './progress.js'

const BATCH = 500

export async function reindex(store: ResourceStore, baseUrl: string, type?: string, total = 0): Promise<number> {
  const progress = new Progress(total, 'resources reindexed')
  let after: { resourceType: string; id: string } | undefined
  let count = 0
  const kept: string[] = []
  for (;;) {
    const batch = await store.scan({ type, after, limit: BATCH })
    if (batch.length === 0) break
    await store.transaction(async (tx) => {
      for (const v of batch) {
        let index
        try {
          index = extractIndex(JSON.parse(v.json!), baseUrl)
        } catch (err) {
          if (!(err instanceof FhirError)) throw err
          kept.push(`${v.resourceType}/${v.id}`)
          continue
        }
        // false: updated or deleted since the batch was read, and indexed by that write
        await tx.writeIndex(v.resourceType, v.id, v.versionId, index)
      }
    })
    count += batch.length
    progress.tick(batch.length, batch.length)
    const last = batch[batch.length - 1]
    after = { resourceType: last.resourceType, id: last.id }
  }
  progress.finish()
  if (kept.length) {
    process.stderr.write(`${kept.length} resource(s) kept their old index rows, having a value too long to index: ${kept.slice(0, 20).join(', ')}${kept.length > 20 ? ', …' : ''}\n`)
  }
  return count
}
