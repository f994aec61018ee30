// CaseHub as the benchmark runs it: startServer(loadConfig(...)) exactly as `casehub start`
// does, over the database run.ts prepared. Started by run.ts (node --import tsx
// bench/serve-casehub.ts) with BENCH_DATABASE_URL, BENCH_POOL_SIZE and BENCH_SEARCH_CACHE_MB
// (default 64, as CaseHub's own); reports its port over IPC.
import { loadConfig } from '../src/config.js'
import { startServer } from '../src/server.js'
import { serveChild } from './child.js'

const server = await startServer(
  loadConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: process.env.BENCH_DATABASE_URL,
    CASEHUB_DB_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? '10',
    CASEHUB_SEARCH_CACHE_MB: process.env.BENCH_SEARCH_CACHE_MB ?? '64',
  }),
)
const address = server.app.server.address()
serveChild(typeof address === 'object' && address ? address.port : 0, () => server.close())
