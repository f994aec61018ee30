// Reads process.env once, validates it, and returns a frozen typed Config. Nothing else reads env.
import { Ajv } from 'ajv'
import { readFileSync } from 'node:fs'

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
  /** memory for repeated search results, bytes (0: off); see fhir/search/result-cache.ts */
  searchCacheBytes: number
  /** a meta.profile the server does not know: 'warning' accepts the resource, 'error' rejects it (422) */
  unknownProfile: 'warning' | 'error'
  /** when the case management service works, Europe/London time, e.g. 'Mon-Fri 08:00-16:00' */
  serviceHours: string
  /** days the service is closed although serviceHours would open it (YYYY-MM-DD) */
  bankHolidays: string[]
  /** outbox delivery workers in the server process (0: none, when `casehub worker` runs apart) */
  workers: number
  outbox: {
    /** fallback poll when no NOTIFY arrives, ms */
    pollMs: number
    /** one delivery attempt's time limit, ms */
    deliveryTimeoutMs: number
    /** a claim older than this is taken to be a dead worker's and taken over, ms */
    lockTimeoutMs: number
    /** poll the receiver's copy of each delivered onward Task this often, ms (0: never) */
    statusPollMs: number
    /** attempts before an onward referral's delivery is dead-lettered */
    maxAttempts: number
  }
  /** Endpoint auth secrets by name (an Endpoint names one; the value is the Authorization header).
   *  Never logged, never stored in the database. */
  endpointSecrets: Readonly<Record<string, string>>
  /** risk stratification (issue 5): cycle length, who is proposed, which practices, threads */
  stratify: {
    cycleMonths: number
    /** the lowest tier proposed for case management */
    proposalTier: 'mild' | 'moderate' | 'severe'
    /** ODS codes of the practices whose patients are stratified; empty: the eligibility library's list */
    practices: string[]
    /** evaluation worker threads; 0: one per core */
    workers: number
    /** without Prefer: respond-async, $stratify runs synchronously for at most this many patients */
    syncLimit: number
    /** patients per batch: read together, evaluated together, committed in one transaction */
    batchSize: number
    /** how often a server looks for abandoned runs to resume, ms (0: never) */
    resumeIntervalMs: number
  }
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
    CASEHUB_SEARCH_CACHE_MB: { type: 'integer', minimum: 0, maximum: 65_536, default: 64 },
    CASEHUB_UNKNOWN_PROFILE: { enum: ['warning', 'error'], default: 'warning' },
    CASEHUB_SERVICE_HOURS: {
      type: 'string',
      pattern: '^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? ([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$',
      default: 'Mon-Fri 08:00-16:00',
    },
    CASEHUB_BANK_HOLIDAYS: { type: 'string', pattern: '^(\\d{4}-\\d{2}-\\d{2}(,\\d{4}-\\d{2}-\\d{2})*)?$', default: '' },
    CASEHUB_WORKERS: { type: 'integer', minimum: 0, maximum: 64, default: 1 },
    CASEHUB_OUTBOX_POLL_MS: { type: 'integer', minimum: 10, maximum: 600_000, default: 1000 },
    CASEHUB_DELIVERY_TIMEOUT_MS: { type: 'integer', minimum: 100, maximum: 600_000, default: 10_000 },
    CASEHUB_OUTBOX_LOCK_TIMEOUT_MS: { type: 'integer', minimum: 1000, maximum: 86_400_000, default: 300_000 },
    CASEHUB_STATUS_POLL_MS: { type: 'integer', minimum: 0, maximum: 86_400_000, default: 0 },
    CASEHUB_OUTBOX_MAX_ATTEMPTS: { type: 'integer', minimum: 1, maximum: 100, default: 8 },
    // Their values are secrets: checked by endpointSecrets(), never echoed in an error.
    CASEHUB_ENDPOINT_SECRETS: { type: 'string' },
    CASEHUB_ENDPOINT_SECRETS_FILE: { type: 'string', minLength: 1 },
    CASEHUB_STRATIFY_CYCLE_MONTHS: { type: 'integer', minimum: 1, maximum: 12, default: 3 },
    CASEHUB_STRATIFY_PROPOSAL_TIER: { enum: ['mild', 'moderate', 'severe'], default: 'moderate' },
    CASEHUB_STRATIFY_PRACTICES: { type: 'string', pattern: '^([A-Z0-9]{3,10}(,[A-Z0-9]{3,10})*)?$', default: '' },
    CASEHUB_STRATIFY_WORKERS: { type: 'integer', minimum: 0, maximum: 64, default: 0 },
    CASEHUB_STRATIFY_SYNC_LIMIT: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 1000 },
    CASEHUB_STRATIFY_BATCH_SIZE: { type: 'integer', minimum: 1, maximum: 10_000, default: 500 },
    CASEHUB_STRATIFY_RESUME_INTERVAL: { type: 'integer', minimum: 0, maximum: 86_400, default: 60 },
  },
} as const

const SECRET_VARIABLES = new Set(['CASEHUB_ENDPOINT_SECRETS'])
const SECRET_NAME = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Endpoint secrets: a JSON object {name: "Bearer …"} from CASEHUB_ENDPOINT_SECRETS or from the
 * file CASEHUB_ENDPOINT_SECRETS_FILE (both may be given; the variable wins on a name). Errors
 * name the variable and the secret's name, never its value.
 */
function endpointSecrets(env: Record<string, string | undefined>): Readonly<Record<string, string>> {
  const parse = (text: string, source: string): Record<string, string> => {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      throw new ConfigError(`Invalid configuration: ${source} is not JSON (expected {"name": "Bearer …"})`)
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`Invalid configuration: ${source} must be a JSON object of secret names to header values`)
    for (const [name, secret] of Object.entries(value)) {
      if (!SECRET_NAME.test(name)) throw new ConfigError(`Invalid configuration: ${source}: secret name ${JSON.stringify(name.slice(0, 64))} must match ${SECRET_NAME.source}`)
      if (typeof secret !== 'string' || secret.trim() === '' || /[\r\n]/.test(secret)) throw new ConfigError(`Invalid configuration: ${source}: secret ${name} must be a one-line, non-empty string`)
    }
    return value as Record<string, string>
  }
  const file = env.CASEHUB_ENDPOINT_SECRETS_FILE
  let fromFile: Record<string, string> = {}
  if (file) {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new ConfigError(`Invalid configuration: CASEHUB_ENDPOINT_SECRETS_FILE=${JSON.stringify(file)} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    fromFile = parse(text, `CASEHUB_ENDPOINT_SECRETS_FILE (${file})`)
  }
  const inline = env.CASEHUB_ENDPOINT_SECRETS ? parse(env.CASEHUB_ENDPOINT_SECRETS, 'CASEHUB_ENDPOINT_SECRETS') : {}
  return Object.freeze({ ...fromFile, ...inline })
}

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
      return SECRET_VARIABLES.has(name) ? `${name} ${e.message}` : `${name}=${JSON.stringify(env[name])} ${e.message}`
    })
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`)
  }
  const v = input as Record<string, any>
  // A claim must outlive an attempt, or a slow delivery would be taken over and sent twice.
  if (v.CASEHUB_OUTBOX_LOCK_TIMEOUT_MS <= v.CASEHUB_DELIVERY_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration: CASEHUB_OUTBOX_LOCK_TIMEOUT_MS must be greater than CASEHUB_DELIVERY_TIMEOUT_MS')
  }
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
    searchCacheBytes: v.CASEHUB_SEARCH_CACHE_MB * 1024 * 1024,
    unknownProfile: v.CASEHUB_UNKNOWN_PROFILE,
    serviceHours: v.CASEHUB_SERVICE_HOURS,
    bankHolidays: v.CASEHUB_BANK_HOLIDAYS ? String(v.CASEHUB_BANK_HOLIDAYS).split(',') : [],
    workers: v.CASEHUB_WORKERS,
    outbox: Object.freeze({ pollMs: v.CASEHUB_OUTBOX_POLL_MS, deliveryTimeoutMs: v.CASEHUB_DELIVERY_TIMEOUT_MS, lockTimeoutMs: v.CASEHUB_OUTBOX_LOCK_TIMEOUT_MS, statusPollMs: v.CASEHUB_STATUS_POLL_MS, maxAttempts: v.CASEHUB_OUTBOX_MAX_ATTEMPTS }),
    endpointSecrets: endpointSecrets(env),
    stratify: Object.freeze({
      cycleMonths: v.CASEHUB_STRATIFY_CYCLE_MONTHS,
      proposalTier: v.CASEHUB_STRATIFY_PROPOSAL_TIER,
      practices: v.CASEHUB_STRATIFY_PRACTICES ? String(v.CASEHUB_STRATIFY_PRACTICES).split(',') : [],
      workers: v.CASEHUB_STRATIFY_WORKERS,
      syncLimit: v.CASEHUB_STRATIFY_SYNC_LIMIT,
      batchSize: v.CASEHUB_STRATIFY_BATCH_SIZE,
      resumeIntervalMs: v.CASEHUB_STRATIFY_RESUME_INTERVAL * 1000,
    }),
  })
}
