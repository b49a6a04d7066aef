/**
 * A domain's physical-to-machine map (HVM: the EPT-like P2M; PV: the p2m list Xen keeps), as a
 * sparse two-level table: a directory of 1024-entry Int32Array leaves, each allocated when a gfn
 * in it is first mapped. An HVM domain maps RAM low and a few special pages just below 4 GiB;
 * a dense array would hold a million entries for them.
 *
 * Snapshots share leaves copy-on-write: `snapshotCopy` copies only the directory and marks every
 * leaf as shared; the next write to a shared leaf copies that leaf first. So a snapshot costs
 * the directory plus the leaves written since the previous one (nothing when the map did not
 * change: the previous snapshot's copy is shared whole), and a saved copy is never written.
 */
import type { P2mRange } from './inspect';

const LEAF_SHIFT = 10;
const LEAF_SIZE = 1 << LEAF_SHIFT;
const LEAF_MASK = LEAF_SIZE - 1;
/** 64 GiB of guest-physical space (PAE's 36 bits) in 4 KiB frames */
export const P2M_MAX_GFN = 1 << 24;
/** an unmapped gfn (a hole) */
export const P2M_INVALID = -1;

export class P2m {
  /** leaf index (gfn >> 10) → leaf; undefined: every gfn in it is a hole */
  private dir: (Int32Array | undefined)[] = [];
  /** per leaf index: 1 when this map alone holds the leaf and may write it in place */
  private owned = new Uint8Array(0);
  private mapped = 0;
  /** a saved copy: never written (restoring copies it again) */
  private frozen = false;
  /** live map: a saved copy equal to it, shared by the next snapshot; undefined once written */
  private saved: P2m | undefined;

  /** The machine frame behind `gfn` (an integer), or P2M_INVALID (-1) for a hole. */
  get(gfn: number): number {
    // a negative gfn or one past P2M_MAX_GFN finds no leaf; the bound keeps 2^32 + n off leaf 0
    const leaf = this.dir[gfn >>> LEAF_SHIFT];
    return leaf !== undefined && gfn <= 0xffffffff ? leaf[gfn & LEAF_MASK] : P2M_INVALID;
  }

  /** Map `gfn` to `mfn`; a negative mfn unmaps it. */
  set(gfn: number, mfn: number): void {
    if (!Number.isInteger(gfn) || gfn < 0 || gfn >= P2M_MAX_GFN) throw new RangeError(`internal: gfn ${gfn} out of the P2M's range`);
    if (this.frozen) throw new Error('internal: a saved P2M is written');
    const i = gfn >>> LEAF_SHIFT;
    let leaf = this.dir[i];
    const value = mfn < 0 ? P2M_INVALID : mfn;
    if (leaf === undefined) {
      if (value === P2M_INVALID) return;
      leaf = new Int32Array(LEAF_SIZE).fill(P2M_INVALID);
      this.own(i, leaf);
    } else if (!this.owned[i]) {
      if (leaf[gfn & LEAF_MASK] === value) return;
      leaf = leaf.slice();
      this.own(i, leaf);
    }
    const old = leaf[gfn & LEAF_MASK];
    if (old !== value) this.saved = undefined;
    leaf[gfn & LEAF_MASK] = value;
    this.mapped += (value >= 0 ? 1 : 0) - (old >= 0 ? 1 : 0);
  }

  /** Make `gfn` a hole. */
  unmap(gfn: number): void {
    this.set(gfn, P2M_INVALID);
  }

  /** Mapped gfns (the domain's pages in its P2M), counted as they change. */
  get pages(): number {
    return this.mapped;
  }

  /** The lowest gfn mapped to `mfn`, or -1. */
  gfnOf(mfn: number): number {
    if (mfn < 0) return -1;
    for (let i = 0; i < this.dir.length; i++) {
      const leaf = this.dir[i];
      const j = leaf === undefined ? -1 : leaf.indexOf(mfn);
      if (j >= 0) return (i << LEAF_SHIFT) + j;
    }
    return -1;
  }

  /** Unmap every gfn that maps `mfn` (a frame leaving the domain). */
  unmapMfn(mfn: number): void {
    for (let g = this.gfnOf(mfn); g >= 0; g = this.gfnOf(mfn)) this.unmap(g);
  }

  /** Every gfn a hole (the domain destroyed). Leaves shared with snapshots stay theirs. */
  clear(): void {
    if (this.frozen) throw new Error('internal: a saved P2M is written');
    this.saved = undefined;
    this.dir = [];
    this.owned = new Uint8Array(0);
    this.mapped = 0;
  }

  /** Calls `f` for each mapped gfn in gfn order. */
  forEach(f: (mfn: number, gfn: number) => void): void {
    for (let i = 0; i < this.dir.length; i++) {
      const leaf = this.dir[i];
      if (leaf === undefined) continue;
      for (let j = 0; j < LEAF_SIZE; j++) if (leaf[j] >= 0) f(leaf[j], (i << LEAF_SHIFT) + j);
    }
  }

  /** Runs of consecutive gfns backed by consecutive mfns, in gfn order; holes left out. */
  ranges(): P2mRange[] {
    const out: P2mRange[] = [];
    let last: P2mRange | undefined;
    this.forEach((mfn, gfn) => {
      if (last && last.gfn + last.count === gfn && last.mfn + last.count === mfn) last.count++;
      else out.push((last = { gfn, mfn, count: 1 }));
    });
    return out;
  }

  /**
   * Of a live map, the saved copy for a snapshot; of a saved copy, the live map restored from it.
   * The directory is copied, the leaves are shared, and neither side writes a shared leaf in
   * place again.
   */
  snapshotCopy(): P2m {
    if (!this.frozen && this.saved) return this.saved;
    const c = new P2m();
    c.dir = this.dir.slice();
    c.owned = new Uint8Array(this.dir.length);
    c.mapped = this.mapped;
    this.owned.fill(0);
    if (this.frozen) c.saved = this;
    else {
      c.frozen = true;
      this.saved = c;
    }
    return c;
  }

  /** As JSON: the runs (the directory and the sharing are how it is kept, not what it is). */
  toJSON(): P2mRange[] {
    return this.ranges();
  }

  /** Entries in the directory (for measuring what snapshots hold). */
  get directorySize(): number {
    return this.dir.length;
  }

  /** The allocated leaves (for measuring what snapshots hold). */
  leaves(): readonly Int32Array[] {
    return this.dir.filter((l): l is Int32Array => l !== undefined);
  }

  /** The map of a dense list (gfn → mfn; negative entries are holes). */
  static from(list: ArrayLike<number>): P2m {
    const m = new P2m();
    for (let g = 0; g < list.length; g++) if (list[g] >= 0) m.set(g, list[g]);
    return m;
  }

  private own(i: number, leaf: Int32Array): void {
    if (i >= this.owned.length) {
      const o = new Uint8Array(Math.max(i + 1, this.owned.length * 2));
      o.set(this.owned);
      this.owned = o;
    }
    while (this.dir.length < i) this.dir.push(undefined);
    this.dir[i] = leaf;
    this.owned[i] = 1;
  }
}
