// ELF32 (i386, ET_EXEC) images: header, program headers, section headers, symbols and notes.
// Pure parsing over bytes; placing segments in memory is load.ts's job.
import { LoaderError } from './errors';

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const ET_EXEC = 2;
export const EM_386 = 3;

export type SymbolType = 'notype' | 'object' | 'func' | 'section' | 'file' | 'common' | 'tls' | 'other';
export type SymbolBind = 'local' | 'global' | 'weak' | 'other';

export interface ElfSegment {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4 */
  readonly flags: number;
  readonly align: number;
}

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  readonly type: SymbolType;
  readonly bind: SymbolBind;
  /** Section index (0 = undefined, 0xfff1 = absolute). */
  readonly shndx: number;
}

export interface ElfNote {
  /** The note's namespace, e.g. "Xen" or "GNU". */
  readonly owner: string;
  readonly type: number;
  readonly desc: Uint8Array;
}

export interface ElfImage {
  readonly file: string;
  readonly bytes: Uint8Array;
  readonly entry: number;
  readonly type: number;
  readonly machine: number;
  /** Every program header. */
  readonly segments: readonly ElfSegment[];
  /** The PT_LOAD segments, in file order: what to place in memory. */
  readonly loads: readonly ElfSegment[];
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  /** Notes from PT_NOTE segments, or from SHT_NOTE sections when there are none (as Xen's libelf). */
  readonly notes: readonly ElfNote[];
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

const SYMBOL_TYPES: readonly SymbolType[] = ['notype', 'object', 'func', 'section', 'file', 'common', 'tls'];
const SYMBOL_BINDS: readonly SymbolBind[] = ['local', 'global', 'weak'];

class Reader {
  private readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  fail(detail: string): never {
    throw new LoaderError(this.file, detail);
  }
  need(offset: number, size: number, what: string): void {
    if (offset < 0 || size < 0 || offset + size > this.bytes.length) {
      this.fail(`truncated: ${what} at offset 0x${offset.toString(16)} (+0x${size.toString(16)}) is past the end of the file (0x${this.bytes.length.toString(16)} bytes)`);
    }
  }
  u8(o: number): number {
    return this.dv.getUint8(o);
  }
  u16(o: number): number {
    return this.dv.getUint16(o, true);
  }
  u32(o: number): number {
    return this.dv.getUint32(o, true);
  }
  cstring(o: number, limit: number): string {
    let end = o;
    while (end < limit && this.bytes[end] !== 0) end++;
    return new TextDecoder('latin1').decode(this.bytes.subarray(o, end));
  }
}

/** Parses an ELF32 i386 executable; throws LoaderError naming `file` for anything malformed. */
export function parseElf32(bytes: Uint8Array, file: string): ElfImage {
  const r = new Reader(bytes, file);
  if (!isElf(bytes)) r.fail('not an ELF file (bad magic)');
  r.need(0, 52, 'ELF header');
  if (r.u8(4) !== 1) r.fail(`wrong ELF class ${r.u8(4) === 2 ? 'ELFCLASS64' : r.u8(4)}: xensim loads 32-bit (ELFCLASS32) images`);
  if (r.u8(5) !== 1) r.fail('not little-endian (EI_DATA must be ELFDATA2LSB)');
  const type = r.u16(16);
  const machine = r.u16(18);
  if (machine !== EM_386) r.fail(`wrong machine ${machine}: expected EM_386 (3), an i386 image`);
  if (type !== ET_EXEC) r.fail(`wrong ELF type ${type}: expected ET_EXEC (2), a linked executable`);
  const entry = r.u32(24);
  const phoff = r.u32(28);
  const shoff = r.u32(32);
  const phentsize = r.u16(42);
  const phnum = r.u16(44);
  const shentsize = r.u16(46);
  const shnum = r.u16(48);
  const shstrndx = r.u16(50);

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < 32) r.fail(`program header size ${phentsize} is below 32`);
    r.need(phoff, phentsize * phnum, `${phnum} program headers`);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      const seg: ElfSegment = {
        type: r.u32(o),
        offset: r.u32(o + 4),
        vaddr: r.u32(o + 8),
        paddr: r.u32(o + 12),
        filesz: r.u32(o + 16),
        memsz: r.u32(o + 20),
        flags: r.u32(o + 24),
        align: r.u32(o + 28),
      };
      if (seg.type === PT_LOAD || seg.type === PT_NOTE) r.need(seg.offset, seg.filesz, `program header ${i} contents`);
      if (seg.type === PT_LOAD && seg.filesz > seg.memsz) r.fail(`program header ${i}: file size 0x${seg.filesz.toString(16)} exceeds memory size 0x${seg.memsz.toString(16)}`);
      segments.push(seg);
    }
  }
  const loads = segments.filter((s) => s.type === PT_LOAD && s.memsz > 0);
  if (loads.length === 0) r.fail('no PT_LOAD segment: nothing to load');
  checkOverlaps(r, loads);

  const sections = parseSections(r, shoff, shentsize, shnum, shstrndx);
  const symbols = parseSymbols(r, sections);
  let notes = segments.filter((s) => s.type === PT_NOTE).flatMap((s) => parseNotes(r, s.offset, s.filesz, 'PT_NOTE segment'));
  if (notes.length === 0) {
    notes = sections.filter((s) => s.type === SHT_NOTE).flatMap((s) => parseNotes(r, s.offset, s.size, `section ${s.name}`));
  }
  return { file, bytes, entry, type, machine, segments, loads, sections, symbols, notes };
}

function checkOverlaps(r: Reader, loads: readonly ElfSegment[]): void {
  for (const key of ['vaddr', 'paddr'] as const) {
    const sorted = [...loads].sort((a, b) => a[key] - b[key]);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const cur = sorted[i];
      if (prev[key] + prev.memsz > cur[key]) {
        r.fail(
          `overlapping PT_LOAD segments: ${key} 0x${prev[key].toString(16)}+0x${prev.memsz.toString(16)} and 0x${cur[key].toString(16)}+0x${cur.memsz.toString(16)}`,
        );
      }
    }
    for (const s of loads) {
      if (s[key] + s.memsz > 0x1_0000_0000) r.fail(`PT_LOAD segment at ${key} 0x${s[key].toString(16)} runs past 4 GiB`);
    }
  }
}

function parseSections(r: Reader, shoff: number, shentsize: number, shnum: number, shstrndx: number): ElfSection[] {
  if (shnum === 0 || shoff === 0) return [];
  if (shentsize < 40) r.fail(`section header size ${shentsize} is below 40`);
  r.need(shoff, shentsize * shnum, `${shnum} section headers`);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      index: i,
      nameOff: r.u32(o),
      type: r.u32(o + 4),
      flags: r.u32(o + 8),
      addr: r.u32(o + 12),
      offset: r.u32(o + 16),
      size: r.u32(o + 20),
      link: r.u32(o + 24),
      info: r.u32(o + 28),
      entsize: r.u32(o + 36),
    });
  }
  for (const s of raw) if (s.type !== SHT_NOBITS && s.type !== 0) r.need(s.offset, s.size, `section ${s.index} contents`);
  const strtab = shstrndx < raw.length ? raw[shstrndx] : undefined;
  return raw.map(({ nameOff, ...s }) => ({
    ...s,
    name: strtab && nameOff < strtab.size ? r.cstring(strtab.offset + nameOff, strtab.offset + strtab.size) : '',
  }));
}

function parseSymbols(r: Reader, sections: readonly ElfSection[]): ElfSymbol[] {
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return [];
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB) r.fail(`section ${symtab.name}: link ${symtab.link} is not a string table`);
  const entsize = symtab.entsize || 16;
  if (entsize < 16) r.fail(`section ${symtab.name}: symbol size ${entsize} is below 16`);
  const out: ElfSymbol[] = [];
  for (let o = symtab.offset; o + entsize <= symtab.offset + symtab.size; o += entsize) {
    const nameOff = r.u32(o);
    const info = r.u8(o + 12);
    out.push({
      name: nameOff < strtab.size ? r.cstring(strtab.offset + nameOff, strtab.offset + strtab.size) : '',
      value: r.u32(o + 4),
      size: r.u32(o + 8),
      type: SYMBOL_TYPES[info & 0xf] ?? 'other',
      bind: SYMBOL_BINDS[info >> 4] ?? 'other',
      shndx: r.u16(o + 14),
    });
  }
  return out;
}

const align4 = (n: number) => (n + 3) & ~3;

function parseNotes(r: Reader, offset: number, size: number, where: string): ElfNote[] {
  const out: ElfNote[] = [];
  let o = offset;
  const end = offset + size;
  while (o + 12 <= end) {
    const namesz = r.u32(o);
    const descsz = r.u32(o + 4);
    const type = r.u32(o + 8);
    const nameAt = o + 12;
    const descAt = nameAt + align4(namesz);
    if (descAt + descsz > end) r.fail(`${where}: note at offset 0x${o.toString(16)} runs past its end`);
    out.push({ owner: r.cstring(nameAt, nameAt + namesz), type, desc: r.bytes.slice(descAt, descAt + descsz) });
    o = descAt + align4(descsz);
  }
  return out;
}
