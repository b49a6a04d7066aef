/**
 * System and privileged instructions, far control transfers, flags transfers, port I/O and the
 * platform-facing instructions (cpuid, rdmsr/wrmsr, vmcall, hlt).
 *
 * Privileged instructions raise #GP(0) at CPL > 0 (SDM vol. 3 §5.9); cli/sti and port I/O
 * follow IOPL, and for CPL > IOPL the TSS I/O permission bitmap (vol. 1 §19.5); popf/iret
 * change IF only when CPL <= IOPL and IOPL only at CPL 0. CR0/CR3/CR4 writes keep the TLB and
 * the PAE PDPTE registers coherent (paging.ts). Far transfers are in far-transfer.ts.
 * Not modelled: virtual-8086 mode (VME/PVI accepted in CR4 but inert), task switches.
 */
import type { Dec, Exec } from './decode';
import type { Cpu } from './cpu';
import { CS, SS, CR0_PE, CR0_PG, CR0_TS, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE } from './consts';
import { CpuFault, Vec, fault, gp, interceptInstruction, ud } from './fault';
import { AC, ID, IF, IOPL, RF, VM, ZF, settle } from './flags';
import { getReg, memOpnd, regOpnd, setReg } from './operands';
import { pop, push } from './stack';
import { ATTR_UNUSABLE, parseDescriptor, readDescriptor, setSegment } from './segments';
import type { CrAccess, EventKind } from './platform';
import { loadPdptes, paeOn } from './paging';
import { STATUS_AND_CONTROL } from './far-transfer';
import { DR6_BD, DR7_GD, debugChanged } from './debug';


function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0 && cpu.pe) gp(0);
}

function iopl(cpu: Cpu): number {
  return (cpu.eflags & IOPL) >> 12;
}

export function pause(_d: Dec): Exec {
  return () => {};
}

export function hlt(d: Dec): Exec {
  const cpu = d.cpu;
  return () => {
    requireCpl0(cpu);
    cpu.halt();
  };
}

export function cli(d: Dec): Exec {
  const cpu = d.cpu;
  return () => {
    if (cpu.pe && cpu.cpl > iopl(cpu)) gp(0);
    cpu.eflags &= ~IF;
  };
}

export function sti(d: Dec): Exec {
  const cpu = d.cpu;
  return () => {
    if (cpu.pe && cpu.cpl > iopl(cpu)) gp(0);
    if (!(cpu.eflags & IF)) {
      cpu.eflags |= IF;
      cpu.shadow = 1;
    }
    cpu.attention = true;
  };
}

export function pushf(d: Dec): Exec {
  const cpu = d.cpu;
  const size = d.sv;
  return () => push(cpu, size, cpu.getEflags() & ~(VM | RF));
}

export function popf(d: Dec): Exec {
  const cpu = d.cpu;
  const size = d.sv;
  return () => {
    const v = pop(cpu, size);
    let mask = STATUS_AND_CONTROL | AC | ID;
    if (!cpu.pe || cpu.cpl === 0) mask |= IOPL | IF;
    else if (cpu.cpl <= iopl(cpu)) mask |= IF;
    if (size === 1) mask &= 0xffff;
    cpu.setEflags((cpu.getEflags() & ~mask) | (v & mask));
  };
}

/** int n / int3 / into / icebp. */
export function softInt(d: Dec, vector: number, kind: EventKind): Exec {
  const cpu = d.cpu;
  return () => raiseSoft(cpu, vector, kind);
}

export function raiseSoft(cpu: Cpu, vector: number, kind: EventKind): void {
  cpu.raiseEvent(vector, kind, undefined, cpu.insnLen);
}

/** I/O permission: CPL <= IOPL, else the TSS I/O bitmap must allow every byte of the access. */
export function checkIo(cpu: Cpu, port: number, bytes: number): void {
  if (!cpu.pe || cpu.cpl <= iopl(cpu)) return;
  const tr = cpu.tr;
  if ((tr.attr & 0xf) !== 0x9 && (tr.attr & 0xf) !== 0xb) gp(0);
  if (tr.limit < 0x67) gp(0);
  const base = cpu.supervisor(() => cpu.read16((tr.base + 0x66) | 0));
  const at = base + (port >> 3);
  if (at + 1 > tr.limit) gp(0);
  const bits = cpu.supervisor(() => cpu.read16((tr.base + at) | 0));
  const want = ((1 << bytes) - 1) << (port & 7);
  if (bits & want) gp(0);
}

export function inOut(d: Dec, op: number, port: () => number): Exec {
  const cpu = d.cpu;
  const R = d.R;
  const size = op & 1 ? d.sv : 0;
  const bytes = (1 << size) as 1 | 2 | 4;
  if (op & 2) {
    return () => {
      const p = port();
      checkIo(cpu, p, bytes);
      const v = getReg(R, size, 0);
      cpu.platform.ioWrite(p, bytes, size === 2 ? v >>> 0 : v);
      cpu.afterPlatformCall();
    };
  }
  return () => {
    const p = port();
    checkIo(cpu, p, bytes);
    const v = cpu.platform.ioRead(p, bytes);
    cpu.afterPlatformCall();
    setReg(R, size, 0, size === 2 ? v | 0 : v & (size === 1 ? 0xffff : 0xff));
  };
}

// Far jmp/call/ret/iret live in far-transfer.ts.
export { farCall, farJmp, farRet, iret } from './far-transfer';

// ---------------------------------------------------------------- 0F 00 / 0F 01

export function group6(d: Dec): Exec {
  const cpu = d.cpu;
  d.modrm();
  const g = d.regf;
  switch (g) {
    case 0:
    case 1: {
      const e = d.E(d.mod === 3 ? d.sv : 1);
      return () => {
        if (!cpu.pe) ud();
        e.put(g === 0 ? cpu.ldtr.sel : cpu.tr.sel);
      };
    }
    case 2:
    case 3: {
      const e = d.E(1);
      return () => {
        if (!cpu.pe) ud();
        requireCpl0(cpu);
        const sel = e.get();
        if (g === 2) lldt(cpu, sel);
        else ltr(cpu, sel);
      };
    }
    case 4:
    case 5: {
      const e = d.E(1);
      return () => {
        if (!cpu.pe) ud();
        verify(cpu, e.get(), g === 5);
      };
    }
  }
  return ud();
}

function lldt(cpu: Cpu, sel: number): void {
  if ((sel & 0xfffc) === 0) {
    Object.assign(cpu.ldtr, { sel, base: 0, limit: 0, attr: ATTR_UNUSABLE });
    return;
  }
  if (sel & 4) gp(sel & 0xfffc);
  const desc = readDescriptor(cpu, sel);
  const { base, limit, attr } = parseDescriptor(desc.lo, desc.hi);
  if ((attr & 0x1f) !== 0x2) gp(sel & 0xfffc);
  if (!(attr & 0x80)) fault(Vec.NP, sel & 0xfffc);
  Object.assign(cpu.ldtr, { sel, base, limit, attr });
}

function ltr(cpu: Cpu, sel: number): void {
  if ((sel & 0xfffc) === 0 || sel & 4) gp(sel & 0xfffc);
  const desc = readDescriptor(cpu, sel);
  const { base, limit, attr } = parseDescriptor(desc.lo, desc.hi);
  if ((attr & 0x1f) !== 0x9 && (attr & 0x1f) !== 0x1) gp(sel & 0xfffc);
  if (!(attr & 0x80)) fault(Vec.NP, sel & 0xfffc);
  if ((attr & 0x1f) === 0x9 || (attr & 0x1f) === 0x1) {
    cpu.supervisor(() => cpu.write32((desc.addr + 4) | 0, desc.hi | 0x200)); // mark busy
  }
  Object.assign(cpu.tr, { sel, base, limit, attr: attr | 0x2 });
}

/** verr/verw: ZF=1 when the segment is readable/writable at CPL and RPL. */
function verify(cpu: Cpu, sel: number, write: boolean): void {
  settle(cpu);
  let ok = false;
  try {
    if ((sel & 0xfffc) !== 0) {
      const desc = readDescriptor(cpu, sel);
      const { attr } = parseDescriptor(desc.lo, desc.hi);
      const dpl = (attr >> 5) & 3;
      const conformingCode = (attr & 0x1c) === 0x1c;
      if (attr & 0x10 && (conformingCode || dpl >= Math.max(cpu.cpl, sel & 3))) {
        ok = write ? (attr & 0xa) === 0x2 : (attr & 0xa) !== 0x8;
      }
    }
  } catch (e) {
    if (!(e instanceof CpuFault) || e.vector !== Vec.GP) throw e;
  }
  cpu.eflags = ok ? cpu.eflags | ZF : cpu.eflags & ~ZF;
}

/** lar / lsl. */
export function larLsl(d: Dec, lsl: boolean): Exec {
  const cpu = d.cpu;
  const R = d.R;
  d.modrm();
  const e = d.E(1);
  const size = d.sv;
  const reg = d.regf;
  return () => {
    if (!cpu.pe) ud();
    const sel = e.get();
    settle(cpu);
    let value = -1;
    try {
      if ((sel & 0xfffc) !== 0) {
        const desc = readDescriptor(cpu, sel);
        const { limit, attr } = parseDescriptor(desc.lo, desc.hi);
        const dpl = (attr >> 5) & 3;
        const type = attr & 0x1f;
        const conformingCode = (attr & 0x1c) === 0x1c;
        const validSystem = lsl ? [1, 2, 3, 9, 11].includes(type) : [1, 2, 3, 4, 5, 9, 11, 12].includes(type);
        const visible = conformingCode || dpl >= Math.max(cpu.cpl, sel & 3);
        if ((attr & 0x10 || validSystem) && visible) value = lsl ? limit : desc.hi & 0x00f0ff00;
      }
    } catch (err) {
      if (!(err instanceof CpuFault) || err.vector !== Vec.GP) throw err;
    }
    if (value === -1 && !(lsl && sel !== 0)) {
      cpu.eflags &= ~ZF;
      return;
    }
    if (value === -1) {
      cpu.eflags &= ~ZF;
      return;
    }
    cpu.eflags |= ZF;
    setReg(R, size, reg, size === 2 ? value | 0 : value & 0xffff);
  };
}

export function group7(d: Dec): Exec {
  const cpu = d.cpu;
  const R = d.R;
  d.modrm();
  const g = d.regf;
  if (d.mod === 3) {
    const code = 0xc0 | (g << 3) | d.rm;
    if (code === 0xc1 || code === 0xd9) {
      const kind = code === 0xc1 ? 'vmcall' : 'vmmcall';
      return () => {
        const r = cpu.platform.vmcall(kind);
        cpu.afterPlatformCall();
        if (r === 'ud') ud();
      };
    }
    if (g === 4) {
      const e = regOpnd(cpu, d.sv, d.rm);
      return () => e.put(d.op32 ? cpu.cr0 : cpu.cr0 & 0xffff);
    }
    if (g === 6) {
      const e = regOpnd(cpu, 1, d.rm);
      return () => lmsw(cpu, e.get(), false, 0);
    }
    return ud();
  }
  const { ea, seg } = d.addr();
  const op32 = d.op32;
  switch (g) {
    case 0:
    case 1:
      return () => {
        const a = cpu.lin(seg, ea(), 6, true);
        cpu.probeWrite(a, 6);
        cpu.write16(a, g === 0 ? cpu.gdtrLimit : cpu.idtrLimit);
        const base = g === 0 ? cpu.gdtrBase : cpu.idtrBase;
        cpu.write32((a + 2) | 0, op32 ? base : base & 0xffffff);
      };
    case 2:
    case 3:
      return () => {
        requireCpl0(cpu);
        const a = cpu.lin(seg, ea(), 6, false);
        const limit = cpu.read16(a);
        let base = cpu.read32((a + 2) | 0);
        if (!op32) base &= 0xffffff;
        if (g === 2) {
          cpu.gdtrLimit = limit;
          cpu.gdtrBase = base;
        } else {
          cpu.idtrLimit = limit;
          cpu.idtrBase = base;
        }
      };
    case 4: {
      // the address is already decoded above: d.E() would consume the displacement again
      const m = memOpnd(cpu, 1, seg, ea);
      void R;
      return () => m.put(cpu.cr0 & 0xffff);
    }
    case 6:
      return () => {
        const a = cpu.lin(seg, ea(), 2, false);
        lmsw(cpu, cpu.read16(a), true, a);
      };
    case 7:
      return () => {
        requireCpl0(cpu);
        const lin = cpu.lin(seg, ea(), 1, false);
        if (cpu.platform.onInvlpg && cpu.platform.onInvlpg(lin >>> 0)) interceptInstruction(cpu, { kind: 'invlpg', linear: lin >>> 0 });
        cpu.flushTlbPage(lin);
      };
  }
  return ud();
}

function lmsw(cpu: Cpu, v: number, memory: boolean, linear: number): void {
  requireCpl0(cpu);
  // lmsw can set PE but not clear it; it loads MP, EM, TS too.
  const value = (cpu.cr0 & ~0xe) | (v & 0xf) | (cpu.cr0 & CR0_PE);
  if (cpu.platform.onControlRegisterWrite) {
    const access: CrAccess = { type: 'lmsw', cr: 0, gpr: -1, value, source: v & 0xffff, memory };
    if (memory) access.linear = linear >>> 0;
    crWriteHook(cpu, access);
  }
  setCr0(cpu, value);
}

/** Offer a CR write to the platform; intercepted, the instruction ends here. */
function crWriteHook(cpu: Cpu, access: CrAccess): void {
  if (cpu.platform.onControlRegisterWrite!(access)) interceptInstruction(cpu, { kind: 'cr', access });
}

export function clts(d: Dec): Exec {
  const cpu = d.cpu;
  return () => {
    requireCpl0(cpu);
    if (cpu.platform.onControlRegisterWrite) crWriteHook(cpu, { type: 'clts', cr: 0, gpr: -1, value: cpu.cr0 & ~CR0_TS });
    cpu.cr0 &= ~CR0_TS;
  };
}

/** invd / wbinvd: no caches are modelled. */
export function privNop(d: Dec): Exec {
  const cpu = d.cpu;
  return () => requireCpl0(cpu);
}

export function setCr0(cpu: Cpu, v: number): void {
  v = (v | 0x10) | 0; // ET is hardwired to 1
  if (v & CR0_PG && !(v & CR0_PE)) gp(0);
  if (v & 0x20000000 && !(v & 0x40000000)) gp(0); // NW without CD
  const changed = cpu.cr0 ^ v;
  // Turning PAE paging on loads the PDPTEs (and may #GP before anything changes: SDM §4.4.1).
  if (changed & CR0_PG && v & CR0_PG && cpu.cr4 & CR4_PAE) loadPdptes(cpu, cpu.cr3);
  cpu.cr0 = v;
  if (changed & (CR0_PG | CR0_PE | CR0_WP)) cpu.flushTlb(false);
  if (changed & CR0_PE) {
    cpu.modeChanged();
    cpu.segmentsChanged();
  }
}

export function setCr4(cpu: Cpu, v: number): void {
  if (v & ~0x7ff) gp(0);
  const changed = cpu.cr4 ^ v;
  if (changed & (CR4_PAE | CR4_PGE | CR4_PSE) && v & CR4_PAE && cpu.cr0 & CR0_PG) loadPdptes(cpu, cpu.cr3);
  cpu.cr4 = v;
  if (changed & (CR4_PSE | CR4_PAE | CR4_PGE)) cpu.flushTlb(false);
}

/** mov cr3: with PAE paging the PDPTEs load now; global translations survive (CR4.PGE). */
export function setCr3(cpu: Cpu, v: number): void {
  if (paeOn(cpu)) loadPdptes(cpu, v);
  cpu.cr3 = v;
  if (cpu.cr4 & CR4_PGE) cpu.flushTlbNonGlobal();
  else cpu.flushTlb(false);
}

/** mov to CR0/CR2/CR3/CR4 with its checks (a host emulating an intercepted write uses it too). */
export function loadCr(cpu: Cpu, n: number, v: number): void {
  if (n === 0) setCr0(cpu, v);
  else if (n === 2) cpu.cr2 = v;
  else if (n === 3) setCr3(cpu, v);
  else if (n === 4) setCr4(cpu, v);
  else ud();
}

export function movCrDr(d: Dec, op: number): Exec {
  const cpu = d.cpu;
  const R = d.R;
  d.modrm(); // the mod field is ignored: always a register operand
  const n = d.regf;
  const r = d.rm;
  const toReg = (op & 2) === 0;
  if (op & 1) {
    // debug registers (DR4/DR5 alias DR6/DR7 unless CR4.DE)
    return () => {
      requireCpl0(cpu);
      // DR7.GD (general detect): any debug-register access is a #DB fault first, with DR6.BD
      // set and GD cleared so the handler can use the registers (SDM vol. 3 §17.2.4).
      if (cpu.dr[7] & DR7_GD) {
        cpu.dr[6] |= DR6_BD;
        cpu.dr[7] &= ~DR7_GD;
        fault(Vec.DB);
      }
      let k = n;
      if (k === 4 || k === 5) {
        if (cpu.cr4 & 0x8) ud();
        k += 2;
      }
      if (toReg) R[r] = cpu.dr[k];
      else {
        cpu.dr[k] = k === 6 ? R[r] | 0xffff0ff0 : k === 7 ? (R[r] & ~0xd800) | 0x400 : R[r];
        if (k !== 6) debugChanged(cpu);
      }
    };
  }
  if (n === 1 || n > 4) return ud();
  return () => {
    requireCpl0(cpu);
    const p = cpu.platform;
    if (toReg) {
      if (p.onControlRegisterRead) {
        const access: CrAccess = { type: 'mov-from', cr: n, gpr: r, value: 0 };
        if (p.onControlRegisterRead(access)) interceptInstruction(cpu, { kind: 'cr', access });
      }
      R[r] = n === 0 ? cpu.cr0 : n === 2 ? cpu.cr2 : n === 3 ? cpu.cr3 : cpu.cr4;
      return;
    }
    const v = R[r];
    if (p.onControlRegisterWrite && n !== 2) crWriteHook(cpu, { type: 'mov-to', cr: n, gpr: r, value: v });
    loadCr(cpu, n, v);
  };
}

// ---------------------------------------------------------------- MSRs, TSC, CPUID

export const MSR_TSC = 0x10;
export const MSR_SYSENTER_CS = 0x174;
export const MSR_SYSENTER_ESP = 0x175;
export const MSR_SYSENTER_EIP = 0x176;
export const MSR_EFER = 0xc0000080 | 0;

export function rdmsr(d: Dec): Exec {
  const cpu = d.cpu;
  const R = d.R;
  return () => {
    requireCpl0(cpu);
    const idx = R[1];
    let lo: number;
    let hi = 0;
    switch (idx) {
      case MSR_TSC: {
        const t = cpu.tsc();
        lo = Number(t & 0xffffffffn) | 0;
        hi = Number(t >> 32n) | 0;
        break;
      }
      case MSR_SYSENTER_CS: lo = cpu.sysenterCs; break;
      case MSR_SYSENTER_ESP: lo = cpu.sysenterEsp; break;
      case MSR_SYSENTER_EIP: lo = cpu.sysenterEip; break;
      case MSR_EFER: lo = cpu.efer; break;
      default: {
        const v = cpu.platform.rdmsr(idx >>> 0);
        cpu.afterPlatformCall();
        if (v === 'fault') return gp(0);
        lo = v.lo | 0;
        hi = v.hi | 0;
      }
    }
    R[0] = lo;
    R[2] = hi;
  };
}

export function wrmsr(d: Dec): Exec {
  const cpu = d.cpu;
  const R = d.R;
  return () => {
    requireCpl0(cpu);
    const idx = R[1];
    const lo = R[0];
    const hi = R[2];
    switch (idx) {
      case MSR_TSC:
        cpu.tscOffset = ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) - cpu.tsc() + cpu.tscOffset;
        return;
      case MSR_SYSENTER_CS: cpu.sysenterCs = lo & 0xffff; return;
      case MSR_SYSENTER_ESP: cpu.sysenterEsp = lo; return;
      case MSR_SYSENTER_EIP: cpu.sysenterEip = lo; return;
      case MSR_EFER:
        if (hi !== 0 || lo & ~0x801) gp(0); // SCE (no effect in 32-bit) and NXE
        cpu.efer = lo;
        cpu.flushTlb(false);
        return;
    }
    const ok = cpu.platform.wrmsr(idx >>> 0, lo >>> 0, hi >>> 0);
    cpu.afterPlatformCall();
    if (!ok) gp(0);
  };
}

export function rdtsc(d: Dec): Exec {
  const cpu = d.cpu;
  const R = d.R;
  return () => {
    if (cpu.cr4 & 0x4 && cpu.cpl !== 0 && cpu.pe) gp(0);
    if (cpu.platform.onRdtsc && cpu.platform.onRdtsc()) interceptInstruction(cpu, { kind: 'rdtsc' });
    const t = cpu.tsc();
    R[0] = Number(t & 0xffffffffn) | 0;
    R[2] = Number(t >> 32n) | 0;
  };
}

export function cpuid(d: Dec): Exec {
  const cpu = d.cpu;
  const R = d.R;
  return () => {
    const r = cpu.platform.cpuid(R[0] >>> 0, R[1] >>> 0);
    R[0] = r.eax | 0;
    R[3] = r.ebx | 0;
    R[1] = r.ecx | 0;
    R[2] = r.edx | 0;
  };
}

export function sysenter(d: Dec): Exec {
  const cpu = d.cpu;
  return () => {
    if (!cpu.pe || (cpu.sysenterCs & 0xfffc) === 0) gp(0);
    const cs = cpu.sysenterCs & 0xfffc;
    cpu.setEflags(cpu.getEflags() & ~(VM | IF | RF));
    cpu.cpl = 0;
    setSegment(cpu, CS, cs, 0, 0xffffffff, 0xc09b);
    setSegment(cpu, SS, (cs + 8) & 0xfffc, 0, 0xffffffff, 0xc093);
    cpu.r[4] = cpu.sysenterEsp;
    cpu.eip = cpu.sysenterEip;
  };
}

export function sysexit(d: Dec): Exec {
  const cpu = d.cpu;
  return () => {
    if (!cpu.pe || cpu.cpl !== 0 || (cpu.sysenterCs & 0xfffc) === 0) gp(0);
    const cs = cpu.sysenterCs & 0xfffc;
    cpu.cpl = 3;
    setSegment(cpu, CS, (cs + 16) | 3, 0, 0xffffffff, 0xc0fb);
    setSegment(cpu, SS, (cs + 24) | 3, 0, 0xffffffff, 0xc0f3);
    cpu.r[4] = cpu.r[1];
    cpu.eip = cpu.r[2];
  };
}

