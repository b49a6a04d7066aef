/**
 * Armed record stops indexed by the records they can match (RecordKey), so deciding on a trace
 * record costs a map lookup or two plus the few stops that may want it, rather than a test of
 * every armed stop: with a thousand hypercall breakpoints armed a ring transition is offered to
 * none, and a hypercall only to those on its number and those on any hypercall.
 */
import type { TraceKind, TraceRecord } from '../trace/records';
import { fieldValue, IndexedField, RecordKey } from './stops';

type Entry<T> = { order: number; stop: T };

interface Bucket<T> {
  /** stops on every record of the kind */
  any: Entry<T>[];
  anyStops: T[];
  /** stops on one value of one field (an array: looking at each allocates nothing) */
  byField: Array<{ field: IndexedField; byValue: Map<number, Entry<T>[]> }>;
}

const NONE: readonly never[] = [];

export class RecordIndex<T extends { key: RecordKey }> {
  private readonly buckets = new Map<TraceKind, Bucket<T>>();

  constructor(readonly all: readonly T[] = []) {
    all.forEach((stop, order) => {
      const { kind, field, value } = stop.key;
      let b = this.buckets.get(kind);
      if (!b) this.buckets.set(kind, (b = { any: [], anyStops: [], byField: [] }));
      if (field === undefined || value === undefined) {
        b.any.push({ order, stop });
        b.anyStops.push(stop);
        return;
      }
      let byValue = b.byField.find((f) => f.field === field)?.byValue;
      if (!byValue) b.byField.push({ field, byValue: (byValue = new Map()) });
      const list = byValue.get(value);
      if (list) list.push({ order, stop });
      else byValue.set(value, [{ order, stop }]);
    });
  }

  get size(): number {
    return this.all.length;
  }

  /** The stops that may match `r`, in the order they were armed. */
  candidates(r: TraceRecord): readonly T[] {
    const b = this.buckets.get(r.kind);
    if (!b) return NONE;
    let found: Entry<T>[] | undefined;
    let lists = 0;
    for (let i = 0; i < b.byField.length; i++) {
      const v = fieldValue(r, b.byField[i].field);
      const list = v === undefined ? undefined : b.byField[i].byValue.get(v);
      if (!list) continue;
      found = lists === 0 ? list : [...found!, ...list];
      lists++;
    }
    if (!found) return b.anyStops;
    if (b.any.length) found = [...b.any, ...found];
    if (lists > 1 || b.any.length) found = [...found].sort((x, y) => x.order - y.order);
    return found.map((e) => e.stop);
  }
}
