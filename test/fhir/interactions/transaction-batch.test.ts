// The creates of a transaction go to the database in one statement (store.insertMany). They must
// store exactly what one-by-one writes store: the body, the history row and every search index row.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startTestServer } from '../../helpers/test-server.js'

const SYNTHEA = fileURLToPath(new URL('../../../../shared/data/synthea/', import.meta.url))
const TABLES = ['search_string', 'search_token', 'search_date', 'search_number', 'search_quantity', 'search_reference', 'search_uri']

t.test('batched creates store what single writes store', async (t) => {
  const hub = await startTestServer(t)
  const file = readFileSync(`${SYNTHEA}/${(await import('node:fs')).readdirSync(SYNTHEA).find((f) => f.endsWith('.json'))}`, 'utf8')
  // Resources of many types, with their references made local so both copies index the same targets.
  const resources = (JSON.parse(file).entry as any[]).map((e) => e.resource).slice(0, 60)
  const body = (r: any, id: string) => JSON.parse(JSON.stringify({ ...r, id }).replace(/"urn:uuid:[^"]+"/g, '"Patient/someone"'))

  for (const [i, r] of resources.entries()) {
    const res = await hub.fetch(`${r.resourceType}/single-${i}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(body(r, `single-${i}`)) })
    t.equal(res.status, 201, `single ${r.resourceType}`)
  }
  const tx = await hub.fetch('', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: resources.map((r, i) => ({ resource: body(r, `batch-${i}`), request: { method: 'PUT', url: `${r.resourceType}/batch-${i}` } })),
    }),
  })
  t.equal(tx.status, 200)
  const response: any = await tx.json()
  t.ok(response.entry.every((e: any) => e.response.status.startsWith('201')), 'every entry created')

  const q = async (sql: string, values: unknown[]) => (await hub.server.db.pool.query(sql, values)).rows
  for (const table of TABLES) {
    const rows = async (prefix: string) =>
      (await q(`SELECT * FROM ${table} WHERE id LIKE $1`, [`${prefix}-%`]))
        .map(({ id, resource_type, ...rest }: any) => JSON.stringify({ type: resource_type, n: id.split('-')[1], ...rest }))
        .sort()
    const single = await rows('single')
    t.ok(single.length > 0 || table === 'search_number' || table === 'search_uri', `${table} has rows`)
    t.same(await rows('batch'), single, `${table}: the same rows`)
  }
  const history = await q(`SELECT count(*)::int AS n FROM resource_history WHERE id LIKE 'batch-%' AND method = 'PUT' AND version_id = 1`, [])
  t.equal(history[0].n, resources.length, 'one history row each')
  const bodies = await q(`SELECT id, content::jsonb - 'meta' - 'id' AS c FROM resource WHERE id LIKE 'single-%' OR id LIKE 'batch-%'`, [])
  const byN = new Map<string, string[]>()
  for (const b of bodies) byN.set(b.id.split('-')[1], [...(byN.get(b.id.split('-')[1]) ?? []), JSON.stringify(b.c)])
  t.ok([...byN.values()].every((pair) => pair.length === 2 && pair[0] === pair[1]), 'the same bodies')
})

t.test('POSTs are batched too: urn:uuid references rewritten and indexed', async (t) => {
  const hub = await startTestServer(t)
  const res = await hub.fetch('', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:7d0c1e62-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: 'Batch' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'urn:uuid:7d0c1e62-0000-4000-8000-000000000001' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    }),
  })
  t.equal(res.status, 200)
  const bundle: any = await res.json()
  const [patient, observation] = bundle.entry.map((e: any) => e.response.location.split('/_history')[0].replace(/^.*\/fhir\//, ''))
  const found: any = await (await hub.fetch(`Observation?subject=${patient}`)).json()
  t.equal(found.entry?.[0]?.resource.id, observation.split('/')[1], 'the reference was rewritten and indexed')
})
