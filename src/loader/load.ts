// Places an image in memory through a writer the caller supplies (the domain builder writes
// into a domain's frames); the loader knows nothing about domains.
import { ElfImage, ElfSegment } from './elf';
import { LoaderError } from './errors';

/** Writes `data` at `addr` in whatever address space the caller chose. */
export type MemoryWriter = (addr: number, data: Uint8Array) => void;

export interface PlacedSegment {
  /** Where it was written (the address `place` returned). */
  readonly addr: number;
  readonly filesz: number;
  readonly memsz: number;
  readonly flags: number;
  readonly segment?: ElfSegment;
}

export interface LoadOptions {
  /** Chooses each segment's destination; default: its physical address (p_paddr). */
  readonly place?: (seg: ElfSegment) => number;
}

/** Writes every PT_LOAD segment (file bytes, then zeros up to p_memsz). */
export function loadElf(image: ElfImage, write: MemoryWriter, opts: LoadOptions = {}): PlacedSegment[] {
  const place = opts.place ?? ((s: ElfSegment) => s.paddr);
  const out: PlacedSegment[] = [];
  for (const seg of image.loads) {
    const addr = place(seg);
    if (seg.filesz > 0) write(addr, image.bytes.subarray(seg.offset, seg.offset + seg.filesz));
    if (seg.memsz > seg.filesz) write(addr + seg.filesz, new Uint8Array(seg.memsz - seg.filesz));
    out.push({ addr, filesz: seg.filesz, memsz: seg.memsz, flags: seg.flags, segment: seg });
  }
  return out;
}

/** A flat binary placed at `base` (its first byte is also its entry point). */
export function loadFlat(bytes: Uint8Array, base: number, write: MemoryWriter, file: string): PlacedSegment {
  if (bytes.length === 0) throw new LoaderError(file, 'empty image');
  if (base < 0 || base + bytes.length > 0x1_0000_0000) {
    throw new LoaderError(file, `flat image of 0x${bytes.length.toString(16)} bytes does not fit at 0x${base.toString(16)}`);
  }
  write(base, bytes);
  return { addr: base, filesz: bytes.length, memsz: bytes.length, flags: 7 };
}
