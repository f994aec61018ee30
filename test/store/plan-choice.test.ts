// Searches outside a transaction run with the plan (generic or custom) that has been quicker for
// their shape (store/plan-choice.ts); either plan gives the same answer, and a shape whose
// generic plan is slow goes back to custom plans.
import t from 'tap'
import { openDatabase } from '../../src/store/database.js'
import { PlanChoice } from '../../src/store/plan-choice.js'
import type { SearchReads } from '../../src/store/pg-resource-store.js'
import { systemContext } from '../../src/store/context.js'
import { parseSearch } from '../../src/fhir/search/parse.js'
import { initSearchParameters } from '../../src/fhir/search/parameters.js'
import { createTestDatabase, startTestServer } from '../helpers/test-server.js'
import { putAll } from '../fhir/search/helpers.js'

t.test('each shape tries custom plans, then generic ones, then keeps the quicker', async (t) => {
  const plans = new PlanChoice()
  const run = (ms: { custom: number; generic: number }) => {
    const generic = plans.generic('s')
    plans.record('s', generic, generic ? ms.generic : ms.custom)
    return generic
  }
  const first = Array.from({ length: 8 }, () => run({ custom: 2, generic: 0.5 }))
  t.same(first.slice(0, 8), [false, false, false, false, true, true, true, true], 'custom runs first, then generic: a warm-up and three counted each')
  const next = Array.from({ length: 100 }, () => run({ custom: 2, generic: 0.5 }))
  t.ok(next.filter((g) => g).length >= 97, 'the quicker generic plan is kept')
  t.ok(next.some((g) => !g), 'custom is looked at again now and then')

  // the values asked for change, and the generic plan becomes the slow one
  const later = Array.from({ length: 100 }, () => run({ custom: 2, generic: 12 }))
  t.ok(later.slice(-50).filter((g) => g).length <= 1, 'back to custom plans, generic looked at now and then')
  const runs = plans.runs()
  t.equal(runs.custom + runs.generic, 206, 'every run after the warm-up ones recorded')
})

t.test('a generic plan far slower than the custom one is tried once, and seldom again', async (t) => {
  const plans = new PlanChoice()
  const kinds: boolean[] = []
  for (let i = 0; i < 1000; i++) {
    const generic = plans.generic('slow')
    kinds.push(generic)
    plans.record('slow', generic, generic ? 400 : 2)
  }
  t.equal(kinds.filter((g) => g).length, 2, 'a warm-up and one counted generic run in a thousand')
})

t.test('a search answers the same with either plan', async (t) => {
  const hub = await startTestServer(t)
  await putAll(hub, [
    { resourceType: 'Patient', id: 'pc1', name: [{ family: 'Planner' }], birthDate: '1950-02-03' },
    { resourceType: 'Patient', id: 'pc2', name: [{ family: 'Planner' }], birthDate: '1990-02-03' },
    { resourceType: 'Patient', id: 'pc3', name: [{ family: 'Other' }], birthDate: '1950-02-03' },
  ])
  initSearchParameters()
  // one search connection, so the statements it prepared can be read back from it
  const db = await openDatabase({ databaseUrl: hub.server.db.url, dataDir: '', dbPoolSize: 1 }, { migrate: false })
  t.teardown(() => db.close())
  const store = db.store(systemContext('plan-test'))
  const query = parseSearch(['Patient'], { family: ['planner'], birthdate: ['lt1960'] }, hub.url).query
  for (let i = 0; i < 10; i++) {
    const page = await store.search(structuredClone(query), { total: true })
    t.same(page.matches.map((m) => m.version.id), ['pc1'], `run ${i + 1}`)
    t.equal(page.total, 1)
    t.equal(await store.count(structuredClone(query)), 1)
  }
  const runs = searchReadsOf(store).plans.runs()
  t.ok(runs.custom >= 6 && runs.generic >= 6, `both plans chosen (${runs.custom} custom, ${runs.generic} generic)`)
  const { rows } = await searchReadsOf(store).pool.query(
    `SELECT sum(generic_plans)::int AS generic, sum(custom_plans)::int AS custom FROM pg_prepared_statements WHERE name LIKE 's\\_%'`,
  )
  t.ok(rows[0].generic >= 6 && rows[0].custom >= 6, `and PostgreSQL ran both (${rows[0].custom} custom, ${rows[0].generic} generic)`)
})

t.test('search connections start with custom plans; other connections are left to PostgreSQL', async (t) => {
  const url = await createTestDatabase(t)
  const db = await openDatabase({ databaseUrl: url, dataDir: '', dbPoolSize: 2 }, { migrate: false })
  t.teardown(() => db.close())
  const reads = searchReadsOf(db.store(systemContext('x')))
  t.equal((await reads.pool.query('SHOW plan_cache_mode')).rows[0].plan_cache_mode, 'force_custom_plan')
  t.equal((await db.pool.query('SHOW plan_cache_mode')).rows[0].plan_cache_mode, 'auto')
})

const searchReadsOf = (store: unknown) => (store as { searchReads: SearchReads }).searchReads
