// Reads process.env once, validates it, and returns a frozen typed Config. Nothing else reads env.
import { Ajv } from 'ajv'

export type ReferencePolicy = 'lenient' | 'strict'

export interface Config {
  port: number
  host: string
  /** PostgreSQL connection string; absent → CaseHub starts its own embedded PostgreSQL */
  databaseUrl?: string
  dataDir: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** Largest request body accepted, in bytes */
  bodyLimit: number
  /** 'strict' rejects references to resources the server does not hold */
  referencePolicy: ReferencePolicy
  /** Public base URL of the FHIR API; derived from the Host header when absent */
  baseUrl?: string
  dbPoolSize: number
  /** a meta.profile the server does not know: 'warning' accepts the resource, 'error' rejects it (422) */
  unknownProfile: 'warning' | 'error'
  /** when the case management service works, Europe/London time, e.g. 'Mon-Fri 08:00-16:00' */
  serviceHours: string
  /** days the service is closed although serviceHours would open it (YYYY-MM-DD) */
  bankHolidays: string[]
}

const schema = {
  type: 'object',
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    CASEHUB_DATA_DIR: { type: 'string', minLength: 1, default: './.casehub' },
    LOG_LEVEL: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    CASEHUB_BODY_LIMIT: { type: 'integer', minimum: 1024, default: 64 * 1024 * 1024 },
    CASEHUB_REFERENCE_POLICY: { enum: ['lenient', 'strict'], default: 'lenient' },
    CASEHUB_BASE_URL: { type: 'string', pattern: '^https?://[^\\s]+[^/]$' },
    CASEHUB_DB_POOL_SIZE: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
    CASEHUB_UNKNOWN_PROFILE: { enum: ['warning', 'error'], default: 'warning' },
    CASEHUB_SERVICE_HOURS: {
      type: 'string',
      pattern: '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? ([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$',
      default: 'Mon-Fri 08:00-16:00',
    },
    CASEHUB_BANK_HOLIDAYS: { type: 'string', pattern: '^(\\d{4}-\\d{2}-\\d{2}(,\\d{4}-\\d{2}-\\d{2})*)?$', default: '' },
  },
} as const

/** Documented in README.md ("Configuration"); keep the two in step. */
export const configVariables = Object.keys(schema.properties)

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, unknown> = {}
  for (const key of configVariables) {
    const value = env[key]
    if (value !== undefined && value !== '') input[key] = value
  }
  const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true })
  const validate = ajv.compile(schema)
  if (!validate(input)) {
    const problems = (validate.errors ?? []).map((e) => {
      const name = e.instancePath.replace(/^\//, '')
      return `${name}=${JSON.stringify(env[name])} ${e.message}`
    })
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  }
  const v = input as Record<string, any>
  return Object.freeze({
    port: v.PORT,
    host: v.HOST,
    databaseUrl: v.DATABASE_URL,
    dataDir: v.CASEHUB_DATA_DIR,
    logLevel: v.LOG_LEVEL,
    bodyLimit: v.CASEHUB_BODY_LIMIT,
    referencePolicy: v.CASEHUB_REFERENCE_POLICY,
    baseUrl: v.CASEHUB_BASE_URL,
    dbPoolSize: v.CASEHUB_DB_POOL_SIZE,
    unknownProfile: v.CASEHUB_UNKNOWN_PROFILE,
    serviceHours: v.CASEHUB_SERVICE_HOURS,
    bankHolidays: v.CASEHUB_BANK_HOLIDAYS ? String(v.CASEHUB_BANK_HOLIDAYS).split(',') : [],
  })
}
