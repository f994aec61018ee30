// `casehub generate`: deterministic output, plausible volumes, resolvable references, valid FHIR R4.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes'
import { checkResource, initValidation } from '../../src/fhir/validation/index.js'
import { generate, Population, RESOURCE_TYPES } from '../../src/generate/index.js'
import { isValidNhsNumber } from '../../src/generate/nhs-number.js'
import { gpPractices } from '../../src/generate/practices.js'

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `casehub-generate-${name}-`))

function files(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]))
}

function lines(dir: string, type: string): any[] {
  return readFileSync(join(dir, `${type}.ndjson`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

t.test('same seed and size give identical bytes; another seed gives other data', async (t) => {
  const [a, b, c, small] = [tmp('a'), tmp('b'), tmp('c'), tmp('small')]
  await generate({ patients: 60, seed: 'trafford', out: a, progress: null })
  await generate({ patients: 60, seed: 'trafford', out: b, progress: null })
  await generate({ patients: 60, seed: 'manchester', out: c, progress: null })
  await generate({ patients: 30, seed: 'trafford', out: small, progress: null })
  const [fa, fb, fc] = [files(a), files(b), files(c)]
  t.same([...fa.keys()], RESOURCE_TYPES.map((type) => `${type}.ndjson`).sort(), 'one file per resource type')
  for (const [name, bytes] of fa) t.ok(bytes.equals(fb.get(name)!), `${name} identical`)
  t.notOk(fa.get('Patient.ndjson')!.equals(fc.get('Patient.ndjson')!), 'another seed, other patients')
  t.notOk(fa.get('Observation.ndjson')!.equals(fc.get('Observation.ndjson')!), 'another seed, other observations')
  const first30 = fa.get('Patient.ndjson')!.toString().split('\n').slice(0, 30)
  t.same(files(small).get('Patient.ndjson')!.toString().split('\n').slice(0, 30), first30, 'patient k does not depend on N')
  const other = tmp('date')
  await generate({ patients: 5, seed: 'trafford', out: other, startDate: '2022-04-01', progress: null })
  const encounters = lines(other, 'Encounter')
  t.ok(encounters.every((e) => e.period.start >= '2022-04-01' && e.period.start < '2024-04-02'), '--start-date moves the window')
})

t.test('N patients, plausible volumes per type, resolvable references, UK-shaped patients', async (t) => {
  const dir = tmp('counts')
  const n = 400
  const summary = await generate({ patients: n, seed: 'volumes', out: dir, progress: null })
  const count = (type: string) => lines(dir, type).length
  const patients = lines(dir, 'Patient')
  t.equal(patients.length, n, 'N Patient lines')
  t.equal(count('Organization'), gpPractices().length + 7, 'GP practices, the trust, the team and the services')
  for (const { type, count: c } of summary.perType) t.equal(c, count(type), `summary counts ${type}`)

  const per = (type: string) => count(type) / n
  const within = (type: string, lo: number, hi: number) => t.ok(per(type) >= lo && per(type) <= hi, `${type} per patient ${per(type).toFixed(2)} in [${lo}, ${hi}]`)
  within('Encounter', 8, 20)
  within('Observation', 20, 60)
  within('Condition', 0.7, 2.5)
  within('ServiceRequest', 0.1, 1)
  within('CarePlan', 0.03, 0.4)
  within('Goal', 0.05, 0.6)
  t.equal(count('Task'), count('ServiceRequest'), 'one Task per ServiceRequest')
  const total = summary.resources - count('Organization')
  t.ok(total / n > 35 && total / n < 70, `${(total / n).toFixed(1)} resources per patient (about 50)`)

  const perPatient = new Map<string, number>()
  const all = new Map<string, any>()
  const duplicates: string[] = []
  for (const type of RESOURCE_TYPES) {
    for (const r of lines(dir, type)) {
      if (all.has(`${type}/${r.id}`)) duplicates.push(`${type}/${r.id}`)
      all.set(`${type}/${r.id}`, r)
      const subject = (r.subject ?? r.for ?? r.patient)?.reference
      if (subject) perPatient.set(subject, (perPatient.get(subject) ?? 0) + 1)
    }
  }
  t.same(duplicates, [], 'ids are unique')
  const unresolved: string[] = []
  const walk = (node: unknown, from: string) => {
    if (Array.isArray(node)) node.forEach((x) => walk(x, from))
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'reference' && typeof v === 'string') {
          if (!/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(v) || !all.has(v)) unresolved.push(`${from} → ${v}`)
        } else walk(v, from)
      }
    }
  }
  for (const [key, r] of all) walk(r, key)
  t.same(unresolved.slice(0, 5), [], 'every reference is relative and resolves to a generated resource')

  const volumes = [...perPatient.values()].sort((a, b) => a - b)
  t.ok(volumes[Math.floor(n * 0.9)] > 2 * volumes[Math.floor(n / 2)], 'skewed: the top decile has more than twice the median')

  const nhs = patients.map((p) => p.identifier.find((i: any) => i.system === 'https://fhir.nhs.uk/Id/nhs-number')?.value)
  t.ok(nhs.every(isValidNhsNumber), 'every NHS number passes modulus 11')
  t.equal(new Set(nhs).size, n, 'NHS numbers are unique')
  t.ok(patients.every((p) => /^p-\d{6}$/.test(p.id)), 'ids like p-000123')
  t.ok(patients.every((p) => /^(M\d{1,2}|WA1[45]) \d[A-Z]{2}$/.test(p.address[0].postalCode)), 'M and WA postcodes')
  t.ok(patients.every((p) => all.get(p.generalPractitioner[0].reference)?.identifier?.[0]?.system === 'https://fhir.nhs.uk/Id/ods-organization-code'), 'registered with a GP practice known by its ODS code')
  const age = (p: any) => 2025 - Number(p.birthDate.slice(0, 4))
  const children = patients.filter((p) => age(p) < 18).length / n
  t.ok(children > 0.12 && children < 0.32, `under-18 share ${children}`)
  t.ok(patients.filter((p) => age(p) >= 18).length > n / 2, 'adults dominate')

  const classes = new Set(lines(dir, 'Encounter').map((e) => e.class.code))
  for (const c of ['AMB', 'EMER', 'IMP']) t.ok(classes.has(c), `encounters of class ${c}`)
  t.ok(lines(dir, 'Encounter').filter((e) => e.class.code === 'IMP').every((e) => e.priority.coding[0].code === 'EM'), 'emergency admissions have priority EM')
  const statuses = new Set(lines(dir, 'Task').map((task) => task.status))
  for (const s of ['accepted', 'in-progress', 'completed', 'rejected']) t.ok(statuses.has(s), `Task status ${s}`)
  t.ok([...statuses].every((s) => ['requested', 'accepted', 'in-progress', 'completed', 'rejected'].includes(s)), 'no other Task statuses')
  t.ok(lines(dir, 'Task').every((task) => all.get(task.focus.reference)?.resourceType === 'ServiceRequest'), 'Tasks focus on a ServiceRequest')
})

t.test('every generated resource is valid FHIR R4 (the server’s own validation)', async (t) => {
  initValidation()
  const population = new Population('validation')
  const resources: Resource[] = [...population.organizations()]
  for (let i = 0; i < 50; i++) resources.push(...population.next())
  const problems: string[] = []
  for (const r of resources) {
    const errors = checkResource(r).filter((i: OperationOutcomeIssue) => i.severity === 'error' || i.severity === 'fatal')
    for (const e of errors) problems.push(`${r.resourceType}/${r.id} ${e.expression?.join(',')}: ${e.diagnostics}`)
  }
  t.ok(resources.length > 1500, `${resources.length} resources checked`)
  t.same(problems.slice(0, 10), [], 'no validation errors')
})

t.test('bad options are refused', async (t) => {
  const dir = tmp('bad')
  await t.rejects(generate({ patients: 0, seed: 'x', out: dir, progress: null }), /--patients/)
  await t.rejects(generate({ patients: 1.5, seed: 'x', out: dir, progress: null }), /--patients/)
  await t.rejects(generate({ patients: 1, seed: '', out: dir, progress: null }), /--seed/)
  await t.rejects(generate({ patients: 1, seed: 'x', out: dir, startDate: '2024-13-01', progress: null }), /date/)
})
