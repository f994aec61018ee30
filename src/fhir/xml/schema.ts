// What the XML form of FHIR needs from the R4 type definitions (xml.html): each type's elements
// in definition order (XML, unlike JSON, fixes the order), which repeat, their types, and how
// choice elements ([x]) are named.
import { getDataType } from '@medplum/core'

export interface XmlElement {
  /** the element name without [x] */
  name: string
  /** a choice element: its JSON/XML names are name + the type, capitalised */
  choice: boolean
  array: boolean
  types: string[]
}

export interface XmlType {
  resource: boolean
  elements: XmlElement[]
  byName: Map<string, { element: XmlElement; type: string }>
}

const NUMBERS = new Set(['integer', 'decimal', 'unsignedInt', 'positiveInt', 'integer64'])

/** FHIR primitives (lower-case type names) are written as value attributes. */
export const isPrimitive = (type: string) => type === 'xhtml' || /^[a-z]/.test(type)
export const isNumber = (type: string) => NUMBERS.has(type)

const cache = new Map<string, XmlType | undefined>()

/** The type's elements, or undefined for a name R4 does not define. */
export function xmlType(name: string): XmlType | undefined {
  if (cache.has(name)) return cache.get(name)
  let schema: ReturnType<typeof getDataType> | undefined
  try {
    schema = getDataType(name)
  } catch {
    schema = undefined
  }
  const result = schema?.elements ? build(schema) : undefined
  cache.set(name, result)
  return result
}

function build(schema: ReturnType<typeof getDataType>): XmlType {
  const elements: XmlElement[] = []
  const byName = new Map<string, { element: XmlElement; type: string }>()
  for (const [key, def] of Object.entries(schema.elements)) {
    const choice = key.endsWith('[x]')
    const element: XmlElement = {
      name: choice ? key.slice(0, -3) : key,
      choice,
      array: def.isArray || def.max === Infinity || (typeof def.max === 'number' && def.max > 1),
      types: (def.type ?? []).map((t) => t.code),
    }
    elements.push(element)
    if (choice) for (const type of element.types) byName.set(choiceName(element.name, type), { element, type })
    else byName.set(element.name, { element, type: element.types[0] ?? 'string' })
  }
  return { resource: schema.kind === 'resource', elements, byName }
}

/** valueQuantity, valueString … (formats.html#choice) */
export const choiceName = (name: string, type: string) => name + type[0].toUpperCase() + type.slice(1)
