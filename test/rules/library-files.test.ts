// rules/Library-*.json are CaseHub's CQL libraries as FHIR Library resources (library.html): the
// CQL text and the ELM compiled from it. They are generated (`npm run rules`), never hand-edited,
// and installed at start with the other conformance resources.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Library, PlanDefinition } from '@medplum/fhirtypes'
import { casehubLibraries, casehubSources, RULES_DIR } from '../../src/rules/index.js'
import { precompiledElm } from '../../src/rules/precompiled.js'

const committed = (id: string) => JSON.parse(readFileSync(join(RULES_DIR, `Library-${id}.json`), 'utf8')) as Library

t.test('the committed Library files are what `npm run rules` generates from rules/*.cql', async (t) => {
  const generated = await casehubLibraries()
  const files = readdirSync(RULES_DIR).filter((f) => /^Library-.*\.json$/.test(f)).sort()
  t.same(files, generated.map((l) => `Library-${l.id}.json`).sort(), 'one file per library, no stale ones')
  for (const library of generated) {
    t.same(committed(library.id!), JSON.parse(JSON.stringify(library)), `${library.id} is up to date (run npm run rules)`)
    t.same(library.content?.map((c) => c.contentType), ['text/cql', 'application/elm+json'])
  }
})

t.test('the shipped ELM is used for CaseHub\'s own libraries, and only for the CQL it was compiled from', async (t) => {
  for (const source of casehubSources()) {
    const elm = precompiledElm(source)
    t.equal(elm?.library.identifier.id, source.name, `${source.name}: its ELM is taken from Library-${source.name}.json`)
    t.equal(precompiledElm({ ...source, cql: `${source.cql}\n// edited` }), undefined, `${source.name}: edited CQL is compiled, not given the old ELM`)
  }
})

t.test('the intake PlanDefinition names the eligibility Library as it is published', async (t) => {
  const plan = JSON.parse(readFileSync(join(RULES_DIR, 'PlanDefinition-casehub-intake.json'), 'utf8')) as PlanDefinition
  const eligibility = committed('CaseHubEligibility')
  t.same(plan.library, [`${eligibility.url}|${eligibility.version}`])
})
