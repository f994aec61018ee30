// Location?near=[latitude]|[longitude]|[distance]|[units] (search.html#special, SearchParameter
// Location-near): distances on the earth's surface, units, the default distance, bad values.
import type { Resource } from '@medplum/fhirtypes'
import t from 'tap'
import { startTestServer } from '../../helpers/test-server.js'
import { matchIds, putAll, runTable, searchBundle, type Row } from './helpers.js'

const place = (id: string, latitude: number, longitude: number): Resource => ({ resourceType: 'Location', id, name: id, position: { latitude, longitude } })

// Great-circle distances from Altrincham (53.3876, -2.3487), computed independently:
// Sale ≈ 4.5 km, Knutsford ≈ 9.6 km, Manchester city centre ≈ 12.5 km, Liverpool ≈ 42.7 km.
const fixtures: Resource[] = [
  place('altrincham', 53.3876, -2.3487),
  place('sale', 53.4247, -2.3221),
  place('manchester', 53.4808, -2.2426),
  place('knutsford', 53.3025, -2.3737),
  place('liverpool', 53.4084, -2.9916),
  place('across-the-meridian', 53.3876, 0.01),
  { resourceType: 'Location', id: 'no-position', name: 'Somewhere' },
]

const A = '53.3876|-2.3487'
const rows: Row[] = [
  { name: 'within 6 km', query: `Location?near=${A}|6|km`, expect: ['altrincham', 'sale'] },
  { name: 'kilometres when units are omitted', query: `Location?near=${A}|6`, expect: ['altrincham', 'sale'] },
  { name: 'within 15 km', query: `Location?near=${A}|15|km`, expect: ['altrincham', 'sale', 'manchester', 'knutsford'] },
  { name: 'in metres', query: `Location?near=${A}|6000|m`, expect: ['altrincham', 'sale'] },
  { name: 'in miles (UCUM [mi_i])', query: `Location?near=${A}|9|${encodeURIComponent('[mi_i]')}`, expect: ['altrincham', 'sale', 'manchester', 'knutsford'] },
  { name: 'the server default when no distance is given (10 km)', query: `Location?near=${A}`, expect: ['altrincham', 'sale', 'knutsford'] },
  { name: 'a large distance', query: `Location?near=${A}|60|km`, expect: ['altrincham', 'sale', 'manchester', 'knutsford', 'liverpool'] },
  { name: 'either of two points (or)', query: `Location?near=${A}|1|km,53.4084|-2.9916|1|km`, expect: ['altrincham', 'liverpool'] },
  { name: 'west and east of Greenwich', query: 'Location?near=53.3876|-0.01|2|km', expect: ['across-the-meridian'] },
  { name: 'with another parameter', query: `Location?near=${A}|15|km&name=sale`, expect: ['sale'] },
  { name: 'nearest first when no _sort is given', query: `Location?near=${A}|60|km`, ordered: true, expect: ['altrincham', 'sale', 'knutsford', 'manchester', 'liverpool'] },
  { name: 'nearest to either point', query: `Location?near=${A}|5|km,53.4084|-2.9916|1|km`, ordered: true, expect: ['altrincham|liverpool', 'sale'] },
  { name: 'an explicit _sort wins', query: `Location?near=${A}|60|km&_sort=-name`, ordered: true, expect: ['sale', 'manchester', 'liverpool', 'knutsford', 'altrincham'] },
]

t.test('Location near', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, fixtures)

  t.test('search table', async (t) => runTable(t, hub, 'special', rows))

  t.test('each match carries its distance (location-distance extension), and pages keep the order', async (t) => {
    const { body } = await searchBundle(hub, `Location?near=${A}|60|km&_count=2`)
    const km = (e: any) => e.search.extension?.find((x: any) => x.url === 'http://hl7.org/fhir/StructureDefinition/location-distance')?.valueDistance
    t.match(km(body.entry[0]), { value: 0, unit: 'km', system: 'http://unitsofmeasure.org', code: 'km' })
    t.ok(Math.abs(km(body.entry[1]).value - 4.5) < 0.3, `Sale is about 4.5 km away (${km(body.entry[1]).value})`)
    const ids: string[] = []
    let next: string | undefined = `${hub.url}/Location?near=${encodeURIComponent(A)}|60|km&_count=2`
    while (next) {
      const page: any = await (await fetch(next)).json()
      ids.push(...page.entry.filter((e: any) => e.search.mode === 'match').map((e: any) => e.resource.id))
      next = page.link.find((l: any) => l.relation === 'next')?.url
    }
    t.same(ids, ['altrincham', 'sale', 'knutsford', 'manchester', 'liverpool'])
  })

  t.test('a moved Location is found at its new position', async (t) => {
    await hub.client.update({ resourceType: 'Location', id: 'liverpool', body: place('liverpool', 53.39, -2.35) as any })
    t.same((await matchIds(hub, `Location?near=${A}|1|km`)).sort(), ['altrincham', 'liverpool'])
  })

  t.test('bad values are 400 naming the parameter', async (t) => {
    for (const query of ['Location?near=91|0|1|km', 'Location?near=53.4', 'Location?near=53.4|-2.3|5|parsecs', 'Location?near=53.4|-2.3|-5|km', 'Location?near=53.4|-2.3|5|constructor', 'Location?near:exact=53.4|-2.3']) {
      const { status, body } = await searchBundle(hub, query)
      t.equal(status, 400, query)
      t.equal(body.issue?.[0]?.expression?.[0]?.startsWith('near'), true, `${query}: names near`)
    }
  })

  t.test('the CapabilityStatement lists near for Location', async (t) => {
    const cs = await (await hub.fetch('metadata')).json()
    const location = cs.rest[0].resource.find((r: any) => r.type === 'Location')
    t.match(location.searchParam.find((p: any) => p.name === 'near'), { type: 'special', definition: 'http://hl7.org/fhir/SearchParameter/Location-near' })
  })
})
