/**
 * The platform of an HVM vCPU (VMX non-root in spirit): the guest owns its rings, IDT, GDT and
 * paging; what VMX would make exit lands here and is dispatched in one place (exit()) under
 * Intel's basic exit reason, as xen/arch/x86/hvm/vmx/vmx.c's vmx_vmexit_handler does:
 * CPUID (Xen's leaves), HLT (block), VMCALL (a hypercall, run as the hypervisor's resumable
 * action), MSR reads/writes (the hypercall-page MSR), I/O (port 0xE9 is Xen's debug console,
 * the rest become ioreqs for the device model) and EPT violations (MMIO ioreqs, or a crash).
 */
import type { Cpu } from '../../cpu/cpu';
import type { AccessSize, CpuEvent, CpuidResult, CrAccess, MsrValue, Platform, VmcallResult } from '../../cpu/platform';
import { bareCpuid } from '../../cpu/bare';
import type { Hypervisor } from '../hypervisor';
import type { Vcpu } from '../domain';
import { EXIT_REASON, ExitReasonName, exitReasonName, ioQualification, EPT_QUAL, buildHypercallPage, XEN_ERRNO, IOREQ_DIR, IOREQ_TYPE } from '../abi';
import { xenCpuid } from '../pv';
import { HvmBus } from './p2m';
import { hvmState } from './state';
import { PAGE_SIZE } from '../machine';
import { MmioDevice, vlapic, vioapic, vhpet } from './vmmio';
import { hvmTranslate } from './guestmem';
import { CS, ES } from '../../cpu/cpu';
import { VmxControls, vmxControls, crAccessExits } from './controls';
import { bitmapApplies, isDebugging } from './exits';
import { restartInstruction } from '../../cpu/fault';
import type { Ioreq } from '../dm/ioreq';

/** An MMIO access of the instruction being run again that the device model has done (hvmemul's mmio cache). */
export interface MmioDone {
  gpa: number;
  size: number;
  write: boolean;
  /** the value written, or the answer read */
  data: number;
}

/** Xen's debug console port for HVM guests (hvm_print_line). */
export const XEN_DEBUG_PORT = 0xe9;
/**
 * virtual instructions an exit costs Xen (an exit to the device model costs Xen the same; the
 * device model's own work is charged to dom0, dm/service.ts's DM_COST)
 */
export const EXIT_COST_XEN = 40;
const EFLAGS_IF = 0x200;
const EFLAGS_DF = 0x400;

/** A VM exit taken during a run, traced when the run ends (when its time is known). */
interface TakenExit {
  reason: number;
  reasonName: string;
  qualification: number;
  rip: number;
  handler: string;
  cycles: number;
  /** EXCEPTION_NMI: the VM-exit interruption information */
  interruptionInfo?: number;
  /** EPT_VIOLATION: the guest-physical address */
  gpa?: number;
  /** what Xen does after tracing it (console output, a crash, notifying the device model) */
  then?: () => void;
}

export class HvmPlatform implements Platform {
  readonly bus: HvmBus;
  cpu!: Cpu;
  /** a vmcall waiting for the hypervisor to run it as an action (nr, args, eip after vmcall) */
  hypercall: { nr: number; args: number[] } | null = null;
  /** an exit happened since the last VM entry (the next entry is traced) */
  exited = false;
  /** virtual ns of the last exit (for the entry's exitCycles) */
  exitTime = 0;
  /** virtual instructions spent in exit handlers during this run, charged to the pCPU after it */
  cost = 0;
  /** the vector acknowledged at VM entry, for the CPU's interrupt acknowledge */
  injecting: number | null = null;
  /** exits of the current run, traced after it */
  readonly taken: TakenExit[] = [];
  /** MMIO devices Xen emulates for this vCPU (its LAPIC, the domain's IO-APIC and HPET) */
  readonly mmio: MmioDevice[];
  /** debug-console characters not yet ended by a newline */
  debugLine = '';
  /**
   * The MMIO accesses the device model has done for the instruction at `mmioRip`, in the order
   * the instruction makes them; it runs again until each of its accesses is here. Cleared when
   * a run ends without abandoning an instruction for an ioreq.
   */
  mmioDone: MmioDone[] = [];
  mmioRip = -1;
  /** how many of `mmioDone` the instruction's current attempt has used */
  private mmioCursor = 0;
  /** the run in progress abandoned its instruction for an MMIO ioreq */
  private mmioRestart = false;

  constructor(
    private readonly hv: Hypervisor,
    readonly vcpu: Vcpu,
  ) {
    const now = () => this.hv.pcpuNow(this.vcpu.pcpu);
    this.mmio = [vlapic(vcpu.id), vioapic(), vhpet(now)];
    this.bus = new HvmBus(hv.machine, vcpu.domain, { eptRead: (a, s) => this.ept(a, s, false, 0), eptWrite: (a, s, v) => void this.ept(a, s, true, v) });
  }

  private get domain() {
    return this.vcpu.domain;
  }

  /**
   * One VM exit: count it and charge it; the run ends here (the guest is out of VMX non-root),
   * and the exit is traced, then `then` runs, when the hypervisor has the run's time.
   */
  exit(reason: ExitReasonName, qualification: number, handler: string, cost: number, then?: () => void, stop = true, interruptionInfo?: number): void {
    const name = exitReasonName(EXIT_REASON[reason]);
    const st = hvmState(this.domain);
    st.exits.set(name, (st.exits.get(name) ?? 0) + 1);
    this.exited = true;
    this.cost += cost;
    this.taken.push({ reason: EXIT_REASON[reason], reasonName: name, qualification, interruptionInfo, rip: this.cpu.eip >>> 0, handler, cycles: cost, then });
    if (stop) this.cpu.requestStop();
  }

  /** After the run: trace its exits in order, each followed by what Xen does next. */
  traceExits(): void {
    for (const e of this.taken.splice(0)) {
      this.exitTime = this.hv.pcpuNow(this.vcpu.pcpu);
      if (this.hv.wants('vm-exit')) {
        const info = e.interruptionInfo === undefined ? {} : { interruptionInfo: e.interruptionInfo };
        const gpa = e.gpa === undefined ? {} : { gpa: e.gpa };
        this.hv.emit({ kind: 'vm-exit', ...this.hv.base(this.vcpu), reason: e.reason, reasonName: e.reasonName, qualification: e.qualification, ...info, ...gpa, rip: e.rip, handler: e.handler, cycles: e.cycles });
      }
      e.then?.();
    }
  }

  // ------------- intercepts that end the run with the instruction unretired (exits.ts)

  private ctl: VmxControls | null = null;
  private ctlDebugging = false;

  /** The domain's controls, recomputed only when a debugger attaches or detaches. */
  private controls(): VmxControls {
    const debugging = isDebugging(this.domain);
    if (!this.ctl || debugging !== this.ctlDebugging) {
      this.ctl = vmxControls(this.domain, { fep: this.hv.hvmFep, debugging });
      this.ctlDebugging = debugging;
    }
    return this.ctl;
  }

  onControlRegisterWrite(a: CrAccess): boolean {
    return crAccessExits(this.controls(), a, this.cpu.cr0, this.cpu.cr4);
  }

  onControlRegisterRead(a: CrAccess): boolean {
    return crAccessExits(this.controls(), a, this.cpu.cr0, this.cpu.cr4);
  }

  onInvlpg(): boolean {
    return this.controls().invlpgExiting;
  }

  onRdtsc(): boolean {
    return this.controls().rdtscExiting;
  }

  /** an NMI Xen is to inject at the next VM entry (XEN_DOMCTL_sendtrigger, see exits.ts) */
  nmiPending = false;

  /** NMI-window exiting: Xen set it while an NMI waited for the guest's handler to iret. */
  onNmiUnblocked(): void {
    if (this.nmiPending) this.exit('PENDING_VIRT_NMI', 0, 'xen:vmx_vmexit_handler', EXIT_COST_XEN);
  }

  /**
   * The exception bitmap (interrupts and `int n` never exit here); a #DB while a debugger's
   * watchpoints are armed is the hypervisor's (see watchIntercept in index.ts).
   */
  intercept(ev: CpuEvent): boolean {
    if (ev.vector === 1 && this.hv.interceptsDebugTrap(this.vcpu)) return true;
    return bitmapApplies(ev) && ((this.controls().exceptionBitmap >>> ev.vector) & 1) === 1;
  }

  // ------------------------------------------------------------------ I/O

  ioRead(port: number, size: AccessSize): number {
    port &= 0xffff;
    const str = this.stringIo();
    if (port === XEN_DEBUG_PORT) {
      this.exit('IO_INSTRUCTION', ioQualification(port, size, true) | str.qual, 'xen:hvm_print_line', EXIT_COST_XEN);
      return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    }
    return this.ioreq(port, size, true, 0, str);
  }

  ioWrite(port: number, size: AccessSize, value: number): void {
    port &= 0xffff;
    const str = this.stringIo();
    if (port === XEN_DEBUG_PORT) {
      this.exit('IO_INSTRUCTION', ioQualification(port, size, false) | str.qual, 'xen:hvm_print_line', EXIT_COST_XEN, () => this.printLine(value & 0xff));
      return;
    }
    this.ioreq(port, size, false, value, str);
  }

  /**
   * Whether the exiting instruction is INS/OUTS, and for INS where its element goes: the exit
   * qualification's string (bit 4) and rep (bit 5) bits, as VMX reports them.
   */
  private stringIo(): { qual: number; insDest?: number } {
    const cpu = this.cpu;
    const code = this.codeBytes((cpu.segBase[CS] + cpu.insnEip) >>> 0, cpu.insnLen || 15);
    if (!code) return { qual: 0 };
    let i = 0;
    let rep = false;
    let ad16 = !cpu.code32;
    for (; i < code.length; i++) {
      const b = code[i];
      if (b === 0xf3 || b === 0xf2) rep = true;
      else if (b === 0x67) ad16 = !ad16;
      else if (!(b === 0x66 || b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65)) break;
    }
    const op = code[i];
    if (op !== 0x6c && op !== 0x6d && op !== 0x6e && op !== 0x6f) return { qual: 0 };
    const qual = 0x10 | (rep ? 0x20 : 0);
    if (op >= 0x6e) return { qual };
    const di = ad16 ? cpu.r[7] & 0xffff : cpu.r[7] >>> 0;
    return { qual, insDest: (cpu.segBase[ES] + di) >>> 0 };
  }

  /** The exiting instruction's bytes (straight from its frame: this runs on every I/O exit). */
  private codeBytes(lin: number, len: number): Uint8Array | undefined {
    const gpa = hvmTranslate(this.hv.machine, this.domain, this.cpu, lin);
    const mfn = gpa === undefined ? undefined : this.bus.mfnOf(Math.floor(gpa / PAGE_SIZE));
    if (gpa === undefined || mfn === undefined) return undefined;
    const off = gpa & 0xfff;
    if (off + len <= PAGE_SIZE) return this.hv.machine.readable(mfn).subarray(off, off + len);
    return this.hv.memOf(this.vcpu).tryRead(lin, len) ?? undefined;
  }

  private dmName(port: number): string {
    return hvmState(this.domain).dm?.bus.owner(port) ?? 'unclaimed';
  }

  /** hvm_print_line: Xen buffers the guest's 0xE9 bytes and prints whole lines on its console. */
  private printLine(byte: number): void {
    if (byte === 0) return;
    this.debugLine += String.fromCharCode(byte);
    if (byte === 0x0a) {
      this.hv.consoleWrite(this.domain, this.debugLine, 'serial');
      this.debugLine = '';
    }
  }

  /**
   * Port I/O for the device model: an ioreq (type PIO) in the vCPU's slot of the ioreq page,
   * sent when the exit is traced; the vCPU then waits for the answer (ioreq.ts). The value the
   * CPU gets now leaves the destination as it was (eax for IN, guest memory for INS, whose
   * element the device model writes itself, data_is_ptr); completion writes the answer.
   */
  private ioreq(port: number, size: AccessSize, read: boolean, value: number, str: { qual: number; insDest?: number }): number {
    const st = hvmState(this.domain);
    const device = this.dmName(port);
    const mask = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    const server = st.ioreq;
    let dataIsPtr = false;
    let data = read ? 0 : value >>> 0;
    let keep = this.cpu.r[0] & mask;
    if (read && str.insDest !== undefined) {
      const gpa = hvmTranslate(this.hv.machine, this.domain, this.cpu, str.insDest, true);
      const cur = this.hv.memOf(this.vcpu).tryRead(str.insDest, size);
      if (gpa !== undefined && cur) {
        dataIsPtr = true;
        data = gpa;
        keep = cur.reduce((acc, b, k) => acc | (b << (8 * k)), 0) >>> 0;
      }
    }
    const posted = server?.post(this.vcpu, { addr: port, data, size, count: 1, dir: read ? IOREQ_DIR.READ : IOREQ_DIR.WRITE, type: IOREQ_TYPE.PIO, dataIsPtr, df: (this.cpu.getEflags() & EFLAGS_DF) !== 0 }, device);
    this.exit('IO_INSTRUCTION', ioQualification(port, size, read) | str.qual, `dm:${device}`, EXIT_COST_XEN, posted ? () => server!.notify(this.vcpu) : undefined);
    // nobody to send to: an unclaimed read sees all ones, as on a bus with nothing behind it
    if (!posted) return read ? mask : 0;
    return read ? keep : 0;
  }

  /**
   * An access to a gfn with no RAM (hvm_hap_nested_page_fault): Xen's own emulated devices
   * (LAPIC, IO-APIC, HPET) first, then the ranges the device model claimed (an ioreq); MMIO
   * nobody emulates crashes the domain, as on Xen.
   */
  private ept(gpa: number, size: AccessSize, write: boolean, value: number): number {
    const dev = this.mmio.find((m) => gpa >= m.base && gpa < m.base + m.size);
    const qual = write ? EPT_QUAL.WRITE : EPT_QUAL.READ;
    if (dev) {
      this.exit('EPT_VIOLATION', qual, `xen:${dev.name}`, EXIT_COST_XEN);
      this.taken[this.taken.length - 1].gpa = gpa;
      if (!write) return dev.read(gpa - dev.base, size) >>> 0;
      dev.write(gpa - dev.base, size, value);
      return 0;
    }
    const range = hvmState(this.domain).dm?.mmioRange(gpa);
    if (range) return this.mmioIoreq(gpa, size, write, value, range.name);
    this.exit('EPT_VIOLATION', qual, 'xen:hvm_hap_nested_page_fault', EXIT_COST_XEN, () =>
      this.hv.crash(this.domain, `EPT violation: ${write ? 'write' : 'read'} of ${size} bytes at gpa 0x${gpa.toString(16)} (no RAM, no MMIO handler)`),
    );
    this.taken[this.taken.length - 1].gpa = gpa;
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  /**
   * MMIO for the device model, as Xen's instruction emulator does it (hvmemul_do_io): an
   * access the device model has already done for this instruction is taken from `mmioDone`;
   * the first one it has not becomes an ioreq (IOREQ_TYPE_COPY, addr the guest-physical
   * address) and the instruction is abandoned, to run again once the answer is in (so a read
   * lands wherever the instruction puts it, and a read-modify-write reads before it writes).
   * Each ioreq is one EPT_VIOLATION exit at the instruction; one element per round trip.
   */
  private mmioIoreq(gpa: number, size: AccessSize, write: boolean, value: number, device: string): number {
    const rip = this.cpu.insnEip >>> 0;
    if (rip !== this.mmioRip) {
      this.mmioDone = [];
      this.mmioCursor = 0;
      this.mmioRip = rip;
    }
    const done = this.mmioDone[this.mmioCursor];
    if (done && done.gpa === gpa && done.size === size && done.write === write && (!write || done.data === value >>> 0)) {
      // the run ends with this instruction: what follows it must not take its answers
      if (++this.mmioCursor === this.mmioDone.length) this.cpu.requestStop();
      return write ? 0 : done.data;
    }
    // a different access than last time (its operands changed meanwhile): the rest is stale
    this.mmioDone.length = this.mmioCursor;
    const server = hvmState(this.domain).ioreq;
    const req = { addr: gpa, data: write ? value >>> 0 : 0, size, count: 1, dir: write ? IOREQ_DIR.WRITE : IOREQ_DIR.READ, type: IOREQ_TYPE.COPY, dataIsPtr: false, df: (this.cpu.getEflags() & EFLAGS_DF) !== 0 };
    const posted = server?.post(this.vcpu, req, device);
    this.exit('EPT_VIOLATION', write ? EPT_QUAL.WRITE : EPT_QUAL.READ, `dm:${device}`, EXIT_COST_XEN, posted ? () => server!.notify(this.vcpu) : undefined);
    this.taken[this.taken.length - 1].rip = rip;
    this.taken[this.taken.length - 1].gpa = gpa;
    // no ioreq page to post in: nothing behind the range, as an unclaimed bus
    if (!posted) return write ? 0 : size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    this.mmioRestart = true;
    return restartInstruction();
  }

  /** The device model answered an MMIO request: the instruction's next attempt takes it. */
  mmioCompleted(req: Ioreq, data: number): void {
    const write = req.dir === IOREQ_DIR.WRITE;
    this.mmioDone.push({ gpa: req.addr, size: req.size, write, data: write ? req.data >>> 0 : data >>> 0 });
  }

  /** VM entry: the abandoned instruction (if any) starts its accesses from the first. */
  mmioEntry(): void {
    this.mmioCursor = 0;
  }

  /**
   * After a run: the answers are forgotten once the instruction has retired (it is the first
   * one a run after its ioreq executes, so a run that retired anything without abandoning an
   * instruction again has retired it); a run that retired nothing (a breakpoint) keeps them.
   */
  mmioAfterRun(retired: number): void {
    const again = this.mmioRestart;
    this.mmioRestart = false;
    if (!again && retired > 0) {
      this.mmioDone = [];
      this.mmioRip = -1;
    }
  }

  /** Whether an instruction abandoned for MMIO is to run again before anything else (no injection meanwhile). */
  get mmioPending(): boolean {
    return this.mmioRip >= 0;
  }

  // ------------------------------------------------------------------ MSRs, CPUID

  rdmsr(index: number): MsrValue {
    this.exit('MSR_READ', 0, 'xen:hvm_msr_read_intercept', EXIT_COST_XEN);
    if (index === 0x1b) return { lo: 0xfee00900, hi: 0 }; // APIC base: BSP, xAPIC enabled
    return 'fault';
  }

  wrmsr(index: number, lo: number, hi: number): boolean {
    this.exit('MSR_WRITE', 0, 'xen:hvm_msr_write_intercept', EXIT_COST_XEN);
    if (index >>> 0 === this.hypercallMsr()) return this.writeHypercallPage(lo >>> 0, hi >>> 0);
    return false;
  }

  /** Xen's leaves sit at 0x40000000, or 0x40000100 when Viridian takes the first block. */
  private xenBase(): number {
    return (this.domain.config?.viridian.length ?? 0) > 0 ? 0x40000100 : 0x40000000;
  }

  private hypercallMsr(): number {
    return 0x40000000;
  }

  /** The hypercall-page MSR: bits 12+ the gfn, bits 0..11 the page index (only 0 exists). */
  private writeHypercallPage(lo: number, hi: number): boolean {
    if (hi !== 0 || (lo & 0xfff) !== 0) return false;
    const gfn = lo >>> 12;
    const mfn = this.bus.mfnOf(gfn);
    if (mfn === undefined) {
      const last = this.taken[this.taken.length - 1];
      last.then = () => this.hv.crash(this.domain, `hypercall page MSR names gfn 0x${gfn.toString(16)}, which is not RAM`);
      return true;
    }
    this.hv.machine.writable(mfn).set(buildHypercallPage('hvm-vmx').subarray(0, PAGE_SIZE));
    return true;
  }

  cpuid(leaf: number, subleaf: number): CpuidResult {
    this.exit('CPUID', 0, 'xen:vmx_cpuid_intercept', EXIT_COST_XEN);
    leaf >>>= 0;
    const base = this.xenBase();
    if (leaf >= base && leaf < base + 0x100) {
      const r = xenCpuid(0x40000000 + (leaf - base), subleaf);
      if (leaf === base) r.eax = (base + 5) >>> 0;
      if (leaf === base + 2) r.ebx = this.hypercallMsr();
      return r;
    }
    if (leaf >= 0x40000000 && leaf < 0x40010000) return { eax: 0, ebx: 0, ecx: 0, edx: 0 };
    const r = bareCpuid(leaf);
    if (leaf === 1) r.ecx = (r.ecx | 0x80000000) >>> 0; // the hypervisor-present bit
    return r;
  }

  // ------------------------------------------------------------------ vmcall, hlt

  vmcall(kind: 'vmcall' | 'vmmcall'): VmcallResult {
    if (kind !== 'vmcall') return 'ud'; // an AMD instruction on an Intel vCPU
    this.exit('VMCALL', 0, 'xen:hvm_hypercall', EXIT_COST_XEN);
    const cpu = this.cpu;
    if (cpu.cpl !== 0) {
      cpu.r[0] = -XEN_ERRNO.EPERM; // hvm_hypercall: only ring 0 may call Xen
      return 'handled';
    }
    this.hypercall = { nr: cpu.r[0] >>> 0, args: [cpu.r[3] >>> 0, cpu.r[1] >>> 0, cpu.r[2] >>> 0, cpu.r[6] >>> 0, cpu.r[7] >>> 0] };
    cpu.requestStop();
    return 'handled';
  }

  halted(): void {
    // hlt ends the run by itself (stop 'hlt', which the hypervisor blocks on)
    this.exit('HLT', 0, 'xen:hvm_hlt', EXIT_COST_XEN, undefined, false);
  }

  shutdown(): void {
    this.exit('TRIPLE_FAULT', 0, 'xen:hvm_triple_fault', EXIT_COST_XEN, undefined, false);
  }

  /**
   * Interrupt acknowledge: the vector Xen chose at VM entry, or, when the guest opens an
   * interrupt window during a run, the pending one then (the callback vector first, then the PIC).
   */
  interruptAcknowledge(): number | null {
    if (this.injecting !== null) {
      const x = this.injecting;
      this.injecting = null;
      return x;
    }
    const v = pendingVector(this.hv, this.vcpu, true);
    if (v !== null && this.hv.wants('vm-entry')) this.hv.emit({ kind: 'vm-entry', ...this.hv.base(this.vcpu), rip: this.cpu.eip >>> 0, vector: v });
    return v;
  }

  /** Virtual time in ns (a 1 GHz TSC), counting this run's instructions and exits so far. */
  tsc(): bigint {
    const inRun = (this.cpu.retiredInRun + this.cost) * this.hv.machine.nsPerInstruction;
    return BigInt(Math.floor(this.hv.pcpuNow(this.vcpu.pcpu) + inRun));
  }
}


/**
 * The vector a vCPU should take now (hvm_vcpu_has_pending_irq): the callback vector while
 * evtchn_upcall_pending is set, else the PIC's (vCPU 0 only). `ack` acknowledges the PIC.
 */
export function pendingVector(hv: Hypervisor, v: Vcpu, ack: boolean): number | null {
  const st = hvmState(v.domain);
  if (st.callbackVector && v.domain.sharedInfoMfn && v.id < 32 && hv.shared(v.domain).upcallPending(v.id)) return st.callbackVector;
  if (v.id !== 0 || !st.dm) return null;
  if (!ack) return st.dm.pic.intr() ? 0 : null;
  return st.dm.pic.acknowledge();
}

export function interruptible(cpu: Cpu): boolean {
  return (cpu.getEflags() & EFLAGS_IF) !== 0;
}
