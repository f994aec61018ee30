// Shared pieces of the search suites: fixtures written through the API as one transaction, and
// table rows of "query → the ids that must match" run as tap subtests. Each suite file groups a
// few areas, each area on a server and database of its own: a file (a process) pays the server
// start-up (~10 s of CPU loading definitions) once, a further server in it costs far less.
import type { Resource } from '@medplum/fhirtypes'
import type { TestServer } from '../../helpers/test-server.js'

export interface Row {
  /** what the row shows; the spec section is appended */
  name: string
  /** [type]?query, relative to the FHIR base */
  query: string
  /** ids of the matches (search.mode = match); `Type/id` when the search spans several types */
  expect: string[]
  /**
   * the order of `expect` matters (a _sort row); an element "a|b" stands for ids whose order
   * among themselves the spec leaves open (equal sort values), in consecutive places
   */
  ordered?: boolean
  /** a known bug: the row still runs; its failing match assertion is reported as TODO, not a failure */
  todo?: string
}

interface Tap {
  test(name: string, opts: { todo?: string }, fn: (t: any) => Promise<void>): Promise<unknown>
}

/** Writes the resources with their own ids (PUT, update-as-create) in one transaction. */
export async function putAll(hub: TestServer, resources: Resource[]): Promise<void> {
  const body = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  }
  const res = await hub.fetch('', {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
    body: JSON.stringify(body),
  })
  if (res.status !== 200) throw new Error(`fixture transaction failed: ${res.status} ${await res.text()}`)
}

export async function searchBundle(hub: TestServer, path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await hub.fetch(path, init)
  return { status: res.status, body: await res.json() }
}

/** The ids of the matches, in Bundle order; throws unless the search answers 200. */
export async function matchIds(hub: TestServer, path: string, qualified = false, init?: RequestInit): Promise<string[]> {
  const { status, body } = await searchBundle(hub, path, init)
  if (status !== 200) throw new Error(`${path} answered ${status}: ${JSON.stringify(body)}`)
  return entriesOf(body, 'match').map((e: any) => (qualified ? `${e.resource.resourceType}/${e.resource.id}` : e.resource.id))
}

export function entriesOf(bundle: any, mode: 'match' | 'include' | 'outcome'): any[] {
  return (bundle.entry ?? []).filter((e: any) => e.search?.mode === mode)
}

/**
 * One subtest per row: the matches are exactly `expect` (as a set, or in order). A row with
 * `todo` still runs; its failing assertions are reported as TODO and do not fail the suite.
 */
export async function runTable(t: Tap, hub: TestServer, anchor: string, rows: Row[]): Promise<void> {
  for (const row of rows) {
    await t.test(`${row.name}: ${readable(row.query)} (search.html#${anchor})`, {}, async (t: any) => {
      const extra = row.todo ? { todo: row.todo } : {}
      const { status, body } = await searchBundle(hub, row.query)
      if (status !== 200) return t.fail(`answered ${status}: ${JSON.stringify(body)}`, extra)
      const qualified = row.expect.some((id) => id.includes('/'))
      const got = entriesOf(body, 'match').map((e: any) => (qualified ? `${e.resource.resourceType}/${e.resource.id}` : e.resource.id))
      const shown = row.todo ? ` (got ${got.join(', ') || 'none'})` : ''
      if (row.ordered) t.same(inGroups(got, row.expect), row.expect.map(group), `matches in this order${shown}`, extra)
      else t.same([...got].sort(), [...row.expect].sort(), `exactly these matches${shown}`, extra)
      t.equal(new Set(got).size, got.length, 'each match once')
    })
  }
}

const group = (g: string) => g.split('|').sort().join('|')

/** `got` cut into the sizes of the expected groups ("a|b" is a group of two), each sorted. */
function inGroups(got: string[], expected: string[]): string[] {
  const out: string[] = []
  let at = 0
  for (const g of expected) {
    const size = g.split('|').length
    out.push(group(got.slice(at, at + size).join('|')))
    at += size
  }
  if (at < got.length) out.push(...got.slice(at))
  return out
}

export const enc = encodeURIComponent

/** The query as a person writes it, for test names. */
export function readable(query: string): string {
  try {
    return decodeURIComponent(query)
  } catch {
    return query
  }
}
