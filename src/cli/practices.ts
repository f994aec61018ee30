// `casehub load-practices`: the open GP practices of Trafford and Manchester (NHS England ODS
// epraccur, embedded in src/generate/gp-practices-data.ts) as Organizations with their ODS codes.
// One transaction of update-as-create entries with the stable ids gp-<ODS>, through the same
// Bundle code as the API and `casehub load`, so running it again replaces rather than duplicates.
import type { Bundle, Organization } from '@medplum/fhirtypes'
import { writeFile } from 'node:fs/promises'
import { bundle } from '../fhir/interactions/bundle.js'
import type { InteractionContext } from '../fhir/types.js'
import { gpPractices, practiceOrganization } from '../generate/practices.js'
import { Progress } from './progress.js'

export interface PracticesSummary {
  practices: number
  byBorough: Record<string, number>
}

/** A transaction Bundle that creates or replaces every practice Organization (PUT Organization/gp-<ODS>). */
export function practicesBundle(): Bundle<Organization> {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: gpPractices().map((p) => ({
      resource: practiceOrganization(p),
      request: { method: 'PUT', url: `Organization/${p.id}` },
    })),
  }
}

export function summary(): PracticesSummary {
  const byBorough: Record<string, number> = {}
  for (const p of gpPractices()) byBorough[p.borough] = (byBorough[p.borough] ?? 0) + 1
  return { practices: gpPractices().length, byBorough }
}

export function formatSummary(s: PracticesSummary, verb: string): string {
  const parts = Object.entries(s.byBorough).map(([b, n]) => `${b} ${n}`).join(', ')
  return `${verb} ${s.practices} GP practices as Organizations (${parts})\n`
}

export async function loadPractices(ctx: InteractionContext, out: NodeJS.WriteStream = process.stderr): Promise<PracticesSummary> {
  const body = practicesBundle()
  const progress = new Progress(body.entry!.length, 'practices', out)
  const response = await bundle({ method: 'POST', path: '', query: {}, body, headers: { prefer: 'return=minimal' } }, ctx, {})
  const entries = (response.body as { entry?: { response?: { status?: string } }[] }).entry ?? []
  const failed = entries.filter((e) => !/^2/.test(e.response?.status ?? ''))
  if (failed.length) throw new Error(`${failed.length} of ${entries.length} practices failed (first: ${failed[0].response?.status})`)
  progress.tick(entries.length, entries.length)
  progress.finish()
  return summary()
}

export async function writePracticesBundle(file: string): Promise<PracticesSummary> {
  await writeFile(file, JSON.stringify(practicesBundle(), null, 2) + '\n')
  return summary()
}
