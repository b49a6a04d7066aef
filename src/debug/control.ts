/**
 * Run control: continue, pause and the three steps, expressed as calls to Inspectable.run and
 * Inspectable.step. Runs are sliced; between slices the loop yields to the event loop so a
 * `pause` (or `disconnect`) request is read and acted on. Knows breakpoints only as address
 * lists and record predicates handed to it by the session; knows nothing of DAP.
 */
import { decodeOne } from '../asm/disasm';
import type { CpuState } from '../cpu/state';
import type { TraceRecord } from '../trace/records';
import type { Inspectable, StopInfo, Watchpoint } from '../xen/inspect';
import { RecordIndex } from './armed';
import { describeHit, valueOf } from './data';
import type { ExprEnv } from './expr';
import type { ReverseHit, ReverseTargets } from './reverse';
import { describeRecord as recordText, FilterId, RecordKey, recordEnv, StopContext, StopRule, vcpuEnv } from './stops';

export interface ThreadRef {
  domid: number;
  vcpu: number;
}

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'instruction breakpoint' | 'data breakpoint' | 'exception' | 'pause';

export interface Stopped extends ThreadRef {
  reason: StopReason;
  /** shown by the client next to the reason: `hypercall event_channel_op(EVTCHNOP_send, port=3)` */
  description: string;
  hitBreakpointIds?: number[];
  filter?: FilterId;
  record?: TraceRecord;
}

export interface AddressBreakpoint {
  id: number;
  domid: number;
  eip: number;
  kind: 'breakpoint' | 'function breakpoint' | 'instruction breakpoint';
  rule: StopRule;
}

export interface RecordStop {
  id: number;
  kind: 'function breakpoint' | 'exception';
  label: string;
  filter?: FilterId;
  /** the records it can match (what it is indexed by); `matches` decides among them */
  key: RecordKey;
  matches(r: TraceRecord): boolean;
  rule: StopRule;
}

/** A data breakpoint, armed as a watchpoint (its identity is how a 'watchpoint' stop names it). */
export interface DataBreakpoint {
  id: number;
  watch: Watchpoint;
  rule: StopRule;
}

/** A breakpoint a stop hits, its condition, hit count and log message yet to be decided. */
interface Candidate {
  /** for hitBreakpointIds (exception filters have none) */
  id?: number;
  rule: StopRule;
  env: ExprEnv;
  stopped: Stopped;
}

export interface ControlHooks {
  stopped(s: Stopped): void;
  output(text: string): void;
  /** every domain has shut down */
  finished(): void;
  /**
   * A domain was created or unpaused while address breakpoints may be unresolved; the
   * session resolves them (against the new domain's image) and hands back the new list.
   * Returns true when it wants a stop on such records at all.
   */
  wantsDomainStops(): boolean;
  domainAppeared(r: TraceRecord): void;
}

/** Instructions per slice: small enough that pause answers quickly, big enough to keep MIPS. */
export const SLICE = 100_000;
/** Bounds on stepping loops so a step over an endless loop comes back (as a step). */
const MAX_LINE_STEPS = 200_000;
const MAX_XEN_STEPS = 100_000;
const MAX_SINGLE_STEPS = 10_000_000;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface TempBreak extends ThreadRef {
  eip: number;
  accept(s: CpuState): boolean;
}

export class RunControl {
  running = false;
  private pauseRequested = false;
  private disposed = false;
  private addressList: Array<{ domid: number; eip: number }> = [];
  private byAddress = new Map<string, AddressBreakpoint[]>();
  private recordStops = new RecordIndex<RecordStop>();
  private dataBps: DataBreakpoint[] = [];
  private watchList: Watchpoint[] = [];
  private pending: Stopped | undefined;
  private pendingDomain: TraceRecord | undefined;
  private entered = new Set<number>();
  private last: Stopped | undefined;

  constructor(
    private readonly ins: Inspectable,
    private readonly ctx: StopContext,
    private readonly hooks: ControlHooks,
    readonly stopOnEntry: boolean,
  ) {}

  get lastStop(): Stopped | undefined {
    return this.last;
  }

  setAddressBreakpoints(list: AddressBreakpoint[]): void {
    this.byAddress.clear();
    for (const bp of list) {
      const k = `${bp.domid}:${bp.eip >>> 0}`;
      const at = this.byAddress.get(k);
      if (at) at.push(bp);
      else this.byAddress.set(k, [bp]);
    }
    this.addressList = [...this.byAddress.values()].map((a) => ({ domid: a[0].domid, eip: a[0].eip >>> 0 }));
  }

  setRecordStops(list: RecordStop[]): void {
    this.recordStops = new RecordIndex(list);
  }

  setDataBreakpoints(list: DataBreakpoint[]): void {
    this.dataBps = list;
    this.watchList = list.map((b) => b.watch);
  }

  /**
   * The armed breakpoints as reverse execution searches for them: every kind, each hit's
   * condition evaluated where it happened (hit counts and log points are reverse.ts's part).
   */
  reverseTargets(): ReverseTargets {
    let recordHits: ReverseHit[] = [];
    const holding = (cs: Candidate[]): ReverseHit[] => cs.filter((c) => c.rule.holds(c.env) !== false).map((c) => ({ id: c.id, rule: c.rule, stopped: c.stopped }));
    return {
      breakpoints: this.addressList,
      watchpoints: this.watchList,
      onRecord: (r) => (recordHits = holding(this.recordCandidates(r))).length > 0,
      hits: (stop) => {
        if (stop.reason === 'trace') return recordHits;
        if (stop.reason === 'watchpoint') return holding(this.dataCandidates(stop));
        if (stop.reason !== 'breakpoint') return [];
        const t = { domid: stop.domid ?? 0, vcpu: stop.vcpu ?? 0 };
        return holding(this.addressCandidates(t, this.state(t).eip >>> 0));
      },
      rules: () => [...[...this.byAddress.values()].flat(), ...this.recordStops.all, ...this.dataBps].map((b) => b.rule),
    };
  }

  private recordCandidates(r: TraceRecord): Candidate[] {
    const out: Candidate[] = [];
    // only the stops indexed for this record; the environment built once, and only on a match
    let env: ReturnType<typeof recordEnv> | undefined;
    for (const s of this.recordStops.candidates(r)) {
      if (!s.matches(r)) continue;
      env ??= recordEnv(r, this.ctx);
      out.push({
        id: s.kind === 'function breakpoint' ? s.id : undefined,
        rule: s.rule,
        env,
        stopped: { reason: s.kind, domid: r.domid, vcpu: r.vcpu, description: describeStop(s.label, r), filter: s.filter, record: r },
      });
    }
    return out;
  }

  private addressCandidates(t: ThreadRef, eip: number): Candidate[] {
    const bps = this.byAddress.get(`${t.domid}:${eip}`) ?? [];
    const env = vcpuEnv(this.ctx, t.domid, t.vcpu);
    return bps.map((bp) => ({ id: bp.id, rule: bp.rule, env, stopped: { reason: bp.kind, ...t, description: `${bp.kind} at 0x${eip.toString(16)}` } }));
  }

  /** The data breakpoints a watchpoint stop is for; conditions see `value`, `old` and `address` besides registers. */
  private dataCandidates(stop: StopInfo): Candidate[] {
    const t = { domid: stop.domid ?? 0, vcpu: stop.vcpu ?? 0 };
    const w = stop.watchpoint;
    if (!w) return [];
    const v = stop.watchValue;
    const names: Record<string, number | undefined> = { value: v && valueOf(v.after), old: v && valueOf(v.before), address: w.gva >>> 0 };
    const env = vcpuEnv(this.ctx, t.domid, t.vcpu, (n) => names[n]);
    const description = describeHit(this.ins, w, v, t.vcpu, this.state(t).eip);
    return this.dataBps.filter((b) => b.watch === w).map((b) => ({ id: b.id, rule: b.rule, env, stopped: { reason: 'data breakpoint', ...t, description } }));
  }

  /** Forward: decides each candidate (counting hits, printing log points); the stop, if any. */
  private fire(cs: Candidate[]): Stopped | undefined {
    let hit: Stopped | undefined;
    const ids: number[] = [];
    for (const c of cs) {
      const d = c.rule.decide(c.env);
      if (d.action === 'log') this.hooks.output(`${d.text}\n`);
      if (d.action !== 'stop') continue;
      if (d.error) this.hooks.output(`${d.error}\n`);
      if (c.id !== undefined) ids.push(c.id);
      hit ??= c.stopped;
    }
    return hit && { ...hit, hitBreakpointIds: ids.length ? ids : undefined };
  }

  /** After a travel (reverse.ts): the stop the machine now shows, which a resume steps off. */
  travelled(s: Stopped): void {
    this.last = s;
  }

  pause(): void {
    if (this.running) this.pauseRequested = true;
  }

  /** Marks the machine busy from the moment a run is asked for, so a pause before it starts counts. */
  beginRun(): void {
    this.running = true;
    this.pauseRequested = false;
  }

  dispose(): void {
    this.disposed = true;
    this.pauseRequested = true;
  }

  /** Decides each trace record as the hypervisor emits it; true stops the run there. */
  private readonly stopOn = (r: TraceRecord): boolean => {
    if (r.kind === 'domain' && (r.event === 'created' || r.event === 'unpaused')) {
      if (this.stopOnEntry && r.event === 'unpaused' && r.domid !== 0 && !this.entered.has(r.domid)) {
        this.entered.add(r.domid);
        this.pendingDomain = r;
        this.pending = { reason: 'entry', domid: r.domid, vcpu: 0, description: `d${r.domid} ${r.name}: before its first instruction` };
        return true;
      }
      if (this.hooks.wantsDomainStops()) {
        this.pendingDomain = r;
        return true;
      }
    }
    const hit = this.fire(this.recordCandidates(r));
    if (!hit) return false;
    this.pending = hit;
    return true;
  };

  private emit(s: Stopped): void {
    this.last = s;
    this.hooks.stopped(s);
  }

  private state(t: ThreadRef): CpuState {
    return this.ins.cpuState(t.domid, t.vcpu);
  }

  inXen(t: ThreadRef): boolean {
    return this.ins.vcpus(t.domid).find((v) => v.vcpu === t.vcpu)?.activity !== undefined;
  }

  /**
   * Moves a thread off the breakpoint it stopped on, so resuming does not stop there again;
   * a data breakpoint that instruction hits is the stop.
   */
  private stepOff(t: ThreadRef | undefined): Stopped | undefined {
    // after a travel back the thread's domain may not exist yet
    if (!t || !this.ins.domains().some((d) => d.id === t.domid) || this.inXen(t)) return undefined;
    const eip = this.state(t).eip >>> 0;
    return this.byAddress.has(`${t.domid}:${eip}`) ? this.stepGuest(t) : undefined;
  }

  /**
   * One guest instruction of `t`: Inspectable.step stops a software interrupt (int 0x82,
   * int 0x80) where Xen takes the vCPU, with its activity set. A data breakpoint the
   * instruction hits (condition and hit count deciding) comes back as the stop to report.
   */
  private stepGuest(t: ThreadRef): Stopped | undefined {
    const s = this.ins.step(t.domid, t.vcpu, this.watchList.length ? { watchpoints: this.watchList } : undefined);
    return s.reason === 'watchpoint' ? this.fire(this.dataCandidates(s)) : undefined;
  }

  /**
   * The first run. Domains the toolstack built before it are stopped here, before their
   * first instruction, when stopOnEntry asks for it; later ones stop as they are unpaused.
   */
  async start(): Promise<void> {
    if (this.stopOnEntry) {
      const domUs = this.ins.domains().filter((d) => d.id !== 0 && !this.entered.has(d.id));
      for (const d of domUs) this.entered.add(d.id);
      if (domUs.length) {
        const d = domUs[0];
        const others = domUs.length > 1 ? ` (and ${domUs.slice(1).map((x) => `d${x.id} ${x.name}`).join(', ')})` : '';
        this.emit({ reason: 'entry', domid: d.id, vcpu: 0, description: `d${d.id} ${d.name}: before its first instruction${others}` });
        return;
      }
    }
    await this.resume();
  }

  /** continue: runs until something stops it, then says so. */
  async resume(from?: ThreadRef): Promise<void> {
    this.report(await this.drive(from ?? this.last));
  }

  private report(r: Stopped | 'finished' | 'disposed'): void {
    if (r === 'finished') this.hooks.finished();
    else if (r !== 'disposed') this.emit(r);
  }

  /** Runs in slices until a stop (a temp-break hit comes back with `temp: true`), without reporting it. */
  private async drive(from: ThreadRef | undefined, temp?: TempBreak): Promise<(Stopped & { temp?: boolean }) | 'finished' | 'disposed'> {
    // `running` stays set until the whole request (continue, a step of many drives) is done: the session clears it.
    this.running = true;
    const off = this.stepOff(from);
    if (off) return off;
    for (;;) {
      if (this.disposed) return 'disposed';
      if (this.pauseRequested) {
        this.pauseRequested = false;
        return { reason: 'pause', ...this.runningThread(), description: 'paused' };
      }
      const breakpoints = temp ? [...this.addressList, { domid: temp.domid, eip: temp.eip >>> 0 }] : this.addressList;
      this.pending = undefined;
      this.pendingDomain = undefined;
      // Without a predicate the hypervisor builds only the records someone subscribed to.
      const stopOn = this.recordStops.size || this.hooks.wantsDomainStops() || this.stopOnEntry ? this.stopOn : undefined;
      const watchpoints = this.watchList.length ? this.watchList : undefined;
      const stop = this.ins.run({ maxInstructions: SLICE, breakpoints, stopOn, watchpoints });
      const outcome = this.decide(stop, temp);
      if (outcome !== 'continue') return outcome;
      if (stop.reason === 'budget') await yieldToEventLoop();
    }
  }

  private decide(stop: StopInfo, temp?: TempBreak): (Stopped & { temp?: boolean }) | 'continue' | 'finished' {
    switch (stop.reason) {
      case 'budget':
      case 'step':
        return 'continue';
      case 'finished':
        return 'finished';
      case 'idle':
        return { reason: 'pause', ...this.runningThread(), description: 'idle: every domain is blocked and no timer is pending' };
      case 'time-limit':
        return { reason: 'pause', ...this.runningThread(), description: 'time limit reached' };
      case 'watchpoint':
        // a false condition or hit count runs on: the stop is after the access, nothing to step off
        return this.fire(this.dataCandidates(stop)) ?? 'continue';
      case 'trace': {
        const domainRecord = this.pendingDomain;
        if (domainRecord) this.hooks.domainAppeared(domainRecord);
        if (this.pending) return this.pending;
        return 'continue';
      }
      case 'breakpoint': {
        const t = { domid: stop.domid ?? 0, vcpu: stop.vcpu ?? 0 };
        const s = this.state(t);
        const eip = s.eip >>> 0;
        if (temp && temp.domid === t.domid && temp.vcpu === t.vcpu && temp.eip >>> 0 === eip && temp.accept(s)) {
          return { reason: 'step', ...t, description: 'step', temp: true };
        }
        const hit = this.fire(this.addressCandidates(t, eip));
        if (hit) return hit;
        // Not for us (another vCPU at the temp address, a false condition): go past it.
        return this.stepGuest(t) ?? 'continue';
      }
    }
  }

  /** The thread a pause or idle stop is shown on: the last one stopped, else any running vCPU. */
  private runningThread(): ThreadRef {
    for (const d of this.ins.domains()) {
      const v = this.ins.vcpus(d.id).find((x) => x.runstate === 'running');
      if (v) return { domid: d.id, vcpu: v.vcpu };
    }
    if (this.last) return { domid: this.last.domid, vcpu: this.last.vcpu };
    return { domid: 0, vcpu: 0 };
  }

  private instructionAt(t: ThreadRef, eip: number): { length: number; bytes: number[] } | undefined {
    const raw = this.ins.readMemory(t.domid, 'gva', eip, 15, t.vcpu);
    let n = 0;
    while (n < raw.length && raw[n] !== undefined) n++;
    if (n === 0) return undefined;
    const bytes = raw.slice(0, n) as number[];
    return { length: decodeOne(Uint8Array.from(bytes), 0, eip).length, bytes };
  }

  private lineKey(t: ThreadRef): string | undefined {
    const at = this.ins.image(t.domid)?.lineAt(this.state(t).eip >>> 0);
    return at ? `${at.file}:${at.line}` : undefined;
  }

  private stepped(t: ThreadRef): void {
    this.emit({ reason: 'step', ...t, description: this.inXen(t) ? 'step (in the hypervisor)' : 'step' });
  }

  /**
   * One instruction, or one hypervisor action; a call into a hypercall-page stub goes on into
   * Xen. A data breakpoint hit on the way is returned (the step ends there).
   */
  private stepInstructionIn(t: ThreadRef): Stopped | undefined {
    if (this.inXen(t)) {
      this.ins.step(t.domid, t.vcpu);
      return undefined;
    }
    const before = this.state(t);
    const insn = this.instructionAt(t, before.eip >>> 0);
    const hit = this.stepGuest(t);
    const isCall = insn !== undefined && isCallInstruction(insn.bytes);
    if (hit || !isCall || this.inXen(t)) return hit;
    // The hypercall page's stub is `mov eax, nr; int 0x82` (PV): walk it to reach the hypervisor.
    for (let i = 0; i < 2 && !this.inXen(t); i++) {
      const here = this.instructionAt(t, this.state(t).eip >>> 0);
      if (!here) return undefined;
      const b = here.bytes;
      const isMovEax = b[0] === 0xb8 && b[5] === 0xcd && b[6] === 0x82;
      const isInt82 = b[0] === 0xcd && b[1] === 0x82;
      const isVmcall = b[0] === 0x0f && b[1] === 0x01 && b[2] === 0xc1;
      if (!(isMovEax || isInt82 || (i > 0 && isVmcall) || (i === 0 && b[0] === 0xb8 && b[5] === 0x0f && b[6] === 0x01 && b[7] === 0xc1))) return undefined;
      const h = this.stepGuest(t);
      if (h) return h;
    }
    return undefined;
  }

  /**
   * A vCPU steps only while it has a pCPU: run the machine until the scheduler gives it one
   * (user breakpoints do not stop this; it is part of the step). False when it never will.
   */
  private ensureRunning(t: ThreadRef): boolean {
    for (let i = 0; i < 100; i++) {
      const v = this.ins.vcpus(t.domid).find((x) => x.vcpu === t.vcpu);
      if (!v) return false;
      if (v.runstate === 'running') return true;
      const stop = this.ins.run({ maxInstructions: SLICE, stopOn: (r) => r.kind === 'schedule' && r.domid === t.domid && r.vcpu === t.vcpu });
      if (stop.reason === 'finished' || stop.reason === 'idle') return false;
    }
    return false;
  }

  async stepIn(t: ThreadRef, byLine: boolean): Promise<void> {
    if (!this.ensureRunning(t)) return this.stepped(t);
    const start = this.lineKey(t);
    let hit = this.stepInstructionIn(t);
    if (byLine) {
      for (let i = 0; i < MAX_LINE_STEPS && !hit && !this.inXen(t); i++) {
        const k = this.lineKey(t);
        if (k !== undefined && k !== start) break;
        hit = this.stepInstructionIn(t);
      }
    }
    if (hit) this.emit(hit);
    else this.stepped(t);
  }

  /**
   * Over one instruction: a call or software interrupt (a hypercall) runs to the instruction
   * after it (other vCPUs run too, and breakpoints still stop); inside the hypervisor, one
   * action of the handling.
   */
  async next(t: ThreadRef, byLine: boolean, singleThread = false): Promise<void> {
    if (!this.ensureRunning(t)) return this.stepped(t);
    if (this.inXen(t)) {
      this.ins.step(t.domid, t.vcpu);
      this.stepped(t);
      return;
    }
    const start = this.lineKey(t);
    for (let i = 0; i < MAX_LINE_STEPS; i++) {
      const s = this.state(t);
      const insn = this.instructionAt(t, s.eip >>> 0);
      if (insn && (isCallInstruction(insn.bytes) || isSoftwareInterrupt(insn.bytes))) {
        const esp = s.r[4] >>> 0;
        const target = (s.eip + insn.length) >>> 0;
        const r = await this.runTo(t, { ...t, eip: target, accept: (x) => x.r[4] >>> 0 >= esp }, singleThread);
        // A breakpoint, a pause or the end on the way ends the step there.
        if (r === 'finished' || r === 'disposed' || !r.temp) return this.report(r);
      } else {
        const hit = this.stepGuest(t);
        if (hit) return this.emit(hit);
      }
      if (!byLine || this.inXen(t)) break;
      const k = this.lineKey(t);
      if (k !== undefined && k !== start) break;
    }
    this.stepped(t);
  }

  /**
   * Runs `t` to `temp`: the whole machine (breakpoints stop it), or with `singleThread` only
   * this vCPU, one instruction at a time with the others held (breakpoints do not stop it;
   * pause does).
   */
  private async runTo(t: ThreadRef, temp: TempBreak, singleThread: boolean): Promise<(Stopped & { temp?: boolean }) | 'finished' | 'disposed'> {
    if (!singleThread) return this.drive(t, temp);
    for (let i = 1; i <= MAX_SINGLE_STEPS; i++) {
      this.stepGuest(t);
      const s = this.state(t);
      if (!this.inXen(t) && s.eip >>> 0 === temp.eip >>> 0 && temp.accept(s)) return { reason: 'step', ...t, description: 'step', temp: true };
      if (i % 10_000 === 0) {
        await yieldToEventLoop();
        if (this.disposed) return 'disposed';
        if (this.pauseRequested) {
          this.pauseRequested = false;
          return { reason: 'pause', ...t, description: 'paused' };
        }
      }
    }
    return { reason: 'step', ...t, description: 'step (gave up: the call did not return)' };
  }

  /** Out of the hypervisor back to the guest, or out of the current guest function. */
  async stepOut(t: ThreadRef, singleThread = false): Promise<void> {
    if (!this.ensureRunning(t)) return this.stepped(t);
    if (this.inXen(t)) {
      for (let i = 0; i < MAX_XEN_STEPS && this.inXen(t); i++) this.ins.step(t.domid, t.vcpu);
      this.stepped(t);
      return;
    }
    const s = this.state(t);
    const ebp = s.r[5] >>> 0;
    const ret = this.ctx.readBytes(t.domid, t.vcpu, (ebp + 4) >>> 0, 4);
    if (!ret || ret.length < 4 || ebp === 0) {
      // No frame to return through: behave as a single step rather than running away.
      const hit = this.stepGuest(t);
      if (hit) this.emit(hit);
      else this.stepped(t);
      return;
    }
    const target = (ret[0] | (ret[1] << 8) | (ret[2] << 16) | (ret[3] << 24)) >>> 0;
    const r = await this.runTo(t, { ...t, eip: target, accept: (x) => x.r[4] >>> 0 > ebp }, singleThread);
    if (r !== 'finished' && r !== 'disposed' && r.temp) this.stepped(t);
    else this.report(r);
  }
}

function describeStop(label: string, r: TraceRecord): string {
  switch (r.kind) {
    case 'hypercall-entry':
      return `hypercall ${r.text}`;
    default:
      return `${label}: ${recordText(r)}`;
  }
}

/** call rel32, call r/m32 (ff /2) and far call r/m (ff /3), with any prefixes skipped. */
export function isCallInstruction(b: number[]): boolean {
  let i = 0;
  while (i < b.length && [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(b[i])) i++;
  if (b[i] === 0xe8 || b[i] === 0x9a) return true;
  return b[i] === 0xff && b[i + 1] !== undefined && ((b[i + 1] >> 3) & 7) >= 2 && ((b[i + 1] >> 3) & 7) <= 3;
}

/** int n, int3, into: the guest leaves for a handler (Xen's for int 0x82) and comes back after. */
export function isSoftwareInterrupt(b: number[]): boolean {
  return b[0] === 0xcd || b[0] === 0xcc || b[0] === 0xce;
}
