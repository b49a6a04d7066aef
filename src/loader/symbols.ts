// Address ↔ name lookups over an image's symbols, for stacks, breakpoints and disassembly.
import { ElfImage, ElfSymbol } from './elf';

/** An address range [start, end) symbols may describe (an image's loaded segments). */
export interface AddressRange {
  readonly start: number;
  readonly end: number;
}

export interface SymbolAt {
  readonly symbol: ElfSymbol;
  /** Bytes from the symbol's start: `pv_console_write+0x14`. */
  readonly offset: number;
}

export class SymbolMap {
  private readonly byName = new Map<string, ElfSymbol>();
  /** Code and data symbols sorted by address, for nearest-preceding lookups. */
  private readonly sorted: ElfSymbol[];

  /** `ranges`: where unsized symbols (assembly labels) may reach; unbounded when omitted. */
  constructor(
    symbols: readonly ElfSymbol[],
    private readonly ranges?: readonly AddressRange[],
  ) {
    const useful = symbols.filter((s) => s.name !== '' && s.shndx !== 0 && s.type !== 'file' && s.type !== 'section');
    // Globals win over locals of the same name, as a linker resolves them.
    for (const s of useful) if (!this.byName.has(s.name) || s.bind === 'global') this.byName.set(s.name, s);
    this.sorted = useful
      .filter((s) => s.shndx !== 0xfff1)
      .sort((a, b) => a.value - b.value || Number(b.type === 'func') - Number(a.type === 'func'));
  }

  /** The symbols of an image, bounded by its PT_LOAD segments (virtual addresses). */
  static fromImage(image: ElfImage): SymbolMap {
    return new SymbolMap(
      image.symbols,
      image.loads.map((s) => ({ start: s.vaddr, end: s.vaddr + s.memsz })),
    );
  }

  lookup(name: string): ElfSymbol | undefined {
    return this.byName.get(name);
  }

  /** The symbol covering `addr` (within its size, or the nearest before it if it has none). */
  at(addr: number): SymbolAt | undefined {
    if (this.ranges && !this.ranges.some((r) => addr >= r.start && addr < r.end)) return undefined;
    let lo = 0;
    let hi = this.sorted.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.sorted[mid].value <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Several symbols may share an address; prefer the first sized one covering addr.
    for (let i = best; i >= 0 && i > best - 8; i--) {
      const s = this.sorted[i];
      if (s.size > 0 ? addr < s.value + s.size : i === best) return { symbol: s, offset: addr - s.value };
    }
    return undefined;
  }

  /** `name+0x14`, or hex when nothing covers the address. */
  format(addr: number): string {
    const hit = this.at(addr);
    if (!hit) return `0x${addr.toString(16)}`;
    return hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+0x${hit.offset.toString(16)}`;
  }

  get size(): number {
    return this.byName.size;
  }
}
