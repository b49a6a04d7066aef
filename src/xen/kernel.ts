/**
 * A PV kernel as the domain builder needs it: its loadable bytes at virtual addresses, entry,
 * virtual base, hypercall page and the source-level ImageInfo for the debugger. Three forms:
 * an ELF32 with Xen notes, a NASM source assembled on load (with guest/include on the include
 * path), or a flat binary placed at the virtual base.
 */
import * as fs from 'fs';
import * as path from 'path';
import { assemble, formatDiagnostic, LineMap as AsmLineMap } from '../asm';
import { isElf, parseElf32, decodeXenNotes, SymbolMap, LineMap as DwarfLineMap, LoaderError, XenNotes } from '../loader';
import type { ImageInfo } from './inspect';

export interface KernelSegment {
  vaddr: number;
  data: Uint8Array;
  memsz: number;
}

export interface Kernel {
  file: string;
  segments: KernelSegment[];
  entry: number;
  virtBase: number;
  hypercallPage?: number;
  notes?: XenNotes;
  image: ImageInfo;
}

export class KernelError extends Error {}

/** Default virtual base (and load address) of flat images: XTF's and Xen's PV convention. */
export const FLAT_BASE = 0x100000;

/** The folder holding guest/include (searched upwards from this module: src/xen or dist). */
export function guestIncludeDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const cand = path.join(dir, 'guest', 'include');
    if (fs.existsSync(path.join(cand, 'xen.inc'))) return cand;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..', 'guest', 'include');
}

export function loadKernel(file: string): Kernel {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new KernelError(`${file}: cannot read kernel (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (/\.(asm|nasm|s)$/i.test(file)) return fromAsm(file, Buffer.from(bytes).toString('utf8'));
  if (isElf(bytes)) return fromElf(file, bytes);
  return fromFlat(file, bytes);
}

function fromAsm(file: string, source: string): Kernel {
  const r = assemble(source, {
    file,
    includePaths: [guestIncludeDir()],
    readFile: (p) => {
      const full = path.resolve(path.dirname(file), p);
      try {
        return fs.readFileSync(fs.existsSync(full) ? full : p, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
  if (r.errors.length) throw new KernelError(r.errors.map((d) => formatDiagnostic(d)).join('\n'));
  const sym = (n: string) => r.symbols.find((s) => s.name === n && s.kind !== 'equ');
  const origin = r.origin;
  const entry = sym('_start')?.address ?? sym('start')?.address ?? origin;
  const hp = sym('hypercall_page')?.address;
  const symbols = r.symbols.filter((s) => s.kind !== 'equ').sort((a, b) => a.address - b.address);
  return {
    file,
    segments: [{ vaddr: origin, data: r.image, memsz: r.image.length }],
    entry,
    virtBase: 0,
    hypercallPage: hp,
    image: asmImage(r.lineMap, symbols.map((s) => ({ name: s.name, address: s.address })), file),
  };
}

function asmImage(lines: AsmLineMap, symbols: { name: string; address: number }[], file: string): ImageInfo {
  const files = [...new Set(lines.entries.map((e) => path.resolve(e.file)))];
  if (!files.length) files.push(path.resolve(file));
  return {
    lineAt: (gva) => {
      const e = lines.lookup(gva);
      return e ? { file: path.resolve(e.file), line: e.line } : undefined;
    },
    addressesOf: (f, line) => {
      const out: number[] = [];
      for (const e of lines.entries) if (e.line === line && (e.file === f || path.resolve(e.file) === path.resolve(f))) out.push(e.address);
      return out;
    },
    symbolAt: (gva) => {
      let best: { name: string; address: number } | undefined;
      for (const s of symbols) if (s.address <= gva && (!best || s.address >= best.address)) best = s;
      return best;
    },
    symbolAddress: (name) => symbols.find((s) => s.name === name)?.address,
    files: () => files,
  };
}

function fromElf(file: string, bytes: Uint8Array): Kernel {
  let elf;
  try {
    elf = parseElf32(bytes, file);
  } catch (e) {
    if (e instanceof LoaderError) throw new KernelError(e.message);
    throw e;
  }
  const notes = decodeXenNotes(elf.notes, file);
  if (notes.paeMode !== undefined && !/yes|bimodal/.test(notes.paeMode)) {
    throw new KernelError(`${file}: XEN_ELFNOTE_PAE_MODE is '${notes.paeMode}'; xensim builds 32-bit PAE guests only`);
  }
  const virtBase = notes.virtBase ?? 0;
  const symbols = SymbolMap.fromImage(elf);
  let lines: DwarfLineMap | undefined;
  try {
    lines = DwarfLineMap.fromImage(elf);
  } catch {
    lines = undefined;
  }
  const image: ImageInfo = {
    lineAt: (gva) => {
      const l = lines?.at(gva);
      return l ? { file: l.file, line: l.line } : undefined;
    },
    addressesOf: (f, line) => lines?.addressesOf(f, line) ?? [],
    symbolAt: (gva) => {
      const s = symbols.at(gva);
      return s ? { name: s.symbol.name, address: s.symbol.value } : undefined;
    },
    symbolAddress: (name) => symbols.lookup(name)?.value,
    files: () => lines?.files() ?? [],
  };
  return {
    file,
    segments: elf.loads.map((s) => ({ vaddr: s.vaddr, data: elf.bytes.subarray(s.offset, s.offset + s.filesz), memsz: s.memsz })),
    entry: notes.entry ?? elf.entry,
    virtBase,
    hypercallPage: notes.hypercallPage,
    notes,
    image,
  };
}

function fromFlat(file: string, bytes: Uint8Array): Kernel {
  if (bytes.length === 0) throw new KernelError(`${file}: empty kernel image`);
  return {
    file,
    segments: [{ vaddr: FLAT_BASE, data: bytes, memsz: bytes.length }],
    entry: FLAT_BASE,
    virtBase: 0,
    image: asmImage(new AsmLineMap([]), [], file),
  };
}
