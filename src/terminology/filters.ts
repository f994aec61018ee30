// compose.include.filter over a local CodeSystem (valueset.html#compose, filter-operator R4).
// Property `concept` (and `code`) means the hierarchy; other properties are the concept's own
// (CodeSystem.property), `display`, or the derived `parent` / `child`.
import type { ValueSetComposeIncludeFilter } from '@medplum/fhirtypes'
import { notSupported, unprocessable } from '../errors.js'
import { propertyText, type LocalCodeSystem, type LocalConcept } from './code-system.js'

const HIERARCHY = new Set(['concept', 'code'])

/** The codes of `cs` that pass the filter. `where` names the ValueSet, for messages. */
export function applyFilter(cs: LocalCodeSystem, f: ValueSetComposeIncludeFilter, where: string): Set<string> {
  const { property, op, value } = f
  if (!property || !op || value === undefined) throw unprocessable(`${where}: a filter needs property, op and value`)
  const all = [...cs.concepts.keys()]
  const known = (code: string) => {
    if (!cs.find(code)) throw unprocessable(`${where}: filter value '${code}' is not a code in ${cs.url}`)
    return cs.find(code)!.code
  }
  const list = () => value.split(',').map((v) => v.trim()).filter(Boolean)
  const where_ = (test: (c: LocalConcept) => boolean) => new Set(all.filter((code) => test(cs.concepts.get(code)!)))

  if (HIERARCHY.has(property)) {
    switch (op) {
      case 'is-a': {
        const root = known(value)
        return new Set([root, ...cs.descendants(root)])
      }
      case 'descendent-of':
        return new Set(cs.descendants(known(value)))
      case 'is-not-a': {
        const root = known(value)
        const out = new Set([root, ...cs.descendants(root)])
        return new Set(all.filter((c) => !out.has(c)))
      }
      case 'generalizes': {
        const root = known(value)
        return new Set([root, ...cs.ancestors(root)])
      }
      case '=':
        return cs.find(value) ? new Set([cs.find(value)!.code]) : new Set()
      case 'in': {
        const codes = new Set(list())
        return where_((c) => codes.has(c.code))
      }
      case 'not-in': {
        const codes = new Set(list())
        return where_((c) => !codes.has(c.code))
      }
      case 'regex': {
        const re = regex(value, where)
        return where_((c) => re.test(c.code))
      }
    }
    throw notSupported(`${where}: filter operator '${op}' is not supported on property '${property}'`)
  }

  const values = (c: LocalConcept): string[] => {
    switch (property) {
      case 'display':
        return c.display === undefined ? [] : [c.display]
      case 'definition':
        return c.definition === undefined ? [] : [c.definition]
      case 'parent':
        return [...c.parents]
      case 'child':
        return [...c.children]
      case 'inactive':
        return [String(c.inactive)]
      case 'notSelectable':
        return [String(c.abstract)]
    }
    return c.property.filter((p) => p.code === property).map(propertyText).filter((v): v is string => v !== undefined)
  }
  switch (op) {
    case '=':
      return where_((c) => values(c).includes(value))
    case 'in': {
      const wanted = new Set(list())
      return where_((c) => values(c).some((v) => wanted.has(v)))
    }
    case 'not-in': {
      const wanted = new Set(list())
      return where_((c) => !values(c).some((v) => wanted.has(v)))
    }
    case 'regex': {
      const re = regex(value, where)
      return where_((c) => values(c).some((v) => re.test(v)))
    }
    case 'exists':
      if (value !== 'true' && value !== 'false') throw unprocessable(`${where}: an 'exists' filter takes true or false, not '${value}'`)
      return where_((c) => (values(c).length > 0) === (value === 'true'))
  }
  throw notSupported(`${where}: filter operator '${op}' is not supported on property '${property}'`)
}

/** The whole value must match (as XML Schema patterns do), not a substring. */
function regex(value: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${value})$`, 'u')
  } catch {
    throw unprocessable(`${where}: '${value}' is not a valid regular expression`)
  }
}
