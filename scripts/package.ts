// `npm run package`: builds the FHIR NPM package of profiles/ and terminology/
// (src/conformance/fhir-package.ts) as dist/casehub.fhir-<version>.tgz.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_NAME, ROOT, buildPackage } from '../src/conformance/fhir-package.js'

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const out = join(ROOT, 'dist', `${PACKAGE_NAME}-${version}.tgz`)
mkdirSync(join(ROOT, 'dist'), { recursive: true })
const bytes = buildPackage(version)
writeFileSync(out, bytes)
process.stdout.write(`${out} (${bytes.length} bytes)\n`)
