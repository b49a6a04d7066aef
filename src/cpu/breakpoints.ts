/**
 * The linear addresses run() stops before (a debugger's instruction breakpoints; the CPU does not
 * know whose). Kept as one bitmap per 4 KiB page, so the run loop pays one compare per
 * instruction while it stays on a page without breakpoints and one bit test on a page with
 * them, however many are armed. `gen` moves whenever the set changes: compiled blocks, which are
 * cut before any breakpoint they would contain, compare it to know when to look again.
 */
import { FRAME_SHIFT } from './platform';

const EMPTY: readonly number[] = [];

export class BreakpointSet implements Iterable<number> {
  /** page number → one bit per byte offset */
  private readonly pages = new Map<number, Uint8Array>();
  private readonly addrs = new Set<number>();
  /** Bumped on every change. */
  gen = 0;
  /** The list last given to assign, while nothing else changed the set (its owner does not mutate it). */
  private assigned: ReadonlyArray<number> | undefined;

  get size(): number {
    return this.addrs.size;
  }

  has(lin: number): boolean {
    const bits = this.pages.get(lin >>> FRAME_SHIFT);
    return bits !== undefined && testBit(bits, lin);
  }

  /** The bitmap of a page (test with `testBit`), or undefined when it holds no breakpoint. */
  page(pageNumber: number): Uint8Array | undefined {
    return this.pages.get(pageNumber);
  }

  add(lin: number): this {
    const a = lin >>> 0;
    if (this.addrs.has(a)) return this;
    this.addrs.add(a);
    this.assigned = undefined;
    const pg = a >>> FRAME_SHIFT;
    let bits = this.pages.get(pg);
    if (!bits) this.pages.set(pg, (bits = new Uint8Array(512)));
    bits[(a & 0xfff) >>> 3] |= 1 << (a & 7);
    this.gen++;
    return this;
  }

  delete(lin: number): boolean {
    const a = lin >>> 0;
    if (!this.addrs.delete(a)) return false;
    this.assigned = undefined;
    const pg = a >>> FRAME_SHIFT;
    const bits = this.pages.get(pg)!;
    bits[(a & 0xfff) >>> 3] &= ~(1 << (a & 7));
    if (bits.every((b) => b === 0)) this.pages.delete(pg);
    this.gen++;
    return true;
  }

  clear(): void {
    this.assigned = undefined;
    if (this.addrs.size === 0) return;
    this.addrs.clear();
    this.pages.clear();
    this.gen++;
  }

  /**
   * Makes the set exactly `list`, which holds no address twice; `gen` moves only on a change.
   * A caller re-arming before every run costs one lookup per address, or nothing when it passes
   * the same array again (which it must then not have changed).
   */
  assign(list: ReadonlyArray<number> = EMPTY): void {
    if (list === this.assigned) return;
    let same = list.length === this.addrs.size;
    for (let i = 0; i < list.length && same; i++) same = this.addrs.has(list[i] >>> 0);
    if (!same) {
      this.clear();
      for (const a of list) this.add(a);
    }
    this.assigned = list;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.addrs[Symbol.iterator]();
  }
}

/** Whether `lin`'s bit is set in its page's bitmap. */
export function testBit(bits: Uint8Array, lin: number): boolean {
  return ((bits[(lin & 0xfff) >>> 3] >>> (lin & 7)) & 1) !== 0;
}
