// `npm run profiles`: regenerates the snapshot of every StructureDefinition in
// profiles/structure-definitions/ from its differential (src/conformance/snapshot.ts).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  STRUCTURE_DEFINITIONS_DIR,
  formatDefinition,
  readDefinitionFiles,
  regenerateSnapshots,
} from '../src/conformance/profile-files.js'

const regenerated = regenerateSnapshots(readDefinitionFiles())
for (const { file, definition } of regenerated) {
  writeFileSync(join(STRUCTURE_DEFINITIONS_DIR, file), formatDefinition(definition))
  process.stdout.write(`${file}: ${definition.snapshot?.element?.length} snapshot elements\n`)
}
