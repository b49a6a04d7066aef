/**
 * The one narrow interface between the IA-32 processor and whatever hosts it: a bare test
 * harness, a PV vCPU or an HVM vCPU. The CPU knows nothing else of the outside world.
 *
 * Physical memory goes through a bus the platform provides, so a hypervisor can place guest
 * memory anywhere and trap holes/MMIO. Everything else (ports, MSRs, CPUID, hlt, vmcall,
 * shutdown, event interception) is a method the CPU calls at the architectural point.
 */

/** Size of a physical frame in bytes. Every frame the bus hands out is exactly this long. */
export const FRAME_SIZE = 4096;
export const FRAME_SHIFT = 12;

/** Operand size in bytes of a port, MMIO or memory access. */
export type AccessSize = 1 | 2 | 4;

/**
 * Physical memory as the CPU sees it.
 *
 * Fast path: `frame(pfn, write)` returns the 4 KiB of RAM backing physical frame `pfn` (the
 * CPU caches the view in its TLB), or null when `pfn` is not RAM; accesses to a null frame go
 * through `mmioRead`/`mmioWrite` one access at a time.
 *
 * Decoded-code coherence: the CPU caches decoded instructions per physical frame and remembers
 * `generation(pfn)` when it does. Every writer — a hypervisor copying into guest memory, a
 * device model, another CPU sharing this bus — must make the generation change before its
 * bytes can be observed by a CPU run: calling `frame(pfn, true)` does that (the bus bumps the
 * generation on each write request), so "ask for the frame for writing, then write" is the
 * whole protocol. A CPU re-validates its cached code at the start of every `run()` and after
 * every platform call that could write memory; within a run it catches its own writes to code
 * frames itself. Keeping a write view across runs without calling `frame(pfn, true)` again is
 * not allowed.
 */
export interface MemoryBus {
  frame(pfn: number, write: boolean): Uint8Array | null;
  /** A number that changes whenever `frame(pfn, true)` is called (wraps; compare for equality). */
  generation(pfn: number): number;
  /**
   * Access to a physical address that is not RAM (hole or MMIO). `value` is unsigned. Either
   * may throw fault.ts's `restartInstruction()` to abandon the instruction (nothing retired,
   * EIP at it, run() stopping with 'stop-requested') and have it run again later.
   */
  mmioRead(addr: number, size: AccessSize): number;
  mmioWrite(addr: number, size: AccessSize, value: number): void;
}

/** How an event reaches the CPU's delivery logic (SDM vol. 3 ch. 6). */
export type EventKind =
  /** An exception reported with EIP at the faulting instruction (#DE #UD #GP #PF …). */
  | 'fault'
  /** An exception reported with EIP after the instruction (#DB single-step/icebp, data breakpoints). */
  | 'trap'
  /** `int n`, `int3` (vector 3) and `into` (vector 4): EIP after the instruction, gate DPL-checked. */
  | 'soft'
  /** An interrupt from the platform's interrupt line. */
  | 'external';

/** An event the CPU is about to deliver; the platform may take it instead (see Platform.intercept). */
export interface CpuEvent {
  vector: number;
  kind: EventKind;
  /** Error code pushed for the vector, or undefined when the vector has none. */
  errorCode: number | undefined;
  /** Length of the instruction that raised it (for `soft`/`trap` from an instruction); 0 otherwise. */
  instructionLength: number;
  /** EIP of the instruction that caused it (for faults, equal to the CPU's EIP at intercept). */
  eip: number;
  /** For #PF, the faulting linear address (also in CR2 once delivered). */
  cr2?: number;
}

/**
 * A control-register access as the instruction would perform it, offered to the platform
 * before it takes effect (the forms a VMX CR-access exit distinguishes, SDM table 28-3).
 */
export interface CrAccess {
  /** mov to CR, mov from CR, clts, lmsw */
  type: 'mov-to' | 'mov-from' | 'clts' | 'lmsw';
  /** 0, 2, 3 or 4 (clts and lmsw: 0) */
  cr: number;
  /** the general register of a mov (EAX=0 … EDI=7), -1 for clts and lmsw */
  gpr: number;
  /** writes: the value the instruction would load into the register */
  value: number;
  /** lmsw: its 16-bit source operand, whether that was in memory, and its linear address */
  source?: number;
  memory?: boolean;
  linear?: number;
}

/**
 * An instruction the platform intercepted through one of its on* hooks: it has no effect and
 * is not retired; EIP stays at it; run() returns stop 'intercept' with this. The host emulates
 * it (or not) and moves EIP past it by `length` itself, as a VMM does after a VM exit.
 */
export type InterceptedInstruction = { eip: number; length: number } & (
  | { kind: 'cr'; access: CrAccess }
  | { kind: 'invlpg'; linear: number }
  | { kind: 'rdtsc' }
);

/** Result of a vmcall/vmmcall the platform was offered. */
export type VmcallResult = 'handled' | 'ud';

/** A read MSR value (64-bit as two halves) or "fault" for #GP(0). */
export type MsrValue = { lo: number; hi: number } | 'fault';

export interface CpuidResult {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/**
 * Everything the CPU needs from its host. Methods that may change memory or request a stop
 * (ports, MSRs, vmcall) are followed by the CPU re-checking its decoded-code cache and
 * `stopRequested`.
 */
export interface Platform {
  readonly bus: MemoryBus;
  ioRead(port: number, size: AccessSize): number;
  ioWrite(port: number, size: AccessSize, value: number): void;
  /** MSRs the CPU does not own itself (it owns TSC, SYSENTER_*, APIC base is the platform's). */
  rdmsr(index: number): MsrValue;
  /** false → #GP(0). */
  wrmsr(index: number, lo: number, hi: number): boolean;
  cpuid(leaf: number, subleaf: number): CpuidResult;
  /**
   * vmcall (0F 01 C1) or vmmcall (0F 01 D9). 'handled': the CPU continues after the
   * instruction (the platform may have changed registers through the CPU's API); 'ud': #UD.
   */
  vmcall(kind: 'vmcall' | 'vmmcall'): VmcallResult;
  /**
   * Called before the CPU delivers any exception or interrupt through the IDT. Return true to
   * take it: the CPU does not vector, leaves EIP as the event describes (faulting instruction
   * for faults, next instruction for traps and soft interrupts, unchanged for external), and
   * `run()` returns with stop 'intercept' so the platform can handle it and resume. This is
   * the exception hook (what a VMM's exception bitmap decides).
   */
  intercept?(event: CpuEvent): boolean;
  /** The CPU entered the shutdown state (triple fault). `run()` then returns stop 'triple-fault'. */
  shutdown?(reason: string): void;
  /** Called on hlt (CPL 0). The CPU is halted until an interrupt arrives; run() returns 'hlt'. */
  halted?(): void;
  /**
   * Interrupt acknowledge: called when the CPU takes the interrupt line (IF=1, no shadow) to
   * get the vector to deliver, so an interrupt controller can decide at that moment; null
   * means nothing to deliver after all. Without it, the vector given to setIrq is used.
   */
  interruptAcknowledge?(): number | null;
  /** Timestamp counter value (read by rdtsc/rdmsr 0x10); default: instructions retired. */
  tsc?(): bigint;
  /** iret ended the blocking of NMIs (Cpu.nmi): a host holding one back may stop the run now. */
  onNmiUnblocked?(): void;

  // Instruction intercept hooks. Each is consulted only when the platform defines it, at the
  // point where the SDM places a VM exit for the instruction: after its #UD and privilege
  // (CPL, CR4.TSD) checks, before its operand checks (reserved CR bits) and its effect. Return
  // true to intercept (see InterceptedInstruction); false lets the instruction run natively.
  /** mov to CR0/CR3/CR4 (CR2 writes are not offered: no VMM intercepts them), clts, lmsw. */
  onControlRegisterWrite?(access: CrAccess): boolean;
  /** mov from CR0/CR2/CR3/CR4 (smsw is not offered: it reads CR0 through no VMX control). */
  onControlRegisterRead?(access: CrAccess): boolean;
  /** invlpg of the linear address `linear`. */
  onInvlpg?(linear: number): boolean;
  /** rdtsc (not rdmsr 0x10, which goes through the MSR path). */
  onRdtsc?(): boolean;
}
