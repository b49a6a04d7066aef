/**
 * What only PV guests need (xen/arch/x86/pv/ in spirit): the vCPU platform the CPU calls
 * (Xen owns the IDT, so every exception, interrupt and `int n` is taken before delivery), the
 * GDT with Xen's reserved flat selectors, segment loads done by Xen, and the bounce frame Xen
 * builds on the guest kernel stack to enter a trap handler or the event callback.
 */
import { Cpu, CS, DS, ES, FS, GS, SS } from '../cpu/cpu';
import { AccessSize, CpuidResult, MsrValue, Platform, VmcallResult } from '../cpu/platform';
import { parseDescriptor, setSegment } from '../cpu/segments';
import { bareCpuid } from '../cpu/bare';
import { Machine, PAGE_SIZE } from './machine';
import { FIRST_RESERVED_GDT_PAGE, GDT_VIRT_START, XenError, EFAULT } from './mm';
import { GuestMemory } from './guestmem';
import type { Vcpu } from './domain';
import { XEN_CONST } from './abi';

export const FLAT_RING1_CS = XEN_CONST.FLAT_RING1_CS;
export const FLAT_RING1_DS = XEN_CONST.FLAT_RING1_DS;
export const FLAT_RING3_CS = XEN_CONST.FLAT_RING3_CS;
export const FLAT_RING3_DS = XEN_CONST.FLAT_RING3_DS;

/** Xen's reserved GDT page: descriptors at 0xe018 (ring 1 code), 0xe020 (data), 0xe028/0xe030 (ring 3). */
export function fillReservedGdtPage(page: Uint8Array): void {
  const dv = new DataView(page.buffer, page.byteOffset, PAGE_SIZE);
  const desc = (sel: number, hi: number) => {
    const o = (sel & 0xff8) - 0;
    dv.setUint32(o, 0x0000ffff, true);
    dv.setUint32(o + 4, hi, true);
  };
  // flat 4 GiB, accessed bit preset so the CPU never writes to this read-only page
  desc(FLAT_RING1_CS, 0x00cfbb00);
  desc(FLAT_RING1_DS, 0x00cfb300);
  desc(FLAT_RING3_CS, 0x00cffb00);
  desc(FLAT_RING3_DS, 0x00cff300);
}

export function gdtBase(vcpuId: number): number {
  return (GDT_VIRT_START + vcpuId * 0x10000) >>> 0;
}

/** The descriptor a selector names in a vCPU's GDT (Xen's page or the guest's set_gdt frames). */
export function gdtDescriptor(machine: Machine, v: Vcpu, sel: number): { lo: number; hi: number } | undefined {
  const off = sel & 0xfff8;
  if (sel & 4) return undefined; // LDTs are not supported for PV guests here
  const page = off >>> 12;
  let mfn: number | undefined;
  if (page === FIRST_RESERVED_GDT_PAGE) mfn = v.domain.xenGdtPage;
  else if (page < FIRST_RESERVED_GDT_PAGE && off < v.gdtEntries * 8) mfn = v.gdtFrames[page];
  if (mfn === undefined) return undefined;
  const f = machine.readable(mfn);
  const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
  return { lo: dv.getUint32(off & 0xfff, true), hi: dv.getUint32((off & 0xfff) + 4, true) };
}

/** Load a segment register as Xen does when it switches a vCPU's context (bounce, iret). */
export function loadSegment(machine: Machine, v: Vcpu, cpu: Cpu, seg: number, sel: number): boolean {
  if ((sel & 0xfffc) === 0) {
    if (seg === CS || seg === SS) return false;
    setSegment(cpu, seg, sel, 0, 0, 0x10000);
    return true;
  }
  const d = gdtDescriptor(machine, v, sel);
  if (!d) return false;
  const { base, limit, attr } = parseDescriptor(d.lo, d.hi);
  if (!(attr & 0x80) || !(attr & 0x10)) return false;
  const dpl = (attr >> 5) & 3;
  if (seg === CS && (!(attr & 0x8) || dpl !== (sel & 3) || dpl === 0)) return false;
  if (seg === SS && ((attr & 0xa) !== 0x2 || dpl !== (sel & 3))) return false;
  setSegment(cpu, seg, sel, base, limit, attr);
  return true;
}

/** Point the CPU at the vCPU's GDT area (Xen's reserved page is at its top). */
export function installGdt(v: Vcpu, cpu: Cpu): void {
  cpu.gdtrBase = gdtBase(v.id) | 0;
  cpu.gdtrLimit = (FIRST_RESERVED_GDT_PAGE + 1) * PAGE_SIZE - 1;
}

export const EFLAGS_IF = 0x200;
const EFLAGS_TF = 0x100;
const EFLAGS_NT = 0x4000;
const EFLAGS_RF = 0x10000;
const EFLAGS_VM = 0x20000;
const EFLAGS_IOPL = 0x3000;

/** vcpu_info fields Xen reads and writes while bouncing. */
export interface VcpuInfoAccess {
  upcallMask(): number;
  setUpcallMask(m: number): void;
}

/**
 * Xen's create_bounce_frame for a 32-bit PV guest: from ring 3 switch to the stack_switch
 * stack and push SS, ESP; then EFLAGS (IF = !upcall_mask), CS with the saved upcall mask in
 * bits 16..23, EIP and, if any, the error code; enter `cs:eip` in ring 1. Throws XenError when
 * the guest stack cannot take the frame (Xen then crashes the domain).
 */
export function bounce(
  machine: Machine,
  v: Vcpu,
  cpu: Cpu,
  mem: GuestMemory,
  info: VcpuInfoAccess,
  target: { cs: number; eip: number },
  errorCode: number | undefined,
  maskEvents: boolean,
): void {
  const fromRing = cpu.cpl;
  let ss = cpu.segSel[SS];
  let esp = cpu.r[4] >>> 0;
  const words: number[] = [];
  if (fromRing === 3) {
    words.push(cpu.segSel[SS], esp);
    ss = v.kernelSs;
    esp = v.kernelSp >>> 0;
    if ((ss & 3) === 0 || (ss & 0xfffc) === 0) throw new XenError(EFAULT, `no kernel stack registered with stack_switch (ss=0x${ss.toString(16)})`);
  }
  const mask = info.upcallMask();
  const eflags = (cpu.getEflags() & ~EFLAGS_IF) | (mask ? 0 : EFLAGS_IF);
  words.push(eflags >>> 0, (cpu.segSel[CS] | (mask << 16)) >>> 0, cpu.eip >>> 0);
  if (errorCode !== undefined) words.push(errorCode >>> 0);
  // words are listed from the highest address down
  const frame = new Uint8Array(words.length * 4);
  const dv = new DataView(frame.buffer);
  for (let i = 0; i < words.length; i++) dv.setUint32((words.length - 1 - i) * 4, words[i], true);
  const newEsp = (esp - frame.length) >>> 0;
  mem.write(newEsp, frame);
  if (fromRing === 3) {
    if (!loadSegment(machine, v, cpu, SS, ss)) throw new XenError(EFAULT, `bad kernel stack segment 0x${ss.toString(16)}`);
  }
  let cs = target.cs;
  if ((cs & 3) === 0) cs |= 1; // Xen fixes up ring-0 selectors to ring 1
  const prevCpl = cpu.cpl;
  cpu.cpl = cs & 3;
  if (!loadSegment(machine, v, cpu, CS, cs)) {
    cpu.cpl = prevCpl;
    throw new XenError(EFAULT, `bad handler code segment 0x${cs.toString(16)}`);
  }
  // Data segments stay as they were: ring 1 may use ring-3 data segments, and the processor
  // (like Xen restoring a guest context) leaves them loaded on a transition inward.
  cpu.r[4] = newEsp | 0;
  cpu.eip = target.eip | 0;
  cpu.setEflags(cpu.getEflags() & ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM));
  if (maskEvents) info.setUpcallMask(1);
  cpu.modeChanged();
}

/**
 * HYPERVISOR_iret: the guest's frame at esp is eax, eip, cs, eflags and, returning to ring 3,
 * esp, ss. The upcall mask follows the frame's IF; the hardware IF stays set.
 */
export function pvIret(machine: Machine, v: Vcpu, cpu: Cpu, mem: GuestMemory, info: VcpuInfoAccess): void {
  const esp = cpu.r[4] >>> 0;
  const f = mem.read(esp, 16);
  const dv = new DataView(f.buffer);
  const eax = dv.getUint32(0, true);
  const eip = dv.getUint32(4, true);
  let cs = dv.getUint32(8, true) & 0xffff;
  const eflags = dv.getUint32(12, true);
  if ((cs & 3) === 0) cs |= 1;
  let newEsp = (esp + 16) >>> 0;
  let ss = cpu.segSel[SS];
  if ((cs & 3) === 3) {
    const g = mem.read(newEsp, 8);
    const gv = new DataView(g.buffer);
    newEsp = gv.getUint32(0, true);
    ss = gv.getUint32(4, true) & 0xffff;
  }
  const prevCpl = cpu.cpl;
  cpu.cpl = cs & 3;
  if (!loadSegment(machine, v, cpu, CS, cs) || ((cs & 3) === 3 && !loadSegment(machine, v, cpu, SS, ss))) {
    cpu.cpl = prevCpl;
    cpu.modeChanged();
    throw new XenError(EFAULT, `iret to a bad selector (cs=0x${cs.toString(16)}, ss=0x${ss.toString(16)})`);
  }
  if (cpu.cpl === 3) for (const s of [DS, ES, FS, GS]) if ((cpu.segSel[s] & 3) < 3 && (cpu.segSel[s] & 0xfffc) !== 0) setSegment(cpu, s, 0, 0, 0, 0x10000);
  info.setUpcallMask(eflags & EFLAGS_IF ? 0 : 1);
  cpu.setEflags((eflags & ~(EFLAGS_IOPL | EFLAGS_VM | EFLAGS_NT)) | EFLAGS_IF);
  cpu.r[0] = eax | 0;
  cpu.r[4] = newEsp | 0;
  cpu.eip = eip | 0;
  cpu.modeChanged();
}

/** Xen's CPUID leaves (0x40000000..) on top of the bare processor's. */
export function xenCpuid(leaf: number, subleaf: number): CpuidResult {
  switch (leaf) {
    case 0x40000000:
      return { eax: 0x40000005, ebx: XEN_CONST.XEN_CPUID_SIGNATURE_EBX, ecx: XEN_CONST.XEN_CPUID_SIGNATURE_ECX, edx: XEN_CONST.XEN_CPUID_SIGNATURE_EDX };
    case 0x40000001:
      return { eax: (4 << 16) | 17, ebx: 0, ecx: 0, edx: 0 };
    case 0x40000002:
      // one hypercall page; the MSR HVM guests write its address to
      return { eax: 1, ebx: 0x40000000, ecx: 0, edx: 0 };
    case 0x40000003:
    case 0x40000004:
    case 0x40000005:
      return { eax: 0, ebx: 0, ecx: 0, edx: 0 };
    default:
      void subleaf;
      return bareCpuid(leaf);
  }
}

/**
 * The platform of a PV vCPU: every event is Xen's (it owns the IDT); the hypervisor handles
 * the event that run() returns with 'intercept'. Ports and MSRs fault (no I/O privilege).
 */
export class PvPlatform implements Platform {
  constructor(
    readonly bus: Machine,
    private readonly tscNs: () => number,
  ) {}
  ioRead(_port: number, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }
  ioWrite(): void {}
  rdmsr(): MsrValue {
    return 'fault';
  }
  wrmsr(): boolean {
    return false;
  }
  /** A plain cpuid in ring 1 is not intercepted on hardware without faulting: native leaves. */
  cpuid(leaf: number): CpuidResult {
    return bareCpuid(leaf);
  }
  vmcall(): VmcallResult {
    return 'ud';
  }
  intercept(): boolean {
    return true;
  }
  tsc(): bigint {
    return BigInt(Math.floor(this.tscNs()));
  }
}
