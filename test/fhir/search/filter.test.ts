// _filter (search_filter.html) over real HTTP and PostgreSQL, on one server:
// - each operator on each parameter type it applies to (#ops), with the value semantics of the
//   normal search (strings folded for case and accents, token system|code, date and number prefixes);
// - and / or / not(…) evaluated left to right without precedence, and parentheses (grammar notes);
// - chains (subject.name), _filter with normal parameters (AND), two _filter parameters, paging;
// - 400 OperationOutcomes naming _filter and the character position, never a 500;
// - the CapabilityStatement lists _filter.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer, type TestServer } from '../../helpers/test-server.js'
import { enc, entriesOf, putAll, searchBundle } from './helpers.js'

const LOINC = 'http://loinc.org'
const SCT = 'http://snomed.info/sct'
const UCUM = 'http://unitsofmeasure.org'
const MRN = 'http://hospital.example.org/mrn'

const patient = (id: string, extra: object): Resource => ({ resourceType: 'Patient', id, ...extra }) as Resource
const observation = (id: string, status: string, system: string, code: string, extra: object = {}): Resource =>
  ({ resourceType: 'Observation', id, status, code: { coding: [{ system, code }] }, ...extra }) as Resource
const quantity = (value: number, code: string) => ({ valueQuantity: { value, unit: code, system: UCUM, code } })
const risk = (id: string, probability?: number): Resource =>
  ({ resourceType: 'RiskAssessment', id, status: 'final', subject: { reference: 'Patient/p-peter' }, ...(probability === undefined ? {} : { prediction: [{ probabilityDecimal: probability }] }) }) as Resource

const fixtures: Resource[] = [
  { resourceType: 'Organization', id: 'org-a', name: 'Alpha Health' },
  { resourceType: 'Organization', id: 'org-q', name: 'The "Quoted" Clinic' },
  patient('p-peter', {
    name: [{ family: 'Peterson', given: ['Peter'] }], gender: 'male', birthDate: '2014-10-10', active: true,
    identifier: [{ system: MRN, value: 'A1' }], managingOrganization: { reference: 'Organization/org-a' },
  }),
  patient('p-petra', { name: [{ family: 'Müller', given: ['Petra'] }], gender: 'female', birthDate: '1980-05-01', active: false }),
  patient('p-zoe', { name: [{ family: 'Smith', given: ['Zoë'] }], gender: 'female', birthDate: '2014-10-11' }),
  patient('p-jose', { name: [{ family: 'García', given: ['José'] }], gender: 'male', birthDate: '1999' }),
  patient('p-anon', {}),
  observation('o1', 'final', LOINC, '8480-6', { subject: { reference: 'Patient/p-peter' }, effectiveDateTime: '2020-01-15T10:00:00Z', ...quantity(120, 'mm[Hg]') }),
  observation('o2', 'final', LOINC, '8462-4', { subject: { reference: 'Patient/p-petra' }, effectiveDateTime: '2020-02-01', ...quantity(80, 'mm[Hg]') }),
  observation('o3', 'amended', SCT, '271649006', {
    subject: { reference: 'Patient/p-zoe' }, effectivePeriod: { start: '2019-12-30', end: '2020-01-02' }, ...quantity(5.4, 'mg'),
  }),
  observation('o4', 'preliminary', LOINC, '8480-6', { effectiveDateTime: '2021-06-01' }),
  risk('ra-low', 0.3),
  risk('ra-high', 0.85),
  risk('ra-none'),
  ...[['vs-a', 'http://example.org/fhir/ValueSet/a'], ['vs-ab', 'http://example.org/fhir/ValueSet/a/b'], ['vs-other', 'http://other.example.org/vs']].map(
    ([id, url]) => ({ resourceType: 'ValueSet', id, url, status: 'active' }) as Resource,
  ),
]

const ALL_PATIENTS = ['p-peter', 'p-petra', 'p-zoe', 'p-jose', 'p-anon']

interface Row {
  name: string
  /** Type?_filter=<filter>[&more] */
  type: string
  filter: string
  more?: string
  expect: string[]
}

const row = (name: string, type: string, filter: string, expect: string[], more?: string): Row => ({ name, type, filter, expect, more })

const strings: Row[] = [
  row('co matches anywhere in a given or family name', 'Patient', 'name co "pet"', ['p-peter', 'p-petra']),
  row('eq is the whole value, case-insensitive', 'Patient', 'given eq "PETER"', ['p-peter']),
  row('eq is not a prefix match', 'Patient', 'given eq "pete"', []),
  row('eq ignores accents (Müller)', 'Patient', 'family eq "muller"', ['p-petra']),
  row('sw: starts with, accent-insensitive', 'Patient', 'family sw "gar"', ['p-jose']),
  row('ew: ends with', 'Patient', 'family ew "SON"', ['p-peter']),
  row('ew is not a contains', 'Patient', 'family ew "ter"', []),
  row('ne: resources without that value, those with no value included', 'Patient', 'given ne "peter"', ['p-petra', 'p-zoe', 'p-jose', 'p-anon']),
  row('unquoted token value on a string', 'Patient', 'given eq zoe', ['p-zoe']),
  row('JSON escapes in a string: \\"', 'Organization', 'name co "\\"quoted\\""', ['org-q']),
  row('JSON escapes in a string: \\u00ed', 'Patient', 'family eq "Garc\\u00eda"', ['p-jose']),
  row('pr true: has a value', 'Patient', 'family pr true', ['p-peter', 'p-petra', 'p-zoe', 'p-jose']),
  row('pr false: has no value', 'Patient', 'family pr false', ['p-anon']),
]

const tokens: Row[] = [
  row('eq code', 'Patient', 'gender eq male', ['p-peter', 'p-jose']),
  row('ne is :not (no value included)', 'Patient', 'gender ne male', ['p-petra', 'p-zoe', 'p-anon']),
  row('eq system|code', 'Observation', `code eq ${LOINC}|8480-6`, ['o1', 'o4']),
  row('the loinc alias for its namespace', 'Observation', 'code eq loinc|8480-6', ['o1', 'o4']),
  row('the snomed alias for its namespace', 'Observation', 'code eq snomed|271649006', ['o3']),
  row('a code in any system', 'Observation', 'code eq 8462-4', ['o2']),
  row('system|code quoted', 'Observation', `code eq "${LOINC}|8462-4"`, ['o2']),
  row('an identifier', 'Patient', `identifier eq ${MRN}|A1`, ['p-peter']),
  row('a boolean', 'Patient', 'active eq false', ['p-petra']),
  row('pr false', 'Patient', 'gender pr false', ['p-anon']),
]

const dates: Row[] = [
  row('eq: within the day', 'Patient', 'birthdate eq 2014-10-10', ['p-peter']),
  row('ge (the spec example)', 'Patient', 'birthdate ge 2014-10-10', ['p-peter', 'p-zoe']),
  row('gt', 'Patient', 'birthdate gt 2014-10-10', ['p-zoe']),
  row('lt a year', 'Patient', 'birthdate lt 2000', ['p-petra', 'p-jose']),
  row('le a year includes it', 'Patient', 'birthdate le 1999', ['p-petra', 'p-jose']),
  row('sa: starts after', 'Patient', 'birthdate sa 2000', ['p-peter', 'p-zoe']),
  row('eb: ends before', 'Patient', 'birthdate eb 2000', ['p-petra', 'p-jose']),
  row('ne: a value not in the range (no value is not matched)', 'Patient', 'birthdate ne 2014-10-10', ['p-petra', 'p-zoe', 'p-jose']),
  row('ap: near the date', 'Patient', 'birthdate ap 2014-10-10', ['p-peter', 'p-zoe']),
  row('eq: the period must lie within the month', 'Observation', 'date eq 2020-01', ['o1']),
  row('po: the period overlaps the month', 'Observation', 'date po 2020-01', ['o1', 'o3']),
  row('with time and zone', 'Observation', 'date lt 2020-01-15T11:00:00+00:00', ['o1', 'o3']),
  row('_lastUpdated', 'Patient', '_lastUpdated gt 2000-01-01 and _lastUpdated lt 3000', ALL_PATIENTS),
]

const numbers: Row[] = [
  row('number gt', 'RiskAssessment', 'probability gt 0.5', ['ra-high']),
  row('number eq (precision range)', 'RiskAssessment', 'probability eq 0.3', ['ra-low']),
  row('number le', 'RiskAssessment', 'probability le 0.3', ['ra-low']),
  row('number pr false', 'RiskAssessment', 'probability pr false', ['ra-none']),
  row('quantity gt', 'Observation', 'value-quantity gt 100', ['o1']),
  row('quantity with system and unit, quoted for the ]', 'Observation', `value-quantity lt "100|${UCUM}|mm[Hg]"`, ['o2']),
  row('quantity with the ucum alias', 'Observation', 'value-quantity eq 5.4|ucum|mg', ['o3']),
  row('a range as two comparisons', 'Observation', 'value-quantity ge 80 and value-quantity le 120', ['o1', 'o2']),
]

const references = (base: string): Row[] => [
  row('re Type/id', 'Observation', 'subject re Patient/p-peter', ['o1']),
  row('re an absolute URL on this server', 'Observation', `subject re ${base}/Patient/p-petra`, ['o2']),
  row('eq with a bare id', 'Observation', 'subject eq p-zoe', ['o3']),
  row('ne', 'Observation', 'subject ne Patient/p-peter', ['o2', 'o3', 'o4']),
  row('pr false', 'Observation', 'subject pr false', ['o4']),
  row('uri eq', 'ValueSet', 'url eq http://example.org/fhir/ValueSet/a', ['vs-a']),
  row('uri sw', 'ValueSet', 'url sw http://example.org/fhir/', ['vs-a', 'vs-ab']),
  row('_id eq … or _id eq …', 'Patient', '_id eq p-peter or _id eq p-zoe', ['p-peter', 'p-zoe']),
]

const chains: Row[] = [
  row('subject.name (the spec example)', 'Observation', 'subject.name co "pet"', ['o1', 'o2']),
  row('subject.gender', 'Observation', 'subject.gender eq female', ['o2', 'o3']),
  row('not over a chain includes resources with no subject', 'Observation', 'not(subject.name co "pet")', ['o3', 'o4']),
  row('organization.name', 'Patient', 'organization.name sw "alpha"', ['p-peter']),
]

const logic: Row[] = [
  row('and', 'Patient', 'given eq "peter" and birthdate ge 2014-10-10', ['p-peter']),
  row('or', 'Patient', 'gender eq female or birthdate lt 2000', ['p-petra', 'p-zoe', 'p-jose']),
  row('left to right, no precedence: (a or b) and c', 'Patient', 'gender eq male or gender eq female and birthdate ge 2014', ['p-peter', 'p-zoe']),
  row('left to right, no precedence: (a and b) or c', 'Patient', 'birthdate ge 2014 and gender eq female or gender eq male', ['p-peter', 'p-zoe', 'p-jose']),
  row('parentheses group first', 'Patient', 'gender eq male or (gender eq female and birthdate ge 2014)', ['p-peter', 'p-jose', 'p-zoe']),
  row('not(…)', 'Patient', 'not(gender eq male)', ['p-petra', 'p-zoe', 'p-anon']),
  row('not(not(…))', 'Patient', 'not(not(gender eq male))', ['p-peter', 'p-jose']),
  row('not over or', 'Patient', 'not(gender eq male or gender pr false)', ['p-petra', 'p-zoe']),
  row('nested parentheses and not', 'Patient', '((family sw "p" or family sw "s") and not(gender eq male))', ['p-zoe']),
  row('extra spaces and upper-case keywords', 'Patient', '  gender  eq  male   AND  birthdate  lt  2000 ', ['p-jose']),
]

const combined: Row[] = [
  row('with a normal parameter (AND)', 'Patient', 'birthdate ge 2014', ['p-zoe'], 'gender=female'),
  row('two _filter parameters (AND)', 'Patient', 'gender eq male', ['p-jose'], `_filter=${enc('birthdate lt 2000')}`),
  row('with a normal parameter on a chain', 'Observation', 'subject.gender eq female', ['o2'], 'status=final'),
]

async function runRows(t: any, hub: TestServer, rows: Row[]) {
  for (const r of rows) {
    await t.test(`${r.name}: ${r.type}?_filter=${r.filter}${r.more ? '&' + r.more : ''} (search_filter.html)`, async (t: any) => {
      const { status, body } = await searchBundle(hub, `${r.type}?_filter=${enc(r.filter)}${r.more ? '&' + r.more : ''}`)
      if (status !== 200) return t.fail(`answered ${status}: ${JSON.stringify(body)}`)
      const got = entriesOf(body, 'match').map((e: any) => e.resource.id)
      t.same([...got].sort(), [...r.expect].sort(), 'exactly these matches')
      t.equal(entriesOf(body, 'outcome').length, 0, 'no parameter was ignored')
    })
  }
}

/** Expressions refused with 400: the message part and the 1-based position the diagnostics name. */
const errors: { name: string; type: string; filter: string; says: RegExp; at?: number; key?: string }[] = [
  { name: 'a value is missing', type: 'Patient', filter: 'name eq', says: /ends where a value was expected/, at: 8 },
  { name: 'the expression ends after and', type: 'Patient', filter: 'gender eq male and', says: /ends where a comparison/, at: 19 },
  { name: 'an unclosed parenthesis', type: 'Patient', filter: '(gender eq male', says: /never closed/, at: 1 },
  { name: 'a ) without (', type: 'Patient', filter: 'gender eq male)', says: /no "\("/, at: 15 },
  { name: 'an unknown operator', type: 'Patient', filter: 'gender xx male', says: /unknown operator "xx"/, at: 8 },
  { name: 'an unclosed string', type: 'Patient', filter: 'family eq "abc', says: /never closed/, at: 11 },
  { name: 'a bad string escape', type: 'Patient', filter: 'family eq "a\\qb"', says: /invalid escape/, at: 13 },
  { name: 'an empty expression', type: 'Patient', filter: '   ', says: /empty/, at: 1 },
  { name: 'not without parentheses', type: 'Patient', filter: 'not gender eq male', says: /not\(…\)/, at: 1 },
  { name: 'junk after a comparison', type: 'Patient', filter: 'gender eq male female', says: /unexpected "female"/, at: 16 },
  { name: 'an unknown parameter', type: 'Patient', filter: 'gender eq male and colour eq red', says: /Patient has no search parameter "colour"/, at: 20 },
  { name: 're is not an operator for strings', type: 'Patient', filter: 'family re Patient/1', says: /operator re is not supported for string parameter "family"/, at: 8 },
  { name: 'co is not an operator for tokens', type: 'Patient', filter: 'gender co "ma"', says: /operator co is not supported for token/, at: 8 },
  { name: 'sb without a system', type: 'Observation', filter: 'code sb 404684003', says: /sb needs system\|code/, at: 9 },
  { name: 'ss on a string', type: 'Patient', filter: 'family ss smith', says: /operator ss is not supported for string/, at: 8 },
  { name: 'parameter filters name[…] are not supported', type: 'Observation', filter: 'related[type eq has-component].target pr true', says: /name\[filter\]/, at: 8 },
  { name: 'a chain through a non-reference', type: 'Observation', filter: 'status.name eq x', says: /cannot chain through status/, at: 1 },
  { name: 'a chain to a parameter no target has', type: 'Observation', filter: 'subject.colour eq red', says: /none of the types subject refers to/, at: 9 },
  { name: 'an invalid date', type: 'Patient', filter: 'birthdate ge 2014-13-01', says: /"2014-13-01" is not a date/, at: 14 },
  { name: 'an invalid number', type: 'RiskAssessment', filter: 'probability gt lots', says: /"lots" is not a valid number/, at: 16 },
  { name: 'pr takes true or false', type: 'Patient', filter: 'family pr maybe', says: /pr takes true or false/, at: 11 },
  { name: 'a modifier on _filter', type: 'Patient', filter: 'gender eq male', key: '_filter:exact', says: /Unsupported modifier :exact on _filter/ },
]

t.test('_filter', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, fixtures)

  t.test('string (search_filter.html#ops: eq co sw ew ne pr)', async (t) => runRows(t, hub, strings))
  t.test('token', async (t) => runRows(t, hub, tokens))
  t.test('date (prefixes as search.html#prefix, and po)', async (t) => runRows(t, hub, dates))
  t.test('number and quantity', async (t) => runRows(t, hub, numbers))
  t.test('reference, uri and _id', async (t) => runRows(t, hub, references(hub.url)))
  t.test('chained parameter paths', async (t) => runRows(t, hub, chains))
  t.test('and, or, not and parentheses', async (t) => runRows(t, hub, logic))
  t.test('with other parameters', async (t) => runRows(t, hub, combined))

  t.test('pages of a _filter search keep the filter in their links (search.html#paging)', async (t) => {
    let next: string | undefined = `Patient?_filter=${enc('gender ne female')}&_count=1&_sort=_id`
    const seen: string[] = []
    while (next) {
      const { status, body }: { status: number; body: any } = await searchBundle(hub, next)
      t.equal(status, 200)
      t.equal(body.total, 3, 'the total counts every match')
      seen.push(...entriesOf(body, 'match').map((e: any) => e.resource.id))
      const link: string | undefined = body.link.find((l: any) => l.relation === 'next')?.url
      if (link) t.match(new URL(link).searchParams.get('_filter'), 'gender ne female', 'next link carries _filter')
      next = link?.slice(hub.url.length + 1)
      if (seen.length > 5) break
    }
    t.same(seen, ['p-anon', 'p-jose', 'p-peter'], 'every match once, in _id order')
  })

  t.test('_filter in a POST _search body, and in a system search (http.html#search)', async (t) => {
    const res = await hub.fetch('Patient/_search', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `_filter=${enc('gender eq male and birthdate lt 2000')}`,
    })
    t.equal(res.status, 200)
    t.same(entriesOf(await res.json(), 'match').map((e: any) => e.resource.id), ['p-jose'])
    const { body } = await searchBundle(hub, `?_type=Patient&_filter=${enc('family ew "son" or family eq smith')}`)
    t.same(entriesOf(body, 'match').map((e: any) => e.resource.id).sort(), ['p-peter', 'p-zoe'])
  })

  t.test('errors are 400 OperationOutcomes naming _filter and the position', async (t) => {
    for (const e of errors) {
      await t.test(e.name, async (t) => {
        const { status, body } = await searchBundle(hub, `${e.type}?${e.key ?? '_filter'}=${enc(e.filter)}`)
        t.equal(status, 400, `${e.type}?_filter=${e.filter} is refused`)
        t.equal(body.resourceType, 'OperationOutcome')
        const issue = body.issue?.[0] ?? {}
        t.same(issue.expression, [e.key ?? '_filter'], 'names the parameter')
        t.match(issue.diagnostics, e.says)
        if (e.at !== undefined) t.match(issue.diagnostics, `(at character ${e.at})`, 'gives the position')
      })
    }
  })

  t.test('odd input is a 400, never a 500', async (t) => {
    for (const filter of [')))', '"', 'not', 'not(', 'and', 'a', 'a eq', '((((((((((((((((((((((((((((((((((gender eq male))))))))))))))))))))))))))))))))))', 'gender eq "\\u12"', 'gender eq male or', '[x]', 'subject.', '_id eq ']) {
      const { status } = await searchBundle(hub, `Observation?_filter=${enc(filter)}`)
      t.equal(status, 400, JSON.stringify(filter))
    }
    const many = Array.from({ length: 101 }, () => 'gender eq male').join(' or ')
    t.equal((await searchBundle(hub, `Patient?_filter=${enc(many)}`)).status, 400, 'more than 100 comparisons')
  })

  t.test('the CapabilityStatement lists _filter for every type (capabilitystatement.html)', async (t) => {
    const cs = await (await hub.fetch('metadata')).json()
    for (const type of ['Patient', 'Observation', 'Task']) {
      const param = cs.rest[0].resource.find((r: any) => r.type === type).searchParam.find((p: any) => p.name === '_filter')
      t.equal(param?.type, 'special', type)
    }
  })
})
