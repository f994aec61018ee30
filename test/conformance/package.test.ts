// The FHIR NPM package (packages.html): manifest, .index.json, every profile with its snapshot
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import t from 'tap'
import { type IndexEntry, ROOT, buildPackage } from '../../src/conformance/fhir-package.js'
import { readTar, writeTar } from '../../src/conformance/tar.js'

const files = new Map(readTar(gunzipSync(buildPackage('0.1.0'))).map((e) => [e.name, e.data]))
const json = (name: string) => JSON.parse(files.get(name)!.toString('utf8'))
const resourcesIn = (dir: string) =>
  readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(ROOT, dir, f), 'utf8')))

t.test('the tar writer and reader agree, including long names', async (t) => {
  const entries = [{ name: 'package/a.json', data: Buffer.from('{}') }, { name: `package/${'d'.repeat(90)}/${'x'.repeat(60)}.json`, data: Buffer.alloc(513, 65) }]
  t.same(readTar(writeTar(entries)), entries)
  t.throws(() => writeTar([{ name: `package/${'x'.repeat(120)}.json`, data: Buffer.alloc(0) }]), /File name too long for tar/)
  t.same(buildPackage('0.1.0'), buildPackage('0.1.0'), 'the same inputs give the same bytes')
})

t.test('the manifest', async (t) => {
  const manifest = json('package/package.json')
  t.match(manifest, {
    name: 'casehub.fhir', version: '0.1.0', canonical: 'https://casehub.org/fhir', fhirVersions: ['4.0.1'],
    dependencies: { 'hl7.fhir.r4.core': '4.0.1' },
  })
  t.match(manifest.name, /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/, 'two or more lowercase namespaces, no npm scope')
})

for (const folder of ['package/', 'package/example/']) {
  t.test(`${folder}.index.json lists exactly the resources of the folder`, async (t) => {
    const index = json(`${folder}.index.json`)
    t.equal(index['index-version'], 1)
    const inFolder = [...files.keys()].filter((n) => n.startsWith(folder) && !n.slice(folder.length).includes('/'))
    const resourceFiles = inFolder.map((n) => n.slice(folder.length)).filter((n) => n !== '.index.json' && n !== 'package.json')
    t.same(index.files.map((e: IndexEntry) => e.filename).sort(), resourceFiles.sort())
    for (const entry of index.files as IndexEntry[]) {
      const resource = json(folder + entry.filename)
      t.equal(entry.filename, `${resource.resourceType}-${resource.id}.json`)
      t.same(entry, JSON.parse(JSON.stringify({
        filename: entry.filename, resourceType: resource.resourceType, id: resource.id, url: resource.url,
        version: resource.version, kind: resource.kind, type: typeof resource.type === 'string' ? resource.type : undefined,
      })), entry.filename)
    }
  })
}

t.test('every profile, extension, search parameter, named query and terminology resource is in it', async (t) => {
  for (const sd of resourcesIn('profiles/structure-definitions')) {
    const packaged = json(`package/StructureDefinition-${sd.id}.json`)
    t.same(packaged, sd, sd.id)
    t.ok(packaged.snapshot.element.length > 1 && packaged.differential.element.length > 0, `${sd.id} has its snapshot and differential`)
  }
  for (const dir of ['profiles/search-parameters', 'profiles/operation-definitions', 'terminology']) {
    for (const resource of resourcesIn(dir).filter((r) => ['SearchParameter', 'OperationDefinition', 'CodeSystem', 'ValueSet', 'ConceptMap'].includes(r.resourceType))) {
      t.same(json(`package/${resource.resourceType}-${resource.id}.json`), resource, `${resource.resourceType}/${resource.id}`)
    }
  }
  for (const example of resourcesIn('profiles/examples')) t.ok(files.has(`package/example/${example.resourceType}-${example.id}.json`), example.id)
})
