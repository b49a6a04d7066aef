/**
 * The hypervisor: domains and vCPUs on the Machine's pCPUs, the run loop, and every Xen action
 * as a resumable step. A hypercall, trap bounce or event upcall becomes the vCPU's
 * PendingAction; its trace records are emitted (and the caller's stopOn asked) before Xen acts,
 * so a debugger can stop at a hypercall's entry, step through it and stop at its exit.
 *
 * Time: pCPUs run in rounds of QUANTUM instructions each (a pCPU whose vCPU blocks idles out the
 * round); a round advances virtual time by QUANTUM × ns-per-instruction; timers fire and the
 * scheduler ticks at round boundaries; when every pCPU is idle, time skips to the next timer.
 */
import { Cpu, CS, DS, ES, FS, GS, SS, CR0_PG, CR0_WP, CR4_PAE } from '../cpu/cpu';
import { setSegment } from '../cpu/segments';
import type { CpuEvent } from '../cpu/platform';
import { Trace } from '../trace/trace';
import { CLASS_BIT, CLASS_OF, TraceRecord, VmExitRecord } from '../trace/records';
import { DOMID, HYPERCALLS, decodeHypercall, formatResult, VIRQ } from './abi';
import { Machine, MachineOptions, PAGE_SIZE } from './machine';
import { MemoryManager, XenError, GDT_L2_SLOT, PTE_P, PTE_RW, PTE_US, PTE_A, OWNER_XEN } from './mm';
import { GuestMemory } from './guestmem';
import { Domain, Vcpu, PendingAction } from './domain';
import { PvPlatform, bounce, fillReservedGdtPage, installGdt, loadSegment, xenCpuid, FLAT_RING1_CS, FLAT_RING1_DS } from './pv';
import { SharedInfo } from './shared';
import { CreditScheduler, TICK_NS } from './sched';
import { HYPERCALL_TABLE } from './hypercalls';
import { HypercallContext } from './hypercalls/types';
import { EventChannels } from './events';
import { emulatePrivileged } from './emulate';
import { createHvmCpu, hvmExternalInterrupt, hvmGuestMemory, hvmBeforeEntry, hvmAfterRun, watchIntercept, hvmWaitDescription, HVM_HYPERCALL_TABLE, LOCAL_TIMER_VECTOR } from './hvm';
import type { DomainInfo, StopInfo, RunOptions, StepOptions, VcpuInfo, Watchpoint, WatchValue } from './inspect';
import { ArmedWatch, armWatchpoints, disarmWatchpoints, watchHit } from './watch';

export const QUANTUM = 10_000;
/** virtual instructions a Xen action (one step of a hypercall, bounce or upcall) is charged */
const ACTION_COST = 1;

export interface HypervisorOptions extends MachineOptions {
  quantum?: number;
  /** Xen's `hvm_fep` boot option: HVM guests may use the forced-emulation prefix (#UD intercepted) */
  hvmFep?: boolean;
}

interface Pcpu {
  id: number;
  current: Vcpu | null;
  /** instructions (and action costs) used in the current round */
  used: number;
}

export type DomainListener = (d: Domain, event: 'shutdown' | 'crashed') => void;

export class Hypervisor {
  readonly machine: Machine;
  readonly mm: MemoryManager;
  readonly trace = new Trace();
  readonly domains = new Map<number, Domain>();
  readonly cpus = new Map<Vcpu, Cpu>();
  readonly platforms = new Map<Vcpu, PvPlatform>();
  readonly pcpus: Pcpu[];
  readonly sched: CreditScheduler;
  readonly events: EventChannels;
  readonly quantum: number;
  readonly hvmFep: boolean;
  /** virtual ns at the start of the current round */
  roundStart = 0;
  cursor = 0;
  instructions = 0;
  nextTick = TICK_NS;
  nextDomid = 1;
  private stopOn?: (r: TraceRecord) => boolean;
  private stopHit: TraceRecord | null = null;
  /**
   * HVM vCPUs stopped at a VM exit, until their next VM entry: the exit was handled inside the
   * CPU's run (a platform callback), so it is no PendingAction, yet the vCPU is in Xen.
   */
  readonly stoppedAtExit = new Map<Vcpu, VmExitRecord>();
  /** RunOptions.breakpoints of the run in progress: each domain's addresses, without repeats */
  private runBreakpoints = new Map<number, number[]>();
  /** The last RunOptions.breakpoints grouped, kept while the next run passes the same list. */
  private readonly grouped = new GroupedBreakpoints();
  /** RunOptions.watchpoints of the run in progress, and the vCPUs they are armed on */
  private runWatchpoints: ReadonlyArray<Watchpoint> = [];
  private readonly watchArmed = new Map<Vcpu, ArmedWatch>();
  private watchStop: { hit: Watchpoint; value?: WatchValue } | null = null;
  /** who the records of the current step are attributed to */
  private ctxPcpu = 0;
  readonly domainListeners: DomainListener[] = [];
  /** back ends in the toolstack notified when a guest sends on `${domid}:${port}` */
  readonly portHooks = new Map<string, () => void>();
  /**
   * Event channel ends whose consumer is Xen itself (consumer_is_xen: an HVM domain's ioreq
   * ports), keyed `${domid}:${port}`: a send from the remote end calls this instead of setting
   * the port pending in the domain.
   */
  readonly xenConsumers = new Map<string, () => void>();
  /**
   * Services of dom0 that work as dom0's vCPU 0, in its time (an HVM domain's device model):
   * while one has work dom0 does not block, and each step charges its cost to dom0's pCPU.
   */
  readonly dom0Services: { hasWork(): boolean; step(v: Vcpu): number }[] = [];
  /** timers outside the vCPUs' own (an HVM device model's PIT): the earliest deadline and what fires it */
  readonly timerSources: { next(): number; fire(now: number): void }[] = [];

  constructor(opts: HypervisorOptions = {}) {
    this.machine = new Machine(opts);
    this.mm = new MemoryManager(this.machine);
    this.quantum = opts.quantum ?? QUANTUM;
    this.hvmFep = opts.hvmFep ?? false;
    this.pcpus = Array.from({ length: this.machine.pcpus }, (_, id) => ({ id, current: null, used: 0 }));
    this.mm.xenArea = {
      xenL2Entry: (domid, slot) => {
        const d = this.domains.get(domid);
        if (!d || slot !== GDT_L2_SLOT) return 0;
        return (d.gdtL1 * PAGE_SIZE + (PTE_P | PTE_RW | PTE_US | PTE_A)) >>> 0;
      },
    };
    this.sched = new CreditScheduler({
      nrPcpus: this.pcpus.length,
      now: (p) => this.pcpuNow(p),
      vcpus: () => [...this.domains.values()].flatMap((d) => d.vcpus),
      current: (p) => this.pcpus[p].current,
      setCurrent: (p, v, reason) => this.setCurrent(p, v, reason),
    });
    this.events = new EventChannels(this);
  }

  // ------------------------------------------------------------------ time

  pcpuNow(p: number): number {
    return this.roundStart + this.pcpus[p].used * this.machine.nsPerInstruction;
  }

  /** system time as the running context sees it */
  now(): number {
    return this.pcpuNow(this.ctxPcpu);
  }

  // ------------------------------------------------------------------ trace

  /** Record base for the current context. */
  base(v: Vcpu | null): { time: number; pcpu: number; domid: number; vcpu: number } {
    const pcpu = v ? v.pcpu : this.ctxPcpu;
    return { time: this.pcpuNow(pcpu), pcpu, domid: v ? v.domain.id : DOMID.XEN, vcpu: v ? v.id : 0 };
  }

  /** Whether a record of this kind is wanted by a listener or the stop predicate (build it only then). */
  wants(kind: TraceRecord['kind']): boolean {
    return (this.trace.mask & CLASS_BIT[CLASS_OF[kind]]) !== 0 || this.stopOn !== undefined;
  }

  /** A record asked for a stop that the run loop has not reported yet (platform callbacks end the CPU's run on it). */
  get stopPending(): boolean {
    return this.stopHit !== null;
  }

  emit(r: TraceRecord): void {
    this.trace.emit(r);
    if (this.stopOn && !this.stopHit && this.stopOn(r)) this.stopHit = r;
  }

  // ------------------------------------------------------------------ domains

  shared(d: Domain): SharedInfo {
    return new SharedInfo(this.machine, d);
  }

  memOf(v: Vcpu): GuestMemory {
    if (v.domain.kind === 'hvm') return hvmGuestMemory(this, v);
    const cpu = this.cpus.get(v)!;
    return new GuestMemory(this.machine, () => cpu.cr3 >>> 0);
  }

  cpuOf(v: Vcpu): Cpu {
    return this.cpus.get(v)!;
  }

  /** createdomain: the Domain, its Xen frames (shared_info, GDT area) and vCPU objects. */
  createDomain(name: string, opts: { privileged?: boolean; maxPages: number; vcpus: number; domid?: number; config?: Domain['config']; kind?: Domain['kind'] }): Domain {
    const id = opts.domid ?? this.nextDomid++;
    if (this.domains.has(id)) throw new XenError(-17, `domain ${id} exists`);
    const d = new Domain(id, name, opts.kind ?? 'pv', opts.privileged ?? false, opts.config, opts.maxPages);
    if (d.privileged) d.ioports = 'all';
    this.domains.set(id, d);
    d.sharedInfoMfn = this.mm.alloc(OWNER_XEN);
    this.mm.info[d.sharedInfoMfn].sharedWith = id;
    // shared_info starts with every vCPU's events masked, as Xen leaves it
    const si = this.shared(d);
    d.gdtL1 = this.mm.alloc(OWNER_XEN);
    d.xenGdtPage = this.mm.alloc(OWNER_XEN);
    fillReservedGdtPage(this.machine.writable(d.xenGdtPage));
    for (let i = 0; i < opts.vcpus; i++) this.addVcpu(d, i);
    for (let i = 0; i < opts.vcpus && i < 32; i++) si.setUpcallMask(i, 1);
    this.events.initDomain(d);
    if (this.wants('domain')) this.emit({ kind: 'domain', ...this.base(null), domid: d.id, event: 'created', name });
    return d;
  }

  private addVcpu(d: Domain, id: number): Vcpu {
    const v = new Vcpu(d, id);
    if (d.kind === 'hvm') {
      d.vcpus.push(v);
      const hcpu = createHvmCpu(this, v);
      this.cpus.set(v, hcpu);
      this.armBreakpoints(v, hcpu);
      return v;
    }
    const platform = new PvPlatform(this.machine, () => this.pcpuNow(v.pcpu));
    const cpu = new Cpu(platform);
    d.vcpus.push(v);
    this.cpus.set(v, cpu);
    this.platforms.set(v, platform);
    this.armBreakpoints(v, cpu);
    this.refreshGdtMapping(v);
    return v;
  }

  /** Map vCPU `v`'s GDT area: the guest's set_gdt frames read-only, Xen's reserved page, zeros elsewhere. */
  refreshGdtMapping(v: Vcpu): void {
    const d = v.domain;
    const f = this.machine.writable(d.gdtL1);
    const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
    for (let page = 0; page < 16; page++) {
      let mfn = this.mm.zeroFrame;
      if (page < 14 && page < v.gdtFrames.length) mfn = v.gdtFrames[page];
      if (page === 14) mfn = d.xenGdtPage;
      dv.setUint32((v.id * 16 + page) * 8, (mfn * PAGE_SIZE + (PTE_P | PTE_US | PTE_A)) >>> 0, true);
      dv.setUint32((v.id * 16 + page) * 8 + 4, 0, true);
    }
    for (const [vv, cpu] of this.cpus) if (vv.domain === d) cpu.flushTlb();
  }

  /** Put a vCPU into the PV initial state: ring 1, flat selectors, PAE paging on `l3mfn`. */
  initVcpuContext(v: Vcpu, ctx: { eip: number; esp: number; esi: number; l3mfn: number }): void {
    const cpu = this.cpuOf(v);
    cpu.reset();
    cpu.cr0 = (0x80000000 | CR0_WP | 0x11 | 0x20) | 0; // PG WP NE ET PE
    cpu.cr4 = CR4_PAE;
    cpu.cr3 = (ctx.l3mfn * PAGE_SIZE) | 0;
    cpu.cpl = 1;
    installGdt(v, cpu);
    cpu.idtrBase = 0;
    cpu.idtrLimit = 0;
    // No I/O bitmap: in/out from the guest raise #GP.
    Object.assign(cpu.tr, { sel: 0, base: 0, limit: 0, attr: 0x8b });
    const ok = loadSegment(this.machine, v, cpu, CS, FLAT_RING1_CS) && [SS, DS, ES, FS, GS].every((s) => loadSegment(this.machine, v, cpu, s, FLAT_RING1_DS));
    if (!ok) throw new Error('internal: Xen flat selectors did not load');
    cpu.setEflags(0x202);
    cpu.eip = ctx.eip | 0;
    cpu.r.fill(0);
    cpu.r[4] = ctx.esp | 0;
    cpu.r[6] = ctx.esi | 0;
    cpu.modeChanged();
    cpu.flushTlb();
    void CR0_PG;
    void setSegment;
  }

  /** Make a vCPU runnable (VCPUOP_up, unpause). */
  vcpuUp(v: Vcpu): void {
    v.up = true;
    if (v.domain.state === 'running' || v.domain.state === 'blocked') this.sched.wake(v, false);
  }

  unpause(d: Domain): void {
    if (d.state !== 'paused') return;
    d.state = 'running';
    if (this.wants('domain')) this.emit({ kind: 'domain', ...this.base(null), domid: d.id, event: 'unpaused', name: d.name });
    for (const v of d.vcpus) if (v.up && !v.blocked) this.sched.wake(v, false);
  }

  pause(d: Domain): void {
    if (d.state !== 'running') return;
    d.state = 'paused';
    for (const v of d.vcpus) if (v.runstate === 'running' || v.runstate === 'runnable') this.sched.sleep(v, 'offline');
    if (this.wants('domain')) this.emit({ kind: 'domain', ...this.base(null), domid: d.id, event: 'paused', name: d.name });
  }

  /** destroydomain: every vCPU stops, ports close, frames go back to the heap. */
  destroyDomain(d: Domain): void {
    if (d.state === 'destroyed') return;
    for (const v of d.vcpus) {
      this.timerStop(v);
      if (v.runstate !== 'offline') this.sched.sleep(v, 'offline');
      v.pending = null;
    }
    this.events.closeAll(d);
    for (let mfn = 0; mfn < this.mm.info.length; mfn++) if (this.mm.info[mfn].owner === d.id) this.mm.free(mfn);
    d.p2m.clear();
    d.state = 'destroyed';
    if (this.wants('domain')) this.emit({ kind: 'domain', ...this.base(null), domid: d.id, event: 'destroyed', name: d.name });
  }

  /** SCHEDOP_shutdown / a crash: stop every vCPU, tell the toolstack. */
  shutdown(d: Domain, reason: string, code: number): void {
    if (!d.alive) return;
    d.state = reason === 'crash' ? 'crashed' : 'shutdown';
    d.shutdownReason = reason;
    d.shutdownCode = code;
    for (const v of d.vcpus) {
      this.timerStop(v);
      if (v.runstate !== 'offline') this.sched.sleep(v, 'offline');
    }
    if (this.wants('domain')) this.emit({ kind: 'domain', ...this.base(null), domid: d.id, event: reason === 'crash' ? 'crashed' : 'shutdown', name: d.name, reason: `SHUTDOWN_${reason}` });
    for (const l of this.domainListeners) l(d, reason === 'crash' ? 'crashed' : 'shutdown');
  }

  crash(d: Domain, why: string): void {
    this.consoleWrite(d, `(XEN) domain_crash called: ${why}\n`, 'serial');
    this.shutdown(d, 'crash', 3);
  }

  /** Output of the domain's PV console ring (kept apart from console_io's). */
  ringWrite(d: Domain, text: string): void {
    d.ringLine += text;
    let nl: number;
    while ((nl = d.ringLine.indexOf('\n')) >= 0) {
      const line = d.ringLine.slice(0, nl).replace(/\r$/, '');
      d.ringLine = d.ringLine.slice(nl + 1);
      if (this.wants('console')) {
        const v = d.vcpus.find((x) => x.runstate === 'running') ?? null;
        this.emit({ kind: 'console', ...this.base(v), domid: d.id, text: line, source: 'pv-ring' });
      }
    }
  }

  consoleWrite(d: Domain, text: string, source: 'console_io' | 'serial' = 'console_io'): void {
    d.consoleLine += text;
    let nl: number;
    while ((nl = d.consoleLine.indexOf('\n')) >= 0) {
      const line = d.consoleLine.slice(0, nl).replace(/\r$/, '');
      d.consoleLine = d.consoleLine.slice(nl + 1);
      d.consoleLines.push(line);
      if (this.wants('console')) {
        const v = d.vcpus.find((x) => x.runstate === 'running') ?? null;
        this.emit({ kind: 'console', ...this.base(v), domid: d.id, text: line, source });
      }
    }
  }

  // ------------------------------------------------------------------ timers

  timerSet(v: Vcpu, deadline: number): void {
    // a deadline already passed fires at once (Xen's set_timer_op)
    if (deadline <= this.now()) {
      v.timer.deadline = -1;
      this.events.sendVirq(v, VIRQ.TIMER);
      return;
    }
    v.timer.deadline = deadline;
  }

  timerStop(v: Vcpu): void {
    v.timer.deadline = -1;
  }

  private fireTimers(now: number): void {
    for (const d of this.domains.values()) {
      if (!d.alive) continue;
      for (const v of d.vcpus) {
        if (v.timer.deadline >= 0 && v.timer.deadline <= now) {
          v.timer.deadline = -1;
          this.events.sendVirq(v, VIRQ.TIMER);
        }
        if (v.periodicNext >= 0 && v.periodicNext <= now) {
          v.periodicNext += v.periodicNs;
          this.events.sendVirq(v, VIRQ.TIMER);
        }
        if (v.pollDeadline >= 0 && v.pollDeadline <= now && v.blocked) this.wakeFromBlock(v);
      }
    }
    for (const t of this.timerSources) if (t.next() <= now) t.fire(now);
  }

  private nextTimer(): number {
    let t = Infinity;
    for (const d of this.domains.values()) {
      if (!d.alive) continue;
      for (const v of d.vcpus) {
        if (v.timer.deadline >= 0) t = Math.min(t, v.timer.deadline);
        if (v.periodicNext >= 0) t = Math.min(t, v.periodicNext);
        if (v.pollDeadline >= 0 && v.blocked) t = Math.min(t, v.pollDeadline);
      }
    }
    for (const s of this.timerSources) t = Math.min(t, s.next());
    return t;
  }

  // ------------------------------------------------------------------ blocking

  block(v: Vcpu): void {
    // dom0 serving the toolstack does not sleep while the toolstack has work for it
    if (this.injector && v.domain.id === 0 && v.id === 0 && this.injector.hasWork()) return;
    if (v.domain.id === 0 && v.id === 0 && this.dom0Services.some((s) => s.hasWork())) return;
    v.blocked = true;
    this.sched.sleep(v, 'blocked');
  }

  wakeFromBlock(v: Vcpu): void {
    if (!v.blocked) return;
    v.blocked = false;
    v.pollPorts = null;
    v.pollDeadline = -1;
    if (v.domain.alive && v.domain.state !== 'paused' && v.up) {
      this.catchUp(v);
      this.sched.wake(v, true);
    }
  }

  /**
   * A vCPU woken by another pCPU's vCPU onto a pCPU whose turn in this round is already over (a
   * front end's kick waking dom0) would wait for the next round. Instead, when that pCPU is busy,
   * the vCPU is woken on the waker's pCPU; when it is idle, its clock
   * goes back to the moment of the wake (never before the vCPU blocked), so the run loop gives
   * it the rest of the round at once (run: a finished pCPU with budget left is visited before
   * the cursor's). Derived from the pCPUs alone, so a snapshot needs nothing more.
   */
  private catchUp(v: Vcpu): void {
    const q = this.pcpus[v.pcpu];
    if (!q || q.id === this.ctxPcpu) return;
    if (q.current !== null) {
      // its pCPU is busy and done for the round: it is woken on the waker's pCPU instead, whose
      // turn is in progress (Linux's wake-affine), and its priority there decides when it runs
      if (q.id < this.cursor && (v.affinity.length === 0 || v.affinity.includes(this.ctxPcpu))) v.pcpu = this.ctxPcpu;
      return;
    }
    const ns = this.machine.nsPerInstruction;
    const blockedAt = Math.ceil((v.runstateEntry - this.roundStart) / ns);
    q.used = Math.min(this.quantum, Math.max(this.pcpus[this.ctxPcpu].used, blockedAt));
  }

  /** The pCPU to advance: a finished one a wake gave budget back (catchUp), else the cursor's. */
  private nextPcpu(): Pcpu | undefined {
    // only between the cursor vCPU's actions: a hypercall is not cut by another pCPU's turn
    // (so the interleaving is the same whether or not a run stops on each record)
    const c = this.pcpus[this.cursor];
    if (c?.current?.pending) return c;
    for (let i = 0; i < this.cursor && i < this.pcpus.length; i++) {
      const p = this.pcpus[i];
      if (p.current && p.used < this.quantum) return p;
    }
    return this.pcpus[this.cursor];
  }

  private setCurrent(p: number, v: Vcpu | null, reason: string): void {
    const pc = this.pcpus[p];
    const prev = pc.current;
    pc.current = v;
    if (v) this.shared(v.domain).updateTime(v.id, this.pcpuNow(p), this.pcpuNow(p));
    if (this.wants('schedule')) {
      this.emit({
        kind: 'schedule',
        time: this.pcpuNow(p),
        pcpu: p,
        domid: v ? v.domain.id : DOMID.IDLE,
        vcpu: v ? v.id : p,
        prevDomid: prev ? prev.domain.id : DOMID.IDLE,
        prevVcpu: prev ? prev.id : p,
        reason,
        priority: v ? v.sched.pri : 'idle',
        credit: v ? Math.round(v.sched.credit) : undefined,
      });
    }
  }

  // ------------------------------------------------------------------ the run loop

  private allDone(): boolean {
    for (const d of this.domains.values()) if (!d.privileged && d.alive) return false;
    return this.toolstackIdle();
  }

  /** Overridden by the toolstack: true when it has nothing left to do. */
  toolstackIdle: () => boolean = () => true;

  /**
   * The toolstack's hypercalls, issued as dom0's vCPU 0 while it runs: `next` gives the next
   * one (its arguments already in dom0's memory) or null; `done` gets its result.
   */
  injector: { next(v: Vcpu): { nr: number; args: number[] } | null; done(result: number): void; hasWork(): boolean } | null = null;

  run(options: RunOptions): StopInfo {
    const end = this.instructions + Math.max(0, options.maxInstructions);
    this.stopOn = options.stopOn;
    this.stopHit = null;
    this.runBreakpoints = this.grouped.of(options.breakpoints);
    this.runWatchpoints = options.watchpoints ?? [];
    this.watchStop = null;
    try {
      for (const [v, cpu] of this.cpus) this.armBreakpoints(v, cpu);
      for (;;) {
        if (this.allDone()) return { reason: 'finished' };
        if (options.untilTimeNs !== undefined && this.roundStart >= options.untilTimeNs) return { reason: 'time-limit' };
        if (this.instructions >= end) return this.pendingWatchStop() ?? { reason: 'budget' };
        const p = this.nextPcpu();
        if (!p) {
          const idle = this.endRound(options.untilTimeNs);
          if (idle) return idle;
          continue;
        }
        const v = p.current;
        if (!v || p.used >= this.quantum) {
          p.used = this.quantum;
          if (p.id === this.cursor) this.cursor++;
          continue;
        }
        this.ctxPcpu = p.id;
        const stop = this.stepVcpu(v, p, Math.min(this.quantum - p.used, end - this.instructions), true);
        if (stop) return stop;
      }
    } finally {
      this.stopOn = undefined;
      this.runBreakpoints = NO_BREAKPOINTS;
      this.disarmAll();
    }
  }

  /**
   * A watchpoint trap the budget's last instruction left pending (the CPU takes a #DB before
   * the next instruction, and the next run would arm afresh and lose the old bytes): taken now.
   */
  private pendingWatchStop(): StopInfo | null {
    for (const [v, armed] of this.watchArmed) {
      const cpu = this.cpuOf(v);
      const ours = armed.slots.reduce((m, _w, n) => m | (1 << n), 0);
      const bits = cpu.pendingDr6 & ours;
      if (!bits) continue;
      cpu.pendingDr6 &= ~bits;
      cpu.dr[6] |= bits;
      const w = watchHit(cpu, armed, this.watchBytes(v));
      if (w.hit) return { reason: 'watchpoint', domid: v.domain.id, vcpu: v.id, watchpoint: w.hit, watchValue: w.value };
    }
    return null;
  }

  /** The guest's own debug registers back on every vCPU a run or step armed. */
  private disarmAll(): void {
    this.runWatchpoints = [];
    for (const [v, armed] of this.watchArmed) disarmWatchpoints(this.cpuOf(v), armed);
    this.watchArmed.clear();
  }

  private watchBytes(v: Vcpu): (gva: number, len: number) => string {
    return (gva, len) => {
      const b = this.memOf(v).tryRead(gva, len);
      return b ? Array.from(b).join(',') : '';
    };
  }

  /**
   * The current run's breakpoints for `v`'s domain (also for vCPUs created during the run). They
   * stay armed after the run: re-arming the same ones for the next costs no recompiled code.
   */
  private armBreakpoints(v: Vcpu, cpu: Cpu): void {
    cpu.breakpoints.assign(this.runBreakpoints.get(v.domain.id));
  }

  /**
   * The current run's watchpoints on `v`'s debug registers, armed as it is about to execute
   * guest code (not when it is created: building a vCPU sets its registers, debug ones too).
   */
  private armWatch(v: Vcpu, cpu: Cpu): void {
    if (this.watchArmed.has(v)) return;
    const ws = this.runWatchpoints.filter((w) => w.domid === v.domain.id);
    if (ws.length) this.watchArmed.set(v, armWatchpoints(cpu, ws, this.watchBytes(v)));
  }

  /** An HVM vCPU's #DB exits to Xen only while watchpoints are armed on it (its exception bitmap). */
  interceptsDebugTrap(v: Vcpu): boolean {
    return this.watchArmed.has(v);
  }

  step(domid: number, vcpu: number, options: StepOptions = {}): StopInfo {
    const v = this.domains.get(domid)?.vcpus[vcpu];
    if (!v) return { reason: 'step' };
    // a runnable vCPU waiting for its pCPU may be stepped too (the others are held anyway);
    // a blocked or offline one has nothing to execute
    if (v.runstate !== 'running' && v.runstate !== 'runnable') return { reason: 'step', domid, vcpu };
    const p = this.pcpus[v.pcpu];
    this.ctxPcpu = p.id;
    this.runWatchpoints = options.watchpoints ?? [];
    this.watchStop = null;
    try {
      const stop = this.stepVcpu(v, p, 1, false);
      if (stop && stop.reason !== 'budget') return stop;
      return this.pendingWatchStop() ?? { reason: 'step', domid, vcpu };
    } finally {
      this.disarmAll();
    }
  }

  /** One slice of a vCPU's progress: a pending Xen action step, an upcall, or guest instructions. */
  private stepVcpu(v: Vcpu, p: Pcpu, budget: number, honourBreakpoints: boolean): StopInfo | null {
    if (v.pending) {
      this.stepAction(v);
      p.used += ACTION_COST;
      this.instructions += ACTION_COST;
      // Nobody can stop inside Xen: go on with the action's next steps exactly as the run loop
      // would (same budget and quantum checks), without the trip through it.
      let left = budget - ACTION_COST;
      while (!this.stopOn && v.pending && p.current === v && honourBreakpoints && left > 0 && p.used < this.quantum) {
        this.stepAction(v);
        p.used += ACTION_COST;
        this.instructions += ACTION_COST;
        left -= ACTION_COST;
      }
      return this.checkStop(v);
    }
    if (this.injector && v.domain.id === 0 && v.id === 0 && v.eventCallback) {
      const req = this.injector.next(v);
      if (req) {
        const mem = this.memOf(v);
        const dec = decodeHypercall(req.nr, req.args, (gva, size) => mem.tryRead(gva, size));
        this.startAction(v, { kind: 'hypercall', nr: req.nr, args: req.args, phase: 'entry', text: dec.text, name: dec.name, subop: dec.subop, ring: 1, eip: this.cpuOf(v).eip >>> 0, injected: true });
        return this.checkStop(v);
      }
    }
    if (this.events.upcallDeliverable(v)) {
      this.startAction(v, { kind: 'event-delivery', phase: 'entry', ring: this.cpuOf(v).cpl, eip: this.cpuOf(v).eip >>> 0 });
      return this.checkStop(v);
    }
    if (v.domain.id === 0 && v.id === 0) {
      const svc = this.dom0Services.find((s) => s.hasWork());
      if (svc) {
        const cost = svc.step(v);
        p.used += cost;
        this.instructions += cost;
        return this.checkStop(v);
      }
    }
    const cpu = this.cpuOf(v);
    const hvm = v.domain.kind === 'hvm';
    if (hvm) {
      this.stoppedAtExit.delete(v);
      if (!hvmBeforeEntry(this, v)) {
        // its ioreq is still with the device model: back to waiting
        if (v.domain.alive) {
          this.block(v);
          v.pollPorts = [];
        }
        return this.checkStop(v);
      }
    }
    if (this.runWatchpoints.length) this.armWatch(v, cpu);
    const res = cpu.run(budget, honourBreakpoints);
    p.used += res.retired;
    this.instructions += res.retired;
    if (hvm) {
      const after = hvmAfterRun(this, v, res);
      p.used += after.cost;
      if (after.hypercall) this.startAction(v, { kind: 'hypercall', nr: after.hypercall.nr, args: after.hypercall.args, phase: 'entry', text: '', name: HYPERCALLS.get(after.hypercall.nr)?.name ?? `hypercall_${after.hypercall.nr}`, ring: 0, eip: cpu.eip >>> 0 });
      // an intercept is a VM exit hvmAfterRun handled, unless it is a watchpoint's #DB (below)
      if (res.stop === 'hlt' || res.stop === 'stop-requested' || (res.stop === 'intercept' && !watchIntercept(this, v, res))) return this.checkStop(v);
      if (res.stop === 'triple-fault') {
        // hvm_triple_fault: Xen's default action is a reboot of the domain
        this.consoleWrite(v.domain, `(XEN) d${v.domain.id}v${v.id} Triple fault - invoking HVM shutdown action\n`, 'serial');
        this.shutdown(v.domain, 'reboot', 1);
        return this.checkStop(v);
      }
    }
    switch (res.stop) {
      case 'intercept': {
        if (res.event) this.intercepted(v, res.event);
        const w = this.watchStop;
        this.watchStop = null;
        if (w) return { reason: 'watchpoint', domid: v.domain.id, vcpu: v.id, watchpoint: w.hit, watchValue: w.value };
        return this.checkStop(v);
      }
      case 'breakpoint':
        return { reason: 'breakpoint', domid: v.domain.id, vcpu: v.id };
      case 'triple-fault':
        this.crash(v.domain, 'triple fault');
        return this.checkStop(v);
      case 'hlt':
        // Ring 1 cannot hlt (it faults); a halted PV vCPU can only come from a bad restore.
        this.crash(v.domain, 'vCPU halted');
        return this.checkStop(v);
      default:
        return null;
    }
  }

  private checkStop(v: Vcpu): StopInfo | null {
    if (!this.stopHit) return null;
    const r = this.stopHit;
    this.stopHit = null;
    if (r.kind === 'vm-exit') {
      const at = this.domains.get(r.domid)?.vcpus[r.vcpu];
      if (at) this.stoppedAtExit.set(at, r);
    }
    return { reason: 'trace', record: r, domid: r.domid === v.domain.id ? v.domain.id : r.domid, vcpu: r.domid === v.domain.id ? v.id : r.vcpu };
  }

  private anyWaitingForPcpu(): boolean {
    for (const d of this.domains.values()) {
      if (!d.alive) continue;
      for (const v of d.vcpus) if (v.runstate === 'runnable' || v.sched.parked) return true;
    }
    return false;
  }

  /** End of a round: advance time, fire timers, tick the scheduler; skip idle time. */
  private endRound(until?: number): StopInfo | null {
    this.cursor = 0;
    let next = this.roundStart + this.quantum * this.machine.nsPerInstruction;
    const allIdle = this.pcpus.every((p) => p.current === null);
    if (allIdle) {
      const timer = this.nextTimer();
      // The scheduler's tick wakes no blocked vCPU: with no timer armed and no vCPU waiting for a
      // pCPU (runnable, or parked by its cap until the next accounting), nothing can ever run
      // again, and ticking on would spin a run without a time limit forever.
      if (timer === Infinity && !this.anyWaitingForPcpu()) return this.allDone() ? { reason: 'finished' } : { reason: 'idle' };
      const t = Math.min(timer, this.nextTick);
      // jump to the round containing the next event
      const q = this.quantum * this.machine.nsPerInstruction;
      next = Math.max(next, Math.ceil(t / q) * q);
      if (until !== undefined && next > until) next = Math.max(this.roundStart + q, Math.ceil(until / q) * q);
    }
    for (const p of this.pcpus) p.used = 0;
    this.roundStart = next;
    this.ctxPcpu = 0;
    // the HVM vCPUs that were in guest mode when the round ended: Xen's tick interrupts them
    const inGuest = this.nextTick <= next ? this.pcpus.map((p) => (p.current?.domain.kind === 'hvm' && p.current.runstate === 'running' && p.current.domain.alive ? p.current : null)) : [];
    this.fireTimers(next);
    while (this.nextTick <= next) {
      for (const v of inGuest) if (v) hvmExternalInterrupt(v, LOCAL_TIMER_VECTOR);
      this.sched.tick(this.nextTick);
      this.nextTick += TICK_NS;
    }
    return null;
  }

  // ------------------------------------------------------------------ Xen actions

  private intercepted(v: Vcpu, ev: CpuEvent): void {
    const cpu = this.cpuOf(v);
    const ring = cpu.cpl;
    const armed = ev.vector === 1 ? this.watchArmed.get(v) : undefined;
    if (armed) {
      const w = watchHit(cpu, armed, this.watchBytes(v));
      if (w.hit) this.watchStop = { hit: w.hit, value: w.value };
      if (w.swallow) return;
    }
    if (v.domain.kind === 'hvm') {
      // only #DB is intercepted (interceptsDebugTrap); the guest's own causes go back to it
      cpu.inject(ev.vector, ev.kind, ev.errorCode);
      return;
    }
    if (ev.kind === 'soft' && ev.vector === 0x82 && ring === 1) {
      const nr = cpu.r[0] >>> 0;
      const args = [cpu.r[3] >>> 0, cpu.r[1] >>> 0, cpu.r[2] >>> 0, cpu.r[6] >>> 0, cpu.r[7] >>> 0];
      this.startAction(v, { kind: 'hypercall', nr, args, phase: 'entry', text: '', name: HYPERCALLS.get(nr)?.name ?? `hypercall_${nr}`, ring, eip: cpu.eip >>> 0 });
      return;
    }
    if (ev.kind === 'fault' && ev.vector === 6 && this.forcedEmulation(v, cpu)) return;
    if (ev.kind === 'fault' && ev.vector === 13 && ring === 1 && this.emulatePrivileged(v, cpu)) return;
    let vector = ev.vector;
    let errorCode = ev.errorCode;
    if (ev.kind === 'soft') {
      const t = v.trapTable[vector];
      if (!t || (t.flags & 3) < ring || vector === 0x82) {
        // A gate the caller may not use: #GP with the IDT error code, at the int instruction.
        errorCode = (vector << 3) | 2;
        vector = 13;
        cpu.eip = ev.eip | 0;
        this.startAction(v, { kind: 'trap-bounce', vector, errorCode, soft: false, phase: 'entry', ring, eip: ev.eip });
        return;
      }
    }
    this.startAction(v, { kind: 'trap-bounce', vector, errorCode, cr2: ev.cr2, soft: ev.kind === 'soft', phase: 'entry', ring, eip: cpu.eip >>> 0 });
  }

  /** `ud2a; .ascii "xen"; cpuid`: Xen's forced-emulation prefix, CPUID with Xen's leaves. */
  private forcedEmulation(v: Vcpu, cpu: Cpu): boolean {
    const lin = (cpu.segBase[CS] + cpu.eip) >>> 0;
    const b = this.memOf(v).tryRead(lin, 7);
    if (!b || b[0] !== 0x0f || b[1] !== 0x0b || b[2] !== 0x78 || b[3] !== 0x65 || b[4] !== 0x6e || b[5] !== 0x0f || b[6] !== 0xa2) return false;
    const r = xenCpuid(cpu.r[0] >>> 0, cpu.r[1] >>> 0);
    cpu.r[0] = r.eax | 0;
    cpu.r[3] = r.ebx | 0;
    cpu.r[1] = r.ecx | 0;
    cpu.r[2] = r.edx | 0;
    cpu.eip = (cpu.eip + 7) | 0;
    if (this.wants('fault')) this.emit({ kind: 'fault', ...this.base(v), vector: 6, name: '#UD', eip: lin, ring: cpu.cpl, outcome: 'xen' });
    return true;
  }

  /** emulate_privileged_op: control-register reads and permitted port I/O (emulate.ts). */
  private emulatePrivileged(v: Vcpu, cpu: Cpu): boolean {
    const lin = (cpu.segBase[CS] + cpu.eip) >>> 0;
    const len = emulatePrivileged(this, v, cpu);
    if (!len) return false;
    cpu.eip = (cpu.eip + len) | 0;
    if (this.wants('fault')) this.emit({ kind: 'fault', ...this.base(v), vector: 13, name: '#GP', errorCode: 0, eip: lin, ring: 1, outcome: 'xen' });
    return true;
  }

  /** A new action: its entry records are emitted now (the stop point before Xen acts). */
  private startAction(v: Vcpu, a: PendingAction): void {
    v.pending = a;
    const b = this.base(v);
    if (a.kind === 'hypercall') {
      v.domain.hypercalls++;
      // an HVM guest's hypercall is a VMCALL exit (traced as such), not a ring transition
      if (!a.injected && v.domain.kind !== 'hvm' && this.wants('ring-transition')) this.emit({ kind: 'ring-transition', ...b, from: a.ring, to: 0, cause: 'hypercall', fromEip: a.eip });
      if (this.wants('hypercall-entry') || this.wants('hypercall-exit')) {
        const mem = this.memOf(v);
        const dec = decodeHypercall(a.nr, a.args, (gva, size) => mem.tryRead(gva, size));
        a.text = dec.text;
        a.subop = dec.subop;
        if (this.wants('hypercall-entry')) this.emit({ kind: 'hypercall-entry', ...b, nr: a.nr, name: dec.name, subop: dec.subop, args: dec.args, text: dec.text });
      }
    } else if (a.kind === 'trap-bounce') {
      if (this.wants('fault') && !a.soft) {
        const handled = !!v.trapTable[a.vector]?.address;
        this.emit({ kind: 'fault', ...b, vector: a.vector, name: VECTOR_NAMES[a.vector] ?? `#${a.vector}`, errorCode: a.errorCode, cr2: a.cr2, eip: a.eip, ring: a.ring, outcome: handled ? 'bounce' : 'crash' });
      }
    } else {
      const si = this.shared(v.domain);
      const port = si.firstPending(v.id, v.domain.evtchns.length);
      if (this.wants('event-deliver')) this.emit({ kind: 'event-deliver', ...b, port, virq: this.events.virqName(v.domain, port), upcall: true });
    }
    a.phase = 'act';
  }

  private stepAction(v: Vcpu): void {
    const a = v.pending!;
    const cpu = this.cpuOf(v);
    if (a.kind === 'hypercall') {
      if (a.phase === 'act') {
        const ctx: HypercallContext = { hv: this, vcpu: v, domain: v.domain, args: a.args, mem: this.memOf(v), noResult: false };
        let result: number;
        const h = (v.domain.kind === 'hvm' ? HVM_HYPERCALL_TABLE : HYPERCALL_TABLE)[a.nr];
        try {
          result = h ? h(ctx) : -38;
        } catch (e) {
          if (e instanceof XenError) result = e.errno;
          else {
            // A bug in xensim's handling must not take the simulator down: the calling domain
            // crashes (as Xen's BUG paths crash the guest they serve) and the message says why.
            this.crash(v.domain, `internal error in ${a.name}: ${(e as Error).message}`);
            result = -38;
          }
        }
        a.result = result | 0;
        a.noResult = ctx.noResult;
        a.phase = 'return';
        if (this.wants('hypercall-exit')) this.emit({ kind: 'hypercall-exit', ...this.base(v), nr: a.nr, name: a.name, subop: a.subop, result: a.result, resultText: formatResult(a.result) });
        return;
      }
      // return to the guest (after a block, when the vCPU runs again)
      v.pending = null;
      if (a.injected) {
        this.injector?.done(a.result!);
        return;
      }
      if (!a.noResult) cpu.r[0] = a.result! | 0;
      cpu.afterPlatformCall();
      if (v.domain.kind !== 'hvm' && this.wants('ring-transition')) this.emit({ kind: 'ring-transition', ...this.base(v), from: 0, to: cpu.cpl, cause: a.noResult ? 'iret' : 'hypercall-return', toEip: cpu.eip >>> 0 });
      return;
    }
    v.pending = null;
    const si = this.shared(v.domain);
    const info = { upcallMask: () => si.upcallMask(v.id), setUpcallMask: (m: number) => si.setUpcallMask(v.id, m) };
    const from = cpu.cpl;
    const fromEip = cpu.eip >>> 0;
    if (a.kind === 'trap-bounce') {
      const t = v.trapTable[a.vector];
      if (!t || !t.address) {
        this.crash(v.domain, `unhandled ${VECTOR_NAMES[a.vector] ?? `vector ${a.vector}`} at eip 0x${a.eip.toString(16)} in ring ${a.ring}${a.cr2 !== undefined ? ` (cr2 0x${a.cr2.toString(16)})` : ''}`);
        return;
      }
      if (a.vector === 14 && a.cr2 !== undefined) si.setCr2(v.id, a.cr2);
      try {
        bounce(this.machine, v, cpu, this.memOf(v), info, { cs: t.cs, eip: t.address }, a.errorCode, (t.flags & 4) !== 0);
      } catch (e) {
        if (!(e instanceof XenError)) throw e;
        this.crash(v.domain, `cannot bounce ${VECTOR_NAMES[a.vector] ?? a.vector}: ${e.message}`);
        return;
      }
      if (this.wants('trap-bounce')) this.emit({ kind: 'trap-bounce', ...this.base(v), vector: a.vector, errorCode: a.errorCode, cr2: a.cr2, cs: cpu.segSel[CS], eip: cpu.eip >>> 0 });
      if (this.wants('ring-transition')) {
        this.emit({ kind: 'ring-transition', ...this.base(v), from, to: cpu.cpl, cause: a.soft ? (a.vector === 0x80 ? 'syscall' : 'interrupt') : 'exception', fromEip, toEip: cpu.eip >>> 0 });
      }
    } else {
      const cb = v.eventCallback;
      if (!cb || si.upcallMask(v.id) || !si.upcallPending(v.id)) return;
      try {
        bounce(this.machine, v, cpu, this.memOf(v), info, cb, undefined, true);
      } catch (e) {
        if (!(e instanceof XenError)) throw e;
        this.crash(v.domain, `cannot deliver an event upcall: ${e.message}`);
        return;
      }
      if (this.wants('ring-transition')) this.emit({ kind: 'ring-transition', ...this.base(v), from, to: cpu.cpl, cause: 'event-upcall', fromEip, toEip: cpu.eip >>> 0 });
    }
  }

  // ------------------------------------------------------------------ inspection helpers

  domainInfo(d: Domain): DomainInfo {
    const info: DomainInfo = {
      id: d.id,
      name: d.name,
      kind: d.kind,
      privileged: d.privileged,
      state: this.displayState(d),
      vcpus: d.vcpus.length,
      pages: d.pages,
      maxPages: d.maxPages,
    };
    if (d.shutdownReason) info.shutdownReason = d.shutdownReason;
    if (d.config) info.configFile = d.config.file;
    return info;
  }

  private displayState(d: Domain): DomainInfo['state'] {
    if (d.state !== 'running') return d.state;
    return d.vcpus.some((v) => v.runstate === 'running' || v.runstate === 'runnable') ? 'running' : 'blocked';
  }

  vcpuInfo(v: Vcpu): VcpuInfo {
    const now = this.pcpuNow(v.pcpu);
    const t = { ...v.runstateTime };
    t[v.runstate] += Math.max(0, now - v.runstateEntry);
    const info: VcpuInfo = { domid: v.domain.id, vcpu: v.id, runstate: v.runstate, pcpu: v.pcpu, runstateTime: t };
    const a = v.pending;
    if (a) {
      if (a.kind === 'hypercall') {
        if (!a.text) {
          const mem = this.memOf(v);
          a.text = decodeHypercall(a.nr, a.args, (gva, size) => mem.tryRead(gva, size)).text;
        }
        info.activity = { kind: 'hypercall', description: a.phase === 'return' ? `${a.text} = ${formatResult(a.result ?? 0)}` : a.text, hypercall: { name: a.name, nr: a.nr, args: [...a.args] } };
      }
      else if (a.kind === 'trap-bounce') info.activity = { kind: 'trap-bounce', description: `bounce ${VECTOR_NAMES[a.vector] ?? `vector ${a.vector}`}${a.errorCode !== undefined ? ` (error 0x${a.errorCode.toString(16)})` : ''}` };
      else info.activity = { kind: 'event-delivery', description: 'event upcall' };
    } else {
      const exit = this.stoppedAtExit.get(v);
      const wait = hvmWaitDescription(v);
      if (exit) info.activity = { kind: 'vm-exit', description: `VM exit ${exit.reasonName.replace(/^EXIT_REASON_/, '')}${exit.qualification !== undefined ? ` (qualification 0x${exit.qualification.toString(16)})` : ''}${exit.handler ? ` → ${exit.handler}` : ''}${wait ? `; ${wait}` : ''}` };
      else if (wait) info.activity = { kind: 'vm-exit', description: wait };
    }
    return info;
  }
}

export const VECTOR_NAMES: Record<number, string> = {
  0: '#DE', 1: '#DB', 2: 'NMI', 3: '#BP', 4: '#OF', 5: '#BR', 6: '#UD', 7: '#NM', 8: '#DF', 10: '#TS', 11: '#NP', 12: '#SS', 13: '#GP', 14: '#PF', 16: '#MF', 17: '#AC', 18: '#MC', 19: '#XM', 0x80: 'int 0x80',
};

const NO_BREAKPOINTS = new Map<number, number[]>();

/**
 * RunOptions.breakpoints as each domain's linear addresses, each once. A debugger passes the
 * same list run after run (a run is a slice of well under a millisecond of guest time), so the
 * grouping is kept while the list's contents stay the same: comparing them costs far less than
 * grouping them again, and the same per-domain arrays let BreakpointSet.assign stop at once.
 */
class GroupedBreakpoints {
  private domids = new Int32Array(0);
  private eips = new Int32Array(0);
  private last = NO_BREAKPOINTS;

  of(list: ReadonlyArray<{ domid: number; eip: number }> = []): Map<number, number[]> {
    if (this.same(list)) return this.last;
    this.domids = Int32Array.from(list, (b) => b.domid);
    this.eips = Int32Array.from(list, (b) => b.eip);
    const sets = new Map<number, Set<number>>();
    for (const b of list) {
      let set = sets.get(b.domid);
      if (!set) sets.set(b.domid, (set = new Set()));
      set.add(b.eip >>> 0);
    }
    this.last = new Map([...sets].map(([d, set]) => [d, [...set]]));
    return this.last;
  }

  private same(list: ReadonlyArray<{ domid: number; eip: number }>): boolean {
    if (list.length !== this.domids.length) return false;
    for (let i = 0; i < list.length; i++) if (list[i].domid !== this.domids[i] || (list[i].eip | 0) !== this.eips[i]) return false;
    return true;
  }
}
