// @lhncbc/ucum-lhc ships no types; only what CaseHub calls is declared.
declare module '@lhncbc/ucum-lhc' {
  interface UcumLhcUtils {
    validateUnitString(unit: string): { status: string; msg?: string[] }
    convertUnitTo(fromUnit: string, value: number, toUnit: string): { status: string; toVal: number | null; msg?: string[] }
  }
  const ucum: { UcumLhcUtils: { getInstance(): UcumLhcUtils } }
  export default ucum
}
