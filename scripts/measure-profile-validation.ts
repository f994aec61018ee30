// Measures profile validation per resource (µs), with the compiled plan (validateAgainstProfile) and
// with @medplum/core's validateResource(resource, { profile }) (profileCheck), for the examples of the
// referral and care plan profiles. Small and short: `npx tsx scripts/measure-profile-validation.ts`.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolveCaseHubDefinition } from '../src/conformance/registry.js'
import { checkResource, initValidation } from '../src/fhir/validation/index.js'
import { profileCheck } from '../src/fhir/validation/profile-check.js'
import { validateAgainstProfile } from '../src/fhir/validation/profile-validate.js'

initValidation()
const codeChecker = (_url: string, _system: string | undefined, code: string) => code !== ''

function measure(label: string, run: () => unknown, iterations: number): void {
  for (let i = 0; i < Math.min(200, iterations); i++) run()
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) run()
  const us = Number(process.hrtime.bigint() - start) / iterations / 1000
  process.stdout.write(`${label.padEnd(60)} ${us.toFixed(1)} µs\n`)
}

for (const id of ['casehub-referral', 'casehub-careplan']) {
  const example = JSON.parse(readFileSync(join(import.meta.dirname, `../profiles/examples/${id}-example.json`), 'utf8'))
  const profile = resolveCaseHubDefinition(`https://casehub.org/fhir/StructureDefinition/${id}`)!
  measure(`${id}: base checkResource`, () => checkResource(structuredClone(example)), 3000)
  measure(`${id}: @medplum/core validateResource with the profile`, () => profileCheck(structuredClone(example), example.resourceType, profile), 300)
  measure(`${id}: validateAgainstProfile (compiled plan)`, () => validateAgainstProfile(example, profile, { codeChecker }), 5000)
}
