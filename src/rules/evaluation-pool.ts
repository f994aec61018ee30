// Evaluates one CQL library for many patients on worker threads (node:worker_threads), one per
// core by default. cql-execution is CPU-bound and single-threaded, so a whole population is
// evaluated in parallel only on several threads (cql-spike.md §7.2). Each worker builds its
// own cql.Library, CodeService and cql-exec-fhir PatientSource once, from plain data (ELM JSON
// and value set codes), and then evaluates the chunks of patient bundles it is sent.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { CodeServiceJson } from './code-service.js'
import type { ElmLibrary } from './elm.js'

export interface PortableLibrary {
  /** main library first, then its includes */
  elms: ElmLibrary[]
  valueSets: CodeServiceJson
}

/** Parameters that survive structured cloning: DateTimes as ISO text, the rest as JSON values. */
export interface PortableParameters {
  dateTimes?: Record<string, string>
  values?: Record<string, unknown>
}

export interface ChunkRequest {
  /** one JSON collection Bundle per patient, Patient first, as text (cheaper to post than objects) */
  bundles: string[]
  parameters: PortableParameters
  /** the defines to return */
  defines: string[]
  /** fixes Now() and Today(): ISO text */
  executionDateTime: string
}

/** Per patient id, the requested defines' values. */
export type ChunkResult = Record<string, Record<string, unknown>>

interface Pending {
  resolve(r: ChunkResult): void
  reject(e: Error): void
}

interface Slot {
  worker: Worker
  busy: Pending | undefined
}

/** The worker's entry point: its TypeScript source in a checkout (through tsx), else the compiled file. */
function workerSource(): { code: string; eval: boolean } {
  const ts = new URL('./evaluation-worker.ts', import.meta.url)
  if (!import.meta.url.endsWith('.ts')) return { code: new URL('./evaluation-worker.js', import.meta.url).pathname, eval: false }
  // A worker does not inherit loader hooks registered in code (bin/casehub.js registers tsx that
  // way), so it registers tsx itself before importing the TypeScript entry point.
  const tsx = import.meta.resolve('tsx/esm/api')
  return { code: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ts.href)}) })`, eval: true }
}

export class EvaluationPool {
  private readonly slots: Slot[] = []
  private readonly waiting: { request: ChunkRequest; pending: Pending }[] = []
  private closed = false

  constructor(library: PortableLibrary, size = Math.max(1, availableParallelism())) {
    const { code, eval: isEval } = workerSource()
    for (let i = 0; i < size; i++) {
      const worker = new Worker(code, { eval: isEval, workerData: library })
      const slot: Slot = { worker, busy: undefined }
      worker.on('message', (msg: { result?: ChunkResult; error?: string }) => {
        const pending = slot.busy
        slot.busy = undefined
        if (msg.error !== undefined) pending?.reject(new Error(msg.error))
        else pending?.resolve(msg.result!)
        this.next(slot)
      })
      worker.on('error', (err) => {
        slot.busy?.reject(err)
        slot.busy = undefined
      })
      this.slots.push(slot)
    }
  }

  get size(): number {
    return this.slots.length
  }

  /** Evaluates a chunk on the next free worker. */
  evaluate(request: ChunkRequest): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new Error('The evaluation pool is closed'))
    return new Promise<ChunkResult>((resolve, reject) => {
      this.waiting.push({ request, pending: { resolve, reject } })
      const free = this.slots.find((s) => !s.busy)
      if (free) this.next(free)
    })
  }

  private next(slot: Slot) {
    const job = this.waiting.shift()
    if (!job) return
    slot.busy = job.pending
    slot.worker.postMessage(job.request)
  }

  async close(): Promise<void> {
    this.closed = true
    for (const w of this.waiting.splice(0)) w.pending.reject(new Error('The evaluation pool was closed'))
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}
