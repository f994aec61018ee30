// Referrals and their workflow: GP referrals to hospital and community services, referrals to
// the Trafford case management team with triage against the service's criteria, and for accepted
// patients the 3-month episode (EpisodeOfCare, home visits, Goals, CarePlans) with onward
// referrals to social prescribing and community therapy. Every ServiceRequest has a Task.
import type { CarePlan, CarePlanActivity, Condition, EpisodeOfCare, Goal, ServiceRequest, Task } from '@medplum/fhirtypes'
import { orgRef, ref, type AnyReference as Reference, type Chart, type World } from './chart.js'
import { pregnantOn, type Contact, type ContactPlanner, type Problems } from './clinical.js'
import * as C from './codes.js'
import type { Concept } from './codes.js'
import { formatDay, formatInstant, MINUTES_PER_DAY, nextWorkingDay, ukInstant } from './dates.js'
import type { Measurement } from './observations.js'
import { ageOn, type Profile } from './patient.js'
import { ORG } from './practices.js'
import { Weighted, type Rng } from './prng.js'
import { ACHIEVEMENT_FINAL, ACHIEVEMENT_ONGOING, ACTIVITIES, GOALS } from './care-plan-content.js'

// Care plan categories (SNOMED, as in the Synthea records)
const CARE_PLAN = C.concept('734163000', 'Care plan')

type Priority = 'routine' | 'urgent' | 'asap'
type TaskStatus = 'requested' | 'accepted' | 'in-progress' | 'completed' | 'rejected'

interface Referral {
  code: Concept
  performer: string
  requester: string
  reason?: Condition
  priority: Priority
  authored: number
  encounter?: Reference
  basedOn?: Reference
  performerType?: Concept
}

interface Workflow {
  status: TaskStatus
  lastModified: number
  started?: number
  ended?: number
  businessStatus: string
  statusReason?: string
}

const PRIORITY = new Weighted<Priority>([['routine', 80], ['urgent', 17], ['asap', 3]])
const TIERS = new Weighted<'mild' | 'moderate' | 'severe'>([['mild', 30], ['moderate', 50], ['severe', 20]])

const workingMinute = (rng: Rng, day: number) => ukInstant(nextWorkingDay(day), 8 * 60 + rng.int(0, 479))

export class ReferralWriter {
  private readonly windowEnd: number

  constructor(
    private readonly chart: Chart,
    private readonly rng: Rng,
    private readonly p: Profile,
    private readonly world: World,
    private readonly problems: Problems,
    private readonly planner: ContactPlanner,
  ) {
    this.windowEnd = world.end * MINUTES_PER_DAY
  }

  write() {
    this.gpReferrals()
    this.caseManagementReferral()
  }

  // ---- GP referrals to hospital and community services

  private gpReferrals() {
    const { rng, p, problems } = this
    const trafford = p.practice.borough === 'Trafford'
    const options: [[Concept, string, Condition | undefined], number][] = []
    if (problems.hf) options.push([[C.HEART_FAILURE_CLINIC, ORG.trust, problems.hf], 3])
    if (p.copd || p.ild || p.bronchiectasis) options.push([[C.RESPIRATORY_SERVICE, ORG.trust, problems.respiratory], 3])
    if (p.endOfLife) options.push([[C.PALLIATIVE_REFERRAL, ORG.trust, problems.longTerm[0]], 3])
    if (trafford && p.age >= 75) options.push([[C.DISTRICT_NURSE, ORG.districtNursing, problems.longTerm[0]], 2])
    if (trafford && p.age >= 18) options.push([[C.SOCIAL_PRESCRIBING, ORG.socialPrescribing, undefined], 2])
    if (trafford && p.age >= 65) options.push([[C.COMMUNITY_OT, ORG.communityTherapy, undefined], 1])
    options.push(trafford && p.age >= 18 ? [[C.COMMUNITY_PHYSIO, ORG.communityTherapy, undefined], 2] : [[C.PHYSIOTHERAPY, ORG.trust, undefined], 2])
    const destinations = new Weighted(options)
    const chance = 0.035 + (problems.longTerm.length ? 0.025 : 0)
    for (const contact of [...this.planner.contacts]) {
      if ((contact.kind !== 'gp' && contact.kind !== 'review') || !rng.chance(chance)) continue
      const [code, performer, reason] = destinations.pick(rng)
      const authored = (contact.end ?? contact.start) + rng.int(1, 120)
      const sr = this.serviceRequest({
        code, performer, reason, requester: p.practice.id, priority: PRIORITY.pick(rng), authored, encounter: ref(contact.encounter),
      })
      this.task(sr, this.serviceWorkflow(authored, 0.08), authored, p.practice.id, performer)
    }
  }

  /** Where a referral to a service has got to by the end of the window. */
  private serviceWorkflow(authored: number, rejectShare: number): Workflow {
    const { rng } = this
    const authoredDay = Math.floor(authored / MINUTES_PER_DAY)
    const received: Workflow = { status: 'requested', lastModified: authored, businessStatus: 'Referral received' }
    const at = (days: number) => workingMinute(rng, authoredDay + days)
    if (rng.chance(rejectShare)) {
      const t = at(rng.int(1, 10))
      if (t >= this.windowEnd) return received
      return { status: 'rejected', lastModified: t, ended: t, businessStatus: 'Rejected', statusReason: 'Does not meet the service criteria' }
    }
    const accepted = at(rng.int(1, 7))
    if (accepted >= this.windowEnd) return received
    const booked = Math.floor(accepted / MINUTES_PER_DAY)
    const started = workingMinute(rng, booked + rng.int(7, 42))
    if (started >= this.windowEnd) return { status: 'accepted', lastModified: accepted, businessStatus: 'Appointment booked' }
    const done = workingMinute(rng, Math.floor(started / MINUTES_PER_DAY) + rng.int(14, 120))
    if (done >= this.windowEnd) return { status: 'in-progress', lastModified: started, started, businessStatus: 'Seen, treatment ongoing' }
    return { status: 'completed', lastModified: done, started, ended: done, businessStatus: 'Discharged' }
  }

  private serviceRequest(r: Referral, status?: ServiceRequest['status']): ServiceRequest {
    const sr: ServiceRequest = {
      resourceType: 'ServiceRequest',
      id: this.chart.id('sr'),
      status: status ?? 'active',
      intent: 'order',
      category: [C.sct(C.PATIENT_REFERRAL, false)],
      priority: r.priority,
      code: C.sct(r.code),
      subject: { reference: `Patient/${this.p.id}` },
    }
    if (r.basedOn) sr.basedOn = [r.basedOn]
    if (r.encounter) sr.encounter = r.encounter
    sr.authoredOn = formatInstant(r.authored)
    sr.requester = orgRef(r.requester)
    if (r.performerType) sr.performerType = C.sct(r.performerType, false)
    sr.performer = [orgRef(r.performer)]
    if (r.reason) {
      sr.reasonCode = [r.reason.code!]
      sr.reasonReference = [ref(r.reason)]
    }
    return this.chart.add(sr)
  }

  private task(sr: ServiceRequest, w: Workflow, authored: number, requester: string, owner: string, output?: Reference): Task {
    sr.status = w.status === 'completed' ? 'completed' : w.status === 'rejected' ? 'revoked' : 'active'
    const task = { resourceType: 'Task', id: this.chart.id('task'), status: w.status } as Task
    if (w.statusReason) task.statusReason = C.rejectionReason(w.statusReason)
    task.businessStatus = C.text(w.businessStatus)
    task.intent = 'order'
    task.priority = sr.priority
    task.code = C.coded('http://hl7.org/fhir/CodeSystem/task-code', 'fulfill', 'Fulfill the focal request')
    task.focus = ref(sr)
    task.for = { reference: `Patient/${this.p.id}` }
    if (w.started !== undefined || w.ended !== undefined) {
      task.executionPeriod = {}
      if (w.started !== undefined) task.executionPeriod.start = formatInstant(w.started)
      if (w.ended !== undefined) task.executionPeriod.end = formatInstant(w.ended)
    }
    task.authoredOn = formatInstant(authored)
    task.lastModified = formatInstant(Math.max(w.lastModified, authored))
    task.requester = orgRef(requester)
    task.owner = orgRef(owner)
    if (output) task.output = [{ type: C.text('Episode of care'), valueReference: output }]
    return this.chart.add(task)
  }

  // ---- Case management

  /** Chance that this patient is referred to the case management team during the window. */
  private referralChance(admittedWithLtc: boolean): number {
    const { p, problems } = this
    let chance = 0
    if (p.hf || p.copd) chance = 0.25 + (admittedWithLtc ? 0.35 : 0)
    else if (problems.longTerm.length >= 2) chance = 0.06 + (admittedWithLtc ? 0.15 : 0)
    else if (problems.longTerm.length === 1) chance = 0.012
    else if (problems.mentalHealthOrSubstance) chance = 0.02
    if (p.age < 18) chance = Math.min(chance, 0.003)
    if (p.practice.borough !== 'Trafford') chance *= 0.08 // referrals from outside the area, to be turned down
    return chance
  }

  private caseManagementReferral() {
    const { rng, p, world, problems } = this
    const admissions = this.planner.contacts.filter((c) => c.kind === 'admission' && c.end !== undefined)
    const ltcAdmission = admissions.find((c) => c.reason && (c.reason.code?.coding?.[0].code === C.HF_DECOMPENSATION.code || c.reason.code?.coding?.[0].code === C.COPD_EXACERBATION.code))
    if (!rng.chance(this.referralChance(ltcAdmission !== undefined))) return

    const afterAdmission: Contact | undefined = admissions.length && rng.chance(0.6) ? (ltcAdmission ?? rng.pick(admissions)) : undefined
    const authoredDay = afterAdmission ? Math.floor(afterAdmission.end! / MINUTES_PER_DAY) + rng.int(1, 14) : rng.int(p.from, world.end - 1)
    if (authoredDay >= world.end) return
    // Referrers send at any time; the team works 08:00-16:00 Monday to Friday.
    const authored = ukInstant(authoredDay, rng.int(7 * 60, 19 * 60))
    const requester = afterAdmission && rng.chance(0.3) ? ORG.trust : p.practice.id
    const reason = problems.hf ?? problems.copd ?? problems.longTerm[0] ?? problems.mentalHealthOrSubstance
    const sr = this.serviceRequest({
      code: C.REFERRAL_TO_SERVICE,
      performerType: C.CASE_MANAGER,
      performer: ORG.caseManagement,
      requester,
      reason,
      priority: rng.chance(0.3) ? 'urgent' : 'routine',
      authored,
    })

    // Triage within three working days (a referral sent after hours waits for the next one).
    let triage = workingMinute(rng, authoredDay + rng.int(0, 3))
    if (triage <= authored) triage = workingMinute(rng, authoredDay + 1)
    if (triage >= this.windowEnd) {
      this.task(sr, { status: 'requested', lastModified: authored, businessStatus: 'Awaiting triage' }, authored, requester, ORG.caseManagement)
      return
    }
    const triageDay = Math.floor(triage / MINUTES_PER_DAY)
    const rejection = this.rejectionReason(triageDay, reason)
    if (rejection) {
      this.task(sr, { status: 'rejected', lastModified: triage, ended: triage, businessStatus: 'Triaged: not eligible', statusReason: rejection }, authored, requester, ORG.caseManagement)
      if (rejection.startsWith('Acutely unwell')) {
        const crisis = this.serviceRequest({
          code: C.REFERRAL_TO_SERVICE, performerType: C.INTERMEDIATE_CARE, performer: ORG.crisisResponse, requester: ORG.caseManagement,
          reason, priority: 'asap', authored: triage + 5, basedOn: ref(sr),
        })
        const seen = triage + rng.int(60, 120)
        const w: Workflow = seen + 240 < this.windowEnd
          ? { status: 'completed', lastModified: seen + 240, started: seen, ended: seen + 240, businessStatus: 'Seen within 2 hours' }
          : { status: 'accepted', lastModified: triage + 20, businessStatus: 'Accepted' }
        this.task(crisis, w, triage + 5, ORG.caseManagement, ORG.crisisResponse)
      }
      return
    }
    this.episode(sr, authored, requester, triage, reason)
  }

  private rejectionReason(day: number, reason: Condition | undefined): string | undefined {
    const { rng, p, problems } = this
    if (p.practice.borough !== 'Trafford') return 'Not registered with a Trafford GP'
    if (ageOn(p, day) < 18) return 'Under 18 years of age'
    if (pregnantOn(p, day)) return 'Pregnant'
    if (p.endOfLife) return 'Receiving end of life care'
    // A residential care home is not a nursing home (seed 000's criterion is nursing homes)
    if (p.careHome === C.NURSING_HOME[0]) return 'Lives in a nursing home'
    if (reason && reason === problems.mentalHealthOrSubstance) return 'Mental health, alcohol or drug misuse is the presenting condition'
    const r = rng.next()
    if (r < 0.05) return 'Already under specialist nursing for the referring condition'
    if (r < 0.11) return 'Not at risk of deterioration'
    if (r < 0.15) return 'Acutely unwell: referred to the Community Crisis Response Team'
    return undefined
  }

  private episode(sr: ServiceRequest, authored: number, requester: string, triage: number, reason: Condition | undefined) {
    const { rng, p, world, chart, problems } = this
    const tier = TIERS.pick(rng)
    const startDay = Math.floor(triage / MINUTES_PER_DAY)
    const plannedEnd = nextWorkingDay(startDay + 91 + rng.int(0, 14))
    const discharge = workingMinute(rng, plannedEnd)
    const finished = discharge < this.windowEnd
    const eoc: EpisodeOfCare = chart.add({
      resourceType: 'EpisodeOfCare',
      id: chart.id('eoc'),
      status: finished ? 'finished' : 'active',
      type: [C.text('Case management')],
      ...(reason ? { diagnosis: [{ condition: ref(reason), rank: 1 }] } : {}),
      patient: { reference: `Patient/${p.id}` },
      managingOrganization: orgRef(ORG.caseManagement),
      period: finished ? { start: formatInstant(triage), end: formatInstant(discharge) } : { start: formatInstant(triage) },
      referralRequest: [ref(sr)],
    })

    // Home visits: the first within a few working days, then every one to three weeks.
    const visits: Contact[] = []
    let day = nextWorkingDay(startDay + rng.int(2, 8))
    while (day < plannedEnd && day < world.end) {
      const start = workingMinute(rng, day)
      if (start + 60 >= this.windowEnd) break
      const length = rng.int(30, 75)
      const enc = this.planner.encounter('HH', 'Case management home visit', start, start + length, ORG.caseManagement)
      enc.serviceType = C.sct(C.COMMUNITY_NURSING, false)
      enc.episodeOfCare = [ref(eoc)]
      const visit: Contact = { encounter: enc, kind: 'gp', start, end: start + length }
      visits.push(visit)
      const m: Measurement[] = []
      if (rng.chance(0.8)) m.push('bp')
      if (rng.chance(0.6)) m.push('heartRate')
      if ((p.copd || p.asthma || p.ild || p.hf) && rng.chance(0.7)) m.push('oxygenSaturation')
      if (p.hf && rng.chance(0.8)) m.push('weight')
      this.planner.observe(m, visit)
      day = nextWorkingDay(day + rng.int(7, 21))
    }

    const first = visits[0]
    let status: TaskStatus = first ? 'in-progress' : 'accepted'
    if (finished) status = 'completed'
    const business = status === 'completed' ? 'Discharged to GP' : status === 'in-progress' ? `Care plan in progress (${tier} tier)` : `Accepted: ${tier} tier`
    this.task(
      sr,
      { status, lastModified: finished ? discharge : (visits.at(-1)?.start ?? triage), started: triage, ended: finished ? discharge : undefined, businessStatus: business },
      authored, requester, ORG.caseManagement, ref(eoc),
    )
    if (!first) return

    const addresses = problems.longTerm.slice(0, 3).map(ref)
    const goals = this.goals(first, plannedEnd, finished, addresses)
    let plan: CarePlan | undefined
    if (tier !== 'mild') {
      plan = chart.add({
        resourceType: 'CarePlan',
        id: chart.id('cp'),
        status: finished ? 'completed' : 'active',
        intent: 'plan',
        category: [{ ...C.sct(CARE_PLAN, false), text: 'Case management care plan' }],
        title: 'Case management plan (3 months)',
        description: `Goal-based plan agreed with the patient, ${tier} tier`,
        subject: { reference: `Patient/${p.id}` },
        encounter: ref(first.encounter),
        period: { start: formatDay(Math.floor(first.start / MINUTES_PER_DAY)), end: formatDay(plannedEnd) },
        created: formatInstant(first.end ?? first.start),
        author: orgRef(ORG.caseManagement),
        ...(addresses.length ? { addresses } : {}),
        goal: goals.map(ref),
        activity: this.activities(finished),
      })
      if (tier === 'severe') {
        chart.add({
          resourceType: 'CarePlan',
          id: chart.id('cp'),
          status: finished ? 'completed' : 'active',
          intent: 'plan',
          category: [C.text('Emergency treatment plan')],
          title: 'Emergency treatment plan',
          description: 'What to do in a crisis; shared with the ambulance service and A&E where the patient consents',
          subject: { reference: `Patient/${p.id}` },
          period: { start: formatDay(Math.floor(first.start / MINUTES_PER_DAY)) },
          created: formatInstant(first.end ?? first.start),
          author: orgRef(ORG.caseManagement),
          ...(addresses.length ? { addresses } : {}),
          basedOn: [ref(plan)],
        })
      }
    }

    // Onward referrals made at later visits.
    const onward: [Concept, string, number][] = [
      [C.SOCIAL_PRESCRIBING, ORG.socialPrescribing, tier === 'mild' ? 0.6 : 0.35],
      [C.COMMUNITY_PHYSIO, ORG.communityTherapy, 0.25],
      [C.COMMUNITY_OT, ORG.communityTherapy, p.age >= 65 ? 0.2 : 0.05],
      [C.DISTRICT_NURSE, ORG.districtNursing, p.diabetes || p.age >= 75 ? 0.2 : 0.05],
    ]
    for (const [code, performer, chance] of onward) {
      if (!rng.chance(chance)) continue
      const visit = visits.length > 1 ? visits[rng.int(1, visits.length - 1)] : first
      const authoredOnward = (visit.end ?? visit.start) + rng.int(5, 90)
      if (authoredOnward >= this.windowEnd) continue
      const onwardSr = this.serviceRequest({
        code, performer, requester: ORG.caseManagement, reason, priority: 'routine', authored: authoredOnward,
        encounter: ref(visit.encounter), ...(plan ? { basedOn: ref(plan) } : {}),
      })
      this.task(onwardSr, this.serviceWorkflow(authoredOnward, 0.07), authoredOnward, ORG.caseManagement, performer)
      plan?.activity?.push({ reference: ref(onwardSr) })
    }
  }

  private goals(first: Contact, plannedEnd: number, finished: boolean, addresses: Reference[]): Goal[] {
    const { rng, p, chart } = this
    const pool = [...GOALS.general]
    if (p.hf) pool.push(...GOALS.hf)
    if (p.copd || p.ild || p.bronchiectasis || p.asthma) pool.push(...GOALS.respiratory)
    if (p.diabetes) pool.push(...GOALS.diabetes)
    const count = rng.int(1, 3)
    const chosen: string[] = []
    while (chosen.length < count) {
      const g = rng.pick(pool)
      if (!chosen.includes(g)) chosen.push(g)
    }
    return chosen.map((description) => {
      const outcome = finished ? ACHIEVEMENT_FINAL.pick(rng) : ACHIEVEMENT_ONGOING.pick(rng)
      return chart.add<Goal>({
        resourceType: 'Goal',
        id: chart.id('goal'),
        lifecycleStatus: finished ? 'completed' : 'active',
        achievementStatus: C.coded('http://terminology.hl7.org/CodeSystem/goal-achievement', outcome[0], outcome[1]),
        description: C.text(description),
        subject: { reference: `Patient/${p.id}` },
        startDate: formatDay(Math.floor(first.start / MINUTES_PER_DAY)),
        target: [{ dueDate: formatDay(plannedEnd) }],
        expressedBy: { reference: `Patient/${p.id}` },
        ...(addresses.length ? { addresses } : {}),
      })
    })
  }

  private activities(finished: boolean): CarePlanActivity[] {
    const { rng, p } = this
    const pool = [...ACTIVITIES.general]
    if (p.hf) pool.push(...ACTIVITIES.hf)
    if (p.copd || p.asthma || p.ild || p.bronchiectasis) pool.push(...ACTIVITIES.respiratory)
    if (p.diabetes) pool.push(...ACTIVITIES.diabetes)
    const chosen = new Set<string>()
    const count = rng.int(2, 4)
    while (chosen.size < Math.min(count, pool.length)) chosen.add(rng.pick(pool))
    return [...chosen].map((description) => ({
      detail: { status: finished ? 'completed' : rng.pick(['not-started', 'in-progress', 'in-progress'] as const), description },
    }))
  }
}
