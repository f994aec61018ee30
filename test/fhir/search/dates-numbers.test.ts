// Parameter types compared with prefixes (search.html#prefix), each area on a server of its own:
// - date (search.html#date): a value stands for the range its precision implies ("2000" is the whole
//   year); date precision boundaries, Periods closed and open at either end, dateTimes with zones
//   around midnight (values without a zone are UTC), Timing, _lastUpdated;
// - number (search.html#number): significant figures imply a range ("100" is [99.5, 100.5));
//   decimals and Ranges;
// - quantity (search.html#quantity): [prefix]number|system|code, "||code" matching code or unit.
import t from 'tap'
import type { Resource } from '@medplum/fhirtypes'
import { startTestServer } from '../../helpers/test-server.js'
import { enc, matchIds, putAll, runTable, type Row } from './helpers.js'

const births: [string, string | undefined][] = [
  ['b1950', '1950-01-01'],
  ['b1999', '1999-12-31'],
  ['y2000', '2000'],
  ['m2000', '2000-01'],
  ['d2000', '2000-01-01'],
  ['mid2000', '2000-06-15'],
  ['end2000', '2000-12-31'],
  ['d2001', '2001-01-01'],
  ['nobd', undefined],
]

const encounter = (id: string, period?: { start?: string; end?: string }): Resource =>
  ({
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    ...(period ? { period } : {}),
  }) as Resource

const timed = (id: string, effective: object): Resource =>
  ({ resourceType: 'Observation', id, status: 'final', code: { text: 'timed' }, ...effective }) as Resource

const dateFixtures: Resource[] = [
  ...births.map(([id, birthDate]) => ({ resourceType: 'Patient', id, ...(birthDate ? { birthDate } : {}) }) as Resource),
  encounter('e-within', { start: '2021-03-11T08:00:00Z', end: '2021-03-11T09:00:00Z' }),
  encounter('e-span', { start: '2021-03-10T09:00:00Z', end: '2021-03-12T17:00:00Z' }),
  encounter('e-open-end', { start: '2021-03-11T00:00:00Z' }),
  encounter('e-open-start', { end: '2021-03-09' }),
  encounter('e-day', { start: '2021-03-15', end: '2021-03-15' }),
  encounter('e-old', { start: '2010-05-01', end: '2010-05-02' }),
  encounter('e-none'),
  {
    resourceType: 'ServiceRequest',
    id: 'sr-timing',
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/b1950' },
    occurrenceTiming: { event: ['2021-04-01T10:00:00Z'], repeat: { boundsPeriod: { start: '2021-05-01', end: '2021-05-31' } } },
  } as Resource,
  // 2021-05-31T23:30Z: 1 June in Paris, still 31 May in UTC
  timed('tz-plus', { effectiveDateTime: '2021-06-01T00:30:00+01:00' }),
  // 2021-06-02T00:30Z: 1 June in the Azores, already 2 June in UTC
  timed('tz-minus', { effectiveDateTime: '2021-06-01T23:30:00-01:00' }),
  timed('tz-utc', { effectiveDateTime: '2021-06-01T12:00:00Z' }),
  timed('tz-date', { effectiveDateTime: '2021-06-01' }),
  // 22:00Z to 23:59Z on 31 May, the end written in +01:00
  timed('tz-period', { effectivePeriod: { start: '2021-05-31T22:00:00+00:00', end: '2021-06-01T00:59:00+01:00' } }),
]

const all2000 = ['y2000', 'm2000', 'd2000', 'mid2000', 'end2000']

const birthdates: Row[] = [
  { name: 'a year matches every value within it', query: 'Patient?birthdate=2000', expect: all2000 },
  { name: 'eq is the default', query: 'Patient?birthdate=eq2000', expect: all2000 },
  { name: 'a month: the year-precision value is not within it', query: 'Patient?birthdate=2000-01', expect: ['m2000', 'd2000'] },
  { name: 'a day: only day-precision values within it', query: 'Patient?birthdate=2000-01-01', expect: ['d2000'] },
  { name: 'ne a year', query: 'Patient?birthdate=ne2000', expect: ['b1950', 'b1999', 'd2001'] },
  { name: 'ne a day keeps coarser values that contain it', query: 'Patient?birthdate=ne2000-01-01', expect: ['b1950', 'b1999', 'y2000', 'm2000', 'mid2000', 'end2000', 'd2001'] },
  { name: 'gt a year', query: 'Patient?birthdate=gt2000', expect: ['d2001'] },
  { name: 'gt a month: a year value reaching past it matches', query: 'Patient?birthdate=gt2000-06', expect: ['y2000', 'end2000', 'd2001'] },
  { name: 'lt a year', query: 'Patient?birthdate=lt2000', expect: ['b1950', 'b1999'] },
  { name: 'lt a month: values starting before it match', query: 'Patient?birthdate=lt2000-06', expect: ['b1950', 'b1999', 'y2000', 'm2000', 'd2000'] },
  { name: 'ge a year', query: 'Patient?birthdate=ge2000', expect: [...all2000, 'd2001'] },
  { name: 'le the first day of a year', query: 'Patient?birthdate=le2000-01-01', expect: ['b1950', 'b1999', 'd2000'] },
  { name: 'sa a year', query: 'Patient?birthdate=sa2000', expect: ['d2001'] },
  { name: 'sa the day before a year', query: 'Patient?birthdate=sa1999-12-31', expect: [...all2000, 'd2001'] },
  { name: 'eb a year', query: 'Patient?birthdate=eb2000', expect: ['b1950', 'b1999'] },
  { name: 'eb a day: values ending before it', query: 'Patient?birthdate=eb2000-06-15', expect: ['b1950', 'b1999', 'm2000', 'd2000'] },
  { name: 'ap: near values, not decades away', query: 'Patient?birthdate=ap2000-06-15', expect: ['b1999', ...all2000, 'd2001'] },
  { name: 'ge with a dateTime against dates', query: `Patient?birthdate=ge${enc('2000-06-15T12:00:00Z')}`, expect: ['y2000', 'mid2000', 'end2000', 'd2001'] },
  { name: 'AND makes a range', query: 'Patient?birthdate=ge2000-01-01&birthdate=le2000-12-31', expect: all2000 },
  { name: 'AND of eq and ge', query: 'Patient?birthdate=2000&birthdate=ge2000-06', expect: ['y2000', 'mid2000', 'end2000'] },
  { name: 'comma is OR', query: 'Patient?birthdate=1999-12-31,2001-01-01', expect: ['b1999', 'd2001'] },
  { name: ':missing=true', query: 'Patient?birthdate:missing=true', expect: ['nobd'] },
]

const periods: Row[] = [
  { name: 'eq a day: only a period within the day', query: 'Encounter?date=2021-03-11', expect: ['e-within'] },
  { name: 'eq a month: closed periods within it', query: 'Encounter?date=2021-03', expect: ['e-within', 'e-span', 'e-day'] },
  { name: 'ne a month', query: 'Encounter?date=ne2021-03', expect: ['e-open-end', 'e-open-start', 'e-old'] },
  { name: 'ge: periods reaching past the day or within it', query: 'Encounter?date=ge2021-03-11', expect: ['e-within', 'e-span', 'e-open-end', 'e-day'] },
  { name: 'le: periods starting before the day or within it', query: 'Encounter?date=le2021-03-11', expect: ['e-within', 'e-span', 'e-open-start', 'e-old'] },
  { name: 'gt', query: 'Encounter?date=gt2021-03-12', expect: ['e-open-end', 'e-day'] },
  { name: 'lt', query: 'Encounter?date=lt2021-03-10', expect: ['e-open-start', 'e-old'] },
  { name: 'sa: periods starting after the day', query: 'Encounter?date=sa2021-03-12', expect: ['e-day'] },
  { name: 'sa: starting exactly at the next midnight counts', query: 'Encounter?date=sa2021-03-10', expect: ['e-within', 'e-open-end', 'e-day'] },
  { name: 'eb: ending exactly at midnight counts', query: 'Encounter?date=eb2021-03-10', expect: ['e-open-start', 'e-old'] },
  { name: 'eb', query: 'Encounter?date=eb2021-03-12', expect: ['e-within', 'e-open-start', 'e-old'] },
  { name: 'an open end reaches any future date', query: 'Encounter?date=gt2030-01-01', expect: ['e-open-end'] },
  { name: 'an open start reaches any past date', query: 'Encounter?date=lt1900-01-01', expect: ['e-open-start'] },
  { name: 'ap: overlaps, so an open start counts', query: 'Encounter?date=ap2010-05-01', expect: ['e-old', 'e-open-start'] },
  { name: ':missing=true', query: 'Encounter?date:missing=true', expect: ['e-none'] },
]

const timings: Row[] = [
  { name: 'a Timing event', query: 'ServiceRequest?occurrence=2021-04-01', expect: ['sr-timing'] },
  { name: 'a Timing boundsPeriod', query: 'ServiceRequest?occurrence=2021-05', expect: ['sr-timing'] },
  { name: 'nothing before either', query: 'ServiceRequest?occurrence=lt2021-01-01', expect: [] },
]

const zones: Row[] = [
  { name: '00:30+01:00 is the previous day in UTC', query: 'Observation?date=2021-05-31', expect: ['tz-plus', 'tz-period'] },
  { name: 'a day value matches instants within that UTC day', query: 'Observation?date=2021-06-01', expect: ['tz-utc', 'tz-date'] },
  { name: '23:30-01:00 is the next day in UTC', query: 'Observation?date=2021-06-02', expect: ['tz-minus'] },
  { name: 'an instant with a zone', query: `Observation?date=${enc('2021-06-01T00:30:00+01:00')}`, expect: ['tz-plus'] },
  { name: 'the same instant in UTC', query: `Observation?date=${enc('2021-05-31T23:30:00Z')}`, expect: ['tz-plus'] },
  { name: 'a value without a zone is UTC', query: 'Observation?date=2021-06-01T00:30:00', expect: [] },
  { name: 'minute precision', query: `Observation?date=${enc('2021-06-01T12:00Z')}`, expect: ['tz-utc'] },
  { name: 'le an instant with a zone', query: `Observation?date=le${enc('2021-06-01T00:00:00+01:00')}`, expect: ['tz-period'] },
  { name: 'gt late evening: a whole-day value reaches midnight', query: `Observation?date=gt${enc('2021-06-01T23:00:00Z')}`, expect: ['tz-minus', 'tz-date'] },
  { name: 'lt a day', query: 'Observation?date=lt2021-06-01', expect: ['tz-plus', 'tz-period'] },
  { name: 'sa the last second of a day', query: `Observation?date=sa${enc('2021-05-31T23:59:59Z')}`, expect: ['tz-minus', 'tz-utc', 'tz-date'] },
]

t.test('date search', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, dateFixtures)
  t.test('birthdate (date)', async (t) => runTable(t, hub, 'date', birthdates))
  t.test('Encounter.period (Period)', async (t) => runTable(t, hub, 'date', periods))
  t.test('dateTime and Period with time zones', async (t) => runTable(t, hub, 'date', zones))
  t.test('Timing', async (t) => runTable(t, hub, 'date', timings))

  t.test('_lastUpdated compares the server time of the last write (search.html#all)', async (t) => {
    const a: any = await hub.client.create({ resourceType: 'Basic', body: { resourceType: 'Basic', code: { text: 'a' } } })
    await new Promise((r) => setTimeout(r, 20))
    const b: any = await hub.client.create({ resourceType: 'Basic', body: { resourceType: 'Basic', code: { text: 'b' } } })
    const at = enc(a.meta.lastUpdated)
    t.same(await matchIds(hub, `Basic?_lastUpdated=gt${at}`), [b.id], 'gt: only the later write')
    t.same(await matchIds(hub, `Basic?_lastUpdated=le${at}`), [a.id], 'le: the write at that instant')
    t.same((await matchIds(hub, `Basic?_lastUpdated=ge${at}`)).sort(), [a.id, b.id].sort(), 'ge: both')
    t.same(await matchIds(hub, `Basic?_lastUpdated=lt${at}`), [], 'lt: nothing earlier')
  })
})

const UCUM = 'http://unitsofmeasure.org'

const risk = (id: string, prediction?: object[]): Resource =>
  ({ resourceType: 'RiskAssessment', id, status: 'final', subject: { reference: 'Patient/p1' }, ...(prediction ? { prediction } : {}) }) as Resource

const charge = (id: string, factorOverride: number): Resource =>
  ({ resourceType: 'ChargeItem', id, status: 'billable', code: { text: 'visit' }, subject: { reference: 'Patient/p1' }, factorOverride }) as Resource

const obs = (id: string, value: object): Resource =>
  ({ resourceType: 'Observation', id, status: 'final', code: { text: 'measurement' }, ...value }) as Resource

const numberFixtures: Resource[] = [
  { resourceType: 'Patient', id: 'p1' },
  // probabilities as percentages (ras-1 wants a Range in %, ras-2 allows decimals up to 100)
  risk('ra-25', [{ probabilityDecimal: 25 }]),
  risk('ra-50', [{ probabilityDecimal: 50 }]),
  risk('ra-50.3', [{ probabilityDecimal: 50.3 }]),
  risk('ra-80', [{ probabilityDecimal: 80 }]),
  risk('ra-range', [{ probabilityRange: { low: { value: 40, system: UCUM, code: '%' }, high: { value: 60, system: UCUM, code: '%' } } }]),
  risk('ra-multi', [{ probabilityDecimal: 10 }, { probabilityDecimal: 90 }]),
  risk('ra-none'),
  charge('c-100', 100),
  charge('c-100.4', 100.4),
  charge('c-101', 101),
  charge('c-120', 120),
  charge('c-200', 200),
  obs('q-57kg', { valueQuantity: { value: 57, unit: 'kg', system: UCUM, code: 'kg' } }),
  obs('q-60kg', { valueQuantity: { value: 60.0, unit: 'kg', system: UCUM, code: 'kg' } }),
  obs('q-60lb', { valueQuantity: { value: 60, unit: 'lb', system: UCUM, code: '[lb_av]' } }),
  obs('q-150cm', { valueQuantity: { value: 150, unit: 'cm', system: UCUM, code: 'cm' } }),
  obs('q-unitonly', { valueQuantity: { value: 60, unit: 'kg' } }),
  obs('q-comp', {
    component: [
      { code: { text: 'systolic' }, valueQuantity: { value: 120, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
      { code: { text: 'diastolic' }, valueQuantity: { value: 80, unit: 'mmHg', system: UCUM, code: 'mm[Hg]' } },
    ],
  }),
  obs('q-none', { valueString: 'not measured' }),
]

const numbers: Row[] = [
  { name: '50 is [49.5, 50.5)', query: 'RiskAssessment?probability=50', expect: ['ra-50', 'ra-50.3'] },
  { name: '50.0 is [49.95, 50.05)', query: 'RiskAssessment?probability=50.0', expect: ['ra-50'] },
  { name: 'exponent form 5e1', query: 'RiskAssessment?probability=5e1', expect: ['ra-50', 'ra-50.3'] },
  { name: 'gt (a Range reaching above counts)', query: 'RiskAssessment?probability=gt50', expect: ['ra-50.3', 'ra-80', 'ra-range', 'ra-multi'] },
  { name: 'lt (a Range reaching below counts)', query: 'RiskAssessment?probability=lt50', expect: ['ra-25', 'ra-range', 'ra-multi'] },
  { name: 'ge', query: 'RiskAssessment?probability=ge80', expect: ['ra-80', 'ra-multi'] },
  { name: 'le', query: 'RiskAssessment?probability=le25', expect: ['ra-25', 'ra-multi'] },
  { name: 'ne', query: 'RiskAssessment?probability=ne50', expect: ['ra-25', 'ra-80', 'ra-range', 'ra-multi'] },
  { name: 'sa', query: 'RiskAssessment?probability=sa30', expect: ['ra-50', 'ra-50.3', 'ra-80', 'ra-range', 'ra-multi'] },
  { name: 'eb', query: 'RiskAssessment?probability=eb30', expect: ['ra-25', 'ra-multi'] },
  { name: 'ap (within 10%)', query: 'RiskAssessment?probability=ap50', expect: ['ra-50', 'ra-50.3', 'ra-range'] },
  { name: 'comma is OR', query: 'RiskAssessment?probability=25,80', expect: ['ra-25', 'ra-80'] },
  { name: 'repeated is AND', query: 'RiskAssessment?probability=50&probability=50.3', expect: ['ra-50.3'] },
  { name: ':missing=true', query: 'RiskAssessment?probability:missing=true', expect: ['ra-none'] },
  { name: '100 is [99.5, 100.5)', query: 'ChargeItem?factor-override=100', expect: ['c-100', 'c-100.4'] },
  { name: '100.0 is [99.95, 100.05)', query: 'ChargeItem?factor-override=100.0', expect: ['c-100'] },
  {
    name: '1e2 is [95, 105), as the spec\'s example says',
    query: 'ChargeItem?factor-override=1e2',
    expect: ['c-100', 'c-100.4', 'c-101'],
  },
  { name: 'gt compares with the value as written', query: 'ChargeItem?factor-override=gt100', expect: ['c-100.4', 'c-101', 'c-120', 'c-200'] },
  { name: 'le', query: 'ChargeItem?factor-override=le101', expect: ['c-100', 'c-100.4', 'c-101'] },
]

const quantities: Row[] = [
  { name: 'a number alone ignores units', query: 'Observation?value-quantity=60', expect: ['q-60kg', 'q-60lb', 'q-unitonly'] },
  { name: 'number|system|code', query: `Observation?value-quantity=${enc(`60|${UCUM}|kg`)}`, expect: ['q-60kg'] },
  { name: 'number|system|code with a bracketed UCUM code', query: `Observation?value-quantity=${enc(`60|${UCUM}|[lb_av]`)}`, expect: ['q-60lb'] },
  { name: 'number||code matches code or unit', query: `Observation?value-quantity=${enc('60||kg')}`, expect: ['q-60kg', 'q-unitonly'] },
  { name: 'gt with units', query: `Observation?value-quantity=gt${enc('57||kg')}`, expect: ['q-60kg', 'q-unitonly'] },
  { name: 'le with units', query: `Observation?value-quantity=le${enc(`57|${UCUM}|kg`)}`, expect: ['q-57kg'] },
  { name: 'lt', query: 'Observation?value-quantity=lt100', expect: ['q-57kg', 'q-60kg', 'q-60lb', 'q-unitonly'] },
  { name: 'ge', query: 'Observation?value-quantity=ge150', expect: ['q-150cm'] },
  { name: 'ap (within 10%)', query: 'Observation?value-quantity=ap60', expect: ['q-57kg', 'q-60kg', 'q-60lb', 'q-unitonly'] },
  { name: 'component values are not the value', query: 'Observation?value-quantity=120', expect: [] },
  { name: 'component-value-quantity', query: `Observation?component-value-quantity=${enc(`120|${UCUM}|mm[Hg]`)}`, expect: ['q-comp'] },
  { name: 'component-value-quantity gt', query: 'Observation?component-value-quantity=gt100', expect: ['q-comp'] },
  { name: ':missing=true', query: 'Observation?value-quantity:missing=true', expect: ['q-comp', 'q-none'] },
]

t.test('number and quantity search', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, numberFixtures)
  t.test('number', async (t) => runTable(t, hub, 'number', numbers))
  t.test('quantity', async (t) => runTable(t, hub, 'quantity', quantities))
})
