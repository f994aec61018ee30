// Links between a transaction's entries beyond Reference.reference (http.html#trules): "Servers
// SHALL replace all matching links in the bundle, whether they are found in the resource ids,
// resource references, elements of type uri, url, oid, uuid, and <a href="" & <img src="" in the
// narrative." Only urn:uuid and urn:oid fullUrls are replaced here: a RESTful fullUrl may equal a
// resource's own canonical url, which must stay as written.
import { crawlTypedValue, matchesSearchRequest, parseSearchRequest, toTypedValue, type TypedValue } from '@medplum/core'
import type { Resource } from '@medplum/fhirtypes'
import { badRequest } from '../errors.js'

const LINK_TYPES = new Set(['uri', 'url', 'oid', 'uuid'])
const URN = /^urn:(uuid|oid):/

/** Replaces, in place, uri/url/oid/uuid values and narrative links naming a urn fullUrl of `links`. */
export function rewriteLinks(resource: Resource, links: Map<string, string>): void {
  const urns = urnsOf(links)
  if (urns.size === 0) return
  rewriteNarratives(resource as unknown as Record<string, unknown>, urns)
  // the typed walk costs ~0.5 ms a resource: only for one holding such a value outside a reference
  if (!holdsLinkValue(resource, urns)) return
  crawlTypedValue(toTypedValue(resource), {
    visitProperty: (parent, key, _path, values) => {
      const holder = parent.value as Record<string, unknown>
      for (const value of values.flat() as TypedValue[]) {
        if (!LINK_TYPES.has(value.type) || typeof value.value !== 'string') continue
        const mapped = urns.get(value.value)
        if (!mapped) continue
        // a choice element's JSON key carries its type: value[x] → valueUri
        const jsonKey = key.endsWith('[x]') ? key.slice(0, -3) + value.type[0].toUpperCase() + value.type.slice(1) : key
        const current = holder[jsonKey]
        if (Array.isArray(current)) holder[jsonKey] = current.map((item) => (item === value.value ? mapped : item))
        else if (current === value.value) holder[jsonKey] = mapped
      }
    },
  })
}

/** The urn:uuid / urn:oid entries of a transaction's links, worked out once per transaction. */
const urnMaps = new WeakMap<Map<string, string>, Map<string, string>>()
function urnsOf(links: Map<string, string>): Map<string, string> {
  let urns = urnMaps.get(links)
  if (!urns) {
    urns = new Map([...links].filter(([fullUrl]) => URN.test(fullUrl)))
    urnMaps.set(links, urns)
  }
  return urns
}

/** Whether any string outside a Reference.reference equals one of the urns (an untyped walk). */
function holdsLinkValue(resource: Resource, urns: Map<string, string>): boolean {
  const stack: unknown[] = [resource]
  while (stack.length) {
    const node = stack.pop()
    if (Array.isArray(node)) {
      for (const item of node) {
        if (typeof item === 'string') {
          if (urns.has(item)) return true
        } else if (item && typeof item === 'object') stack.push(item)
      }
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (typeof value === 'string') {
          if (key !== 'reference' && urns.has(value)) return true
        } else if (value && typeof value === 'object') stack.push(value)
      }
    }
  }
  return false
}

/** <a href> and <img src> in text.div, in the resource and in contained ones. */
function rewriteNarratives(resource: Record<string, unknown>, urns: Map<string, string>) {
  const text = resource.text as { div?: unknown } | undefined
  if (text && typeof text.div === 'string') {
    text.div = text.div.replace(/\b(href|src)\s*=\s*(["'])(urn:(?:uuid|oid):[^"']+)\2/g, (whole, attr, quote, urn) => {
      const mapped = urns.get(urn)
      return mapped ? `${attr}=${quote}${mapped}${quote}` : whole
    })
  }
  for (const contained of (resource.contained as Record<string, unknown>[] | undefined) ?? []) rewriteNarratives(contained, urns)
}

/**
 * Whether `resource` meets `Type?criteria`, evaluated in memory (@medplum/core's matcher): a
 * conditional reference may name a resource the same transaction writes (http.html#trules
 * resolves conditional references after the creates and updates).
 */
export function meetsCriteria(resource: Resource, criteria: string): boolean {
  if (!matchableInMemory(criteria)) {
    throw badRequest(`Conditional reference ${criteria} uses a parameter that cannot be matched against the resources of this Bundle (chains, _has, _filter, _text, _content, _list, _query)`)
  }
  try {
    return matchesSearchRequest(resource, parseSearchRequest(criteria))
  } catch {
    return false
  }
}

/** Criteria of plain parameters, which @medplum/core's matcher evaluates (it answers false for others). */
function matchableInMemory(criteria: string): boolean {
  const query = criteria.slice(criteria.indexOf('?') + 1)
  return [...new URLSearchParams(query).keys()].every((name) => !name.includes('.') && !/^_(has|filter|text|content|list|query)\b/.test(name))
}
