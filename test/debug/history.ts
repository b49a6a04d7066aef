// What the recorder tests (timeline, last VM exit) share: a seeded PRNG and a stand-in for the
// time-travel engine's record counter and horizon, fed as the engine would feed a listener.
import type { TraceRecord } from '../../src/trace/records';

/** xorshift32, seeded */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** The engine's record counter and horizon (HistoryPosition). */
export class FakeHistory {
  records = 0;
  furthest = 0;
  recordCount() {
    return this.records;
  }
  horizon() {
    return { records: this.furthest };
  }
}

/** Plays `records` from record index `fromIndex` into `rec`'s listener: a run forward, or a replay after a travel. */
export function feed(rec: { listener: (r: TraceRecord) => void }, h: FakeHistory, records: TraceRecord[], fromIndex: number): void {
  h.records = fromIndex;
  for (const r of records) {
    h.records++;
    rec.listener(r);
    h.furthest = Math.max(h.furthest, h.records);
  }
}
