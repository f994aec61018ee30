// `npm run rules`: writes CaseHub's CQL libraries (rules/*.cql and the generated FHIRHelpers) as
// FHIR Library resources with their compiled ELM (rules/Library-<name>.json), which the server
// installs at start like profiles/ and terminology/. A test fails when they are out of date.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { casehubLibraries, RULES_DIR } from '../src/rules/index.js'

for (const library of await casehubLibraries()) {
  const file = join(RULES_DIR, `Library-${library.id}.json`)
  writeFileSync(file, `${JSON.stringify(library, null, 2)}\n`)
  process.stdout.write(`${file}: ${Math.round(JSON.stringify(library).length / 1024)} KB\n`)
}
