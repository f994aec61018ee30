// Content negotiation (http.html#mime-type, #general-parameters: _format, _pretty) and the
// _summary / _elements views (search.html#summary, #elements).
import { getDataType } from '@medplum/core'
import { choiceKey, choicePrefixes } from './element-types.js'
import { backboneAt, childPath } from './summary-elements.js'
import { badRequest, notAcceptable, unsupportedMediaType } from '../errors.js'

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir', 'json', 'text/json'])
const XML_TYPES = new Set(['application/fhir+xml', 'application/xml', 'application/xml+fhir', 'xml', 'text/xml'])

export type WireFormat = 'json' | 'xml'

/**
 * The format of the response (http.html#mime-type): `_format` overrides Accept; among the
 * Accept types the highest q wins, JSON on a tie or a wildcard. Throws 406 for neither.
 */
export function negotiate(accept: string | undefined, format: string | undefined): WireFormat {
  if (format !== undefined) {
    const f = format.split(';')[0].trim().toLowerCase()
    if (JSON_TYPES.has(f)) return 'json'
    if (XML_TYPES.has(f)) return 'xml'
    throw notAcceptable(`_format=${format} is not supported; this server speaks application/fhir+json and application/fhir+xml`)
  }
  if (!accept) return 'json'
  let best: { format: WireFormat; q: number } | undefined
  let otherVersion = false
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase())
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? 1)
    const format = JSON_TYPES.has(type) || type === '*/*' || type === 'application/*' ? 'json' : XML_TYPES.has(type) ? 'xml' : undefined
    if (!r4(params)) otherVersion = true
    else if (format && q > 0 && (!best || q > best.q)) best = { format, q }
  }
  if (!best && otherVersion) throw notAcceptable(`Cannot produce ${accept}: this server speaks FHIR R4 only (fhirVersion=4.0)`)
  if (!best) throw notAcceptable(`Cannot produce ${accept}; this server speaks application/fhir+json and application/fhir+xml`)
  return best.format
}

/** A media type's fhirVersion parameter, when given, must name R4 (versioning.html#mt-version: 4.0). */
function r4(params: string[]): boolean {
  const version = params.find((p) => p.replace(/\s/g, '').startsWith('fhirversion='))?.split('=')[1]?.trim().replace(/"/g, '')
  return version === undefined || version === '4.0' || version === '4.0.1'
}

/** The response format for an error answered before or outside negotiation: never throws. */
export function errorFormat(accept: string | undefined, format: string | undefined): WireFormat {
  try {
    return negotiate(accept, format)
  } catch {
    return 'json'
  }
}

export const isXmlType = (contentType: string | undefined) => XML_TYPES.has((contentType ?? '').split(';')[0].trim().toLowerCase())

/** A FHIR JSON or XML media type (application/fhir+json, application/xml, …), parameters aside. */
export const isFhirType = (contentType: string | undefined) => {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase()
  return type.includes('/') && (JSON_TYPES.has(type) || XML_TYPES.has(type))
}

/** Throws 415 unless a request body is FHIR JSON or XML (or JSON Patch / a search form where allowed). */
export function checkContentType(contentType: string | undefined, allowed: string[]): void {
  const [type, ...params] = (contentType ?? '').split(';').map((s) => s.trim().toLowerCase())
  if (!r4(params)) throw unsupportedMediaType(`Content-Type ${JSON.stringify(contentType)} names another FHIR version; this server speaks FHIR R4 (fhirVersion=4.0)`)
  if (allowed.includes(type)) return
  if ((JSON_TYPES.has(type) || XML_TYPES.has(type)) && allowed.includes('application/fhir+json')) return
  throw unsupportedMediaType(
    `Content-Type ${JSON.stringify(contentType ?? '')} is not supported here; use ${allowed.join(' or ')}`,
  )
}

export type SummaryMode = 'true' | 'text' | 'data' | 'count' | 'false'

export function summaryMode(value: string | undefined): SummaryMode | undefined {
  if (value === undefined) return undefined
  if (['true', 'text', 'data', 'count', 'false'].includes(value)) return value as SummaryMode
  throw badRequest(`_summary must be one of true, text, data, count, false; got ${JSON.stringify(value)}`, '_summary')
}

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' }

/** Applies _summary / _elements to one resource (returns a new object; the input is untouched). */
export function subset(resource: Record<string, any>, mode: SummaryMode | undefined, elements: string[] | undefined) {
  if ((!mode || mode === 'false') && !elements) return resource
  const type = resource.resourceType as string
  let keep: (key: string) => boolean
  if (elements) {
    // search.html#elements: "Servers SHOULD always return mandatory elements whether they are requested or not"
    const wanted = new Set(elements)
    keep = (key) => wanted.has(key) || wanted.has(choiceBase(key, type) ?? '') || isMandatory(type, choiceBase(key, type) ?? key)
  } else if (mode === 'text') {
    keep = (key) => key === 'text' || key === 'id' || key === 'meta' || isMandatory(type, key)
  } else if (mode === 'data') {
    keep = (key) => key !== 'text'
  } else {
    const summary = summaryProperties(type)
    keep = (key) => summary.has(key) || summary.has(choiceBase(key, type) ?? '')
  }
  const out: Record<string, any> = { resourceType: type }
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'resourceType') continue
    // _birthDate (a primitive's id and extensions) goes with birthDate (json.html#primitive)
    const name = key.startsWith('_') ? key.slice(1) : key
    if (name === 'id' || name === 'meta' || keep(name)) out[key] = mode === 'true' && !elements ? backboneSummary(value, `${type}.${name}`) : value
  }
  out.meta = { ...(out.meta ?? {}), tag: [...(out.meta?.tag ?? []), SUBSETTED] }
  return out
}

/** Within a backbone element, only its summary children (and theirs, recursively). */
function backboneSummary(value: any, path: string): any {
  const backbone = backboneAt(path)
  if (!backbone || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((item) => backboneSummary(item, path))
  const out: Record<string, any> = {}
  for (const [key, child] of Object.entries(value)) {
    const name = key.startsWith('_') ? key.slice(1) : key
    const element = backbone.summary.has(name) ? name : choicePrefixes(name).map((b) => `${b}[x]`).find((c) => backbone.summary.has(c))
    if (element) out[key] = backboneSummary(child, childPath(path, element))
  }
  return out
}

function summaryProperties(type: string): Set<string> {
  try {
    return getDataType(type).summaryProperties ?? new Set()
  } catch {
    return new Set()
  }
}

function isMandatory(type: string, key: string): boolean {
  try {
    return getDataType(type).mandatoryProperties?.has(key) ?? false
  } catch {
    return false
  }
}

/** valueQuantity → value, deceasedBoolean → deceased (choice elements, formats.html#choice) */
const choiceBase = (key: string, type: string) => choiceKey(type, key)?.base
