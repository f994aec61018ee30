// `casehub generate`: a deterministic, UK-shaped synthetic population as NDJSON, one file per
// resource type, for `casehub load`. Same seed, patient count and start date → identical bytes.
//
// Every patient draws from its own generator seeded by (seed, patient number), so patient 7 is
// the same whatever N is; NHS numbers come from one seeded sequence in patient order.
import type { Organization, Resource } from '@medplum/fhirtypes'
import { Progress } from '../cli/progress.js'
import { Chart, type World } from './chart.js'
import { addProblems, ContactPlanner } from './clinical.js'
import { formatDay, parseDay } from './dates.js'
import { addGpCarePlans } from './gp-plans.js'
import { MAX_NHS_NUMBERS, NhsNumbers } from './nhs-number.js'
import { makeProfile, patientResource } from './patient.js'
import { postcodeDistrict } from './places.js'
import { gpPractices, practiceOrganization, serviceOrganizations } from './practices.js'
import { hashString, mixSeed, Rng } from './prng.js'
import { ReferralWriter } from './referrals.js'
import { NdjsonWriter } from './writer.js'

export const DEFAULT_START_DATE = '2024-01-01'
/** Files written, in this order of creation. */
export const RESOURCE_TYPES = [
  'Organization', 'Patient', 'Condition', 'Encounter', 'Observation', 'ServiceRequest', 'Task', 'EpisodeOfCare', 'CarePlan', 'Goal',
] as const

export interface GenerateOptions {
  patients: number
  seed: string
  out: string
  /** first day of the two-year record window, YYYY-MM-DD */
  startDate?: string
  /** where the progress line goes; null for none */
  progress?: NodeJS.WriteStream | null
}

export interface GenerateSummary {
  patients: number
  resources: number
  bytes: number
  seconds: number
  window: { start: string; end: string }
  perType: { type: string; count: number; bytes: number }[]
}

/** The synthetic population, one patient at a time, in patient order. */
export class Population {
  readonly world: World
  private readonly seed: number
  private readonly nhs: NhsNumbers
  private nextIndex = 1

  constructor(seed: string, startDate = DEFAULT_START_DATE) {
    const start = parseDay(startDate)
    const [y, m, d] = startDate.split('-').map(Number)
    const end = Date.UTC(y + 2, m - 1, d) / 86_400_000
    const practices = gpPractices()
    const trafford = practices.filter((p) => p.borough === 'Trafford')
    const manchester = practices.filter((p) => p.borough === 'Manchester')
    const districts = (list: typeof practices) => [...new Set(list.map((p) => postcodeDistrict(p.postcode)))].sort()
    this.world = {
      start,
      end,
      practices: { Trafford: trafford, Manchester: manchester },
      districts: { Trafford: districts(trafford), Manchester: districts(manchester) },
    }
    this.seed = hashString(seed)
    this.nhs = new NhsNumbers(mixSeed(this.seed, 0x4e4853))
  }

  organizations(): Organization[] {
    return [...serviceOrganizations(), ...gpPractices().map(practiceOrganization)]
  }

  /** The next patient's resources (Patient first). */
  next(): Resource[] {
    const index = this.nextIndex++
    const rng = new Rng(mixSeed(this.seed, index))
    const profile = makeProfile(rng, index, this.world)
    const chart = new Chart(profile.num)
    chart.add(patientResource(rng, profile, this.nhs.next(), this.world))
    const problems = addProblems(chart, rng, profile, this.world)
    const planner = new ContactPlanner(chart, rng, profile, this.world, problems)
    const contacts = planner.plan()
    addGpCarePlans(chart, rng, profile, problems, contacts)
    new ReferralWriter(chart, rng, profile, this.world, problems, planner).write()
    return chart.resources
  }
}

export async function generate(opts: GenerateOptions): Promise<GenerateSummary> {
  if (!Number.isInteger(opts.patients) || opts.patients < 1 || opts.patients > MAX_NHS_NUMBERS) {
    throw new Error(`--patients must be a whole number from 1 to ${MAX_NHS_NUMBERS}`)
  }
  if (!opts.seed) throw new Error('--seed must not be empty')
  const started = performance.now()
  const population = new Population(opts.seed, opts.startDate)
  const writer = await NdjsonWriter.open(opts.out, RESOURCE_TYPES)
  const progress = opts.progress === null ? undefined : new Progress(opts.patients, 'resources', opts.progress ?? process.stderr)
  const organizations = population.organizations()
  await writer.write(organizations)
  progress?.tick(organizations.length, 0)
  for (let i = 0; i < opts.patients; i++) {
    const resources = population.next()
    await writer.write(resources)
    progress?.tick(resources.length, 1)
  }
  const files = await writer.close()
  progress?.finish()
  const perType = [...files].map(([type, f]) => ({ type, ...f }))
  return {
    patients: opts.patients,
    resources: perType.reduce((n, t) => n + t.count, 0),
    bytes: perType.reduce((n, t) => n + t.bytes, 0),
    seconds: (performance.now() - started) / 1000,
    window: { start: formatDay(population.world.start), end: formatDay(population.world.end - 1) },
    perType,
  }
}

/** The summary printed at the end of `casehub generate`. */
export function formatSummary(s: GenerateSummary, out: string): string {
  const n = (x: number) => x.toLocaleString('en-GB')
  const width = Math.max(...s.perType.map((t) => t.type.length))
  const lines = [
    `generated ${n(s.patients)} patients, ${n(s.resources)} resources, ${(s.bytes / 1e6).toFixed(1)} MB in ${s.seconds.toFixed(1)}s → ${out}`,
    `record window ${s.window.start} to ${s.window.end}`,
    ...s.perType.map((t) => `  ${t.type.padEnd(width)}  ${n(t.count).padStart(10)}  ${(t.bytes / 1e6).toFixed(1).padStart(8)} MB`),
  ]
  return lines.join('\n') + '\n'
}
