// FHIR JSON → FHIR XML (R4 xml.html, json.html): elements in definition order; primitives as
// `value` attributes, with the id and extensions JSON keeps under `_name`; Element.id and
// Extension.url as attributes; resources inside resources (contained, Bundle.entry.resource,
// Parameters.parameter.resource) wrapped in their element; the narrative's div as it is.
import { choiceName, isPrimitive, xmlType } from './schema.js'

export const FHIR_NS = 'http://hl7.org/fhir'

type Json = Record<string, any>

/** The XML document of a resource (_pretty is not applied to XML: whitespace stays as it is). */
export function toXml(resource: Json): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${resourceXml(resource, true)}`
}

/** Resources inside the root inherit its default namespace. */
function resourceXml(resource: Json, root = false): string {
  const type = String(resource.resourceType)
  return `<${type}${root ? ` xmlns="${FHIR_NS}"` : ''}>${childrenXml(resource, type)}</${type}>`
}

/** The child elements of a resource, data type or backbone element, in definition order. */
function childrenXml(value: Json, typeName: string): string {
  const type = xmlType(typeName)
  if (!type) return ''
  let out = ''
  for (const element of type.elements) {
    // Element.id and Extension.url are attributes (xml.html#1.17.1), written by the caller
    if (!type.resource && (element.name === 'id' || (typeName === 'Extension' && element.name === 'url'))) continue
    if (element.choice) {
      for (const t of element.types) {
        const key = choiceName(element.name, t)
        if (key in value || `_${key}` in value) out += elementXml(key, value[key], value[`_${key}`], t)
      }
    } else if (element.name in value || `_${element.name}` in value) {
      out += elementXml(element.name, value[element.name], value[`_${element.name}`], element.types[0] ?? 'string')
    }
  }
  return out
}

function elementXml(name: string, value: unknown, extra: unknown, type: string): string {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
  const extras = Array.isArray(extra) ? extra : extra === undefined ? [] : [extra]
  let out = ''
  for (let i = 0; i < Math.max(values.length, extras.length); i++) {
    const v = values[i]
    if (type === 'xhtml') out += typeof v === 'string' ? v : ''
    else if (isPrimitive(type)) out += primitiveXml(name, v, extras[i] as Json | null | undefined)
    else if (v === null || v === undefined) continue
    else if (type === 'Resource') out += `<${name}>${resourceXml(v as Json)}</${name}>`
    else {
      const obj = v as Json
      const id = typeof obj.id === 'string' ? ` id="${attr(obj.id)}"` : ''
      const url = type === 'Extension' && typeof obj.url === 'string' ? ` url="${attr(obj.url)}"` : ''
      const children = childrenXml(obj, type)
      out += children ? `<${name}${id}${url}>${children}</${name}>` : `<${name}${id}${url}/>`
    }
  }
  return out
}

function primitiveXml(name: string, value: unknown, extra: Json | null | undefined): string {
  const id = typeof extra?.id === 'string' ? ` id="${attr(extra.id)}"` : ''
  const v = value === null || value === undefined ? '' : ` value="${attr(String(value))}"`
  const ext = extra?.extension ? elementXml('extension', extra.extension, undefined, 'Extension') : ''
  if (!id && !v && !ext) return ''
  return ext ? `<${name}${id}${v}>${ext}</${name}>` : `<${name}${id}${v}/>`
}

/** Attribute text: markup characters and the whitespace an XML parser would otherwise normalise. */
function attr(s: string): string {
  // characters XML 1.0 cannot hold at all become U+FFFD
  return s.replace(/[&<>"\n\r\t]/g, (c) => ATTR_ESCAPES[c]).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
}

const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' }
