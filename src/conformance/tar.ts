/**
 * A minimal ustar (POSIX.1-1988) writer and reader for FHIR packages, which
 * are gzipped tarballs (packages.html). Only regular files are written and
 * read; node's zlib does the gzip. Written here rather than adding the `tar`
 * package as a dependency: a package needs ~60 lines of it.
 */

export interface TarEntry {
  name: string
  data: Buffer
}

const BLOCK = 512
/** A fixed modification time (2024-01-01T00:00:00Z), so the same inputs give the same bytes. */
const MTIME = 1704067200

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, Math.min(Buffer.byteLength(value), length), 'utf8')
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeString(header, offset, length, value.toString(8).padStart(length - 1, '0') + '\0')
}

/** Splits a long name into ustar's prefix (155) and name (100) fields. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name]
  const slash = name.lastIndexOf('/', 155)
  if (slash <= 0 || Buffer.byteLength(name.slice(slash + 1)) > 100) throw new Error(`File name too long for tar: ${name}`)
  return [name.slice(0, slash), name.slice(slash + 1)]
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK)
  const [prefix, name] = splitName(entry.name)
  writeString(block, 0, 100, name)
  writeOctal(block, 100, 8, 0o644)
  writeOctal(block, 108, 8, 0)
  writeOctal(block, 116, 8, 0)
  writeOctal(block, 124, 12, entry.data.length)
  writeOctal(block, 136, 12, MTIME)
  block.fill(' ', 148, 156) // the checksum is computed with its own field as spaces
  writeString(block, 156, 1, '0')
  writeString(block, 257, 6, 'ustar\0')
  writeString(block, 263, 2, '00')
  writeString(block, 345, 155, prefix)
  let sum = 0
  for (const byte of block) sum += byte
  writeString(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
  return block
}

export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    parts.push(header(entry), entry.data)
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK
    if (padding) parts.push(Buffer.alloc(padding))
  }
  parts.push(Buffer.alloc(BLOCK * 2)) // end of archive: two zero blocks
  return Buffer.concat(parts)
}

function readString(block: Buffer, offset: number, length: number): string {
  const raw = block.subarray(offset, offset + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end === -1 ? length : end).toString('utf8')
}

/** Reads the regular files of a tar archive; checks each header's checksum. */
export function readTar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = []
  let offset = 0
  while (offset + BLOCK <= archive.length) {
    const block = archive.subarray(offset, offset + BLOCK)
    if (block.every((byte) => byte === 0)) break
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]
    if (sum !== parseInt(readString(block, 148, 8).trim(), 8)) throw new Error(`Bad tar header checksum at ${offset}`)
    const size = parseInt(readString(block, 124, 12).trim() || '0', 8)
    const prefix = readString(block, 345, 155)
    const name = readString(block, 0, 100)
    const type = readString(block, 156, 1)
    const data = archive.subarray(offset + BLOCK, offset + BLOCK + size)
    if (type === '0' || type === '') entries.push({ name: prefix ? `${prefix}/${name}` : name, data: Buffer.from(data) })
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK
  }
  return entries
}
