/**
 * Which snapshots the time-travel engine keeps. Reverse steps happen near where a person is,
 * so snapshots are dense there and sparse far away, and the number held grows with the
 * logarithm of the run's length, not the length:
 *
 *  - forward snapshots, one per `interval` instructions at the end of recorded history, are
 *    thinned geometrically by age: the last `window` intervals keep every one, the `window`
 *    before those every second, then every fourth, … (about window · log2(run / window)
 *    snapshots in all; the start is always kept);
 *  - scratch snapshots, taken every `interval` while replaying or re-running the past, make
 *    a place someone travelled to dense again, so the next reverse steps there are cheap; at
 *    most `scratch` of them are kept, the oldest made dropped first.
 *
 * Positions only (instruction counts), never the wall clock: which snapshots exist decides
 * nothing about the machine, but the engine stays a pure function of its inputs all the same.
 */
import type { MachineSnapshot } from '../inspect';
import type { TravelPosition } from './engine';

export interface HeldSnapshot {
  readonly at: TravelPosition;
  readonly snap: MachineSnapshot;
  /** interval number (forward snapshots), or -1 for a scratch one */
  readonly seq: number;
  /** order made (scratch eviction) */
  readonly made: number;
}

export interface SnapshotPolicy {
  /** instructions between snapshots where they are dense */
  interval: number;
  /** intervals kept at full density behind the end of history (and per halving after) */
  window: number;
  /** scratch snapshots kept at most */
  scratch: number;
}

/**
 * A snapshot costs about half a millisecond whatever the interval (CPU state, the domain and
 * vCPU fields and services that changed; frames and page information only as written), and a
 * reverse step replays on average half an interval. At 2·10^6 instructions the snapshots take
 * about a twentieth of the time of a JIT-compiled run (≈220 MIPS here; bench timetravel's median
 * interval costs 2–5 %), and a reverse step replays ≈10^6 instructions: about
 * 10 ms, and under 100 ms down to 20 MIPS. 16 dense intervals cover the last 3·10^7
 * instructions; a 10^8 run holds about 50 snapshots, a 10^10 one about 150.
 */
export const DEFAULT_POLICY: SnapshotPolicy = { interval: 2_000_000, window: 16, scratch: 16 };

export class SnapshotSet {
  /** in position order */
  private list: HeldSnapshot[] = [];
  private made = 0;

  constructor(
    readonly policy: SnapshotPolicy,
    private readonly before: (a: TravelPosition, b: TravelPosition) => boolean,
  ) {}

  get all(): readonly HeldSnapshot[] {
    return this.list;
  }

  get last(): HeldSnapshot {
    return this.list[this.list.length - 1];
  }

  /** The last snapshot not after `p` (the first, the start, if none). */
  atOrBefore(p: TravelPosition): HeldSnapshot {
    return this.list[this.indexAtOrBefore(p)];
  }

  private indexAtOrBefore(p: TravelPosition): number {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.before(p, this.list[mid].at)) hi = mid - 1;
      else lo = mid;
    }
    return lo;
  }

  /** The instruction count at which a snapshot is next due, running on from `p`. */
  dueAfter(p: TravelPosition): number {
    return this.atOrBefore(p).at.instructions + this.policy.interval;
  }

  /** A snapshot at the end of recorded history; older ones are thinned. */
  addForward(at: TravelPosition, snap: MachineSnapshot): void {
    const seq = Math.floor(at.instructions / this.policy.interval);
    this.list.push({ at, snap, seq, made: this.made++ });
    this.thin(seq);
  }

  /** A snapshot inside recorded history (replay or a re-run of the past). */
  addScratch(at: TravelPosition, snap: MachineSnapshot): void {
    const i = this.indexAtOrBefore(at) + 1;
    this.list.splice(i, 0, { at, snap, seq: -1, made: this.made++ });
    const scratch = this.list.filter((s) => s.seq < 0);
    if (scratch.length <= this.policy.scratch) return;
    const oldest = scratch.reduce((a, b) => (a.made <= b.made ? a : b));
    this.list.splice(this.list.indexOf(oldest), 1);
  }

  /** Forget every snapshot after `at` (the recorded future is gone); the start stays. */
  dropAfter(at: TravelPosition): void {
    while (this.list.length > 1 && this.before(at, this.last.at)) this.list.pop();
  }

  /**
   * Keeps forward snapshot k when k is a multiple of 2^level, where level grows by one each
   * time the age (in intervals) passes window · (2^level − 1): `window` snapshots per level.
   * The rule only tightens with age, so a dropped snapshot would never be wanted back.
   */
  private thin(newest: number): void {
    const w = this.policy.window;
    this.list = this.list.filter((s, i) => {
      if (i === 0 || s.seq <= 0) return true;
      const age = newest - s.seq;
      const level = Math.floor(Math.log2(Math.floor(age / w) + 1));
      return s.seq % 2 ** level === 0;
    });
  }
}
