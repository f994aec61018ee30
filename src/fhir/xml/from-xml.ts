// FHIR XML → FHIR JSON (R4 xml.html, json.html), the inverse of to-xml.ts. The document is
// parsed with saxes (strict, namespace-aware; no DTDs, so no entity expansion attacks) into a
// small tree, then read against the R4 type definitions: repeating elements become arrays,
// primitive values take their JSON types, ids and extensions of primitives go under `_name`,
// and the narrative's div is kept as XHTML text. Problems are 400s naming where they are.
import { SaxesParser, type SaxesTagNS } from 'saxes'
import { badRequest } from '../../errors.js'
import { FHIR_NS } from './to-xml.js'
import { isNumber, isPrimitive, xmlType } from './schema.js'
import { MAX_DEPTH } from '../validation/preflight.js'

const XHTML_NS = 'http://www.w3.org/1999/xhtml'

interface Node {
  name: string
  uri: string
  attributes: Record<string, string>
  children: Node[]
  /** the element's own XHTML text, for the narrative div */
  xhtml?: string
  text: string
}

type Json = Record<string, any>

export function fromXml(xml: string): Json {
  const root = parse(xml)
  return resource(root, root.name)
}

/** Elements deeper than this cannot make a resource within the JSON nesting limit (preflight.ts MAX_DEPTH). */
const MAX_XML_DEPTH = 2 * MAX_DEPTH

function parse(xml: string): Node {
  const parser = new SaxesParser({ xmlns: true })
  const stack: Node[] = []
  let root: Node | undefined
  let xhtmlDepth = 0
  let raw = ''
  parser.on('doctype', () => {
    throw badRequest('XML with a DOCTYPE is not accepted')
  })
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (xhtmlDepth > 0 || (tag.uri === XHTML_NS && tag.local === 'div')) {
      // the narrative: written back out as XHTML text, namespace declared on the div
      const attrs = Object.values(tag.attributes)
        .filter((a) => a.prefix !== 'xmlns' && a.name !== 'xmlns')
        .map((a) => ` ${a.name}="${escapeAttr(a.value)}"`)
        .join('')
      raw += `<${tag.local}${xhtmlDepth === 0 ? ` xmlns="${XHTML_NS}"` : ''}${attrs}${tag.isSelfClosing ? '/>' : '>'}`
      if (!tag.isSelfClosing) xhtmlDepth++
      else if (xhtmlDepth === 0) finishDiv(tag)
      return
    }
    const attributes: Record<string, string> = {}
    for (const a of Object.values(tag.attributes)) if (!a.prefix && a.name !== 'xmlns') attributes[a.local] = a.value
    const node: Node = { name: tag.local, uri: tag.uri, attributes, children: [], text: '' }
    // refused here, before the recursive reading of the tree could run out of stack
    if (stack.length >= MAX_XML_DEPTH) throw badRequest(`The XML is nested too deeply: more than ${MAX_XML_DEPTH} levels of elements`)
    if (stack.length) stack[stack.length - 1].children.push(node)
    else root = node
    if (!tag.isSelfClosing) stack.push(node)
  })
  const finishDiv = (tag: SaxesTagNS) => {
    stack[stack.length - 1]?.children.push({ name: tag.local, uri: XHTML_NS, attributes: {}, children: [], xhtml: raw, text: '' })
    raw = ''
  }
  parser.on('closetag', (tag: SaxesTagNS) => {
    if (xhtmlDepth > 0) {
      if (tag.isSelfClosing) return // written whole at its opening
      raw += `</${tag.local}>`
      xhtmlDepth--
      if (xhtmlDepth === 0) finishDiv(tag)
      return
    }
    if (!tag.isSelfClosing) stack.pop()
  })
  parser.on('text', (text) => {
    if (xhtmlDepth > 0) raw += escapeText(text)
    else if (stack.length) stack[stack.length - 1].text += text
  })
  parser.on('cdata', (text) => {
    if (xhtmlDepth > 0) raw += escapeText(text)
    else if (stack.length) stack[stack.length - 1].text += text
  })
  try {
    parser.write(xml).close()
  } catch (err) {
    if ((err as { outcome?: unknown }).outcome) throw err
    throw badRequest(`Body is not well-formed XML: ${(err as Error).message}`)
  }
  if (!root) throw badRequest('The XML body holds no resource')
  return root
}

/** A resource element (the document root, or inside contained / entry.resource …). */
function resource(node: Node, path: string): Json {
  const type = xmlType(node.name)
  if (node.uri !== FHIR_NS) throw badRequest(`<${node.name}> is not in the FHIR namespace ${FHIR_NS}`, path)
  if (!type?.resource) throw badRequest(`<${node.name}> is not an R4 resource type`, path)
  const out: Json = { resourceType: node.name }
  fill(out, node, node.name, path)
  return out
}

/** Reads node's child elements (and attributes, for data types) into out, as type typeName. */
function fill(out: Json, node: Node, typeName: string, path: string): void {
  const type = xmlType(typeName)!
  if (node.text.trim()) throw badRequest(`Text is not allowed directly inside <${node.name}>`, path)
  if (!type.resource) {
    if (node.attributes.id !== undefined) out.id = node.attributes.id
    if (typeName === 'Extension' && node.attributes.url !== undefined) out.url = node.attributes.url
  }
  const primitives = new Map<string, { values: unknown[]; extras: (Json | null)[] }>()
  for (const child of node.children) {
    const where = `${path}.${child.name}`
    const found = type.byName.get(child.name)
    if (!found || (child.uri !== FHIR_NS && child.uri !== XHTML_NS)) throw badRequest(`Unknown element <${child.name}> in ${typeName}`, where)
    const { element, type: childType } = found
    if (childType === 'xhtml') {
      out[child.name] = child.xhtml ?? ''
      continue
    }
    if (isPrimitive(childType)) {
      let slot = primitives.get(child.name)
      if (!slot) primitives.set(child.name, (slot = { values: [], extras: [] }))
      if (!element.array && slot.values.length) throw badRequest(`<${child.name}> may appear only once`, where)
      slot.values.push(primitiveValue(child, childType, where))
      const extra: Json = {}
      if (child.attributes.id !== undefined) extra.id = child.attributes.id
      const extensions = child.children.filter((c) => c.name === 'extension').map((c, i) => complex(c, 'Extension', `${where}.extension[${i}]`))
      if (child.children.length !== extensions.length) throw badRequest(`<${child.name}> may hold only extensions`, where)
      if (extensions.length) extra.extension = extensions
      slot.extras.push(Object.keys(extra).length ? extra : null)
      continue
    }
    const value =
      childType === 'Resource' ? contained(child, where) : complex(child, childType, element.array ? `${where}[${(out[child.name] ?? []).length}]` : where)
    if (element.array) (out[child.name] ??= []).push(value)
    else if (child.name in out) throw badRequest(`<${child.name}> may appear only once`, where)
    else out[child.name] = value
  }
  for (const [name, { values, extras }] of primitives) {
    const array = type.byName.get(name)!.element.array
    if (values.some((v) => v !== null)) out[name] = array ? values : values[0]
    if (extras.some((e) => e !== null)) out[`_${name}`] = array ? extras : extras[0]
  }
}

function complex(node: Node, typeName: string, path: string): Json {
  const out: Json = {}
  fill(out, node, typeName, path)
  return out
}

function contained(node: Node, path: string): Json {
  const inner = node.children
  if (inner.length !== 1 || node.text.trim()) throw badRequest(`<${node.name}> must hold exactly one resource`, path)
  return resource(inner[0], path)
}

function primitiveValue(node: Node, type: string, path: string): unknown {
  const raw = node.attributes.value
  if (raw === undefined) return null
  if (type === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw badRequest(`value must be true or false, got ${JSON.stringify(raw)}`, path)
    return raw === 'true'
  }
  if (isNumber(type)) {
    const n = Number(raw)
    if (raw.trim() === '' || !Number.isFinite(n)) throw badRequest(`value must be a number, got ${JSON.stringify(raw)}`, path)
    return n
  }
  return raw
}

const escapeText = (s: string) => s.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;')
