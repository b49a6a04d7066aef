/**
 * Copy-on-write versions of a big per-frame array (machine frame bytes, page information). A
 * saved version is a table of fixed-size chunks; a save copies only the chunks holding entries
 * written since the last save or restore and shares every other chunk with the version the live
 * array came from. So saving and restoring cost what changed, not the array's length, and every
 * version is whole on its own: restorable in any order, any number of times.
 *
 * The owner of the live array calls `mark(i)` before it changes entry i (a cheap flag test), and
 * hands the tracker a function that reads or writes one entry when saving or restoring.
 */
export const CHUNK_SHIFT = 8;
const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;

type Chunk<T> = readonly (T | undefined)[];

/** One saved state of the array; entries are never written once saved. */
export interface Version<T> {
  readonly chunks: readonly (Chunk<T> | undefined)[];
}

export class VersionTracker<T> {
  /** the version the live array equals, apart from the dirty entries */
  private base: readonly (Chunk<T> | undefined)[];
  private readonly isDirty: Uint8Array;
  private dirty: number[] = [];

  constructor(readonly length: number) {
    this.base = new Array<Chunk<T> | undefined>(Math.ceil(length / CHUNK));
    this.isDirty = new Uint8Array(length);
  }

  /**
   * Entry i is about to change (or may have). True the first time since the last save or
   * restore: the entry may still be shared with a saved version then, so copy before writing.
   */
  mark(i: number): boolean {
    if (this.isDirty[i] !== 0) return false;
    this.isDirty[i] = 1;
    this.dirty.push(i);
    return true;
  }

  /** Entries marked since the last save or restore. */
  get dirtyCount(): number {
    return this.dirty.length;
  }

  /**
   * A new version: the base with each dirty entry i replaced by `read(i, saved)`, where `saved`
   * is the base's entry (return it unchanged to share it).
   */
  save(read: (i: number, saved: T | undefined) => T | undefined): Version<T> {
    const base = this.base;
    const chunks = base.slice();
    for (const i of this.dirty) {
      this.isDirty[i] = 0;
      const c = i >> CHUNK_SHIFT;
      const old = base[c]?.[i & CHUNK_MASK];
      const v = read(i, old);
      if (v === old) continue;
      let ch = chunks[c] as (T | undefined)[] | undefined;
      if (ch === undefined || ch === base[c]) {
        ch = ch ? ch.slice() : new Array<T | undefined>(CHUNK);
        chunks[c] = ch;
      }
      ch[i & CHUNK_MASK] = v;
    }
    this.dirty = [];
    this.base = chunks;
    return { chunks };
  }

  /**
   * Brings the live array to version `v`: `write(i, entry)` for every entry that may differ
   * (the dirty ones and those the two versions do not share).
   */
  restore(v: Version<T>, write: (i: number, saved: T | undefined) => void): void {
    const base = this.base;
    const to = v.chunks;
    if (to.length !== base.length) throw new RangeError('a version of a different array');
    for (const i of this.dirty) {
      this.isDirty[i] = 0;
      write(i, to[i >> CHUNK_SHIFT]?.[i & CHUNK_MASK]);
    }
    // entries already written above are no longer dirty but were restored; writing twice is harmless
    for (let c = 0; c < to.length; c++) {
      const a = base[c];
      const b = to[c];
      if (a === b) continue;
      const first = c << CHUNK_SHIFT;
      const n = Math.min(CHUNK, this.length - first);
      for (let k = 0; k < n; k++) {
        const x = b?.[k];
        if (a?.[k] !== x) write(first + k, x);
      }
    }
    this.dirty = [];
    this.base = to;
  }
}

/** Every distinct saved entry and chunk table over a set of versions (what they really hold). */
export function distinctEntries<T>(versions: readonly Version<T>[]): { entries: Set<T>; chunks: number; tables: number } {
  const entries = new Set<T>();
  const chunks = new Set<Chunk<T>>();
  for (const v of versions) {
    for (const ch of v.chunks) {
      if (!ch || chunks.has(ch)) continue;
      chunks.add(ch);
      for (const e of ch) if (e !== undefined) entries.add(e);
    }
  }
  return { entries, chunks: chunks.size, tables: versions.length };
}

/** Entries a version holds (what a full copy of it would be). */
export function* entriesOf<T>(v: Version<T>): Generator<T> {
  for (const ch of v.chunks) if (ch) for (const e of ch) if (e !== undefined) yield e;
}

/** Bytes of chunk tables: one reference per slot (8 bytes on a 64-bit host). */
export const chunkBytes = (chunks: number): number => chunks * CHUNK * 8;
export const tableBytes = (v: Version<unknown>): number => v.chunks.length * 8;
