// `casehub load FILE|DIR`: FHIR Bundles (.json) and NDJSON (.ndjson) through the same
// interaction code as the HTTP API (transaction/batch Bundles; lone resources as create or
// update-as-create when they carry an id).
import type { Resource } from '@medplum/fhirtypes'
import { createReadStream } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { toOutcome } from '../errors.js'
import { bundle } from '../fhir/interactions/bundle.js'
import type { InteractionContext } from '../fhir/types.js'
import { Progress } from './progress.js'

const NDJSON_CHUNK = 500
const PARALLEL_FILES = 3
/** Transactions in flight per NDJSON file: lines of one file are not applied in file order
 *  across chunks, so a file should hold one version of each resource (as bulk exports do). */
const NDJSON_PARALLEL_CHUNKS = 3

export interface LoadResult {
  files: number
  resources: number
  failures: { file: string; message: string }[]
}

export async function listInputFiles(target: string): Promise<string[]> {
  const info = await stat(target)
  if (info.isFile()) return [target]
  const names = (await readdir(target)).filter((n) => /\.(json|ndjson)$/i.test(n)).sort()
  return names.map((n) => join(target, n))
}

export async function load(target: string, ctx: InteractionContext, out = process.stderr): Promise<LoadResult> {
  const files = await listInputFiles(target)
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size))
  const progress = new Progress(sizes.reduce((a, b) => a + b, 0), 'resources', out)
  const result: LoadResult = { files: files.length, resources: 0, failures: [] }
  let next = 0
  const worker = async () => {
    while (next < files.length) {
      const i = next++
      try {
        const loaded = /\.ndjson$/i.test(files[i])
          ? await loadNdjson(files[i], ctx, progress)
          : await loadJsonFile(files[i], ctx)
        result.resources += loaded
        if (!/\.ndjson$/i.test(files[i])) progress.tick(loaded, sizes[i])
      } catch (err) {
        progress.failed++
        progress.done += sizes[i]
        result.failures.push({ file: files[i], message: describe(err) })
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FILES, files.length) }, worker))
  progress.finish()
  return result
}

async function loadJsonFile(file: string, ctx: InteractionContext): Promise<number> {
  let body: any
  try {
    body = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`)
  }
  if (body?.resourceType === 'Bundle' && (body.type === 'transaction' || body.type === 'batch')) {
    const response = await bundle(request(body), ctx, {})
    const entries = (response.body as { entry: { response: { status: string } }[] }).entry
    const failed = entries.filter((e) => !/^2/.test(e.response.status))
    if (failed.length) throw new Error(`${failed.length} of ${entries.length} batch entries failed (first: ${failed[0].response.status})`)
    return entries.length
  }
  const resources: Resource[] =
    body?.resourceType === 'Bundle' ? (body.entry ?? []).map((e: { resource: Resource }) => e.resource) : [body]
  await submit(resources, ctx)
  return resources.length
}

async function loadNdjson(file: string, ctx: InteractionContext, progress: Progress): Promise<number> {
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  let chunk: Resource[] = []
  let chunkLines: number[] = []
  let bytes = 0
  let count = 0
  let lineNo = 0
  // Chunks of one file run as concurrent transactions (the database, not this process, is the
  // bottleneck); the first failure stops the file.
  const inFlight = new Set<Promise<void>>()
  let failure: Error | undefined
  const flush = () => {
    if (!chunk.length) return
    const [resources, numbers, size] = [chunk, chunkLines, bytes]
    chunk = []
    chunkLines = []
    bytes = 0
    const job = submit(resources, ctx).then(
      () => {
        count += resources.length
        progress.tick(resources.length, size)
      },
      (err) => {
        // Name the NDJSON line rather than the position in the internal Bundle.
        failure ??= new Error(describe(err).replace(/Bundle\.entry\[(\d+)\]\.resource/g, (_m, i) => `line ${numbers[Number(i)]}`))
      },
    )
    const tracked: Promise<void> = job.finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
  }
  for await (const line of lines) {
    lineNo++
    bytes += Buffer.byteLength(line) + 1
    if (!line.trim()) continue
    try {
      chunk.push(JSON.parse(line))
      chunkLines.push(lineNo)
    } catch (err) {
      failure ??= new Error(`line ${lineNo} is not valid JSON: ${(err as Error).message}`)
    }
    if (failure) break
    if (chunk.length >= NDJSON_CHUNK) {
      flush()
      while (inFlight.size >= NDJSON_PARALLEL_CHUNKS) await Promise.race(inFlight)
      if (failure) break
    }
  }
  if (!failure) flush()
  await Promise.all(inFlight)
  if (failure) throw failure
  return count
}

/** Lone resources go in as one transaction: update-as-create keeps their ids, others are created. */
async function submit(resources: Resource[], ctx: InteractionContext) {
  const entry = resources.map((resource) => ({
    resource,
    request: resource.id
      ? { method: 'PUT', url: `${resource.resourceType}/${resource.id}` }
      : { method: 'POST', url: String(resource.resourceType) },
  }))
  await bundle(request({ resourceType: 'Bundle', type: 'transaction', entry }), ctx, {})
}

const request = (body: unknown) => ({
  method: 'POST' as const,
  path: '',
  query: {},
  body,
  headers: { prefer: 'return=minimal' },
})

function describe(err: unknown): string {
  const { status, outcome } = toOutcome(err)
  if (status === 500 && err instanceof Error) return err.message
  return `${status}: ${(outcome.issue ?? []).map((i) => `${i.diagnostics}${i.expression ? ` @ ${i.expression.join(', ')}` : ''}`).join('; ')}`
}
