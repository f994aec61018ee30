/**
 * Rules for narrative XHTML (Narrative.div), R4 narrative.html#xhtml:
 *
 * - the content is one `<div>` in the XHTML namespace;
 * - txt-1: only basic HTML formatting elements and attributes: no scripts,
 *   forms, frames, objects, head/body, stylesheets or event attributes
 *   (onclick, ...);
 * - txt-2: the narrative has some non-whitespace content.
 *
 * @medplum/core's htmlChecks() always returns true, so txt-1 is checked here.
 * The element and attribute lists follow the HL7 reference validator. The
 * markup is read with a small tokenizer (linear scans only, no
 * backtracking regexes).
 */

export const XHTML_NAMESPACE = 'http://www.w3.org/1999/xhtml'

const ALLOWED_ELEMENTS = new Set(
  (
    'p br div h1 h2 h3 h4 h5 h6 a span b em i strong small big tt dfn q var abbr acronym cite blockquote hr ' +
    'address bdo kbd sub sup ul ol li dl dt dd pre table caption colgroup col thead tr tfoot tbody th td code ' +
    'samp img map area'
  ).split(' '),
)

const ALLOWED_ATTRIBUTES = new Set(
  (
    'title style class id lang xml:lang xml:space dir accesskey tabindex span width align valign char charoff ' +
    'abbr axis headers scope rowspan colspan border frame rules summary cellspacing cellpadding name href type ' +
    'hreflang rel rev shape coords src alt longdesc height usemap ismap start value cite datetime xmlns'
  ).split(' '),
)

/** A problem found in narrative XHTML. */
export interface NarrativeProblem {
  /** 'txt-1' or 'txt-2' when an invariant is broken. */
  constraint?: string
  message: string
}

interface Tag {
  name: string
  closing: boolean
  selfClosing: boolean
  attributes: Map<string, string>
}

/** Parses the inside of `<...>`; undefined when it is not a well-formed tag. */
function parseTag(body: string): Tag | undefined {
  const closing = body.startsWith('/')
  const selfClosing = body.endsWith('/')
  const inner = body.slice(closing ? 1 : 0, selfClosing ? -1 : undefined)
  const nameMatch = /^[A-Za-z][\w:.-]*/.exec(inner)
  if (!nameMatch) return undefined
  const attributes = new Map<string, string>()
  let rest = inner.slice(nameMatch[0].length)
  while (rest.trim() !== '') {
    const attribute = /^\s+([^\s=/>"']+)\s*=\s*("[^"]*"|'[^']*')/.exec(rest)
    if (!attribute) return undefined
    attributes.set(attribute[1], attribute[2].slice(1, -1))
    rest = rest.slice(attribute[0].length)
  }
  if (closing && attributes.size > 0) return undefined
  return { name: nameMatch[0], closing, selfClosing, attributes }
}

/** Index of the '>' that ends a tag starting at `start`, skipping quoted values. */
function tagEnd(text: string, start: number): number {
  let quote = ''
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === quote) quote = ''
    } else if (c === '"' || c === "'") {
      quote = c
    } else if (c === '>') {
      return i
    } else if (c === '<') {
      return -1
    }
  }
  return -1
}

function checkTag(tag: Tag, isRoot: boolean): NarrativeProblem | undefined {
  const name = tag.name.includes(':') ? tag.name.slice(tag.name.indexOf(':') + 1) : tag.name
  if (!ALLOWED_ELEMENTS.has(name.toLowerCase())) {
    return { constraint: 'txt-1', message: `element <${tag.name}> is not allowed in narrative` }
  }
  for (const [attribute, value] of tag.attributes) {
    const lower = attribute.toLowerCase()
    if (lower.startsWith('xmlns')) {
      if (!isRoot || lower !== 'xmlns' || value !== XHTML_NAMESPACE) {
        return { constraint: 'txt-1', message: `namespace declaration ${attribute}="${value}" is not allowed in narrative` }
      }
      continue
    }
    if (!ALLOWED_ATTRIBUTES.has(lower)) {
      return { constraint: 'txt-1', message: `attribute ${attribute} on <${tag.name}> is not allowed in narrative` }
    }
    if ((lower === 'href' || lower === 'src') && /^\s*(javascript|vbscript):/i.test(value)) {
      return { constraint: 'txt-1', message: `script URL in ${attribute} on <${tag.name}> is not allowed in narrative` }
    }
  }
  return undefined
}

/** The first problem of a Narrative.div value, or undefined when it is valid. */
export function narrativeProblem(div: string): NarrativeProblem | undefined {
  const notDiv: NarrativeProblem = { message: `narrative must be a single <div xmlns="${XHTML_NAMESPACE}"> element` }
  const stack: string[] = []
  let seenRoot = false
  let hasContent = false
  let i = 0
  while (i < div.length) {
    const lt = div.indexOf('<', i)
    const text = div.slice(i, lt === -1 ? div.length : lt)
    if (text.trim() !== '') {
      if (stack.length === 0) return notDiv
      hasContent = true
    }
    if (lt === -1) break
    if (div.startsWith('<!--', lt)) {
      const end = div.indexOf('-->', lt + 4)
      if (end === -1) return { message: 'unterminated comment in narrative' }
      i = end + 3
      continue
    }
    if (div.startsWith('<![CDATA[', lt)) {
      const end = div.indexOf(']]>', lt + 9)
      if (end === -1 || stack.length === 0) return { message: 'invalid CDATA section in narrative' }
      if (div.slice(lt + 9, end).trim() !== '') hasContent = true
      i = end + 3
      continue
    }
    if (div[lt + 1] === '!' || div[lt + 1] === '?') {
      return { constraint: 'txt-1', message: 'declarations and processing instructions are not allowed in narrative' }
    }
    const gt = tagEnd(div, lt + 1)
    const tag = gt === -1 ? undefined : parseTag(div.slice(lt + 1, gt))
    if (!tag) return { message: 'narrative is not well-formed XHTML' }
    i = gt + 1
    if (tag.closing) {
      if (stack.pop() !== tag.name) return { message: `narrative is not well-formed XHTML: unexpected </${tag.name}>` }
      continue
    }
    const isRoot = stack.length === 0
    if (isRoot) {
      if (seenRoot || tag.name !== 'div' || tag.attributes.get('xmlns') !== XHTML_NAMESPACE) return notDiv
      seenRoot = true
    }
    const problem = checkTag(tag, isRoot)
    if (problem) return problem
    if (tag.name.toLowerCase() === 'img') hasContent = true
    if (!tag.selfClosing) stack.push(tag.name)
  }
  if (!seenRoot) return notDiv
  if (stack.length > 0) return { message: `narrative is not well-formed XHTML: <${stack[stack.length - 1]}> is not closed` }
  if (!hasContent) return { constraint: 'txt-2', message: 'the narrative SHALL have some non-whitespace content' }
  return undefined
}
