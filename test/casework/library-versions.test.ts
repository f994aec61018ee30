// Which CaseHubEligibility version decides, over real HTTP (library.html, references.html#canonical,
// publication-status): the active intake PlanDefinition's `library` canonical pins a version or,
// without one, the newest active Library version is used; draft and retired versions never are.
// Uploads take effect on the next $eligibility, without a restart.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Parameters, Resource } from '@medplum/fhirtypes'
import { startTestServer, type TestServer } from '../helpers/test-server.js'
import { SCENARIOS } from '../rules/eligibility-scenarios.js'
import { RULES_DIR } from '../../src/rules/index.js'

const LIBRARY = 'https://casehub.org/fhir/Library/CaseHubEligibility'
const INTAKE = 'https://casehub.org/fhir/PlanDefinition/casehub-intake'

/** CaseHubEligibility as published, at another version and with "Adult" from `adultAge`. */
function eligibility(version: string, adultAge: number, status: string) {
  const shipped = readFileSync(join(RULES_DIR, 'CaseHubEligibility.cql'), 'utf8')
  const cql = shipped
    .replace("library CaseHubEligibility version '0.1.0'", `library CaseHubEligibility version '${version}'`)
    .replace('AgeInYearsAt(date from "Assessment Date") >= 18', `AgeInYearsAt(date from "Assessment Date") >= ${adultAge}`)
  if (!cql.includes(`library CaseHubEligibility version '${version}'`) || !cql.includes(`>= ${adultAge}`)) throw new Error('rules/CaseHubEligibility.cql changed: adjust this test')
  return {
    resourceType: 'Library', id: `CaseHubEligibility-${version.replaceAll('.', '-')}`, url: LIBRARY, version, name: 'CaseHubEligibility', status,
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/library-type', code: 'logic-library' }] },
    content: [{ contentType: 'text/cql', data: Buffer.from(cql, 'utf8').toString('base64') }],
  }
}

const intakePlan = (version: string, library: string) => ({
  resourceType: 'PlanDefinition', id: `site-intake-${version.replaceAll('.', '-')}`, url: INTAKE, version, name: 'SiteIntake', status: 'active', library: [library],
})

async function put(hub: TestServer, resource: { resourceType: string; id: string }) {
  const res = await hub.fetch(`${resource.resourceType}/${resource.id}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) })
  const body = await res.json()
  if (res.status >= 300) throw new Error(`PUT ${resource.resourceType}/${resource.id}: ${res.status} ${JSON.stringify(body)}`)
}

t.test('the eligibility Library version that decides', async (t) => {
  const hub = await startTestServer(t)
  // On the day of the 18th birthday, meeting every other criterion (eligibility-scenarios.ts 02)
  const scenario = SCENARIOS.find((s) => s.id === '02')!
  await hub.client.transaction({
    body: { resourceType: 'Bundle', type: 'transaction', entry: scenario.resources.map((resource: Resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })) },
  })
  const assess = async () => {
    const out = (await hub.client.operation({ name: 'eligibility', resourceType: 'Patient', id: scenario.resources[0].id!, method: 'GET', input: { referral: `ServiceRequest/${scenario.referral!.id}` } })) as Parameters
    const value = (name: string) => out.parameter?.find((p) => p.name === name)
    return { route: value('route')?.valueCode, library: value('library')?.valueCanonical }
  }

  t.same(await assess(), { route: 'case-management', library: `${LIBRARY}|0.1.0` }, 'the shipped version, named in the result')

  await put(hub, eligibility('0.2.0', 21, 'active'))
  t.same(await assess(), { route: 'case-management', library: `${LIBRARY}|0.1.0` }, 'a new active version alone: the shipped intake PlanDefinition pins |0.1.0')

  await put(hub, intakePlan('0.2.0', LIBRARY))
  t.same(await assess(), { route: 'not-eligible', library: `${LIBRARY}|0.2.0` }, 'a newer intake PlanDefinition without a pin: the newest active Library version (adult from 21)')

  await put(hub, eligibility('0.10.0', 16, 'draft'))
  t.same(await assess(), { route: 'not-eligible', library: `${LIBRARY}|0.2.0` }, 'a draft version (0.10.0, newer than 0.2.0 by number) is not used')

  await put(hub, intakePlan('0.3.0', `${LIBRARY}|0.1.0`))
  t.same(await assess(), { route: 'case-management', library: `${LIBRARY}|0.1.0` }, 'the newest intake PlanDefinition pins |0.1.0: that version, although 0.2.0 is newer')

  await put(hub, intakePlan('0.4.0', `${LIBRARY}|0.10.0`))
  t.same(await assess(), { route: 'not-eligible', library: `${LIBRARY}|0.2.0` }, 'a pin to a draft version is not honoured: the newest active version decides')

  await put(hub, { ...eligibility('0.2.0', 21, 'retired') })
  t.same(await assess(), { route: 'case-management', library: `${LIBRARY}|0.1.0` }, 'once 0.2.0 is retired it is no longer used')

  await put(hub, eligibility('0.10.0', 19, 'active'))
  t.same(await assess(), { route: 'not-eligible', library: `${LIBRARY}|0.10.0` }, 'the draft made active is used: versions compare by number (0.10.0 after 0.2.0)')
})
