// The codes the eligibility library's retrieves filter on, per resource type: what the record
// fetch may narrow its search to (src/casework/patient-record.ts).
import t from 'tap'
import { ELIGIBILITY_LIBRARY } from '../../src/rules/index.js'
import { createEvaluator } from '../../src/rules/evaluator.js'
import { codeRequirements } from '../../src/rules/code-requirements.js'
import { loadTerminologyDir } from '../../src/terminology/index.js'

const terminology = loadTerminologyDir()
const { elms, valueSets } = createEvaluator(() => terminology).portable(ELIGIBILITY_LIBRARY)
const requirements = codeRequirements(elms, valueSets)

t.test('Observations and Procedures are only ever retrieved by code', async (t) => {
  t.same([...requirements.keys()].sort(), ['Observation', 'Procedure'])
  const observations = requirements.get('Observation')!
  t.ok(observations.has('http://snomed.info/sct|160734000'), 'a residence finding (the Residence concept)')
  t.ok(observations.has('http://snomed.info/sct|394923006'), 'a residential home too: the latest residence decides')
  t.ok(observations.has('http://snomed.info/sct|103735009'), 'end of life (value set)')
  t.ok(requirements.get('Procedure')!.has('http://snomed.info/sct|103735009'))
})

t.test('a type with any retrieve that is not filtered by code is needed whole', async (t) => {
  // "Presenting Reasons" reads every Condition; Encounters are read without codes.
  t.notOk(requirements.has('Condition'))
  t.notOk(requirements.has('Encounter'))
})
