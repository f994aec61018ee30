// The FHIR 4.0.1 model info (CQL §"Using Models", modelinfo.xsd) that cql-exec-fhir ships: the
// translator resolves FHIR types from it and FHIRHelpers is generated from its conversionInfo.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

let xml: string | undefined

export function fhirModelInfoXml(): string {
  xml ??= readFileSync(createRequire(import.meta.url).resolve('cql-exec-fhir/lib/modelInfos/fhir-modelinfo-4.0.1.xml'), 'utf8')
  return xml
}

export interface Conversion {
  functionName: string
  fromType: string
  toType: string
}

/** The implicit conversions the model declares (<conversionInfo>), in file order. */
export function conversions(): Conversion[] {
  const out: Conversion[] = []
  // Attribute values may hold '>' (toType="Interval&lt;System.DateTime>"), so quoted runs are skipped whole.
  for (const m of fhirModelInfoXml().matchAll(/<conversionInfo\s+((?:[^>"]|"[^"]*")*?)\/?>/g)) {
    const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(m[1])?.[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    const [functionName, fromType, toType] = [attr('functionName'), attr('fromType'), attr('toType')]
    if (functionName && fromType && toType) out.push({ functionName, fromType, toType })
  }
  return out
}
