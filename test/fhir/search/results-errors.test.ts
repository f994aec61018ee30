// Result shaping and errors, each area on a server of its own:
// - _sort with several keys and missing values (search.html#sort), _count and paging through
//   Bundle links (next, previous, first) while other clients write (search.html#paging), _total,
//   _summary=count, _include/_revinclude with :iterate over reference cycles (search.html#include);
// - errors (search.html#errors): malformed values, unknown modifiers and bad result parameters are
//   400 OperationOutcomes naming the parameter; unknown parameters are ignored with a warning
//   (search.mode outcome), or refused under Prefer: handling=strict.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'
import { enc, entriesOf, matchIds, putAll, readable, runTable, searchBundle, type Row } from './helpers.js'

const TAGS = 'http://casehub.example.org/tags'
const tag = (code: string) => ({ tag: [{ system: TAGS, code }] })
const patient = (id: string, extra: object): Resource => ({ resourceType: 'Patient', id, meta: tag('sort'), ...extra }) as Resource
const linkTo = (id: string) => [{ other: { reference: `Patient/${id}` }, type: 'seealso' }]

const fixtures: Resource[] = [
  { resourceType: 'Organization', id: 'org1', name: 'Trust' },
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Who' }] },
  // sorting: family and birthDate, some missing, one with two family names
  patient('s-adams', { name: [{ family: 'Adams' }], birthDate: '1980-01-01' }),
  patient('s-brown1', { name: [{ family: 'Brown' }], birthDate: '1990-05-05' }),
  patient('s-brown2', { name: [{ family: 'Brown' }], birthDate: '1970-03-03' }),
  patient('s-emond', { name: [{ family: 'Émond' }], birthDate: '1985-07-07' }),
  patient('s-multi', { name: [{ family: 'Young' }, { family: 'Clark' }], birthDate: '1960-01-01' }),
  patient('s-davis', { name: [{ family: 'Davis' }] }),
  patient('s-nofamily', { name: [{ given: ['Nobody'] }], birthDate: '2000-01-01' }),
  patient('s-nothing', {}),
  // _include / _revinclude
  { resourceType: 'Patient', id: 'inc-p1', managingOrganization: { reference: 'Organization/org1' } },
  { resourceType: 'Patient', id: 'inc-p2' },
  { resourceType: 'Encounter', id: 'inc-e1', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/inc-p1' } },
  {
    resourceType: 'Observation',
    id: 'inc-o1',
    status: 'final',
    code: { text: 'x' },
    subject: { reference: 'Patient/inc-p1' },
    performer: [{ reference: 'Practitioner/dr1' }],
    encounter: { reference: 'Encounter/inc-e1' },
  },
  { resourceType: 'Observation', id: 'inc-o2', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/inc-p1' } },
  { resourceType: 'Observation', id: 'inc-o3', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/inc-p2' } },
  // reference cycles: a <-> b, and c -> d -> e -> c
  { resourceType: 'Patient', id: 'cyc-a', link: linkTo('cyc-b') },
  { resourceType: 'Patient', id: 'cyc-b', link: linkTo('cyc-a') },
  { resourceType: 'Patient', id: 'cyc-c', link: linkTo('cyc-d') },
  { resourceType: 'Patient', id: 'cyc-d', link: linkTo('cyc-e') },
  { resourceType: 'Patient', id: 'cyc-e', link: linkTo('cyc-c') },
] as Resource[]

const SORTED = 'Patient?_tag=sort'
const SORT_IDS = ['s-adams', 's-brown1', 's-brown2', 's-emond', 's-multi', 's-davis', 's-nofamily', 's-nothing'].join(',')
const sorts: Row[] = [
  { name: 'ascending; missing values last', query: `${SORTED}&_sort=family`, ordered: true, expect: ['s-adams', 's-brown1|s-brown2', 's-multi', 's-davis', 's-emond', 's-nofamily|s-nothing'] },
  { name: 'descending; missing values still last', query: `${SORTED}&_sort=-family`, ordered: true, expect: ['s-multi', 's-emond', 's-davis', 's-brown1|s-brown2', 's-adams', 's-nofamily|s-nothing'] },
  { name: 'a second key breaks ties (descending)', query: `${SORTED}&_sort=family,-birthdate`, ordered: true, expect: ['s-adams', 's-brown1', 's-brown2', 's-multi', 's-davis', 's-emond', 's-nofamily', 's-nothing'] },
  { name: 'a second key breaks ties (ascending)', query: `${SORTED}&_sort=family,birthdate`, ordered: true, expect: ['s-adams', 's-brown2', 's-brown1', 's-multi', 's-davis', 's-emond', 's-nofamily', 's-nothing'] },
  { name: 'by date; missing last', query: `${SORTED}&_sort=birthdate`, ordered: true, expect: ['s-multi', 's-brown2', 's-adams', 's-emond', 's-brown1', 's-nofamily', 's-davis|s-nothing'] },
  { name: 'by date descending; missing last', query: `${SORTED}&_sort=-birthdate`, ordered: true, expect: ['s-nofamily', 's-brown1', 's-emond', 's-adams', 's-brown2', 's-multi', 's-davis|s-nothing'] },
  { name: 'missing dates ordered by the second key', query: `${SORTED}&_sort=-birthdate,family`, ordered: true, expect: ['s-nofamily', 's-brown1', 's-emond', 's-adams', 's-brown2', 's-multi', 's-davis', 's-nothing'] },
  { name: 'by _id', query: `${SORTED}&_sort=-_id`, ordered: true, expect: ['s-nothing', 's-nofamily', 's-multi', 's-emond', 's-davis', 's-brown2', 's-brown1', 's-adams'] },
  { name: 'sort with a filter', query: `${SORTED}&family=brown&_sort=-birthdate`, ordered: true, expect: ['s-brown1', 's-brown2'] },
  // narrowed by _id or a reference, the matches are sorted in one part: missing values still last
  { name: 'narrowed by _id: missing values last', query: `${SORTED}&_id=${SORT_IDS}&_sort=-family`, ordered: true, expect: ['s-multi', 's-emond', 's-davis', 's-brown1|s-brown2', 's-adams', 's-nofamily|s-nothing'] },
  { name: 'narrowed by _id: by date, missing last', query: `${SORTED}&_id=${SORT_IDS}&_sort=birthdate,family`, ordered: true, expect: ['s-multi', 's-brown2', 's-adams', 's-emond', 's-brown1', 's-nofamily', 's-davis', 's-nothing'] },
]

interface IncludeRow {
  name: string
  query: string
  match: string[]
  include: string[]
}

const includes: IncludeRow[] = [
  { name: '_include', query: 'Observation?_id=inc-o1&_include=Observation:subject', match: ['Observation/inc-o1'], include: ['Patient/inc-p1'] },
  { name: 'a resource two matches refer to is included once', query: 'Observation?_id=inc-o1,inc-o2&_include=Observation:subject', match: ['Observation/inc-o1', 'Observation/inc-o2'], include: ['Patient/inc-p1'] },
  { name: 'two _include parameters', query: 'Observation?_id=inc-o1&_include=Observation:subject&_include=Observation:performer', match: ['Observation/inc-o1'], include: ['Patient/inc-p1', 'Practitioner/dr1'] },
  { name: '_include with a target type', query: 'Observation?_id=inc-o1&_include=Observation:performer:Organization', match: ['Observation/inc-o1'], include: [] },
  { name: 'without :iterate, includes are not followed further', query: 'Observation?_id=inc-o1&_include=Observation:subject&_include=Patient:organization', match: ['Observation/inc-o1'], include: ['Patient/inc-p1'] },
  { name: ':iterate follows the included resources', query: 'Observation?_id=inc-o1&_include=Observation:subject&_include:iterate=Patient:organization', match: ['Observation/inc-o1'], include: ['Patient/inc-p1', 'Organization/org1'] },
  { name: '_revinclude', query: 'Patient?_id=inc-p1&_revinclude=Observation:subject', match: ['Patient/inc-p1'], include: ['Observation/inc-o1', 'Observation/inc-o2'] },
  { name: '_revinclude:iterate', query: 'Patient?_id=inc-p1&_revinclude=Encounter:subject&_revinclude:iterate=Observation:encounter', match: ['Patient/inc-p1'], include: ['Encounter/inc-e1', 'Observation/inc-o1'] },
  { name: 'includes are for the matches on the page', query: 'Patient?_id=inc-p1,inc-p2&_sort=_id&_count=1&_revinclude=Observation:patient', match: ['Patient/inc-p1'], include: ['Observation/inc-o1', 'Observation/inc-o2'] },
  { name: '_include=* follows every reference', query: 'Observation?_id=inc-o1&_include=*', match: ['Observation/inc-o1'], include: ['Patient/inc-p1', 'Practitioner/dr1', 'Encounter/inc-e1'] },
  { name: '_include=Type:* with a target type', query: 'Observation?_id=inc-o1&_include=Observation:*:Practitioner', match: ['Observation/inc-o1'], include: ['Practitioner/dr1'] },
  { name: '_revinclude=* brings every referrer', query: 'Patient?_id=inc-p1&_revinclude=*', match: ['Patient/inc-p1'], include: ['Encounter/inc-e1', 'Observation/inc-o1', 'Observation/inc-o2'] },
  { name: '_revinclude=Type:*', query: 'Patient?_id=inc-p1&_revinclude=Observation:*', match: ['Patient/inc-p1'], include: ['Observation/inc-o1', 'Observation/inc-o2'] },
  { name: 'two-resource cycle: each once', query: 'Patient?_id=cyc-a&_include:iterate=Patient:link', match: ['Patient/cyc-a'], include: ['Patient/cyc-b'] },
  { name: 'three-resource cycle: each once', query: 'Patient?_id=cyc-c&_include:iterate=Patient:link', match: ['Patient/cyc-c'], include: ['Patient/cyc-d', 'Patient/cyc-e'] },
  { name: 'cycle without :iterate: one step', query: 'Patient?_id=cyc-c&_include=Patient:link', match: ['Patient/cyc-c'], include: ['Patient/cyc-d'] },
  { name: 'matches are not repeated as includes', query: 'Patient?_id=cyc-a,cyc-b&_include:iterate=Patient:link', match: ['Patient/cyc-a', 'Patient/cyc-b'], include: [] },
  { name: '_revinclude:iterate over a cycle', query: 'Patient?_id=cyc-c&_revinclude:iterate=Patient:link', match: ['Patient/cyc-c'], include: ['Patient/cyc-e', 'Patient/cyc-d'] },
  { name: 'both directions over a cycle', query: 'Patient?_id=cyc-a&_include:iterate=Patient:link&_revinclude:iterate=Patient:link', match: ['Patient/cyc-a'], include: ['Patient/cyc-b'] },
]

const qualified = (e: any) => `${e.resource.resourceType}/${e.resource.id}`
const link = (bundle: any, relation: string): string | undefined => bundle.link?.find((l: any) => l.relation === relation)?.url

async function getUrl(url: string): Promise<any> {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`)
  return res.json()
}

/**
 * Walks every page of `query` by its next links; before each next page, `between(page)` writes.
 * Returns the ids in the order seen.
 */
async function walk(hub: TestServer, query: string, between: (page: number) => Promise<void>): Promise<{ ids: string[]; pages: number }> {
  let bundle: any = (await searchBundle(hub, query)).body
  const ids: string[] = []
  let pages = 0
  for (;;) {
    pages++
    ids.push(...entriesOf(bundle, 'match').map((e: any) => e.resource.id))
    const next = link(bundle, 'next')
    if (!next || pages > 40) break
    await between(pages)
    bundle = await getUrl(next)
  }
  return { ids, pages }
}

t.test('sorting, paging, totals and includes', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, fixtures)

  t.test('_sort', async (t) => runTable(t, hub, 'sort', sorts))

  t.test('_include and _revinclude', async (t) => {
    for (const row of includes) {
      t.test(`${row.name}: ${decodeURIComponent(row.query)} (search.html#include)`, async (t) => {
        const { status, body } = await searchBundle(hub, row.query)
        t.equal(status, 200)
        t.same(entriesOf(body, 'match').map(qualified).sort(), [...row.match].sort(), 'matches (search.mode match)')
        const included = entriesOf(body, 'include').map(qualified)
        t.same([...included].sort(), [...row.include].sort(), 'included (search.mode include)')
        const all = [...entriesOf(body, 'match'), ...entriesOf(body, 'include')].map(qualified)
        t.equal(new Set(all).size, all.length, 'each resource appears once')
      })
    }
    t.test('included entries carry fullUrl, and total counts matches only (search.html#include)', async (t) => {
      const { body } = await searchBundle(hub, 'Observation?_id=inc-o1,inc-o2&_include=Observation:subject&_include=Observation:performer')
      t.equal(body.total, 2)
      for (const e of body.entry) t.equal(e.fullUrl, `${hub.url}/${e.resource.resourceType}/${e.resource.id}`)
    })
  })

  t.test('_count, _total and _summary=count (search.html#count, #total, #summary)', async (t) => {
    const page = (await searchBundle(hub, `${SORTED}&_count=3`)).body
    t.equal(entriesOf(page, 'match').length, 3, '_count=3: three entries')
    t.equal(page.total, 8, 'total counts every match, not the page')
    t.ok(link(page, 'next'), 'a next link')
    t.notOk(link(page, 'previous'), 'no previous link on the first page')

    const none = (await searchBundle(hub, `${SORTED}&_count=3&_total=none`)).body
    t.equal(none.total, undefined, '_total=none: no total')
    t.equal(entriesOf(none, 'match').length, 3, '_total=none still pages')
    const accurate = (await searchBundle(hub, `${SORTED}&_count=3&_total=accurate`)).body
    t.equal(accurate.total, 8, '_total=accurate')
    t.equal((await searchBundle(hub, `${SORTED}&_count=3&_total=estimate`)).status, 200, '_total=estimate is accepted')

    const count = (await searchBundle(hub, `${SORTED}&_summary=count`)).body
    t.equal(count.total, 8, '_summary=count: the total')
    t.notOk(count.entry?.length, '_summary=count: no entries')
    const filtered = (await searchBundle(hub, `${SORTED}&family=brown&_summary=count&_count=1`)).body
    t.equal(filtered.total, 2, '_summary=count with a filter and _count')
    const zero = (await searchBundle(hub, `${SORTED}&_count=0`)).body
    t.equal(zero.total, 8, '_count=0: the total')
    t.notOk(zero.entry?.filter((e: any) => e.search?.mode === 'match').length, '_count=0: no matches')
  })

  t.test('without _count a page holds 20 matches, and links to the next (search.html#count)', async (t) => {
    const bodies = Array.from({ length: 23 }, (_v, i) => ({ resourceType: 'Patient', id: `default-${i}`, meta: tag('default-count') }) as Resource)
    await putAll(hub, bodies)
    const page = (await searchBundle(hub, `Patient?_tag=${enc(`${TAGS}|default-count`)}`)).body
    t.equal(entriesOf(page, 'match').length, 20)
    t.equal(page.total, 23)
    t.ok(page.link.some((l: { relation: string }) => l.relation === 'next'), 'a next link')
  })

  t.test('next, previous and first links (search.html#paging)', async (t) => {
    const all = await matchIds(hub, `${SORTED}&_sort=family,-birthdate&_count=100`)
    const page1 = (await searchBundle(hub, `${SORTED}&_sort=family,-birthdate&_count=3`)).body
    const page2 = await getUrl(link(page1, 'next')!)
    const page3 = await getUrl(link(page2, 'next')!)
    const ids = (b: any) => entriesOf(b, 'match').map((e: any) => e.resource.id)
    t.same([...ids(page1), ...ids(page2), ...ids(page3)], all, 'pages in order make the whole sorted result')
    t.notOk(link(page3, 'next'), 'no next link after the last page')
    t.equal(page2.total, 8, 'later pages carry the total')
    const back2 = await getUrl(link(page3, 'previous')!)
    t.same(ids(back2), ids(page2), 'previous from page 3 is page 2')
    const back1 = await getUrl(link(back2, 'previous')!)
    t.same(ids(back1), ids(page1), 'previous from page 2 is page 1')
    t.notOk(link(back1, 'previous'), 'no previous link before page 1')
    t.same(ids(await getUrl(link(back1, 'next')!)), ids(page2), 'next from there is page 2 again')
    t.same(ids(await getUrl(link(page3, 'first')!)), ids(page1), 'first is page 1')
    t.ok(link(page3, 'self')?.includes('_sort=family'), 'the self link keeps the parameters')
  })

  for (const query of ['_sort=family', '_sort=-family,birthdate', '_sort=-birthdate', '_sort=birthdate,family', '_sort=_id', '_sort=-_lastUpdated',
    `_id=${SORT_IDS}&_sort=-family`, `_id=${SORT_IDS}&_sort=birthdate,family`]) {
    for (const count of [2, 3]) {
      t.test(`${query}&_count=${count}: next links walk the one-page order, previous links walk it back (search.html#paging)`, async (t) => {
        const all = await matchIds(hub, `${SORTED}&${query}&_count=100`)
        const forward: string[][] = []
        let bundle: any = (await searchBundle(hub, `${SORTED}&${query}&_count=${count}`)).body
        for (;;) {
          forward.push(entriesOf(bundle, 'match').map((e: any) => e.resource.id))
          const next = link(bundle, 'next')
          if (!next || forward.length > 10) break
          bundle = await getUrl(next)
        }
        t.same(forward.flat(), all, 'forward pages make the whole order, missing values included')
        const backward: string[][] = [forward[forward.length - 1]]
        for (;;) {
          const previous = link(bundle, 'previous')
          if (!previous || backward.length > 10) break
          bundle = await getUrl(previous)
          backward.unshift(entriesOf(bundle, 'match').map((e: any) => e.resource.id))
        }
        t.same(backward, forward, 'previous links give the same pages in reverse')
      })
    }
  }

  t.test('paging while others write: no duplicates, nothing that existed is skipped (search.html#paging)', async (t) => {
    const families = ['Page 00', 'Page 05a', 'Page 99']
    let written = 0
    const write = async () => {
      for (let i = 0; i < 2; i++) {
        const family = families[written++ % families.length]
        await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', meta: tag('paging'), name: [{ family }] } })
      }
    }
    for (let i = 1; i <= 9; i++) {
      await hub.client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', meta: tag('paging'), name: [{ family: `Page 0${i}` }] } })
    }
    for (const sort of ['', '&_sort=family', '&_sort=-_lastUpdated']) {
      const before = await matchIds(hub, `Patient?_tag=paging&_count=1000`)
      const { ids, pages } = await walk(hub, `Patient?_tag=${enc(`${TAGS}|paging`)}&_count=3${sort}`, write)
      t.ok(pages >= 3, `${sort || 'default order'}: walked ${pages} pages`)
      t.equal(new Set(ids).size, ids.length, `${sort || 'default order'}: no resource twice`)
      t.same(before.filter((id) => !ids.includes(id)), [], `${sort || 'default order'}: every resource that existed at the start was seen`)
    }
  })
})

const errorFixtures = [
  { resourceType: 'Patient', id: 'smith', name: [{ family: 'Smith' }], managingOrganization: { reference: 'Organization/org' } },
  { resourceType: 'Patient', id: 'jones', name: [{ family: 'Jones' }] },
  { resourceType: 'Organization', id: 'org', name: 'Trust' },
] as Resource[]

/** [query, the parameter issue.expression must name] — each must answer 400 */
const malformed: [string, string][] = [
  ['Patient?birthdate=2000-13-01', 'birthdate'],
  ['Patient?birthdate=notadate', 'birthdate'],
  ['Patient?birthdate=2001-02-29', 'birthdate'],
  ['Patient?birthdate=2000-01-01T25:00:00Z', 'birthdate'],
  ['Patient?birthdate=xx2000', 'birthdate'],
  ['Patient?birthdate=ap', 'birthdate'],
  ['Patient?birthdate=2000,notadate', 'birthdate'],
  ['Patient?_lastUpdated=yesterday', '_lastUpdated'],
  ['RiskAssessment?probability=abc', 'probability'],
  ['RiskAssessment?probability=gt1.2.3', 'probability'],
  ['Observation?value-quantity=five', 'value-quantity'],
  [`Observation?value-quantity=${enc('5|http://unitsofmeasure.org')}`, 'value-quantity'],
  ['Patient?family:sounds-like=smith', 'family'],
  ['Patient?gender:contains=male', 'gender'],
  ['Patient?birthdate:exact=2000', 'birthdate'],
  ['Patient?_id:exact=smith', '_id'],
  ['Patient?gender:missing=maybe', 'gender'],
  [`Patient?identifier=${enc('a|b|c')}`, 'identifier'],
  [`Patient?identifier:of-type=${enc('MR|123')}`, 'identifier'],
  ['Patient?family.name=x', 'family'],
  ['Observation?subject:Nonsense.name=x', 'subject'],
  ['Observation?subject:Patient=Group/1', 'subject'],
  ['Patient?_has:Observation:patient', '_has'],
  ['Patient?_has:Nonsense:patient:code=x', '_has'],
  ['Patient?_has:Observation:code:status=final', '_has'],
  ['Patient?_count=abc', '_count'],
  ['Patient?_count=-1', '_count'],
  ['Patient?_cursor=garbage', '_cursor'],
  ['Patient?_sort=nonexistent', '_sort'],
  ['Patient?_sort=family,nonexistent', '_sort'],
  ['Patient?_include=Patient:nonexistent', '_include'],
  ['Patient?_include=Nonsense:subject', '_include'],
  ['Patient?_include=Patient', '_include'],
  ['Patient?_revinclude=Observation:code', '_revinclude'],
  ['Patient?_include:iterate=Patient:family', '_include'],
  ['Patient?_include:iterate=*', '_include:iterate'],
  ['Patient?_revinclude:iterate=Observation:*', '_revinclude:iterate'],
  ['Patient?_total=maybe', '_total'],
  ['?_type=Nonsense', '_type'],
  ['Patient?_filter=name%20xx%20smith', '_filter'],
]

/** Parameters the server does not apply: a warning by default, 400 with handling=strict. */
const unknown: [string, string][] = [
  ['Patient?nonsense=1', 'nonsense'],
  ['Patient?_list=$current-problems', '_list'],
  ['Patient?organization.nonsense=x', 'organization.nonsense'],
]

t.test('search errors', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, errorFixtures)
  const strict = { headers: { prefer: 'handling=strict' } }

  t.test('malformed searches are 400 OperationOutcomes naming the parameter (search.html#errors)', async (t) => {
    for (const [query, param] of malformed) {
      for (const prefer of ['lenient', 'strict']) {
        const { status, body } = await searchBundle(hub, query, { headers: { prefer: `handling=${prefer}` } })
        t.equal(status, 400, `${readable(query)} (${prefer}): 400`)
        t.equal(body.resourceType, 'OperationOutcome', `${readable(query)} (${prefer}): an OperationOutcome`)
        const expressions: string[] = body.issue?.flatMap((i: any) => i.expression ?? []) ?? []
        t.ok(expressions.some((e) => e.startsWith(param)), `${readable(query)} (${prefer}): issue.expression names ${param} (got ${expressions.join(', ')})`)
      }
    }
  })

  t.test('a malformed value in a POST _search body is a 400 too (search.html#errors)', async (t) => {
    const res = await hub.fetch('Patient/_search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'birthdate=2000-13-01',
    })
    t.equal(res.status, 400)
    t.equal(((await res.json()) as any).issue[0].expression[0], 'birthdate')
  })

  t.test('a cursor is only good for the search that made it (search.html#paging)', async (t) => {
    const page: any = (await searchBundle(hub, 'Patient?_sort=family&_count=1')).body
    const next = new URL(page.link.find((l: any) => l.relation === 'next').url)
    const cursor = next.searchParams.get('_cursor')!
    t.equal((await searchBundle(hub, `Patient?_sort=family&_count=1&_cursor=${enc(cursor)}`)).status, 200, 'with its own parameters')
    const other = await searchBundle(hub, `Patient?_count=1&_cursor=${enc(cursor)}`)
    t.equal(other.status, 400, 'with a different sort: 400')
    t.equal(other.body.issue?.[0]?.expression?.[0], '_cursor')
  })

  t.test('unknown parameters: ignored with a warning, or 400 under handling=strict (search.html#errors)', async (t) => {
    const everyone = (await matchIds(hub, 'Patient')).sort()
    for (const [query, param] of unknown) {
      const { status, body } = await searchBundle(hub, query)
      t.equal(status, 200, `${readable(query)}: 200`)
      t.same(entriesOf(body, 'match').map((e: any) => e.resource.id).sort(), everyone, `${readable(query)}: not applied, so every Patient`)
      const warnings = entriesOf(body, 'outcome').flatMap((e: any) => e.resource.issue)
      t.ok(
        warnings.some((i: any) => i.severity === 'warning' && (i.expression ?? []).includes(param)),
        `${readable(query)}: a warning naming ${param} in an entry with search.mode outcome`,
      )
      const refused = await searchBundle(hub, query, strict)
      t.equal(refused.status, 400, `${readable(query)} with handling=strict: 400`)
      t.equal(refused.body.resourceType, 'OperationOutcome')
      t.match(JSON.stringify(refused.body.issue), param, `${readable(query)} with handling=strict: the outcome names ${param}`)
    }
  })

  t.test('an unknown parameter beside a known one: the known one still applies (search.html#errors)', async (t) => {
    const { body } = await searchBundle(hub, 'Patient?family=smith&nonsense=1')
    t.same(entriesOf(body, 'match').map((e: any) => e.resource.id), ['smith'])
    t.equal(body.total, 1, 'total counts matches, not the outcome entry')
    const self = body.link.find((l: any) => l.relation === 'self').url
    t.match(self, 'family=smith', 'the self link shows the parameter used')
    t.notMatch(self, 'nonsense', 'and not the one ignored')
  })

  t.test('handling=strict does not refuse valid searches (search.html#errors)', async (t) => {
    t.same(await matchIds(hub, 'Patient?family=smith&_sort=family&_count=5&_total=accurate&_include=Patient:organization', false, strict), ['smith'])
    t.same(await matchIds(hub, 'Patient?_has:Observation:patient:code=x', false, strict), [])
  })
})
