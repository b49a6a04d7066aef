/**
 * Reverse execution over a deterministic machine: periodic whole-machine snapshots taken while
 * running forward (machine frames and page information shared copy-on-write between them:
 * versions.ts; dense near the end of history, sparse further back, dense again where someone
 * travelled: snapshots.ts), every user input
 * (register and memory writes, single steps) logged with the position it happened at, and
 * replay from the nearest snapshot to reach any earlier position exactly.
 *
 * A position is (instructions retired, trace records emitted): the instruction count alone does
 * not tell a stop on a trace record inside a hypervisor action from the instruction boundary.
 * The engine wraps an Inspectable and is one itself, so a front end drives it instead of the
 * system; it must be the only driver (inputs that bypass it are not replayed).
 */
import type { CpuState } from '../../cpu/state';
import type { TraceRecord } from '../../trace/records';
import type { AddressSpace, DomainInfo, ImageInfo, Inspectable, MachineSnapshot, P2mRange, RunOptions, StepOptions, StopInfo, VcpuInfo, XenStateNode } from '../inspect';
import { DEFAULT_POLICY, HeldSnapshot, SnapshotSet } from './snapshots';

export interface TravelPosition {
  readonly instructions: number;
  readonly records: number;
  /**
   * A stop right after trace record number `records` (inside a hypervisor action or a CPU
   * slice): reached again by counting records, since the instruction count the hypervisor
   * shows at such a stop depends on how the run was sliced.
   */
  readonly atRecord?: boolean;
  /** user inputs applied so far: several can happen at one machine position */
  readonly inputs: number;
}

export type TravelInput =
  | { kind: 'setRegisters'; domid: number; vcpu: number; regs: Partial<Pick<CpuState, 'r' | 'eip' | 'eflags'>> }
  | { kind: 'writeMemory'; domid: number; space: AddressSpace; address: number; data: Uint8Array; vcpu?: number }
  | { kind: 'step'; domid: number; vcpu: number };

/** A stop found by a reverse search: where it is and what it was. */
export interface TravelHit {
  readonly position: TravelPosition;
  readonly stop: StopInfo;
}

export interface TimeTravelOptions {
  /** instructions between snapshots where they are dense (default 2,000,000) */
  interval?: number;
  /** intervals kept at full density behind the end of history, and per halving after (default 16) */
  window?: number;
  /** snapshots kept from replays, at most (default 16) */
  scratch?: number;
}

/** The reverse-execution extension of Inspectable. */
export interface Reversible {
  position(): TravelPosition;
  /** the furthest position ever reached (the end of recorded history) */
  horizon(): TravelPosition;
  /** go to an earlier (or recorded later) position exactly */
  travelTo(target: TravelPosition | number): void;
  /**
   * The last stop before the current position that `run` with these options would have made
   * (of those `accept`, asked with the machine at each stop, takes); travels there.
   */
  previousStop(options: SearchOptions, accept?: (stop: StopInfo) => boolean): TravelHit | undefined;
}

/** What a reverse search stops on: breakpoints, watchpoints, trace records. */
export type SearchOptions = Omit<RunOptions, 'maxInstructions' | 'untilTimeNs'>;

interface Logged {
  readonly at: TravelPosition;
  readonly input: TravelInput;
}

/** Records are the canonical order; at equal counts a stop on the record precedes later instructions. */
function before(a: TravelPosition, b: TravelPosition): boolean {
  if (a.records !== b.records) return a.records < b.records;
  if (!!a.atRecord !== !!b.atRecord) return !!a.atRecord;
  if (!a.atRecord && a.instructions !== b.instructions) return a.instructions < b.instructions;
  return a.inputs < b.inputs;
}
const same = (a: TravelPosition, b: TravelPosition) => !before(a, b) && !before(b, a);

export class TimeTravel implements Inspectable, Reversible {
  private records = 0;
  private readonly snaps: SnapshotSet;
  private readonly inputs: Logged[] = [];
  /** inputs[0 .. applied) are in the past of the current position */
  private applied = 0;
  private furthest: TravelPosition = { instructions: 0, records: 0, inputs: 0 };
  private replaying = false;
  /** where a breakpoint under a logged step was last reported (so it is reported once per visit) */
  private reportedAt: TravelPosition | undefined;
  /** the last stop was on a trace record (see TravelPosition.atRecord) */
  private atRecord = false;

  constructor(
    private readonly sys: Inspectable,
    opts: TimeTravelOptions = {},
  ) {
    const policy = { ...DEFAULT_POLICY, ...opts };
    if (!(policy.interval >= 1)) throw new RangeError(`snapshot interval must be at least 1 instruction, got ${opts.interval}`);
    if (!(policy.window >= 1) || !(policy.scratch >= 0)) throw new RangeError(`snapshot window must be at least 1 and scratch at least 0`);
    this.snaps = new SnapshotSet(policy, before);
    // every record counts toward the position, whoever else listens
    sys.trace.subscribe(() => {
      this.records++;
    });
    this.snaps.addForward(this.position(), this.sys.snapshot());
  }

  // ------------------------------------------------------------ Reversible

  position(): TravelPosition {
    const base = { instructions: this.sys.instructionsRetired(), records: this.records };
    return this.atRecord ? { ...base, atRecord: true, inputs: this.applied } : { ...base, inputs: this.applied };
  }

  horizon(): TravelPosition {
    return this.furthest;
  }

  /** The current position's record count alone: for listeners that ask on every record. */
  recordCount(): number {
    return this.records;
  }

  /** Snapshots held, and their positions (for benches and views). */
  snapshots(): readonly HeldSnapshot[] {
    return this.snaps.all;
  }

  travelTo(target: TravelPosition | number): void {
    if (typeof target === 'number') {
      if (!(target >= 0)) throw new RangeError(`cannot travel to instruction ${target}`);
      this.quietly(() => this.travelToInstruction(target));
      return;
    }
    this.quietly(() => {
      if (before(target, this.position())) this.restoreBefore(target);
      this.advance(target);
    });
  }

  /**
   * Stops right after trace record number `index` (1-based: the count of records emitted,
   * whoever listened), as a run with a stop on that record would have.
   */
  travelToRecord(index: number): void {
    if (!Number.isInteger(index) || index < 1) throw new RangeError(`trace record index must be a positive integer, got ${index}`);
    if (index > this.furthest.records) throw new RangeError(`trace record ${index} has not happened yet (the recorded history ends at record ${this.furthest.records})`);
    const inputs = this.inputs.filter((i) => i.at.records < index).length;
    this.travelTo({ instructions: 0, records: index, atRecord: true, inputs });
  }

  /** The state after exactly `n` instructions (no stop on a record). */
  private travelToInstruction(n: number): void {
    const all = this.snaps.all;
    let k = 0;
    for (let i = 0; i < all.length; i++) if (all[i].at.instructions <= n && !all[i].at.atRecord) k = i;
    const here = this.sys.instructionsRetired();
    // restore unless running on from here is shorter
    if (here > n || this.atRecord || all[k].at.instructions > here) this.restoreSnap(all[k]);
    while (this.sys.instructionsRetired() < n) {
      const next = this.inputs[this.applied];
      if (next && !before(this.position(), next.at)) {
        this.apply(next.input);
        this.applied++;
        continue;
      }
      const was = this.position();
      if (next && next.at.instructions < n) this.advance(next.at);
      else {
        const stop = this.sys.run({ maxInstructions: this.replayBudget(n - was.instructions), stopOn: () => false });
        this.atRecord = stop.reason === 'trace';
        this.maybeSnapshot();
      }
      if (same(was, this.position())) break;
    }
  }

  previousStop(options: SearchOptions, accept?: (stop: StopInfo) => boolean): TravelHit | undefined {
    const here = this.position();
    let hit: TravelHit | undefined;
    this.quietly(() => {
      // the search takes scratch snapshots as it replays: walk the ones held when it began
      const snaps = [...this.snaps.all];
      for (let k = snapIndexBefore(snaps, here); k >= 0 && !hit; k--) {
        const segEnd = k + 1 < snaps.length && before(snaps[k + 1].at, here) ? snaps[k + 1].at : here;
        this.restoreSnap(snaps[k]);
        let last: TravelHit | undefined;
        this.scan(segEnd, here, options, (stop, at) => {
          if (!accept || accept(stop)) last = { position: at, stop };
        });
        hit = last;
      }
      // land on the hit, or back where we were
      const target = hit ? hit.position : here;
      this.restoreBefore(target);
      this.advance(target);
    });
    return hit;
  }

  /**
   * Every stop `run` with these options makes from the start of history up to (not including)
   * the current position, in order, each seen with the machine at that stop (so `visit` can
   * read its state); replayed quietly, and back here after.
   */
  stopsSoFar(options: SearchOptions, visit: (stop: StopInfo, at: TravelPosition) => void): void {
    const here = this.position();
    this.quietly(() => {
      this.restoreSnap(this.snaps.all[0]);
      this.scan(here, here, options, visit);
      this.restoreBefore(here);
      this.advance(here);
    });
  }

  /** The stops on the way from the current position to `end`, those before `limit` visited. */
  private scan(end: TravelPosition, limit: TravelPosition, options: SearchOptions, visit: (stop: StopInfo, at: TravelPosition) => void): void {
    let stop = this.advance(end, options);
    while (stop) {
      const at = this.position();
      if (!before(at, limit)) return;
      visit(stop, at);
      stop = this.passStop(stop, options) ?? this.advance(end, options);
    }
  }

  // ------------------------------------------------------------ forward, with snapshots and the input log

  run(options: RunOptions): StopInfo {
    const end = this.sys.instructionsRetired() + Math.max(0, options.maxInstructions);
    for (;;) {
      const due = this.applyDueInputs(options);
      if (due) {
        this.atRecord = false;
        return due;
      }
      const cur = this.position();
      const nextSnap = this.snaps.dueAfter(cur);
      const nextInput = this.applied < this.inputs.length ? this.inputs[this.applied].at.instructions : Infinity;
      const limit = Math.min(end, nextSnap, nextInput);
      const stop = this.sys.run({ ...options, maxInstructions: Math.max(0, limit - cur.instructions) });
      this.atRecord = stop.reason === 'trace';
      this.noteProgress();
      if (stop.reason !== 'budget') return stop;
      if (this.sys.instructionsRetired() >= end) return stop;
      if (this.sys.instructionsRetired() === cur.instructions && this.records === cur.records) return stop;
    }
  }

  /** A logged input; its watchpoints only report (a hit changes nothing), so they are not logged. */
  step(domid: number, vcpu: number, options?: StepOptions): StopInfo {
    return this.input({ kind: 'step', domid, vcpu }, options) as StopInfo;
  }

  setRegisters(domid: number, vcpu: number, regs: Partial<Pick<CpuState, 'r' | 'eip' | 'eflags'>>): void {
    this.input({ kind: 'setRegisters', domid, vcpu, regs: structuredClone(regs) });
  }

  writeMemory(domid: number, space: AddressSpace, address: number, data: Uint8Array, vcpu?: number): number {
    return this.input({ kind: 'writeMemory', domid, space, address, data: data.slice(), vcpu }) as number;
  }

  /** A new input at the current position: the recorded future after it is no longer ours. */
  private input(i: TravelInput, options?: StepOptions): StopInfo | number | undefined {
    const at = this.position();
    const next = this.inputs[this.applied];
    if (next && same(next.at, at) && sameInput(next.input, i)) {
      // the same input as history has here: replaying it keeps the recorded future
      this.applied++;
      const r = this.apply(i, options);
      this.noteProgress();
      return r;
    }
    this.forgetFuture(at);
    this.inputs.push({ at, input: i });
    this.applied = this.inputs.length;
    const r = this.apply(i, options);
    this.noteProgress();
    return r;
  }

  private apply(i: TravelInput, options?: StepOptions): StopInfo | number | undefined {
    switch (i.kind) {
      case 'step':
        this.atRecord = false;
        return this.sys.step(i.domid, i.vcpu, options?.watchpoints ? { watchpoints: options.watchpoints } : undefined);
      case 'setRegisters':
        this.sys.setRegisters(i.domid, i.vcpu, i.regs);
        return undefined;
      case 'writeMemory':
        return this.sys.writeMemory(i.domid, i.space, i.address, i.data, i.vcpu);
    }
  }

  /** Applies the inputs due at the current position; a breakpoint under a logged step stops first. */
  private applyDueInputs(options?: SearchOptions): StopInfo | undefined {
    while (this.applied < this.inputs.length && !before(this.position(), this.inputs[this.applied].at)) {
      const bp = options && this.stopUnder(this.inputs[this.applied].input, options);
      if (bp) return bp;
      const r = this.apply(this.inputs[this.applied++].input, options);
      if (isWatchStop(r)) return r;
    }
    return undefined;
  }

  private forgetFuture(at: TravelPosition): void {
    this.inputs.splice(this.applied);
    this.snaps.dropAfter(at);
    this.furthest = at;
  }

  private noteProgress(): void {
    const at = this.position();
    if (before(this.furthest, at)) this.furthest = at;
    if (!this.replaying) this.maybeSnapshot();
  }

  /**
   * A snapshot here if the last one at or before here is an interval back: at the end of
   * history a forward one, inside it (replaying, or re-running the past) a scratch one.
   */
  private maybeSnapshot(): void {
    const at = this.position();
    const held = this.snaps.atOrBefore(at);
    if (at.instructions < held.at.instructions + this.snaps.policy.interval) return;
    const snap = this.sys.snapshot();
    if (held === this.snaps.last) this.snaps.addForward(at, snap);
    else this.snaps.addScratch(at, snap);
  }

  /** A replay run's budget: at most up to where the next snapshot is due. */
  private replayBudget(want: number): number {
    const cur = this.sys.instructionsRetired();
    return Math.max(1, Math.min(want, this.snaps.dueAfter(this.position()) - cur));
  }

  // ------------------------------------------------------------ replay

  private restoreBefore(p: TravelPosition): void {
    this.restoreSnap(this.snaps.atOrBefore(p));
  }

  private restoreSnap(s: HeldSnapshot): void {
    this.reportedAt = undefined;
    this.sys.restore(s.snap);
    this.records = s.at.records;
    this.atRecord = !!s.at.atRecord;
    this.applied = s.at.inputs;
  }

  /**
   * Runs on to `target` (applying logged inputs where they happened), or to the first stop the
   * caller's options make on the way; returns that stop, or undefined on reaching the target.
   */
  private advance(target: TravelPosition, options?: SearchOptions): StopInfo | undefined {
    for (;;) {
      const cur = this.position();
      if (!before(cur, target)) return undefined;
      const next = this.inputs[this.applied];
      if (next && !before(cur, next.at)) {
        const bp = options && this.stopUnder(next.input, options);
        if (bp) return bp;
        this.applied++;
        const r = this.apply(next.input, options);
        if (options && isWatchStop(r)) return r;
        continue;
      }
      const goal = next && before(next.at, target) ? next.at : target;
      // a stop on a record is reached by counting records; any other by instructions
      const wantRecords = goal.atRecord ? goal.records : -1;
      const userStop = options?.stopOn;
      let mine = false;
      const stop = this.sys.run({
        breakpoints: options?.breakpoints,
        watchpoints: options?.watchpoints,
        maxInstructions: this.replayBudget(goal.atRecord ? Number.MAX_SAFE_INTEGER : goal.instructions - cur.instructions),
        stopOn: (r: TraceRecord) => {
          if (userStop?.(r)) return true;
          return (mine = this.records === wantRecords);
        },
      });
      this.atRecord = stop.reason === 'trace';
      this.maybeSnapshot();
      if (stop.reason === 'trace' && mine) continue;
      if (stop.reason === 'budget') {
        if (this.sys.instructionsRetired() === cur.instructions && this.records === cur.records) return undefined;
        continue;
      }
      if (stop.reason === 'breakpoint' || stop.reason === 'trace' || stop.reason === 'watchpoint') {
        if (options) return stop;
        continue;
      }
      // the machine finished or went idle before the target: nothing further exists
      return undefined;
    }
  }

  /**
   * A run that reached a logged single step ends on its budget, before the stepped vCPU's next
   * instruction: had the run gone on, a breakpoint there would have stopped it. (The debugger
   * logs such a step whenever it resumes from a breakpoint.)
   */
  private stopUnder(input: TravelInput, options: SearchOptions): StopInfo | undefined {
    const at = this.position();
    if (input.kind !== 'step' || !options.breakpoints?.length || (this.reportedAt && same(this.reportedAt, at))) return undefined;
    if (this.sys.vcpus(input.domid).find((v) => v.vcpu === input.vcpu)?.activity) return undefined;
    const s = this.sys.cpuState(input.domid, input.vcpu);
    const lin = (s.seg[1].base + s.eip) >>> 0;
    if (!options.breakpoints.some((b) => b.domid === input.domid && b.eip >>> 0 === lin)) return undefined;
    this.reportedAt = at;
    return { reason: 'breakpoint', domid: input.domid, vcpu: input.vcpu };
  }

  /**
   * Moves just past a breakpoint (its instruction, breakpoints off) so the search can look for
   * the next stop; that instruction's own record or watchpoint stop, if it makes one, is returned.
   * Record and watchpoint stops need nothing: they are after what caused them.
   */
  private passStop(stop: StopInfo, options: SearchOptions): StopInfo | undefined {
    if (stop.reason !== 'breakpoint') return undefined;
    // a logged step is due here: it moves the vCPU on, as it did the first time (advance applies it)
    const next = this.inputs[this.applied];
    if (next && !before(this.position(), next.at)) return undefined;
    const s = this.sys.run({ maxInstructions: 1, stopOn: options.stopOn, watchpoints: options.watchpoints });
    this.atRecord = s.reason === 'trace';
    return s.reason === 'trace' || s.reason === 'watchpoint' ? s : undefined;
  }

  /** Replay is invisible: trace listeners other than the position counter hear nothing. */
  private quietly(fn: () => void): void {
    const trace = this.sys.trace;
    const emit = trace.emit;
    // Replaced on the instance only while replaying: records already seen must not reach the
    // debugger or trace files again, but the hypervisor must still build them (position count).
    trace.emit = () => {
      this.records++;
    };
    this.replaying = true;
    try {
      fn();
    } finally {
      trace.emit = emit;
      this.replaying = false;
    }
  }

  // ------------------------------------------------------------ Inspectable, delegated

  get trace() {
    return this.sys.trace;
  }
  now(): number {
    return this.sys.now();
  }
  instructionsRetired(): number {
    return this.sys.instructionsRetired();
  }
  pcpuCount(): number {
    return this.sys.pcpuCount();
  }
  domains(): DomainInfo[] {
    return this.sys.domains();
  }
  vcpus(domid: number): VcpuInfo[] {
    return this.sys.vcpus(domid);
  }
  cpuState(domid: number, vcpu: number): CpuState {
    return this.sys.cpuState(domid, vcpu);
  }
  readMemory(domid: number, space: AddressSpace, address: number, length: number, vcpu?: number): (number | undefined)[] {
    return this.sys.readMemory(domid, space, address, length, vcpu);
  }
  translate(domid: number, vcpu: number, gva: number): { gpa: number; ma: number } | undefined {
    return this.sys.translate(domid, vcpu, gva);
  }
  image(domid: number): ImageInfo | undefined {
    return this.sys.image(domid);
  }
  xenState(domid: number, vcpu: number): XenStateNode[] {
    return this.sys.xenState(domid, vcpu);
  }
  p2m(domid: number): P2mRange[] {
    return this.sys.p2m(domid);
  }
  snapshot(): MachineSnapshot {
    return this.sys.snapshot();
  }
  restore(snapshot: MachineSnapshot): void {
    // an outside restore is a jump this engine cannot place in its history
    this.sys.restore(snapshot);
    this.forgetFuture(this.position());
  }
}

/** The index of the last snapshot strictly before `p` (0 if none: the first is the start). */
function snapIndexBefore(snaps: readonly HeldSnapshot[], p: TravelPosition): number {
  let k = 0;
  for (let i = 0; i < snaps.length; i++) if (before(snaps[i].at, p)) k = i;
  return k;
}

function isWatchStop(r: StopInfo | number | undefined): r is StopInfo {
  return typeof r === 'object' && r.reason === 'watchpoint';
}

function sameInput(a: TravelInput, b: TravelInput): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'step' && b.kind === 'step') return a.domid === b.domid && a.vcpu === b.vcpu;
  return false;
}
