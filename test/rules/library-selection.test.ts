// Version order and the choice of a library version (src/rules/versions.ts, library-selection.ts).
import t from 'tap'
import { compareVersions, selectLibrary, type LibraryVersion } from '../../src/rules/index.js'

t.test('versions compare part by part, numerically, a pre-release before its release (semver.org §11)', async (t) => {
  const sorted = ['0.1.0', '0.2.0-beta', '0.2.0-beta.1', '0.2.0', '0.9.1', '0.10.0', '1.0', '1.0.1', '2']
  t.same([...sorted].reverse().sort(compareVersions), sorted)
  t.equal(compareVersions('1.0', '1.0.0'), 0)
  t.equal(compareVersions('1.0.0+build.7', '1.0.0'), 0, 'build metadata does not order')
})

const URL = 'https://example.org/Library/Rules'
const v = (version: string, status = 'active'): LibraryVersion => ({ id: `lib-${version}`, versionId: '1', version, status })

t.test('the newest active version; drafts and retired versions are never chosen', async (t) => {
  t.equal(selectLibrary(URL, [v('0.9.0'), v('0.10.0'), v('0.11.0', 'draft'), v('1.0.0', 'retired')])?.version, '0.10.0')
  t.equal(selectLibrary(URL, [v('1.0.0', 'draft')]), undefined, 'nothing active: nothing chosen')
})

t.test('the newest active PlanDefinition decides: a pin when it names an active version', async (t) => {
  const libraries = [v('1.0.0'), v('2.0.0'), v('3.0.0', 'retired')]
  const plan = (version: string, library: string, status = 'active') => ({ version, status, library: [library] })
  t.same(selectLibrary(URL, libraries, [plan('1', `${URL}|1.0.0`)]), { url: URL, version: '1.0.0', held: libraries[0], plan: '1' })
  t.equal(selectLibrary(URL, libraries, [plan('1', `${URL}|1.0.0`), plan('2', URL)])?.version, '2.0.0', 'a newer plan without a pin')
  t.equal(selectLibrary(URL, libraries, [plan('1', `${URL}|1.0.0`), plan('2', URL, 'draft')])?.version, '1.0.0', 'a draft plan does not count')
  t.equal(selectLibrary(URL, libraries, [plan('1', `${URL}|3.0.0`)])?.version, '2.0.0', 'a pin to a retired version: the newest active')
  t.equal(selectLibrary(URL, libraries, [plan('1', 'https://example.org/Library/Other|1.0.0')])?.version, '2.0.0', 'a plan naming another library')
})
