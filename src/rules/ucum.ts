// The UCUM service the translator needs for quantity and duration literals (`12 months`):
// without one it fails with "No default UCUM service available" (cql-spike.md §6.2).
import ucumPkg from '@lhncbc/ucum-lhc'
import { createUcumService } from '@cqframework/cql/cql-to-elm'

export function ucumService(): ReturnType<typeof createUcumService> {
  const ucum = ucumPkg.UcumLhcUtils.getInstance()
  return createUcumService(
    (value: string, from: string, to: string) => {
      const r = ucum.convertUnitTo(from, Number(value), to)
      if (r.status !== 'succeeded' || r.toVal === null) throw new Error(`cannot convert ${value} '${from}' to '${to}'`)
      return String(r.toVal)
    },
    (unit: string) => (ucum.validateUnitString(unit).status === 'valid' ? null : `invalid UCUM unit '${unit}'`),
    () => {
      throw new Error('UCUM quantity arithmetic is not supported by the translator service')
    },
    () => {
      throw new Error('UCUM quantity arithmetic is not supported by the translator service')
    },
  )
}
