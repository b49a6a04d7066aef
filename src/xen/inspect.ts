/**
 * The contract between the simulator and everything that looks at it (the debugger, the CLI's
 * summaries, the extension's views): what can be read, changed and controlled, and nothing of
 * the simulator's internals. The hypervisor implements it; `src/debug` uses only this and the
 * trace stream (src/trace).
 *
 * Run control is synchronous and sliced: a front end calls `run` with a budget, gets a StopInfo
 * back, and may call again (the debug adapter yields to its event loop between slices so a
 * `pause` request gets through). Everything here is deterministic: the same inputs and the same
 * sequence of calls give the same machine.
 */
import type { CpuState } from '../cpu/state';
import type { TraceRecord } from '../trace/records';
import type { Trace } from '../trace/trace';

export type DomainKind = 'pv' | 'hvm';

/** Xen's domain states as `xl list` shows them, plus the reason a domain shut down. */
export type DomainState = 'running' | 'blocked' | 'paused' | 'shutdown' | 'crashed' | 'dying' | 'destroyed';

export type Runstate = 'running' | 'runnable' | 'blocked' | 'offline';

export interface DomainInfo {
  id: number;
  name: string;
  kind: DomainKind;
  privileged: boolean;
  state: DomainState;
  /** SHUTDOWN_* name when state is shutdown/crashed (poweroff, reboot, suspend, crash, watchdog) */
  shutdownReason?: string;
  vcpus: number;
  /** pages currently owned */
  pages: number;
  maxPages: number;
  /** the config file the domain came from (undefined for dom0) */
  configFile?: string;
}

/** What a vCPU is doing inside the hypervisor when it stopped there (a top stack frame). */
export interface HypervisorActivity {
  kind: 'hypercall' | 'vm-exit' | 'event-delivery' | 'trap-bounce';
  /** decoded, e.g. `event_channel_op(EVTCHNOP_send, port=3)` or `VM exit CPUID (leaf 0x40000000)` */
  description: string;
  /** for hypercalls: the Xen name (`event_channel_op`) and number */
  hypercall?: { name: string; nr: number; args: number[] };
}

export interface VcpuInfo {
  domid: number;
  vcpu: number;
  runstate: Runstate;
  /** pCPU it runs on or last ran on */
  pcpu: number;
  /** set while the vCPU is stopped inside the hypervisor */
  activity?: HypervisorActivity;
  /** virtual nanoseconds spent in each runstate */
  runstateTime: Record<Runstate, number>;
}

/** The three address spaces of a domain (DESIGN.md "Memory"). `ma` ignores the domain. */
export type AddressSpace = 'gva' | 'gpa' | 'ma';

/** Where a run stopped, and why. `domid`/`vcpu` name the vCPU the stop belongs to, if any. */
export interface StopInfo {
  reason:
    | 'budget' // the instruction budget ran out
    | 'breakpoint' // an instruction breakpoint (linear EIP) was reached
    | 'step' // a single step completed
    | 'trace' // a trace record matched the caller's stop predicate (hypercall, VM exit, event, fault...)
    | 'idle' // every domain is blocked with no timer pending: nothing can happen
    | 'finished' // every domain has shut down
    | 'time-limit' // virtual time reached the caller's limit
    | 'watchpoint'; // a data breakpoint's range was accessed (after the accessing instruction)
  domid?: number;
  vcpu?: number;
  /** the record that caused a 'trace' stop */
  record?: TraceRecord;
  /** the watchpoint that caused a 'watchpoint' stop */
  watchpoint?: Watchpoint;
  /** for a 'watchpoint' stop: the range's bytes before and after the access (empty: unreadable) */
  watchValue?: WatchValue;
}

export interface WatchValue {
  before: number[];
  after: number[];
}

/**
 * A data breakpoint on a guest-virtual range of a domain's vCPUs, armed with the CPU's debug
 * registers (DR0–DR3, so at most four aligned 1/2/4/8-byte pieces per domain; the guest's own
 * debug registers are set aside while a run has watchpoints for it). PV and HVM domains (an HVM
 * gva goes through the guest's own paging, or is the gpa with paging off). 'read'
 * is read-or-write on the hardware: a hit that changed the bytes is taken for a write and does
 * not stop (a write of the same value counts as a read).
 */
export interface Watchpoint {
  domid: number;
  gva: number;
  length: number;
  access: 'read' | 'write' | 'readWrite';
}

export interface RunOptions {
  /** instructions to retire across all pCPUs before returning with 'budget' */
  maxInstructions: number;
  /** stop before executing an instruction at one of these linear addresses of that domain's vCPUs */
  breakpoints?: ReadonlyArray<{ domid: number; eip: number }>;
  /**
   * Asked for each trace record as it is emitted; returning true stops the run at that point
   * with the vCPU inside the hypervisor (e.g. at a hypercall's entry, before Xen acts on it).
   */
  stopOn?: (record: TraceRecord) => boolean;
  /** stop after an instruction that accessed one of these ranges */
  watchpoints?: ReadonlyArray<Watchpoint>;
  /** stop when virtual time reaches this many nanoseconds */
  untilTimeNs?: number;
}

export interface StepOptions {
  /** watchpoints armed for this one instruction (as RunOptions.watchpoints) */
  watchpoints?: ReadonlyArray<Watchpoint>;
}

/** Source-level knowledge about a domain's kernel image, from the assembler or ELF/DWARF. */
export interface ImageInfo {
  /** guest-virtual address ↔ file:line */
  lineAt(gva: number): { file: string; line: number } | undefined;
  addressesOf(file: string, line: number): number[];
  /** nearest symbol at or below gva */
  symbolAt(gva: number): { name: string; address: number } | undefined;
  symbolAddress(name: string): number | undefined;
  /** source files this image was built from (absolute paths) */
  files(): string[];
}

export interface Inspectable {
  readonly trace: Trace;
  /** virtual time in nanoseconds since the machine started */
  now(): number;
  /** instructions retired by all pCPUs */
  instructionsRetired(): number;
  pcpuCount(): number;

  domains(): DomainInfo[];
  vcpus(domid: number): VcpuInfo[];
  /** complete architectural state of a vCPU (a copy) */
  cpuState(domid: number, vcpu: number): CpuState;
  /** change registers of a stopped vCPU (only the fields given) */
  setRegisters(domid: number, vcpu: number, regs: Partial<Pick<CpuState, 'r' | 'eip' | 'eflags'>>): void;
  /**
   * Read memory; bytes that are not mapped or not readable come back as undefined entries so a
   * hex view can show them as such. `vcpu` selects whose page tables translate a gva.
   */
  readMemory(domid: number, space: AddressSpace, address: number, length: number, vcpu?: number): (number | undefined)[];
  /** write memory; returns the number of bytes written before the first unmapped byte */
  writeMemory(domid: number, space: AddressSpace, address: number, data: Uint8Array, vcpu?: number): number;
  /** translate a guest-virtual address through the vCPU's page tables (undefined: not mapped) */
  translate(domid: number, vcpu: number, gva: number): { gpa: number; ma: number } | undefined;
  image(domid: number): ImageInfo | undefined;
  /** Xen state of a domain as name/value rows for a "Xen" scope: event channels, grants, timers, credit */
  xenState(domid: number, vcpu: number): XenStateNode[];
  /**
   * A domain's physical-to-machine map (HVM: the EPT-like P2M; PV: the p2m list Xen keeps for
   * it), as runs of consecutive gfns backed by consecutive mfns, in gfn order; holes left out.
   */
  p2m(domid: number): P2mRange[];

  run(options: RunOptions): StopInfo;
  /**
   * execute exactly one instruction (or one hypervisor action) of that vCPU, others held; a
   * watchpoint the instruction hits makes it a 'watchpoint' stop (after the instruction)
   */
  step(domid: number, vcpu: number, options?: StepOptions): StopInfo;

  /** the whole machine (memory, CPUs, hypervisor, scheduler, clock), restorable in this process */
  snapshot(): MachineSnapshot;
  /** put the machine back; running on from here reproduces the original future exactly */
  restore(snapshot: MachineSnapshot): void;
}

/** `count` frames from `gfn` backed by machine frames from `mfn` on. */
export interface P2mRange {
  gfn: number;
  mfn: number;
  count: number;
}

/** Opaque to front ends: only `restore` looks inside. */
export interface MachineSnapshot {
  readonly timeNs: number;
  readonly instructions: number;
}

/** A tree of named values for display (the debugger maps it to DAP variables). */
export interface XenStateNode {
  name: string;
  value: string;
  children?: XenStateNode[];
}

/** Reverse execution over an Inspectable (src/xen/timetravel): position, travelTo, previousStop. */
export type { Reversible, TravelPosition, TravelHit } from './timetravel/engine';
