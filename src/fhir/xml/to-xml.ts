// FHIR JSON → FHIR XML (R4 xml.html, json.html): elements in definition order; primitives as
// `value` attributes, with the id and extensions JSON keeps under `_name`; Element.id and
// Extension.url as attributes; resources inside resources (contained, Bundle.entry.resource,
// Parameters.parameter.resource) wrapped in their element; the narrative's div as it is.
// _pretty indents elements two spaces a level; the div stays as written.
import { choiceName, isPrimitive, xmlType } from './schema.js'

export const FHIR_NS = 'http://hl7.org/fhir'

type Json = Record<string, any>

/** Where an element starts: with _pretty, on a new line indented by its depth; else nothing. */
type Break = (depth: number) => string

const PRETTY: Break = (depth) => `\n${'  '.repeat(depth)}`
const COMPACT: Break = () => ''

/** The XML document of a resource; `pretty` (_pretty) indents it, the narrative's div apart. */
export function toXml(resource: Json, pretty = false): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${resourceXml(resource, pretty ? PRETTY : COMPACT, 0, true)}`
}

/** Resources inside the root inherit its default namespace. */
function resourceXml(resource: Json, br: Break, depth: number, root = false): string {
  const type = String(resource.resourceType)
  const children = childrenXml(resource, type, br, depth + 1)
  return `<${type}${root ? ` xmlns="${FHIR_NS}"` : ''}>${children}${children ? br(depth) : ''}</${type}>`
}

/** The child elements of a resource, data type or backbone element, in definition order. */
function childrenXml(value: Json, typeName: string, br: Break, depth: number): string {
  const type = xmlType(typeName)
  if (!type) return ''
  let out = ''
  for (const element of type.elements) {
    // Element.id and Extension.url are attributes (xml.html#1.17.1), written by the caller
    if (!type.resource && (element.name === 'id' || (typeName === 'Extension' && element.name === 'url'))) continue
    if (element.choice) {
      for (const t of element.types) {
        const key = choiceName(element.name, t)
        if (key in value || `_${key}` in value) out += elementXml(key, value[key], value[`_${key}`], t, br, depth)
      }
    } else if (element.name in value || `_${element.name}` in value) {
      out += elementXml(element.name, value[element.name], value[`_${element.name}`], element.types[0] ?? 'string', br, depth)
    }
  }
  return out
}

function elementXml(name: string, value: unknown, extra: unknown, type: string, br: Break, depth: number): string {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value]
  const extras = Array.isArray(extra) ? extra : extra === undefined ? [] : [extra]
  let out = ''
  for (let i = 0; i < Math.max(values.length, extras.length); i++) {
    const v = values[i]
    if (type === 'xhtml') out += typeof v === 'string' ? br(depth) + v : ''
    else if (isPrimitive(type)) {
      const xml = primitiveXml(name, v, extras[i] as Json | null | undefined, br, depth)
      out += xml && br(depth) + xml
    } else if (v === null || v === undefined) continue
    else if (type === 'Resource') out += `${br(depth)}<${name}>${br(depth + 1)}${resourceXml(v as Json, br, depth + 1)}${br(depth)}</${name}>`
    else {
      const obj = v as Json
      const id = typeof obj.id === 'string' ? ` id="${attr(obj.id)}"` : ''
      const url = type === 'Extension' && typeof obj.url === 'string' ? ` url="${attr(obj.url)}"` : ''
      const children = childrenXml(obj, type, br, depth + 1)
      out += br(depth) + (children ? `<${name}${id}${url}>${children}${br(depth)}</${name}>` : `<${name}${id}${url}/>`)
    }
  }
  return out
}

function primitiveXml(name: string, value: unknown, extra: Json | null | undefined, br: Break, depth: number): string {
  const id = typeof extra?.id === 'string' ? ` id="${attr(extra.id)}"` : ''
  const v = value === null || value === undefined ? '' : ` value="${attr(String(value))}"`
  const ext = extra?.extension ? elementXml('extension', extra.extension, undefined, 'Extension', br, depth + 1) : ''
  if (!id && !v && !ext) return ''
  return ext ? `<${name}${id}${v}>${ext}${br(depth)}</${name}>` : `<${name}${id}${v}/>`
}

/** Attribute text: markup characters and the whitespace an XML parser would otherwise normalise. */
function attr(s: string): string {
  // characters XML 1.0 cannot hold at all become U+FFFD
  return s.replace(/[&<>"\n\r\t]/g, (c) => ATTR_ESCAPES[c]).replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
}

const ATTR_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\n': '&#10;', '\r': '&#13;', '\t': '&#9;' }
