// The typed trace stream: one record per thing that happens in the simulated system.
// Every record carries its virtual time (ns), the pCPU and the domain and vCPU it concerns.
import type { DecodedField } from '../xen/abi';

/** Record classes, the unit of --trace-filter. */
export const TRACE_CLASSES = ['hypercall', 'ring', 'event', 'trap', 'fault', 'schedule', 'vmexit', 'domain', 'console'] as const;
export type TraceClass = (typeof TRACE_CLASSES)[number];

export interface TraceBase {
  /** Virtual time in nanoseconds since the machine started. */
  readonly time: number;
  readonly pcpu: number;
  /** DOMID_XEN / DOMID_IDLE for records that concern no guest. */
  readonly domid: number;
  readonly vcpu: number;
}

export interface HypercallEntryRecord extends TraceBase {
  readonly kind: 'hypercall-entry';
  readonly nr: number;
  /** Xen's name: `event_channel_op`. */
  readonly name: string;
  /** `EVTCHNOP_send` for multiplexed hypercalls. */
  readonly subop?: string;
  readonly args: readonly DecodedField[];
  /** `event_channel_op(EVTCHNOP_send, port=3)` */
  readonly text: string;
}

export interface HypercallExitRecord extends TraceBase {
  readonly kind: 'hypercall-exit';
  readonly nr: number;
  readonly name: string;
  readonly subop?: string;
  /** eax as a signed 32-bit value; negative Xen errno on failure. */
  readonly result: number;
  /** `0`, `-ENOSYS` */
  readonly resultText: string;
}

export type RingCause =
  | 'hypercall'
  | 'hypercall-return'
  | 'exception'
  | 'interrupt'
  | 'syscall'
  | 'iret'
  | 'event-upcall'
  | 'trap-bounce'
  | 'failsafe'
  | 'vm-exit'
  | 'vm-entry'
  | 'schedule';

export interface RingTransitionRecord extends TraceBase {
  readonly kind: 'ring-transition';
  /** Privilege levels 0..3 (0 = Xen, 1 = PV kernel, 3 = applications). */
  readonly from: number;
  readonly to: number;
  readonly cause: RingCause;
  /** Guest eip where it left (from) and where it resumes (to). */
  readonly fromEip?: number;
  readonly toEip?: number;
}

export interface EventSendRecord extends TraceBase {
  readonly kind: 'event-send';
  /** The sender's port (domid/vcpu of the base are the sender's). */
  readonly port: number;
  readonly remoteDomid: number;
  readonly remotePort: number;
  /** What kind of channel: interdomain, ipi, virq (then virq names it), pirq. */
  readonly channel: 'interdomain' | 'ipi' | 'virq' | 'pirq' | 'unbound';
  readonly virq?: string;
}

export interface EventDeliveryRecord extends TraceBase {
  readonly kind: 'event-deliver';
  readonly port: number;
  readonly virq?: string;
  /** Already pending or masked: set the bit, but no upcall. */
  readonly upcall: boolean;
}

export interface TrapBounceRecord extends TraceBase {
  readonly kind: 'trap-bounce';
  readonly vector: number;
  readonly errorCode?: number;
  readonly cr2?: number;
  /** The guest handler it is bounced to. */
  readonly cs: number;
  readonly eip: number;
}

export interface FaultRecord extends TraceBase {
  readonly kind: 'fault';
  readonly vector: number;
  /** `#PF`, `#GP`, `#UD` … */
  readonly name: string;
  readonly errorCode?: number;
  readonly cr2?: number;
  readonly eip: number;
  readonly ring: number;
  /** Who handles it: bounced to the guest, fixed up in Xen, or it crashes the domain. */
  readonly outcome: 'bounce' | 'xen' | 'crash';
}

export interface ScheduleRecord extends TraceBase {
  readonly kind: 'schedule';
  /** The vCPU that was running (the base's domid/vcpu are the one chosen). */
  readonly prevDomid: number;
  readonly prevVcpu: number;
  readonly reason: string;
  /** Credit scheduler state of the chosen vCPU, when known. */
  readonly priority?: 'boost' | 'under' | 'over' | 'idle';
  readonly credit?: number;
}

export interface VmExitRecord extends TraceBase {
  readonly kind: 'vm-exit';
  readonly reason: number;
  /** Xen's name for the exit reason: `EXIT_REASON_IO_INSTRUCTION`. */
  readonly reasonName: string;
  readonly qualification?: number;
  /** EXCEPTION_NMI: the VM-exit interruption information (vector, type, error code valid, valid). */
  readonly interruptionInfo?: number;
  /** EPT_VIOLATION: the guest-physical address (the VMCS's GUEST_PHYSICAL_ADDRESS field). */
  readonly gpa?: number;
  readonly rip: number;
  /** Who handled it: `xen:<function>` or `dm:<device>` (the device model in dom0). */
  readonly handler?: string;
  /** Virtual cycles (instructions) the handling cost. */
  readonly cycles?: number;
}

export interface VmEntryRecord extends TraceBase {
  readonly kind: 'vm-entry';
  readonly rip: number;
  /** The vector injected with this entry, if any. */
  readonly vector?: number;
  /** Virtual cycles (instructions of time) from the exit this entry ends, waiting for a device model included. */
  readonly exitCycles?: number;
}

/**
 * One step of an ioreq round trip (hvm/ioreq.h): Xen posting it for an HVM vCPU ('send', the
 * base names that vCPU), the device model serving it ('dm', the base names dom0's vCPU, or
 * DOMID_XEN without dom0), Xen completing the instruction before VM entry ('complete').
 */
export interface IoreqRecord extends TraceBase {
  readonly kind: 'ioreq';
  readonly phase: 'send' | 'dm' | 'complete';
  readonly targetDomid: number;
  readonly targetVcpu: number;
  /** IOREQ_TYPE_PIO (0) or IOREQ_TYPE_COPY (1) */
  readonly type: number;
  readonly dir: 'read' | 'write';
  readonly addr: number;
  readonly size: number;
  readonly count: number;
  readonly dataIsPtr: boolean;
  /** the value written, or the value read (at 'complete') */
  readonly data?: number;
  /** the device model's device that decodes the address */
  readonly device: string;
}

export type DomainEvent = 'created' | 'unpaused' | 'paused' | 'shutdown' | 'crashed' | 'destroyed' | 'restarted' | 'renamed' | 'preserved';

export interface DomainRecord extends TraceBase {
  readonly kind: 'domain';
  readonly event: DomainEvent;
  readonly name: string;
  /** For shutdown: `SHUTDOWN_poweroff` …; for restarted/renamed: detail. */
  readonly reason?: string;
}

export interface ConsoleRecord extends TraceBase {
  readonly kind: 'console';
  readonly text: string;
  /** Where it came from: console_io, the PV console ring, an HVM debug port. */
  readonly source: 'console_io' | 'pv-ring' | 'hvm-port' | 'serial';
}

export type TraceRecord =
  | HypercallEntryRecord
  | HypercallExitRecord
  | RingTransitionRecord
  | EventSendRecord
  | EventDeliveryRecord
  | TrapBounceRecord
  | FaultRecord
  | ScheduleRecord
  | VmExitRecord
  | VmEntryRecord
  | IoreqRecord
  | DomainRecord
  | ConsoleRecord;

export type TraceKind = TraceRecord['kind'];

/** The class each kind belongs to. */
export const CLASS_OF: Readonly<Record<TraceKind, TraceClass>> = {
  'hypercall-entry': 'hypercall',
  'hypercall-exit': 'hypercall',
  'ring-transition': 'ring',
  'event-send': 'event',
  'event-deliver': 'event',
  'trap-bounce': 'trap',
  fault: 'fault',
  schedule: 'schedule',
  'vm-exit': 'vmexit',
  'vm-entry': 'vmexit',
  ioreq: 'vmexit',
  domain: 'domain',
  console: 'console',
};

/** One bit per class, so "does anyone want this?" is a single AND on the hot path. */
export const CLASS_BIT: Readonly<Record<TraceClass, number>> = Object.fromEntries(
  TRACE_CLASSES.map((c, i) => [c, 1 << i]),
) as Record<TraceClass, number>;

export const ALL_CLASSES_MASK = (1 << TRACE_CLASSES.length) - 1;
