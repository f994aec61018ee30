// $lookup (codesystem-operation-lookup.html, R4): name, version, display, designations and
// properties of a code of a local CodeSystem, including `parent` and `child` for hierarchies.
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes'
import type { LocalCodeSystem, LocalConcept } from './code-system.js'

/** `properties`: the `property` input parameters; empty = everything. */
export function lookupConcept(cs: LocalCodeSystem, concept: LocalConcept, properties: string[] = []): Parameters {
  const wants = (p: string) => properties.length === 0 || properties.includes(p)
  const parameter: ParametersParameter[] = [{ name: 'name', valueString: cs.resource.name ?? cs.resource.title ?? cs.url }]
  if (cs.version) parameter.push({ name: 'version', valueString: cs.version })
  parameter.push({ name: 'display', valueString: concept.display ?? concept.code })
  if (wants('designation')) {
    for (const d of concept.designation) {
      const part: ParametersParameter[] = []
      if (d.language) part.push({ name: 'language', valueCode: d.language })
      if (d.use) part.push({ name: 'use', valueCoding: d.use })
      part.push({ name: 'value', valueString: d.value })
      parameter.push({ name: 'designation', part })
    }
  }
  const property = (code: string, value: Omit<ParametersParameter, 'name'>) => {
    if (wants(code)) parameter.push({ name: 'property', part: [{ name: 'code', valueCode: code }, { name: 'value', ...value }] })
  }
  if (concept.definition) property('definition', { valueString: concept.definition })
  for (const p of concept.parents) property('parent', { valueCode: p })
  for (const c of concept.children) property('child', { valueCode: c })
  if (concept.inactive) property('inactive', { valueBoolean: true })
  for (const p of concept.property) {
    const { code, ...value } = p
    if (code) property(code, value as Omit<ParametersParameter, 'name'>)
  }
  return { resourceType: 'Parameters', parameter }
}
