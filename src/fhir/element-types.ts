// Element definitions by FHIR type name (@medplum/core's R4 type schema), and choice elements
// (formats.html#choice: value[x] is written valueQuantity, valueString …).
import { getDataType, type InternalSchemaElement } from '@medplum/core'

/** The element `name` (or the choice `name[x]`) of a type; undefined for an unknown type or name. */
export function elementOf(type: string | undefined, name: string): InternalSchemaElement | undefined {
  if (!type) return undefined
  try {
    const elements = getDataType(type).elements
    return Object.hasOwn(elements, name) ? elements[name] : Object.hasOwn(elements, `${name}[x]`) ? elements[`${name}[x]`] : undefined
  } catch {
    return undefined
  }
}

/** Each way a JSON key may split into a choice element's name and a type: fastingStatusCodeableConcept → fasting, fastingStatus. */
export function choicePrefixes(key: string): string[] {
  const out: string[] = []
  for (let i = 1; i < key.length; i++) if (key[i] >= 'A' && key[i] <= 'Z') out.push(key.slice(0, i))
  return out
}

/** A key such as deceasedDateTime read as the choice element it writes (deceased) and its type (dateTime). */
export function choiceKey(type: string | undefined, key: string): { base: string; type: string } | undefined {
  for (const base of choicePrefixes(key)) {
    const element = elementOf(type, base)
    const suffix = key.slice(base.length).toLowerCase()
    const match = element && element.type.length > 1 ? element.type.find((t) => t.code.toLowerCase() === suffix) : undefined
    if (match) return { base, type: match.code }
  }
  return undefined
}
