// NDJSON output: one file per resource type (DIR/Patient.ndjson, …), one resource per line,
// written in the order the resources are given. Buffers lines and respects stream back-pressure.
import type { Resource } from '@medplum/fhirtypes'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'

const FLUSH_BYTES = 1 << 20

interface Output {
  stream: WriteStream
  pending: string[]
  pendingBytes: number
  count: number
  bytes: number
}

export class NdjsonWriter {
  private readonly outputs = new Map<string, Output>()

  private constructor(private readonly dir: string) {}

  /** Creates (or truncates) one file per type in `types`, so a rerun replaces every file of a previous run. */
  static async open(dir: string, types: readonly string[]): Promise<NdjsonWriter> {
    await mkdir(dir, { recursive: true })
    const writer = new NdjsonWriter(dir)
    for (const type of types) writer.output(type)
    return writer
  }

  /** The file a resource type is written to. */
  static fileName(resourceType: string): string {
    return `${resourceType}.ndjson`
  }

  private output(type: string): Output {
    let out = this.outputs.get(type)
    if (!out) {
      const stream = createWriteStream(join(this.dir, NdjsonWriter.fileName(type)), { encoding: 'utf8' })
      out = { stream, pending: [], pendingBytes: 0, count: 0, bytes: 0 }
      this.outputs.set(type, out)
    }
    return out
  }

  async write(resources: readonly Resource[]): Promise<void> {
    const full: Output[] = []
    for (const resource of resources) {
      const out = this.output(resource.resourceType)
      const line = JSON.stringify(resource) + '\n'
      out.pending.push(line)
      out.pendingBytes += line.length
      out.count++
      if (out.pendingBytes >= FLUSH_BYTES && !full.includes(out)) full.push(out)
    }
    for (const out of full) await this.flush(out)
  }

  private async flush(out: Output): Promise<void> {
    if (!out.pending.length) return
    const chunk = out.pending.join('')
    out.pending = []
    out.pendingBytes = 0
    out.bytes += Buffer.byteLength(chunk)
    if (!out.stream.write(chunk)) await new Promise<void>((resolve) => out.stream.once('drain', resolve))
  }

  /** Flushes and closes every file; resolves to the resource count and bytes per type. */
  async close(): Promise<Map<string, { count: number; bytes: number }>> {
    const summary = new Map<string, { count: number; bytes: number }>()
    for (const [type, out] of this.outputs) {
      await this.flush(out)
      await new Promise<void>((resolve, reject) => {
        out.stream.once('error', reject)
        out.stream.end(resolve)
      })
      summary.set(type, { count: out.count, bytes: out.bytes })
    }
    return summary
  }
}
