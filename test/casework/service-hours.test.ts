// Service hours (seed 000: 08:00–16:00 Monday to Friday), in Europe/London time across GMT and BST,
// with bank holidays closed.
import t from 'tap'
import { isOpen, parseServiceHours } from '../../src/casework/service-hours.js'
import { loadConfig } from '../../src/config.js'

const weekdays = parseServiceHours('Mon-Fri 08:00-16:00', ['2025-12-25'])

const cases: [string, string, boolean][] = [
  ['Monday 08:00 GMT (winter): opens', '2025-12-01T08:00:00Z', true],
  ['Monday 07:59 GMT: not yet', '2025-12-01T07:59:00Z', false],
  ['Monday 15:59 GMT: still open', '2025-12-01T15:59:00Z', true],
  ['Monday 16:00 GMT: closed', '2025-12-01T16:00:00Z', false],
  ['Monday 07:30 UTC in summer is 08:30 BST: open', '2025-06-30T07:30:00Z', true],
  ['Monday 15:30 UTC in summer is 16:30 BST: closed', '2025-06-30T15:30:00Z', false],
  ['Saturday midday: closed', '2025-12-06T12:00:00Z', false],
  ['Christmas Day (a Thursday, a bank holiday): closed', '2025-12-25T10:00:00Z', false],
  ['Friday 23:30 UTC in summer is Saturday 00:30 BST: closed', '2025-06-27T23:30:00Z', false],
]

t.test('Mon-Fri 08:00-16:00, Europe/London', async (t) => {
  for (const [name, at, open] of cases) t.equal(isOpen(weekdays, new Date(at)), open, name)
})

t.test('ranges that wrap the week, and all day', async (t) => {
  const weekend = parseServiceHours('Sat-Sun 10:00-12:00')
  t.equal(isOpen(weekend, new Date('2025-12-06T11:00:00Z')), true, 'Saturday')
  t.equal(isOpen(weekend, new Date('2025-12-08T11:00:00Z')), false, 'Monday')
  const fridayToMonday = parseServiceHours('Fri-Mon 09:00-17:00')
  t.same([...fridayToMonday.days].sort(), [0, 1, 5, 6])
  const always = parseServiceHours('Mon-Sun 00:00-24:00')
  t.equal(isOpen(always, new Date('2025-12-07T23:59:00Z')), true)
})

t.test('the configuration is validated at start', async (t) => {
  t.throws(() => loadConfig({ CASEHUB_SERVICE_HOURS: 'weekdays 8-4' }), /CASEHUB_SERVICE_HOURS/)
  t.throws(() => loadConfig({ CASEHUB_BANK_HOLIDAYS: '25/12/2025' }), /CASEHUB_BANK_HOLIDAYS/)
  t.same(loadConfig({ CASEHUB_BANK_HOLIDAYS: '2025-12-25,2025-12-26' }).bankHolidays, ['2025-12-25', '2025-12-26'])
  t.equal(loadConfig({}).serviceHours, 'Mon-Fri 08:00-16:00')
})
