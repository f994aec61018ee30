#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), or the compiled one when `npm run build` has made it.
import { existsSync } from 'node:fs'
const compiled = new URL('../dist/src/cli.js', import.meta.url)
if (existsSync(compiled)) {
  await import(compiled.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../src/cli.ts', import.meta.url).href)
}
