// lockForUpdate: many resources row-locked in one statement (a delivery batch's tracking Tasks),
// their current versions handed to the readForUpdate calls that follow in the transaction;
// another transaction's write waits for the commit, and a version written meanwhile is not
// served from what was read before it.
import t from 'tap'
import pg from 'pg'
import { PgResourceStore } from '../../src/store/pg-resource-store.js'
import { systemContext } from '../../src/store/context.js'
import type { NewVersion } from '../../src/store/types.js'
import { createTestDatabase } from '../helpers/test-server.js'

const version = (id: string, versionId: number, family: string): NewVersion => ({
  resourceType: 'Patient', id, versionId, lastUpdated: new Date().toISOString(), method: 'PUT',
  json: JSON.stringify({ resourceType: 'Patient', id, meta: { versionId: String(versionId) }, name: [{ family }] }),
})

t.test('lockForUpdate locks the rows until commit and answers readForUpdate once per resource', async (t) => {
  const pool = new pg.Pool({ connectionString: await createTestDatabase(t), max: 4 })
  t.teardown(() => pool.end())
  const store = new PgResourceStore(pool, systemContext('test'))
  for (const id of ['a', 'b', 'c']) t.ok(await store.insert(version(id, 1, `F-${id}`)))

  let released = false
  let otherWrote = 0
  await store.transaction(async (tx) => {
    await tx.lockForUpdate('Patient', ['c', 'a', 'missing'])
    // another connection's write of a locked row waits for this transaction
    const other = pool.query(`UPDATE resource SET version_id = version_id WHERE resource_type = 'Patient' AND id = 'a'`).then(() => {
      otherWrote = Date.now()
    })
    await new Promise((r) => setTimeout(r, 300))
    t.equal(otherWrote, 0, 'a locked row cannot be written by another transaction')

    const a = await tx.readForUpdate('Patient', 'a')
    t.match(a, { id: 'a', versionId: '1' })
    t.match(JSON.parse(a!.json!), { name: [{ family: 'F-a' }] })
    t.equal(await tx.readForUpdate('Patient', 'missing'), undefined, 'an absent resource is absent')

    // a version written after the lock is read back as written, not as locked
    await tx.replace(version('c', 2, 'F-c2'))
    t.match(await tx.readForUpdate('Patient', 'c'), { versionId: '2' })
    t.match(await tx.readForUpdate('Patient', 'b'), { versionId: '1' }, 'rows not locked before are read as ever')
    released = true
    void other
  })
  t.ok(released)
  await new Promise((r) => setTimeout(r, 100))
  t.ok(otherWrote > 0, 'the other write went through after the commit')
  await t.rejects(store.lockForUpdate('Patient', ['a']), /needs a transaction/, 'outside a transaction it is refused')
})
