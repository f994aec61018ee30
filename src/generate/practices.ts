// Organizations of the synthetic population: the current GP practices of Trafford and Manchester
// (ODS epraccur rows with StatusCode A and PrescribingSetting 4, i.e. open GP practices), the
// acute trust, the case management team and the services it refers on to.
import type { Organization } from '@medplum/fhirtypes'
import { MANCHESTER_CSV, TRAFFORD_CSV } from './gp-practices-data.js'
import { postcodeDistrict, type Borough } from './places.js'

export const ODS_SYSTEM = 'https://fhir.nhs.uk/Id/ods-organization-code'
const ORG_TYPE = 'http://terminology.hl7.org/CodeSystem/organization-type'

export interface Practice {
  ods: string
  name: string
  borough: Borough
  postcode: string
  district: string
  lines: string[]
  phone?: string
  /** Organization resource id */
  id: string
}

/** Parses CSV with double-quoted fields ("" inside quotes is a quote). Rows as arrays of strings. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') row.push(field), (field = '')
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field || row.length) row.push(field), rows.push(row)
  return rows
}

function practicesOf(csv: string, borough: Borough): Practice[] {
  const [header, ...rows] = parseCsv(csv)
  const col = (name: string) => {
    const i = header.indexOf(name)
    if (i < 0) throw new Error(`GP practice data has no ${name} column`)
    return i
  }
  const [code, name, status, setting, postcode, phone] = [
    col('OrganisationCode'), col('Name'), col('StatusCode'), col('PrescribingSetting'), col('Postcode'), col('ContactTelephoneNumber'),
  ]
  const lineCols = [1, 2, 3, 4, 5].map((n) => col(`AddressLine${n}`))
  return rows
    .filter((r) => r.length === header.length && r[status] === 'A' && r[setting] === '4')
    .map((r) => ({
      ods: r[code],
      name: r[name],
      borough,
      postcode: r[postcode],
      district: postcodeDistrict(r[postcode]),
      lines: lineCols.map((i) => r[i]).filter(Boolean),
      phone: r[phone] || undefined,
      id: `gp-${r[code]}`,
    }))
    .sort((a, b) => (a.ods < b.ods ? -1 : a.ods > b.ods ? 1 : 0))
}

let cached: Practice[] | undefined

/** Open GP practices, Trafford's first, each borough in ODS code order. */
export function gpPractices(): Practice[] {
  cached ??= [...practicesOf(TRAFFORD_CSV, 'Trafford'), ...practicesOf(MANCHESTER_CSV, 'Manchester')]
  return cached
}

export function practiceOrganization(p: Practice): Organization {
  const org: Organization = {
    resourceType: 'Organization',
    id: p.id,
    identifier: [{ system: ODS_SYSTEM, value: p.ods }],
    active: true,
    type: [{ coding: [{ system: ORG_TYPE, code: 'prov', display: 'Healthcare Provider' }], text: 'GP practice' }],
    name: p.name,
  }
  if (p.phone) org.telecom = [{ system: 'phone', value: p.phone, use: 'work' }]
  org.address = [{ use: 'work', type: 'both', line: p.lines, postalCode: p.postcode, country: 'GB' }]
  return org
}

/** Ids of the organisations that are not GP practices. */
export const ORG = {
  trust: 'trust-R0A',
  caseManagement: 'cmt-trafford',
  socialPrescribing: 'svc-social-prescribing',
  communityTherapy: 'svc-community-therapy',
  districtNursing: 'svc-district-nursing',
  crisisResponse: 'svc-crisis-response',
  nhs111: 'svc-nhs-111',
} as const

const team = (id: string, name: string, text: string): Organization => ({
  resourceType: 'Organization',
  id,
  active: true,
  type: [{ coding: [{ system: ORG_TYPE, code: 'team', display: 'Organizational team' }], text }],
  name,
})

/** The hospital trust (real ODS code), the case management team and the onward services (synthetic, no ODS codes). */
export function serviceOrganizations(): Organization[] {
  return [
    {
      resourceType: 'Organization',
      id: ORG.trust,
      identifier: [{ system: ODS_SYSTEM, value: 'R0A' }],
      active: true,
      type: [{ coding: [{ system: ORG_TYPE, code: 'prov', display: 'Healthcare Provider' }], text: 'Acute trust' }],
      name: 'Manchester University NHS Foundation Trust',
    },
    team(ORG.caseManagement, 'Trafford Case Management Team', 'Community case management for long-term conditions'),
    team(ORG.socialPrescribing, 'Trafford Social Prescribing Service', 'Social prescribing'),
    team(ORG.communityTherapy, 'Trafford Community Therapy Service', 'Community physiotherapy and occupational therapy'),
    team(ORG.districtNursing, 'Trafford District Nursing Service', 'District nursing'),
    team(ORG.crisisResponse, 'Trafford Community Crisis Response Team', 'Urgent community response'),
    team(ORG.nhs111, 'NHS 111 (North West)', 'NHS 111'),
  ]
}
