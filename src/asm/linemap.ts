/**
 * Address ↔ source line, both directions: the debugger maps a stop address to a line and a
 * line breakpoint to the addresses of the bytes that line produced.
 */
export interface LineMapEntry {
  address: number;
  size: number;
  file: string;
  line: number;
}

export class LineMap {
  /** sorted by address; entries never overlap */
  readonly entries: readonly LineMapEntry[];
  /** built on first use: assembling on every keystroke seldom asks for it */
  private byLine: Map<string, LineMapEntry[]> | undefined;

  constructor(entries: LineMapEntry[]) {
    this.entries = entries.filter((e) => e.size > 0).sort((a, b) => a.address - b.address);
  }

  /** The line whose bytes contain `address`, or undefined. */
  lookup(address: number): LineMapEntry | undefined {
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = this.entries[mid];
      if (address < e.address) hi = mid - 1;
      else if (address >= e.address + e.size) lo = mid + 1;
      else return e;
    }
    return undefined;
  }

  /** Start addresses of every run of bytes the line produced (several for a macro or %rep). */
  addresses(file: string, line: number): number[] {
    if (!this.byLine) {
      this.byLine = new Map();
      for (const e of this.entries) {
        const key = `${e.file}\0${e.line}`;
        const list = this.byLine.get(key);
        if (list) list.push(e);
        else this.byLine.set(key, [e]);
      }
    }
    return (this.byLine.get(`${file}\0${line}`) ?? []).map((e) => e.address);
  }
}
