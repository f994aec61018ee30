// The _filter expression grammar (search_filter.html, R4 "Formal grammar for the syntax") → a
// tree of comparisons joined by and / or / not(…), each part carrying its character position so
// that a mistake is reported where it is. Hand-written rather than @medplum/core's
// parseFilterParameter: that one reads `a and b or c` as `a and (b or c)` (the spec says left to
// right, no precedence), has no positions in its errors and borrows the FHIRPath lexer, which
// splits unquoted values such as http://loinc.org|1234-5 at FHIRPath operators.
import { badRequest, type FhirError } from '../../errors.js'

/** search_filter.html#ops: every operation the grammar names; which apply depends on the parameter type. */
export const FILTER_OPERATORS = new Set([
  'eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le', 'ap', 'sa', 'eb', 'pr', 'po', 'ss', 'sb', 'in', 'ni', 're',
])

/** One name of a parameter path (`subject.name` has two), with its 0-based offset. */
export interface PathPart {
  name: string
  at: number
}

export type FilterNode =
  | { kind: 'compare'; path: PathPart[]; op: string; opAt: number; value: string; valueAt: number }
  | { kind: 'and' | 'or'; nodes: FilterNode[] }
  | { kind: 'not'; node: FilterNode }

/** Bounds that keep a hostile expression from costing more than a page of SQL. */
const MAX_DEPTH = 32
const MAX_COMPARISONS = 100

/** A 400 naming _filter, with the 1-based character position in the expression. */
export function filterError(message: string, at: number): FhirError {
  return badRequest(`_filter: ${message} (at character ${at + 1})`, '_filter')
}

const NAME_START = /[A-Za-z_]/
const NAME_CHAR = /[A-Za-z0-9_-]/
const SPACE = /\s/

export function parseFilter(text: string): FilterNode {
  const p = new Parser(text)
  p.skipSpace()
  if (p.atEnd()) throw filterError('the expression is empty', 0)
  const node = p.expression(0)
  p.skipSpace()
  if (!p.atEnd()) {
    const what = p.peek() === ')' ? 'a ")" with no "(" before it' : `unexpected ${JSON.stringify(p.word())}; expected "and", "or" or the end`
    throw filterError(what, p.pos)
  }
  return node
}

class Parser {
  pos = 0
  private comparisons = 0
  constructor(private readonly text: string) {}

  atEnd = () => this.pos >= this.text.length
  peek = () => this.text[this.pos]
  skipSpace() {
    while (!this.atEnd() && SPACE.test(this.peek())) this.pos++
  }

  /** The run of non-space characters at pos (for messages), at most 30 of them. */
  word(): string {
    let end = this.pos
    while (end < this.text.length && !SPACE.test(this.text[end]) && end - this.pos < 30) end++
    return this.text.slice(this.pos, end)
  }

  /** A keyword (and, or, not) at pos, ending at a space, a parenthesis or the end. */
  private keyword(kw: string): boolean {
    const end = this.pos + kw.length
    if (this.text.slice(this.pos, end).toLowerCase() !== kw) return false
    return end >= this.text.length || SPACE.test(this.text[end]) || this.text[end] === '('
  }

  /** search_filter.html: "Logical expressions are evaluated left to right, with no precedence between and and or". */
  expression(depth: number): FilterNode {
    if (depth > MAX_DEPTH) throw filterError(`parentheses and not(…) are nested more than ${MAX_DEPTH} deep`, this.pos)
    let left = this.operand(depth)
    for (;;) {
      const save = this.pos
      this.skipSpace()
      const op = this.keyword('and') ? 'and' : this.keyword('or') ? 'or' : undefined
      if (!op) {
        this.pos = save
        return left
      }
      this.pos += op.length
      const right = this.operand(depth)
      // a and b and c stays one list; a or b and c is (a or b) and c
      if ((left.kind === 'and' || left.kind === 'or') && left.kind === op) left = { kind: op, nodes: [...left.nodes, right] }
      else left = { kind: op, nodes: [left, right] }
    }
  }

  private operand(depth: number): FilterNode {
    this.skipSpace()
    if (this.atEnd()) throw filterError('the expression ends where a comparison, "(" or "not(" was expected', this.pos)
    if (this.peek() === '(') {
      const open = this.pos++
      const inner = this.expression(depth + 1)
      this.close(open)
      return inner
    }
    if (this.keyword('not')) {
      const at = this.pos
      this.pos += 3
      this.skipSpace()
      if (this.peek() !== '(') throw filterError('"not" must be followed by a parenthesised filter: not(…)', at)
      const open = this.pos++
      const inner = this.expression(depth + 1)
      this.close(open)
      return { kind: 'not', node: inner }
    }
    return this.comparison()
  }

  private close(open: number) {
    this.skipSpace()
    if (this.peek() !== ')') {
      if (this.atEnd()) throw filterError('the "(" here is never closed', open)
      throw filterError(`expected ")" or "and"/"or", found ${JSON.stringify(this.word())}`, this.pos)
    }
    this.pos++
  }

  /** paramExp = paramPath SP compareOp SP compValue */
  private comparison(): FilterNode {
    if (++this.comparisons > MAX_COMPARISONS) throw filterError(`more than ${MAX_COMPARISONS} comparisons`, this.pos)
    const path = this.path()
    this.requireSpace('an operator')
    const opAt = this.pos
    let end = this.pos
    while (end < this.text.length && /[A-Za-z]/.test(this.text[end])) end++
    const op = this.text.slice(this.pos, end).toLowerCase()
    if (!op) throw filterError(`expected an operator (eq, ne, co, sw, …), found ${JSON.stringify(this.word())}`, opAt)
    if (!FILTER_OPERATORS.has(op)) throw filterError(`unknown operator ${JSON.stringify(op)}`, opAt)
    this.pos = end
    this.requireSpace('a value')
    const valueAt = this.pos
    const value = this.peek() === '"' ? this.jsonString() : this.token()
    return { kind: 'compare', path, op, opAt, value, valueAt }
  }

  private requireSpace(next: string) {
    const before = this.pos
    this.skipSpace()
    if (this.atEnd()) throw filterError(`the expression ends where ${next} was expected`, this.pos)
    if (before === this.pos) throw filterError(`expected a space and then ${next}, found ${JSON.stringify(this.word())}`, this.pos)
  }

  /** paramPath = paramName ("." paramName)*; the name[filter] form is refused. */
  private path(): PathPart[] {
    const parts: PathPart[] = []
    for (;;) {
      const at = this.pos
      if (this.atEnd() || !NAME_START.test(this.peek())) {
        throw filterError(`expected a search parameter name, found ${JSON.stringify(this.word()) || 'nothing'}`, at)
      }
      while (!this.atEnd() && NAME_CHAR.test(this.peek())) this.pos++
      parts.push({ name: this.text.slice(at, this.pos), at })
      if (this.peek() === '[') throw filterError('parameter filters (name[filter].name) are not supported', this.pos)
      if (this.peek() !== '.') return parts
      this.pos++
    }
  }

  /** token = any sequence of non-whitespace characters except "]" and ")" */
  private token(): string {
    const at = this.pos
    while (!this.atEnd() && !SPACE.test(this.peek()) && this.peek() !== ')' && this.peek() !== ']') this.pos++
    if (at === this.pos) throw filterError(`expected a value, found ${JSON.stringify(this.peek())}`, at)
    return this.text.slice(at, this.pos)
  }

  /** string = json string: "…" with the JSON escapes \" \\ \/ \b \f \n \r \t \uXXXX */
  private jsonString(): string {
    const open = this.pos++
    let out = ''
    for (;;) {
      if (this.atEnd()) throw filterError('the string that starts here is never closed (")', open)
      const c = this.text[this.pos++]
      if (c === '"') return out
      if (c !== '\\') {
        out += c
        continue
      }
      const e = this.text[this.pos++]
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' }
      if (e !== undefined && e in simple) out += simple[e]
      else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos, this.pos + 4))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.pos, this.pos + 4), 16))
        this.pos += 4
      } else throw filterError(`invalid escape in a string: \\${e ?? ''} (use \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)`, this.pos - 2)
    }
  }
}
