/**
 * Saving the per-page arrays of the domain state (a PV domain's P2M list: one entry per page)
 * in snapshots. structuredClone of a plain array of numbers is slow and every snapshot would hold
 * its own copy; instead such an array is copied flat, and shared with the copy the previous
 * snapshot made of the same live array when nothing in it changed. Saved copies are never
 * written: restoring copies them again. A field that knows how to share itself (the P2M's
 * copy-on-write leaves, p2m.ts) makes its own copies, for saving and restoring alike.
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

function same(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function saveArray(v: (number | undefined)[]): readonly (number | undefined)[] {
  const prev = lastSaved.get(v);
  if (prev && same(prev, v)) return prev;
  const copy = v.slice();
  lastSaved.set(v, copy);
  return copy;
}

/**
 * A snapshot's copy of an object's fields but those in `skip`: the per-page arrays as above,
 * everything else in one structuredClone (one call costs far less than one per field).
 */
export function saveFields(o: object, skip: ReadonlySet<string>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (skip.has(k)) continue;
    if (selfCopying(v)) out[k] = v.snapshotCopy();
    else if (numbers(v)) out[k] = saveArray(v);
    else rest[k] = v;
  }
  return Object.assign(out, structuredClone(rest));
}

/** The live fields restored from a snapshot's copy (never sharing anything with the copy). */
export function restoreFields(saved: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(saved)) {
    if (selfCopying(v)) out[k] = v.snapshotCopy();
    else if (numbers(v)) {
      const live = v.slice();
      lastSaved.set(live, v);
      out[k] = live;
    } else rest[k] = v;
  }
  return Object.assign(out, structuredClone(rest));
}
