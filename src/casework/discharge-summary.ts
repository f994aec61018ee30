// What the GP is told when the patient leaves case management (seed 003: "MDT oversees
// transition out and tells the GP"): the episode's period, the care plan made during it with
// its activities, and the goals with how far they were achieved — as text a practice can file,
// since a GP system may read nothing else of a Communication.
import type { CarePlan, EpisodeOfCare, Goal, HumanName, Patient, Resource } from '@medplum/fhirtypes'
import type { InteractionContext } from '../fhir/types.js'
import { findResources } from '../fhir/search/find.js'
import type { ResourceStore } from '../store/types.js'
import { localId } from './local-id.js'

export interface EpisodeContent {
  plans: (CarePlan & { id: string })[]
  goals: (Goal & { id: string })[]
}

export async function readJson<T extends Resource>(store: ResourceStore, type: string, id: string | undefined): Promise<T | undefined> {
  if (!id) return undefined
  const stored = await store.read(type, id)
  return stored && !stored.deleted && stored.json ? (JSON.parse(stored.json) as T) : undefined
}

const day = (d: string | undefined) => d?.slice(0, 10)
/** Whether [start, end] overlaps the episode's period (open ends overlap everything). */
function overlaps(start: string | undefined, end: string | undefined, episode: EpisodeOfCare): boolean {
  const from = day(episode.period?.start)
  const to = day(episode.period?.end)
  return !(end && from && day(end)! < from) && !(start && to && day(start)! > to)
}

/**
 * The care plans of this episode: the patient's plans over its period, authored by the team
 * that managed it (its managingOrganization or CareTeam) when the episode names one. R4
 * CarePlan has no element pointing at an EpisodeOfCare, so this is the closest link there is.
 */
export async function episodeContent(episode: EpisodeOfCare, ctx: InteractionContext): Promise<EpisodeContent> {
  const patient = episode.patient?.reference
  if (!patient) return { plans: [], goals: [] }
  const managers = new Set([episode.managingOrganization?.reference, ...(episode.team ?? []).map((t) => t.reference)].filter(Boolean))
  const plans = (await findResources<CarePlan>(ctx.store, 'CarePlan', { subject: patient }, { baseUrl: ctx.baseUrl })).filter(
    (p) =>
      !['entered-in-error', 'revoked', 'draft'].includes(p.status) &&
      overlaps(p.period?.start, p.period?.end, episode) &&
      (managers.size === 0 || [p.author, ...(p.careTeam ?? [])].some((r) => r?.reference && managers.has(r.reference))),
  )
  let goals: (Goal & { id: string })[] = []
  for (const plan of plans) {
    for (const ref of plan.goal ?? []) {
      const goal = await readJson<Goal & { id: string }>(ctx.store, 'Goal', localId('Goal', ref.reference))
      if (goal && !goals.some((g) => g.id === goal.id)) goals.push(goal)
    }
  }
  if (plans.length === 0) {
    goals = (await findResources<Goal>(ctx.store, 'Goal', { subject: patient }, { baseUrl: ctx.baseUrl })).filter(
      (g) => !['entered-in-error', 'cancelled', 'rejected', 'proposed'].includes(g.lifecycleStatus) && overlaps(g.startDate, g.startDate, episode),
    )
  }
  return { plans, goals }
}

const nameOf = (n: HumanName[] | undefined) => {
  const name = n?.find((x) => x.use === 'official') ?? n?.[0]
  return name ? (name.text ?? [...(name.given ?? []), name.family].filter(Boolean).join(' ')) : undefined
}
const text = (c: { text?: string; coding?: { display?: string; code?: string }[] } | undefined) => c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code

function goalLine(g: Goal): string {
  const target = g.target?.find((x) => x.dueDate)?.dueDate
  const achieved = text(g.achievementStatus)
  return `- ${text(g.description) ?? 'Goal'}: ${achieved ?? g.lifecycleStatus}${target ? ` (target ${target})` : ''}`
}

function planLines(p: CarePlan): string[] {
  const head = `Care plan: ${p.title ?? text(p.category?.[0]) ?? 'care plan'} (${p.status}${p.period?.start ? `, from ${day(p.period.start)}` : ''}${p.period?.end ? ` to ${day(p.period.end)}` : ''})`
  const activities = (p.activity ?? [])
    .map((a) => a.detail?.description ?? text(a.detail?.code) ?? a.reference?.display)
    .filter(Boolean)
    .map((d) => `- ${d}`)
  return [head + (p.description ? `: ${p.description}` : ''), ...(activities.length ? ['Activities:', ...activities] : [])]
}

/** The summary text (Communication.payload.contentString). */
export function summaryText(episode: EpisodeOfCare, patient: Patient | undefined, content: EpisodeContent, team: string | undefined): string {
  const who = nameOf(patient?.name) ?? 'The patient'
  const nhs = patient?.identifier?.find((i) => i.system === 'https://fhir.nhs.uk/Id/nhs-number')?.value
  const from = day(episode.period?.start)
  const to = day(episode.period?.end) ?? new Date().toISOString().slice(0, 10)
  const lines = [
    `Discharge from community case management${team ? ` (${team})` : ''}.`,
    `${who}${nhs ? ` (NHS number ${nhs})` : ''} was under case management${from ? ` from ${from}` : ''} to ${to}; the episode is now finished.`,
  ]
  for (const p of content.plans) lines.push(...planLines(p))
  if (content.plans.length === 0) lines.push('No care plan was recorded for this episode.')
  if (content.goals.length) lines.push('Goals:', ...content.goals.map(goalLine))
  return lines.join('\n')
}
