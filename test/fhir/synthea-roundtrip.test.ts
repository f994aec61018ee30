// A GP system's view: every Synthea transaction Bundle in ../shared/data/synthea goes in through
// fhir-kit-client, and every resource reads back unchanged apart from id, meta and the
// urn:uuid references the server rewrote (http.html#transaction).
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestServer } from '../helpers/test-server.js'

const DIR = new URL('../../../shared/data/synthea/', import.meta.url).pathname
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()

function rewrite(value: unknown, refs: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, refs))
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'reference' && typeof v === 'string' && refs.has(v) ? refs.get(v) : rewrite(v, refs)
    }
    return out
  }
  return value
}

t.test('Synthea bundles load and read back unchanged', async (t) => {
  t.ok(files.length >= 40, `found ${files.length} Synthea bundles`)
  const hub = await startTestServer(t)
  let total = 0
  let mismatches = 0
  for (const file of files) {
    const bundle = JSON.parse(readFileSync(join(DIR, file), 'utf8'))
    const response: any = await hub.client.transaction({ body: bundle, options: { headers: { prefer: 'return=minimal' } } })
    t.equal(response.entry.length, bundle.entry.length, `${file}: one response entry per request entry`)
    const refs = new Map<string, string>()
    bundle.entry.forEach((e: any, i: number) => {
      const location: string = response.entry[i].response.location
      refs.set(e.fullUrl, location.replace(/^.*\/fhir\//, '').replace(/\/_history\/\d+$/, ''))
    })
    for (let i = 0; i < bundle.entry.length; i += 50) {
      const batch = bundle.entry.slice(i, i + 50)
      await Promise.all(
        batch.map(async (e: any) => {
          const [type, id] = refs.get(e.fullUrl)!.split('/')
          const stored: any = await hub.client.read({ resourceType: type, id })
          const { id: _id, meta, ...rest } = stored
          const { id: _origId, meta: _origMeta, ...expected } = rewrite(e.resource, refs) as any
          total++
          if (JSON.stringify(sortKeys(rest)) !== JSON.stringify(sortKeys(expected))) {
            mismatches++
            if (mismatches <= 3) t.same(rest, expected, `${file} ${type}/${id} reads back unchanged`)
          }
          if (meta.versionId !== '1') t.fail(`${type}/${id} has versionId ${meta.versionId}`)
        }),
      )
    }
  }
  t.equal(mismatches, 0, `all ${total} resources read back unchanged`)
  t.equal(await hub.rows(), total)
})

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]))
  return v
}
