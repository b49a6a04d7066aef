/**
 * Saving domain and vCPU fields in snapshots, cheaply (a snapshot is taken every interval, so
 * its fixed costs are a tax on every instruction):
 *  - a field that knows how to share itself (the P2M's copy-on-write leaves, p2m.ts) makes its
 *    own copies, for saving and restoring alike;
 *  - per-page arrays (one entry per page) are copied flat, and shared with the copy the
 *    previous snapshot made of the same live array when nothing in it changed;
 *  - everything else is plain data (numbers, strings, records, arrays, maps), deep-copied by
 *    hand: structuredClone costs tens of microseconds a call however small the value.
 * Saved copies are never written: restoring copies them again.
 */

/** A field copied by itself: the copy and the original never write what they share. */
interface SelfCopying {
  snapshotCopy(): SelfCopying;
}

function selfCopying(v: unknown): v is SelfCopying {
  return typeof v === 'object' && v !== null && typeof (v as Partial<SelfCopying>).snapshotCopy === 'function';
}

/** Shorter arrays are not worth the bookkeeping. */
const MIN_LENGTH = 64;

/** live array → the last saved copy of it (equal to it when saved or restored) */
const lastSaved = new WeakMap<readonly unknown[], readonly (number | undefined)[]>();

function numbers(v: unknown): v is (number | undefined)[] {
  if (!Array.isArray(v) || v.length < MIN_LENGTH) return false;
  for (let i = 0; i < v.length; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' && x !== undefined) return false;
  }
  return true;
}

function same(a: readonly (number | undefined)[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The saved copy of a live array: the previous one if unchanged (it held only numbers then). */
function savedArray(v: unknown): readonly (number | undefined)[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const prev = lastSaved.get(v);
  if (prev && same(prev, v)) return prev;
  if (!numbers(v)) return undefined;
  const copy = v.slice();
  lastSaved.set(v, copy);
  return copy;
}

/** Deeper than this is not domain state: leave it to structuredClone (which also takes cycles). */
const MAX_DEPTH = 32;

class TooDeep extends Error {}

function copy(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (depth > MAX_DEPTH) throw new TooDeep();
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copy(v[i], depth + 1);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k], depth + 1);
    return out;
  }
  if (v instanceof Map) {
    const out = new Map<unknown, unknown>();
    for (const [k, x] of v) out.set(copy(k, depth + 1), copy(x, depth + 1));
    return out;
  }
  if (v instanceof Set) {
    const out = new Set<unknown>();
    for (const x of v) out.add(copy(x, depth + 1));
    return out;
  }
  // typed arrays, dates, class instances: as structuredClone makes them
  return structuredClone(v);
}

/** A deep copy of plain data, as structuredClone would make it. */
export function cloneData<T>(v: T): T {
  try {
    return copy(v, 0) as T;
  } catch (e) {
    if (e instanceof TooDeep) return structuredClone(v);
    throw e;
  }
}

/** A snapshot's copy of an object's fields but those in `skip`. */
export function saveFields(o: object, skip: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    if (skip.has(k)) continue;
    const v: unknown = (o as Record<string, unknown>)[k];
    out[k] = selfCopying(v) ? v.snapshotCopy() : (savedArray(v) ?? cloneData(v));
  }
  return out;
}

/** The live fields restored from a snapshot's copy (never sharing anything with the copy). */
export function restoreFields(saved: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(saved)) {
    const v = saved[k];
    if (selfCopying(v)) out[k] = v.snapshotCopy();
    else if (numbers(v)) {
      const live = v.slice();
      lastSaved.set(live, v);
      out[k] = live;
    } else out[k] = cloneData(v);
  }
  return out;
}
