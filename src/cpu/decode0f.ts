/** The two-byte (0F xx) opcode map. */
import type { Dec, Exec } from './decode';
import { jcc, loadFarPointer } from './decode';
import * as constsM from './consts';
import * as faultM from './fault';
import * as flagsM from './flags';
import * as aluM from './alu';
import * as operandsM from './operands';
import * as stackM from './stack';
import * as segmentsM from './segments';
import * as sys from './system-ops';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { CR0_EM, CR0_TS, FS, GS, SS } = constsM;
const { Vec, fault, ud } = faultM;
const { CC, CF, ZF, cond, settle, SIZE_MASK, SIZE_BITS } = flagsM;
const { Alu, alu, imulTrunc, logicFlags, shiftDouble, sext } = aluM;
const { getReg, memOpnd, regOpnd, setReg } = operandsM;
const { adjustSp, push } = stackM;
const { loadSegment } = segmentsM;

const LOCKABLE_0F = new Set([0xab, 0xb3, 0xbb, 0xba, 0xb0, 0xb1, 0xc0, 0xc1, 0xc7]);

export function decode0F(d: Dec): Exec {
  const op = d.b();
  const exec = decode0FMain(d, op);
  if (d.lock && (!LOCKABLE_0F.has(op) || d.mod === 3 || (op === 0xba && d.regf < 5))) ud();
  return exec;
}

function decode0FMain(d: Dec, op: number): Exec {
  const cpu = d.cpu;
  const R = d.R;
  if (op >= 0x80 && op < 0x90) {
    const disp = d.imm(d.sv);
    return jcc(d, op & 15, disp);
  }
  if (op >= 0x90 && op < 0xa0) {
    d.modrm();
    const e = d.E(0);
    const cc = op & 15;
    return () => e.put(cond(cpu, cc) ? 1 : 0);
  }
  if (op >= 0x40 && op < 0x50) {
    const size = d.sv;
    d.modrm();
    const e = d.E(size);
    const reg = d.regf;
    const cc = op & 15;
    // The source is read (and may fault) whether or not the condition holds; a 32-bit
    // destination is written (zero-extended upper half irrelevant on IA-32) only if it holds.
    return () => {
      const v = e.get();
      if (cond(cpu, cc)) setReg(R, size, reg, v);
    };
  }
  if (op >= 0xc8 && op < 0xd0) {
    const n = op & 7;
    if (!d.op32) {
      // bswap with a 16-bit operand is undefined; QEMU and hardware clear the low word.
      return () => {
        R[n] &= ~0xffff;
      };
    }
    return () => {
      const v = R[n];
      R[n] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    };
  }
  switch (op) {
    case 0x00: return sys.group6(d);
    case 0x01: return sys.group7(d);
    case 0x02: case 0x03: return sys.larLsl(d, op === 0x03);
    case 0x06: return sys.clts(d);
    case 0x08: case 0x09: return sys.privNop(d);
    case 0x0b: case 0xb9: return () => ud();
    case 0x0d: case 0x18: case 0x19: case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x1f: {
      // prefetch / hint nops: decode the operand, do nothing.
      d.modrm();
      if (d.mod !== 3) d.addr();
      return () => {};
    }
    case 0x20: case 0x21: case 0x22: case 0x23: return sys.movCrDr(d, op);
    case 0x30: return sys.wrmsr(d);
    case 0x31: return sys.rdtsc(d);
    case 0x32: return sys.rdmsr(d);
    case 0x34: return sys.sysenter(d);
    case 0x35: return sys.sysexit(d);
    case 0xa0: case 0xa8: {
      const s = op === 0xa0 ? FS : GS;
      const size = d.sv;
      return () => push(cpu, size, cpu.segSel[s]);
    }
    case 0xa1: case 0xa9: {
      const s = op === 0xa1 ? FS : GS;
      const size = d.sv;
      return () => {
        const sp = cpu.stack32 ? R[4] : R[4] & 0xffff;
        const v = cpu.read16(cpu.lin(SS, sp, 2, false));
        loadSegment(cpu, s, v);
        adjustSp(cpu, size === 2 ? 4 : 2);
      };
    }
    case 0xa2: return sys.cpuid(d);
    case 0xa3: case 0xab: case 0xb3: case 0xbb: {
      d.modrm();
      return bitOpModrm(d, (op >> 3) & 3, false); // a3 bt, ab bts, b3 btr, bb btc
    }
    case 0xba: {
      d.modrm();
      if (d.regf < 4) ud();
      return bitOpModrm(d, d.regf - 4, true);
    }
    case 0xa4: case 0xa5: case 0xac: case 0xad: {
      const size = d.sv;
      d.modrm();
      const e = d.E(size);
      const reg = d.regf;
      const left = op < 0xa8;
      if (op & 1) return () => e.set(shiftDouble(cpu, left, size, e.rmw(), getReg(R, size, reg), R[1] & 0xff));
      const c = d.b();
      return () => e.set(shiftDouble(cpu, left, size, e.rmw(), getReg(R, size, reg), c));
    }
    case 0xaf: {
      const size = d.sv;
      d.modrm();
      const e = d.E(size);
      const reg = d.regf;
      return () => setReg(R, size, reg, imulTrunc(cpu, size, getReg(R, size, reg), e.get()));
    }
    case 0xb0: case 0xb1: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const reg = d.regf;
      return () => {
        const v = e.rmw();
        const acc = getReg(R, size, 0);
        alu(cpu, Alu.CMP, size, acc, v);
        if (acc === v) e.set(getReg(R, size, reg));
        else {
          // The destination is written back with its own value (a locked cycle), then the accumulator loaded.
          if (!e.isReg) e.set(v);
          setReg(R, size, 0, v);
        }
      };
    }
    case 0xb2: case 0xb4: case 0xb5: {
      d.modrm();
      if (d.mod === 3) ud();
      return loadFarPointer(d, op === 0xb2 ? SS : op === 0xb4 ? FS : GS);
    }
    case 0xb6: case 0xb7: case 0xbe: case 0xbf: {
      const size = d.sv;
      const ssize = op & 1 ? 1 : 0;
      d.modrm();
      const e = d.E(ssize);
      const reg = d.regf;
      if (op < 0xb8) return () => setReg(R, size, reg, e.get());
      return () => setReg(R, size, reg, sext(ssize, e.get()) & SIZE_MASK[size]);
    }
    case 0xbc: case 0xbd: {
      const size = d.sv;
      d.modrm();
      const e = d.E(size);
      const reg = d.regf;
      const forward = op === 0xbc;
      return () => {
        const v = e.get() & SIZE_MASK[size];
        // ZF from the source; the undefined flags as QEMU: a logic result of the source.
        logicFlags(cpu, size, v);
        if (v === 0) return; // destination unchanged (as hardware and QEMU do)
        let n: number;
        if (forward) n = 31 - Math.clz32(v & -v);
        else n = 31 - Math.clz32(v);
        setReg(R, size, reg, n);
      };
    }
    case 0xc0: case 0xc1: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const g = regOpnd(cpu, size, d.regf);
      return () => {
        const a = e.rmw();
        const b = g.get();
        const r = alu(cpu, Alu.ADD, size, a, b);
        g.set(a);
        e.set(r);
      };
    }
    case 0xc7: {
      d.modrm();
      if (d.regf !== 1 || d.mod === 3) ud();
      const { ea, seg } = d.addr();
      return () => {
        const a = cpu.lin(seg, ea(), 8, true);
        cpu.probeWrite(a, 8);
        const lo = cpu.read32(a);
        const hi = cpu.read32((a + 4) | 0);
        settle(cpu);
        if (lo === R[0] && hi === R[2]) {
          cpu.write32(a, R[3]);
          cpu.write32((a + 4) | 0, R[1]);
          cpu.eflags |= ZF;
        } else {
          cpu.write32(a, lo);
          cpu.write32((a + 4) | 0, hi);
          R[0] = lo;
          R[2] = hi;
          cpu.eflags &= ~ZF;
        }
      };
    }
  }
  if (isMmxSse(op)) {
    // No MMX/SSE unit (CPUID says so): #UD, except #NM first when CR0.TS (and EM clear), as the
    // SDM orders the checks for instructions that use the FPU/SSE state.
    d.modrm();
    if (d.mod !== 3) d.addr();
    return () => {
      if (!(cpu.cr0 & CR0_EM) && cpu.cr0 & CR0_TS) fault(Vec.NM);
      ud();
    };
  }
  // Everything else unassigned: #UD.
  return () => ud();
}

/** Two-byte opcodes of the MMX/SSE (and fxsave/ldmxcsr group) space. */
function isMmxSse(op: number): boolean {
  return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x50 && op <= 0x7f) || (op >= 0xc2 && op <= 0xc6) || op >= 0xd0 || op === 0xae;
}

function bitOpModrm(d: Dec, kind: number, imm: boolean): Exec {
  const cpu = d.cpu;
  const R = d.R;
  const size = d.sv;
  const bits = SIZE_BITS[size];
  if (d.mod === 3) {
    const e = regOpnd(cpu, size, d.rm);
    const src = imm ? ((n: number) => () => n)(d.b()) : ((r: number) => () => getReg(R, size, r))(d.regf);
    return () => {
      const v = e.get();
      const bit = src() & (bits - 1);
      applyBit(cpu, v >>> bit);
      if (kind !== 0) e.set(modifyBit(kind, v, bit) & SIZE_MASK[size]);
    };
  }
  const { ea, seg } = d.addr();
  const reg = d.regf;
  const immv = imm ? d.b() : 0;
  const bytes = size === 2 ? 4 : 2;
  return () => {
    let off = ea();
    let bit: number;
    if (imm) bit = immv & (bits - 1);
    else {
      // Register bit offsets are signed and may address outside the operand.
      const s = sext(size, getReg(R, size, reg));
      off = (off + Math.floor(s / bits) * bytes) | 0;
      if (!d.ad32) off &= 0xffff;
      bit = s & (bits - 1);
    }
    const m = memOpnd(cpu, size, seg, () => off);
    const v = kind === 0 ? m.get() : m.rmw();
    applyBit(cpu, v >>> bit);
    if (kind !== 0) m.set(modifyBit(kind, v, bit) & SIZE_MASK[size]);
  };
}

/**
 * CF = the tested bit; ZF unchanged; the SDM-undefined OF/SF/AF/PF as QEMU 7.2 leaves them:
 * after a lazily-evaluated arithmetic result it switches to a SAR-style evaluation of the same
 * width (CF from bit 0 of the shifted value, OF = MSB(shifted ^ old result), SF/ZF/PF from the
 * old result, AF = 0); otherwise only CF changes.
 */
function applyBit(cpu: Dec['cpu'], shifted: number): void {
  if (cpu.ccOp !== CC.NONE) {
    cpu.ccOp = CC.SHR | (cpu.ccOp & 3);
    cpu.ccSrc1 = shifted;
    return;
  }
  cpu.eflags = (cpu.eflags & ~CF) | (shifted & 1);
}

function modifyBit(kind: number, v: number, bit: number): number {
  switch (kind) {
    case 1: return v | (1 << bit);
    case 2: return v & ~(1 << bit);
    default: return v ^ (1 << bit);
  }
}

