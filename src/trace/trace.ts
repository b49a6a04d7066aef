// The one trace stream. Emit sites ask `wants(class)` (one AND) before building a record,
// so tracing costs nothing when nobody listens; listeners subscribe with a class filter.
import { ALL_CLASSES, TraceFilter } from './filter';
import { CLASS_BIT, CLASS_OF, TraceClass, TraceRecord } from './records';

export type TraceListener = (record: TraceRecord) => void;

interface Subscription {
  readonly fn: TraceListener;
  readonly mask: number;
}

export class Trace {
  private subs: Subscription[] = [];
  /** OR of every listener's classes. Hot paths may test `trace.mask & CLASS_BIT.x` directly. */
  mask = 0;

  wants(cls: TraceClass): boolean {
    return (this.mask & CLASS_BIT[cls]) !== 0;
  }

  /** Delivers records of the filter's classes to `fn`, in emission order; returns the unsubscribe. */
  subscribe(fn: TraceListener, filter: TraceFilter = ALL_CLASSES): () => void {
    const sub: Subscription = { fn, mask: filter.mask };
    this.subs = [...this.subs, sub];
    this.recompute();
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
      this.recompute();
    };
  }

  emit(record: TraceRecord): void {
    const bit = CLASS_BIT[CLASS_OF[record.kind]];
    if ((this.mask & bit) === 0) return;
    // Iterate a snapshot: a listener may unsubscribe (or subscribe) while handling a record.
    for (const s of this.subs) if ((s.mask & bit) !== 0) s.fn(record);
  }

  get listenerCount(): number {
    return this.subs.length;
  }

  private recompute(): void {
    this.mask = this.subs.reduce((m, s) => m | s.mask, 0);
  }
}

/** Keeps the most recent records (for the debugger's history view and crash reports). */
export class TraceBuffer {
  private readonly buf: (TraceRecord | undefined)[];
  private next = 0;
  private total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`TraceBuffer capacity ${capacity} must be a positive integer`);
    this.buf = new Array<TraceRecord | undefined>(capacity);
  }

  readonly listener: TraceListener = (r) => {
    this.buf[this.next] = r;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
  };

  /** Oldest first. */
  records(): TraceRecord[] {
    const n = Math.min(this.total, this.capacity);
    const out: TraceRecord[] = [];
    for (let i = 0; i < n; i++) out.push(this.buf[(this.next - n + i + this.capacity) % this.capacity]!);
    return out;
  }

  /** Records seen in all, including the ones that fell out. */
  get seen(): number {
    return this.total;
  }
}
