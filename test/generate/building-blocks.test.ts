// Parts of `casehub generate`: seeded random numbers, surnames, UK local time, GP practice data.
import { existsSync, readFileSync } from 'node:fs'
import t from 'tap'
import { formatInstant, parseDay, ukInstant, weekday } from '../../src/generate/dates.js'
import { MANCHESTER_CSV, TRAFFORD_CSV } from '../../src/generate/gp-practices-data.js'
import { personName, SURNAMES } from '../../src/generate/names.js'
import { gpPractices, parseCsv } from '../../src/generate/practices.js'
import { hashString, Rng } from '../../src/generate/prng.js'

const SHARED = new URL('../../../shared/data/gp-practices/', import.meta.url).pathname

t.test('the generator is seeded: same seed, same numbers', async (t) => {
  const a = new Rng(hashString('casehub'))
  const b = new Rng(hashString('casehub'))
  const c = new Rng(hashString('casehub2'))
  const xs = Array.from({ length: 100 }, () => a.next())
  t.same(Array.from({ length: 100 }, () => b.next()), xs)
  t.not(c.next(), xs[0])
  t.ok(xs.every((x) => x >= 0 && x < 1))
  const r = new Rng(1)
  const mean = Array.from({ length: 20_000 }, () => r.poisson(3)).reduce((s, x) => s + x, 0) / 20_000
  t.ok(Math.abs(mean - 3) < 0.1, `poisson mean ${mean}`)
})

t.test('surnames: Smith about 1%, a long tail, accented and punctuated names', async (t) => {
  const share = SURNAMES.share('Smith')
  t.ok(share > 0.008 && share < 0.012, `Smith weight share ${share}`)
  const rng = new Rng(99)
  const counts = new Map<string, number>()
  for (let i = 0; i < 20_000; i++) {
    const name = SURNAMES.pick(rng)
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  const smith = (counts.get('Smith') ?? 0) / 20_000
  t.ok(smith > 0.006 && smith < 0.014, `Smith drawn ${smith}`)
  t.ok(counts.size > 300, `${counts.size} distinct surnames`)
  t.ok([...counts.keys()].some((n) => /[^\x00-\x7f]/.test(n)), 'some surnames have accents')
  t.ok([...counts.keys()].some((n) => n.includes("'")), "some surnames have apostrophes (O'Brien)")
  const given = new Set<string>()
  for (let i = 0; i < 20_000; i++) {
    const gender = i % 2 ? 'female' : 'male'
    for (const g of personName(rng, gender, 1950 + (i % 60), 40).given) given.add(g)
  }
  for (const n of ['Zoë', 'Siân', 'José']) t.ok(given.has(n), `given name ${n} occurs`)
})

t.test('times are UK local time with the right offset', async (t) => {
  t.equal(formatInstant(ukInstant(parseDay('2024-01-15'), 9 * 60)), '2024-01-15T09:00:00+00:00')
  t.equal(formatInstant(ukInstant(parseDay('2024-06-03'), 9 * 60 + 20)), '2024-06-03T09:20:00+01:00')
  // Clocks go forward at 01:00 UTC on 31 March 2024 and back at 01:00 UTC on 27 October 2024.
  const march31 = parseDay('2024-03-31') * 1440
  t.equal(formatInstant(march31 + 59), '2024-03-31T00:59:00+00:00')
  t.equal(formatInstant(march31 + 60), '2024-03-31T02:00:00+01:00')
  const october27 = parseDay('2024-10-27') * 1440
  t.equal(formatInstant(october27 + 59), '2024-10-27T01:59:00+01:00')
  t.equal(formatInstant(october27 + 60), '2024-10-27T01:00:00+00:00')
  t.equal(weekday(parseDay('2024-01-01')), 1, '1 January 2024 was a Monday')
  t.throws(() => parseDay('2024-02-30'), /not a calendar date/)
  t.throws(() => parseDay('1/1/2024'), /YYYY-MM-DD/)
})

t.test('GP practices: open GP practices of both boroughs, from the verbatim ODS files', async (t) => {
  const practices = gpPractices()
  const trafford = practices.filter((p) => p.borough === 'Trafford')
  const manchester = practices.filter((p) => p.borough === 'Manchester')
  t.equal(trafford.length, 26, 'NOTICE.md: 26 active Trafford GP practices')
  t.equal(manchester.length, 82, 'NOTICE.md: 82 active Manchester GP practices')
  t.ok(practices.every((p) => /^[A-Z]\d{5}$/.test(p.ods)))
  t.ok(trafford.every((p) => /^(M\d{1,2}|WA1[345]) \d[A-Z]{2}$/.test(p.postcode)), 'Trafford practices have M and WA postcodes')
  const altrincham = trafford.find((p) => p.ods === 'P91004')
  t.same(altrincham?.lines, ['ALTRINCHAM MEDICAL PRACT', 'LLOYD HOUSE, 7 LLOYD ST.', 'ALTRINCHAM', 'CHESHIRE'], 'quoted CSV fields')
  t.same(parseCsv('a,"b ""c"", d",e\n1,2,3\n'), [['a', 'b "c", d', 'e'], ['1', '2', '3']])
  if (existsSync(SHARED)) {
    // Template literals turn CRLF into LF; otherwise the embedded text is the file.
    const shared = (name: string) => readFileSync(SHARED + name, 'utf8').replace(/\r\n/g, '\n')
    t.equal(TRAFFORD_CSV, shared('trafford.csv'), 'embedded trafford.csv is the shared file')
    t.equal(MANCHESTER_CSV, shared('manchester.csv'), 'embedded manchester.csv is the shared file')
  }
})
