/**
 * Domains and vCPUs: the hypervisor's per-guest state. Everything here is plain data (numbers,
 * arrays, records) apart from each vCPU's Cpu, so a snapshot is a structured copy plus the CPU
 * states (see snapshot.ts).
 */
import type { DomainKind, DomainState, ImageInfo, Runstate } from './inspect';
import type { DomainConfig } from './config';
import { P2m } from './p2m';

/** One entry of the guest's trap table (set_trap_table's trap_info). */
export interface TrapEntry {
  /** bits 0-1: DPL a software `int` needs; bit 2: clear the upcall mask (interrupt gate) */
  flags: number;
  cs: number;
  address: number;
}

/** A guest entry point registered with set_callbacks / callback_op. */
export interface Callback {
  cs: number;
  eip: number;
  /** CALLBACKF_mask_events */
  maskEvents: boolean;
}

/** Something Xen is doing for a vCPU, held across stop points so the debugger can stop inside it. */
export type PendingAction =
  | {
      kind: 'hypercall';
      nr: number;
      /** ebx ecx edx esi edi at entry */
      args: number[];
      /** entry emitted → act (Xen acts) → exit emitted → return to the guest */
      phase: 'entry' | 'act' | 'exit' | 'return';
      text: string;
      name: string;
      subop?: string;
      result?: number;
      /** ring the hypercall came from */
      ring: number;
      /** eip after `int 0x82` */
      eip: number;
      /** set by iret: the guest frame was restored, do not write eax back */
      noResult?: boolean;
      /** issued by the toolstack as dom0 (no guest registers involved) */
      injected?: boolean;
    }
  | {
      kind: 'trap-bounce';
      vector: number;
      errorCode?: number;
      cr2?: number;
      /** a software int (eip already past it) */
      soft: boolean;
      phase: 'entry' | 'act';
      ring: number;
      eip: number;
    }
  | { kind: 'event-delivery'; phase: 'entry' | 'act'; ring: number; eip: number };

export interface VcpuTimer {
  /** system time (ns) the timer fires, or -1 */
  deadline: number;
}

export interface CreditState {
  credit: number;
  /** priority as the credit scheduler sees it */
  pri: 'boost' | 'under' | 'over';
  /** virtual ns when the current slice began */
  sliceStart: number;
  /** parked by a cap until the next accounting */
  parked: boolean;
  /** nanosecond-credits not yet burnt as a whole credit (burn_credits' remainder) */
  residual: number;
}

export class Vcpu {
  runstate: Runstate = 'offline';
  runstateTime: Record<Runstate, number> = { running: 0, runnable: 0, blocked: 0, offline: 0 };
  runstateEntry = 0;
  /** the pCPU it runs on or last ran on */
  pcpu = 0;
  /** pCPUs it may run on (from cpus=); empty: any */
  affinity: number[] = [];
  /** brought up (VCPUOP_up / the builder for vCPU0) */
  up = false;
  /** blocked in SCHEDOP_block or SCHEDOP_poll until an event */
  blocked = false;
  pollPorts: number[] | null = null;
  pollDeadline = -1;
  pending: PendingAction | null = null;
  trapTable: (TrapEntry | undefined)[] = new Array<TrapEntry | undefined>(256);
  eventCallback: Callback | null = null;
  failsafeCallback: Callback | null = null;
  syscallCallback: Callback | null = null;
  /** stack_switch: ring 1 stack for transitions from ring 3 */
  kernelSs = 0;
  kernelSp = 0;
  /** set_gdt: guest frames (mfns) of GDT pages 0..13 and the entry count */
  gdtFrames: number[] = [];
  gdtEntries = 0;
  /** machine frame of the L3 in CR3 (holds a type reference) */
  baseMfn = 0;
  timer: VcpuTimer = { deadline: -1 };
  periodicNs = 0;
  periodicNext = -1;
  /** fpu_taskswitch: CR0.TS as the guest set it */
  fpuTs = false;
  sched: CreditState = { credit: 0, pri: 'under', sliceStart: 0, parked: false, residual: 0 };
  /** the CPU is set up by the hypervisor (Cpu with the vCPU's platform) */
  constructor(
    readonly domain: Domain,
    readonly id: number,
  ) {}

  get name(): string {
    return `d${this.domain.id}v${this.id}`;
  }
}

export interface EventChannel {
  state: 'free' | 'unbound' | 'interdomain' | 'virq' | 'ipi' | 'pirq';
  /** vCPU to notify */
  vcpu: number;
  /** unbound: the domain allowed to bind; interdomain: the peer */
  remoteDom: number;
  remotePort: number;
  virq: number;
}

export class Domain {
  state: DomainState = 'paused';
  shutdownReason?: string;
  shutdownCode = -1;
  readonly vcpus: Vcpu[] = [];
  /** pfn → mfn (sparse, copy-on-write in snapshots) */
  p2m = new P2m();
  maxPages: number;
  sharedInfoMfn = 0;
  evtchns: EventChannel[] = [];
  maxEvtchns = 1023;
  /** VIRQ number → port, per vCPU */
  virqPorts: number[][] = [];
  image?: ImageInfo;
  /** console_io output not yet ended by a newline */
  consoleLine = '';
  ringLine = '';
  /** everything written through console_io, in order */
  consoleLines: string[] = [];
  hypercalls = 0;
  cpuTimeNs = 0;
  weight = 256;
  cap = 0;
  startInfoGva = 0;
  /** frames and ports of the PV console ring and xenstore ring (0: none) */
  consoleMfn = 0;
  consolePort = 0;
  storeMfn = 0;
  storePort = 0;
  /** Xen frames for this domain's per-vCPU GDT area */
  gdtL1 = 0;
  xenGdtPage = 0;
  vmAssist = 0;
  /** how many times this domain was restarted by on_reboot/on_crash restart */
  restarts = 0;
  pendingDestroy = false;
  /** I/O ports the domain may use (Xen's ioports_permit_access): the hardware domain has all */
  ioports: 'all' | number[] = [];

  constructor(
    readonly id: number,
    public name: string,
    readonly kind: DomainKind,
    readonly privileged: boolean,
    public config: DomainConfig | undefined,
    maxPages: number,
  ) {
    this.maxPages = maxPages;
  }

  get pages(): number {
    return this.p2m.pages;
  }

  get alive(): boolean {
    return this.state === 'running' || this.state === 'blocked' || this.state === 'paused';
  }
}
