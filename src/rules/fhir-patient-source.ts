// A cql-execution PatientSource over FHIR R4 JSON bundles: cql-exec-fhir 2.2.0's PatientSource,
// Patient and FHIRObject (lib/fhir.js, Apache-2.0) ported with the same behaviour and the FHIR
// 4.0.1 model info, except for one measured cost. cql-exec-fhir's FHIRObject constructor walks
// the type's class hierarchy and defines one getter closure per element on every instance —
// including every Period, dateTime and Coding reached by a path — and that, with the garbage it
// leaves, was half the CPU of the risk stratification library (3.4 → 1.7 ms per patient on
// the benchmark's records, identical results). Here the list of getters is built once per type
// and shared. The getters stay own, enumerable properties as in cql-exec-fhir, because
// cql-execution hashes objects by their own keys (util/immutableUtil.js) for distinct and union.
import cql from 'cql-execution'
import cqlfhir from 'cql-exec-fhir'

/* eslint-disable @typescript-eslint/no-explicit-any -- the model info is untyped in cql-exec-fhir */
type ModelInfo = any
type TypeInfo = any
type TypeSpecifier = any
type Json = any

const modelInfoR4: ModelInfo = (cqlfhir.PatientSource.FHIRv401() as unknown as { _modelInfo: ModelInfo })._modelInfo

/** Per type: the descriptors of its elements' getters (its own and its base types'). */
const descriptors = new WeakMap<TypeInfo, PropertyDescriptorMap>()
const getters = new Map<string, () => unknown>()
/** Per type: _typeHierarchy(), which depends on the type only. */
const hierarchies = new WeakMap<TypeInfo, { name: string; type: string }[]>()

function descriptorsOf(typeInfo: TypeInfo, modelInfo: ModelInfo): PropertyDescriptorMap {
  let map = descriptors.get(typeInfo)
  if (map) return map
  map = {}
  for (let info = typeInfo; info != null; info = info.baseTypeSpecifier != null ? modelInfo.findClass(info.baseTypeSpecifier.fqn) : null) {
    for (const e of info.elements as { name: string }[]) {
      if (map[e.name]) continue
      let get = getters.get(e.name)
      if (!get) {
        const name = e.name
        get = function (this: FhirObject) { return this.get(name) }
        getters.set(name, get)
      }
      map[e.name] = { get, enumerable: true, configurable: true }
    }
  }
  descriptors.set(typeInfo, map)
  return map
}

export class FhirObject {
  readonly #json: Json
  readonly #typeInfo: TypeInfo
  readonly #modelInfo: ModelInfo

  constructor(json: Json, typeInfo: TypeInfo, modelInfo: ModelInfo) {
    this.#json = json
    this.#typeInfo = typeInfo
    this.#modelInfo = modelInfo
    if (typeInfo == null) return
    Object.defineProperties(this, descriptorsOf(typeInfo, modelInfo))
  }

  get(field: string): unknown {
    const json = this.#json
    if (json == null) return json
    const parts = field.split('.')
    const root = parts[0]
    const suffix = parts.length > 1 ? parts.slice(1).join('.') : undefined
    const element = this.#typeInfo.findElement(root, true) // true: explicit choices too
    if (element === undefined) return undefined
    let property: string
    let typeSpecifier: TypeSpecifier
    if (root !== element.name && element.typeSpecifier.isChoice) {
      // an explicit choice (valueQuantity): that choice only
      property = root
      typeSpecifier = element.typeSpecifier.choices.find((c: TypeSpecifier) => property === choiceName(element, c))
    } else {
      property = element.name
      typeSpecifier = element.typeSpecifier
      if (typeSpecifier.isChoice) {
        for (const choice of typeSpecifier.choices) {
          if (!choice.isNamed) continue
          const name = choiceName(element, choice)
          if (json[name] != null || json[`_${name}`] != null) {
            property = name
            typeSpecifier = choice
            break
          }
        }
      }
    }
    if (typeSpecifier.namespace === 'System') {
      if (suffix != null) return undefined // no paths into CQL system types
      return toSystemObject(json[property], typeSpecifier.name)
    }
    const data = propertyFromJson(json, property, typeSpecifier, this.#modelInfo)
    if (data == null) return data
    return toFhirObject(data, typeSpecifier, this.#modelInfo, suffix)
  }

  getId(): string {
    return this.#json.id
  }

  getCode(field: string) {
    const code = this.get(field)
    return code instanceof cql.Code ? code : toCode(code as FhirObject)
  }

  getDate(field: string) {
    const date = this.get(field) as any
    return !(date instanceof cql.DateTime) && date && date.value ? date.value : date
  }

  getInterval(field: string) {
    const ivl = this.get(field) as any
    return !(ivl instanceof cql.Interval) && ivl && ivl.value ? ivl.value : ivl
  }

  getDateOrInterval(field: string) {
    const v = this.get(field) as any
    return !(v instanceof cql.DateTime) && !(v instanceof cql.Interval) && v && v.value ? v.value : v
  }

  _is(typeSpecifier: { type: string; name: string }): boolean {
    return this.#hierarchy().some((t) => t.type === typeSpecifier.type && t.name == typeSpecifier.name)
  }

  _typeHierarchy(): { name: string; type: string }[] {
    return this.#hierarchy().map((t) => ({ ...t })) // callers may keep or change what they get
  }

  #hierarchy(): { name: string; type: string }[] {
    const info = this.#typeInfo
    if (info == null) return [{ name: '{urn:hl7-org:elm-types:r1}Any', type: 'NamedTypeSpecifier' }]
    let list = hierarchies.get(info)
    if (!list) {
      list = [info, ...info.parentClasses()].map((c: TypeInfo) => {
        const namespace = c.namespace === c.modelInfo.name ? c.modelInfo.url : c.namespace === 'System' ? 'urn:hl7-org:elm-types:r1' : c.namespace
        const name = c.name.startsWith(`${c.modelInfo.name}.`) ? c.name.slice(c.modelInfo.name.length + 1) : c.name
        return { name: `{${namespace}}${name}`, type: 'NamedTypeSpecifier' }
      })
      // everything is a System.Any (cql-exec-fhir adds it the same way)
      list.push({ name: '{urn:hl7-org:elm-types:r1}Any', type: 'NamedTypeSpecifier' })
      hierarchies.set(info, list)
    }
    return list
  }

  getTypeInfo(): TypeInfo {
    return this.#typeInfo
  }
}

class FhirPatient extends FhirObject {
  readonly #bundle: Json

  constructor(bundle: Json, modelInfo: ModelInfo) {
    const patientClass = modelInfo.patientClassIdentifier ? modelInfo.patientClassIdentifier : modelInfo.patientClassName
    const resourceType = modelInfo.patientClassName.replace(/^FHIR\./, '')
    const entry = bundle.entry.find((e: Json) => e.resource && e.resource.resourceType == resourceType)
    super(entry.resource, modelInfo.findClass(patientClass), modelInfo)
    this.#bundle = bundle
  }

  findRecord(profile: string, retrieveDetails?: { datatype?: string }) {
    return this.findRecords(profile, retrieveDetails)[0]
  }

  findRecords(profile: string, retrieveDetails?: { datatype?: string }): FhirObject[] {
    const modelInfo = modelInfoR4
    const classInfo = modelInfo.findClass(retrieveDetails?.datatype ?? profile)
    if (classInfo == null) return []
    const resourceType = classInfo.name.replace(/^FHIR\./, '')
    return (this.#bundle.entry as { resource?: Json }[])
      .filter((e) => e.resource && e.resource.resourceType == resourceType)
      .map((e) => new FhirObject(e.resource, classInfo, modelInfo))
  }
}

/** cql-exec-fhir's PatientSource.FHIRv401(), with the cheaper FhirObject; one Patient per Bundle. */
export class FhirPatientSource {
  private bundles: Json[] = []
  private index = 0

  loadBundles(bundles: Json[]): void {
    this.bundles = this.bundles.concat(bundles)
  }

  currentPatient(): FhirPatient | undefined {
    return this.index < this.bundles.length ? new FhirPatient(this.bundles[this.index], modelInfoR4) : undefined
  }

  nextPatient(): FhirPatient | undefined {
    if (this.index < this.bundles.length) this.index++
    return this.currentPatient()
  }

  reset(): void {
    this.index = 0
    this.bundles = []
  }
}

/** FHIR primitives may be split over `x` and `_x` (json.html#primitive). */
function propertyFromJson(json: Json, property: string, typeSpecifier: TypeSpecifier, modelInfo: ModelInfo): Json {
  const value = json[property]
  const extra = json[`_${property}`]
  if (value == null && extra == null) return value
  if (!isPrimitive(typeSpecifier, modelInfo)) return value
  const values = typeSpecifier.isList && Array.isArray(value) ? [...value] : [value]
  const extras = typeSpecifier.isList && Array.isArray(extra) ? [...extra] : [extra]
  while (values.length > extras.length) extras.push(undefined)
  while (extras.length > values.length) values.push(undefined)
  const data = values.map((v, i) => {
    if (v == null && extras[i] == null) return v
    const item: Json = {}
    if (typeof v !== 'undefined') item.value = v
    if (extras[i] != null) Object.assign(item, extras[i])
    return item
  })
  return typeSpecifier.isList ? data : data[0]
}

function isPrimitive(typeSpecifier: TypeSpecifier, modelInfo: ModelInfo): boolean {
  if (typeSpecifier.isNamed) {
    if (typeSpecifier.namespace === 'FHIR' && typeSpecifier.name[0].toLowerCase() === typeSpecifier.name[0]) return true
    // code elements are classes of their own with one string 'value' (e.g. GoalStatus)
    const info = modelInfo.findClass(typeSpecifier.fqn)
    if (info && info.baseTypeSpecifier && info.baseTypeSpecifier.fqn === 'FHIR.Element' && info.elements.length === 1) {
      const property = info.findElement('value')
      return property && property.typeSpecifier.fqn === 'System.String'
    }
    return false
  }
  return typeSpecifier.isList ? isPrimitive(typeSpecifier.elementType, modelInfo) : false
}

function toSystemObject(data: Json, name: string): unknown {
  if (data == null) return data
  switch (name) {
    case 'Boolean':
    case 'Integer':
    case 'String':
      return data
    case 'Decimal':
      return typeof (cql as any).Decimal?.from === 'function' ? (cql as any).Decimal.from(data) : data
    case 'DateTime':
      return cql.DateTime.parse(data.replace('Z', '+00:00'))
    case 'Date':
      return cql.DateTime.parse(data) != null ? cql.DateTime.parse(data)!.getDate() : undefined
    case 'Time': {
      const time = cql.DateTime.parse(`0000-01-01T${data.replace('Z', '+00:00')}`) as any
      time.timezoneOffset = null
      return time
    }
    default:
      return undefined // Code, Concept, Quantity are never leaves in the FHIR model info
  }
}

function toFhirObject(data: Json, typeSpecifier: TypeSpecifier, modelInfo: ModelInfo, suffix?: string): unknown {
  if (data == null) return data
  if (typeSpecifier.isNamed) {
    const object = new FhirObject(data, modelInfo.findClass(typeSpecifier.fqn), modelInfo)
    return suffix != null ? object.get(suffix) : object
  }
  if (typeSpecifier.isList) {
    if (suffix != null) return undefined
    return data.map((item: Json) => toFhirObject(item, typeSpecifier.elementType, modelInfo))
  }
  if (typeSpecifier.isInterval) {
    return new cql.Interval(toFhirObject(data.low, typeSpecifier.pointType, modelInfo), toFhirObject(data.high, typeSpecifier.pointType, modelInfo), data.lowClosed, data.highClosed)
  }
  return undefined
}

function toCode(f: any): any {
  if (f == null) return f
  if (Array.isArray(f)) return f.map(toCode)
  const typeName = f.getTypeInfo().name.replace(/^FHIR\./, '')
  if (typeName === 'CodeableConcept') {
    if (f.coding == null) return f.coding
    const codings = f.coding.map(toCode)
    return codings.length === 1 ? codings[0] : codings
  }
  if (typeName === 'Coding') {
    return new cql.Code(f.code ? f.code.value : f.code, f.system ? f.system.value : f.system, f.version ? f.version.value : f.version, f.display ? f.display.value : f.display)
  }
  if (typeName === 'code') return f.value
}

/** The JSON name of one choice of a choice element: value + Quantity → valueQuantity. */
function choiceName(element: { name: string }, choice: TypeSpecifier): string {
  const name = normalizeChoiceName(choice.name)
  return `${element.name}${name[0].toUpperCase()}${name.slice(1)}`
}

/** SimpleQuantity is serialised as Quantity (datatypes-profiles.html); cql-exec-fhir lib/util.js. */
function normalizeChoiceName(name: string): string {
  return name === 'SimpleQuantity' ? 'Quantity' : name
}
