import { readFileSync } from 'node:fs'

/** CaseHub's version, from package.json (reported in the CapabilityStatement and `casehub --version`). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version
