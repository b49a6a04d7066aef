/**
 * The decoder: turns the bytes at a linear address into an `Insn` — its length and a closure
 * specialised to its operands. The CPU caches Insns per physical frame (cpu.ts), so decoding
 * cost is paid once per instruction location, and the closures avoid re-examining opcode bytes.
 *
 * This file holds prefixes, ModRM/SIB addressing and the one-byte opcode map; the 0F map is in
 * decode0f.ts, string instructions in string.ts, system instructions in system-ops.ts.
 */
import type { Cpu } from './cpu';
import * as constsM from './consts';
import * as faultM from './fault';
import * as flagsM from './flags';
import * as aluM from './alu';
import type { Opnd } from './operands';
import * as operandsM from './operands';
import * as stackM from './stack';
import * as segmentsM from './segments';
import { decode0F } from './decode0f';
import * as stringM from './string';
import * as sys from './system-ops';
import * as bcd from './bcd';
import type { Block } from './jit';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { CS, DS, ES, FS, GS, SS, CR0_EM, CR0_TS, SHADOW_MOV_SS } = constsM;
const { CpuFault, Vec, fault, ud } = faultM;
const { CC, CF, DF, ZF, cond, lazyCF, settle } = flagsM;
const { Alu, alu, dec, imulTrunc, inc, logicFlags, mulDiv, neg, sext, shift } = aluM;
const { getReg, memOpnd, regOpnd, setReg } = operandsM;
const { adjustSp, pop, probePush, push } = stackM;
const { loadSegment } = segmentsM;
const { stringOp } = stringM;

export type Exec = () => void;

/** How an instruction interacts with block compilation (jit.ts). */
export const InsnKind = {
  /** Falls through to the next instruction and changes no mode or interrupt state. */
  SIMPLE: 0,
  /** May change EIP (jumps, calls, returns, loops, repeated string chunks); ends a block. */
  BRANCH: 1,
  /** Anything else (segment loads, system instructions, port I/O, interrupts): interpreted. */
  OTHER: 2,
} as const;
export type InsnKind = (typeof InsnKind)[keyof typeof InsnKind];

export class Insn {
  /** Executions seen while not yet compiled (block start candidates). */
  hits = 0;
  /** Compiled block starting here, null before compilation, false when not compilable. */
  block: Block | null | false = null;
  constructor(
    readonly len: number,
    readonly exec: Exec,
    readonly kind: InsnKind,
    /** A form the block compiler may inline (jit.ts); `exec` stays its complete semantics. */
    readonly inline: InlineMov | null = null,
  ) {}
}

/**
 * A dword access the block compiler may inline: `mov r32, [base + index*2^scale + disp]`
 * (load), `mov [...], r32` (store) with 32-bit addressing, `push r32` / `pop r32` (the
 * address is then [ss: esp + disp], disp -4 for push), or an ALU operation `aop` (alu.ts)
 * between r32 and such a dword: `op r32, [m]` (alu-load) or `op [m], r32` (alu-rmw; cmp
 * only reads). With `imm` a store or alu-rmw takes that immediate instead of r32 (`mov
 * dword [m], imm`, `op dword [m], imm`). base/index are -1 when absent.
 */
export interface InlineMov {
  readonly kind: 'load' | 'store' | 'push' | 'pop' | 'alu-load' | 'alu-rmw';
  readonly aop?: number;
  readonly imm?: number;
  readonly reg: number;
  readonly seg: number;
  readonly base: number;
  readonly index: number;
  readonly scale: number;
  readonly disp: number;
}

/** Decoding state for one instruction. */
export class Dec {
  readonly cpu: Cpu;
  readonly R: Int32Array;
  private readonly start: number;
  len = 0;
  op32: boolean;
  ad32: boolean;
  /** Segment override, or -1. */
  seg = -1;
  /** 0, 0xF2 (repne) or 0xF3 (rep/repe). */
  rep = 0;
  lock = false;
  kind: InsnKind = InsnKind.SIMPLE;
  /** The instruction's inlinable form, if any (set by decodeMain). */
  inline: InlineMov | null = null;
  /** The last 32-bit address addr() decoded (for `inline`). */
  addr32: Omit<InlineMov, 'kind' | 'reg'> | null = null;
  /** Last ModRM fields. */
  mod = 0;
  regf = 0;
  rm = 0;
  /** Operand-size index for "v" operands: 2 (dword) or 1 (word). */
  get sv(): number {
    return this.op32 ? 2 : 1;
  }

  constructor(cpu: Cpu, lin: number) {
    this.cpu = cpu;
    this.R = cpu.r;
    this.start = lin;
    this.op32 = cpu.code32;
    this.ad32 = cpu.code32;
  }

  /** The opcode byte at offset `at` of this instruction (already fetched). */
  peekAt(at: number): number {
    return this.cpu.fetchByte((this.start + at) | 0);
  }

  b(): number {
    if (this.len >= 15) throw new CpuFault(Vec.GP, 0);
    return this.cpu.fetchByte((this.start + this.len++) | 0);
  }
  w(): number {
    return this.b() | (this.b() << 8);
  }
  d(): number {
    return this.b() | (this.b() << 8) | (this.b() << 16) | (this.b() << 24);
  }
  /** Immediate of operand size `size` (masked/int32 like operand values). */
  imm(size: number): number {
    return size === 2 ? this.d() : size === 1 ? this.w() : this.b();
  }
  /** Sign-extended imm8 masked to `size`. */
  simm8(size: number): number {
    const v = (this.b() << 24) >> 24;
    return size === 2 ? v : v & (size === 1 ? 0xffff : 0xff);
  }

  modrm(): void {
    const m = this.b();
    this.mod = m >> 6;
    this.regf = (m >> 3) & 7;
    this.rm = m & 7;
  }

  /** The r/m operand after modrm(). */
  E(size: number): Opnd {
    if (this.mod === 3) return regOpnd(this.cpu, size, this.rm);
    const { ea, seg } = this.addr();
    return memOpnd(this.cpu, size, seg, ea);
  }

  /** The reg operand after modrm(). */
  G(size: number): Opnd {
    return regOpnd(this.cpu, size, this.regf);
  }

  /** Memory address of the ModRM operand: an offset closure and its segment. */
  addr(): { ea: () => number; seg: number } {
    const R = this.R;
    const mod = this.mod;
    const rm = this.rm;
    if (!this.ad32) {
      let disp = 0;
      if (mod === 0 && rm === 6) disp = this.w();
      else if (mod === 1) disp = (this.b() << 24) >> 24;
      else if (mod === 2) disp = this.w();
      const dseg = (rm === 2 || rm === 3 || (rm === 6 && mod !== 0)) ? SS : DS;
      const seg = this.seg >= 0 ? this.seg : dseg;
      const pairs: [number, number][] = [[3, 6], [3, 7], [5, 6], [5, 7], [6, -1], [7, -1], [5, -1], [3, -1]];
      if (mod === 0 && rm === 6) {
        const o = disp & 0xffff;
        return { ea: () => o, seg };
      }
      const [x, y] = pairs[rm];
      const ea = y >= 0 ? () => (R[x] + R[y] + disp) & 0xffff : () => (R[x] + disp) & 0xffff;
      return { ea, seg };
    }
    let base = rm;
    let index = -1;
    let scale = 0;
    if (rm === 4) {
      const sib = this.b();
      scale = sib >> 6;
      index = (sib >> 3) & 7;
      if (index === 4) index = -1;
      base = sib & 7;
      if (base === 5 && mod === 0) base = -1;
    } else if (rm === 5 && mod === 0) {
      base = -1;
    }
    let disp = 0;
    if (mod === 1) disp = (this.b() << 24) >> 24;
    else if (mod === 2 || base === -1) disp = this.d();
    const dseg = base === 4 || base === 5 ? SS : DS;
    const seg = this.seg >= 0 ? this.seg : dseg;
    this.addr32 = { seg, base, index, scale, disp };
    let ea: () => number;
    if (index < 0) {
      if (base < 0) ea = () => disp;
      else if (disp === 0) ea = () => R[base];
      else ea = () => (R[base] + disp) | 0;
    } else if (base < 0) {
      ea = () => ((R[index] << scale) + disp) | 0;
    } else if (disp === 0) {
      ea = () => (R[base] + (R[index] << scale)) | 0;
    } else {
      ea = () => (R[base] + (R[index] << scale) + disp) | 0;
    }
    return { ea, seg };
  }

  /** Data segment for implicit DS accesses (moffs, string sources, xlat). */
  get dseg(): number {
    return this.seg >= 0 ? this.seg : DS;
  }

  /** Relative branch target mask: 16-bit operand size truncates EIP. */
  get ipMask(): number {
    return this.op32 ? -1 : 0xffff;
  }
}

/** Decode the instruction at `lin`. A fetch #PF propagates; invalid encodings become #UD closures. */
export function decodeInstruction(cpu: Cpu, lin: number): Insn {
  const d = new Dec(cpu, lin);
  let exec: Exec;
  try {
    exec = decodeOne(d);
  } catch (e) {
    if (!(e instanceof CpuFault) || e.vector === Vec.PF || e.vector === Vec.GP) throw e;
    const v = e.vector;
    const code = e.errorCode;
    exec = () => fault(v, code);
    d.kind = InsnKind.OTHER;
    d.inline = null;
  }
  return new Insn(d.len, exec, d.kind, d.inline);
}

/** One-byte opcodes that end a block (may change EIP). */
const BRANCH_1B = new Set([0xc2, 0xc3, 0xe0, 0xe1, 0xe2, 0xe3, 0xe8, 0xe9, 0xeb]);
/** One-byte opcodes that are interpreted, never compiled into blocks. */
const OTHER_1B = new Set([
  0x07, 0x17, 0x1f, 0x6c, 0x6d, 0x6e, 0x6f, 0x8e, 0x9a, 0x9b, 0x9d, 0xc4, 0xc5, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
  0xe4, 0xe5, 0xe6, 0xe7, 0xea, 0xec, 0xed, 0xee, 0xef, 0xf1, 0xf4, 0xfa, 0xfb,
]);
const STRING_1B = new Set([0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);
const OTHER_0F = new Set([0x00, 0x01, 0x06, 0x08, 0x09, 0x20, 0x21, 0x22, 0x23, 0x30, 0x31, 0x32, 0x34, 0x35, 0xa0, 0xa1, 0xa2, 0xa8, 0xa9, 0xb2, 0xb4, 0xb5]);

function classify(d: Dec, op: number, op2: number): InsnKind {
  if (op === 0x0f) {
    if (op2 >= 0x80 && op2 < 0x90) return InsnKind.BRANCH;
    return OTHER_0F.has(op2) ? InsnKind.OTHER : InsnKind.SIMPLE;
  }
  if ((op >= 0x70 && op < 0x80) || BRANCH_1B.has(op)) return InsnKind.BRANCH;
  if (OTHER_1B.has(op)) return InsnKind.OTHER;
  if (STRING_1B.has(op) && d.rep) return InsnKind.BRANCH;
  if (op === 0xff) return d.regf === 2 || d.regf === 4 ? InsnKind.BRANCH : d.regf === 3 || d.regf === 5 ? InsnKind.OTHER : InsnKind.SIMPLE;
  return InsnKind.SIMPLE;
}

const LOCKABLE_1B = new Set([0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31, 0x80, 0x81, 0x82, 0x83, 0x86, 0x87, 0xf6, 0xf7, 0xfe, 0xff]);

function decodeOne(d: Dec): Exec {
  let op: number;
  for (;;) {
    op = d.b();
    switch (op) {
      case 0x26: d.seg = ES; continue;
      case 0x2e: d.seg = CS; continue;
      case 0x36: d.seg = SS; continue;
      case 0x3e: d.seg = DS; continue;
      case 0x64: d.seg = FS; continue;
      case 0x65: d.seg = GS; continue;
      case 0x66: d.op32 = !d.cpu.code32; continue;
      case 0x67: d.ad32 = !d.cpu.code32; continue;
      case 0xf0: d.lock = true; continue;
      case 0xf2:
      case 0xf3: d.rep = op; continue;
    }
    break;
  }
  const at = d.len;
  const exec = op === 0x0f ? decode0F(d) : decodeMain(d, op);
  if (d.lock && op !== 0x0f) checkLock(d, op);
  d.kind = classify(d, op, op === 0x0f ? d.peekAt(at) : 0);
  return exec;
}

/** lock is valid only on the read-modify-write memory forms (0F forms check in decode0f). */
function checkLock(d: Dec, op: number): void {
  if (!LOCKABLE_1B.has(op) || d.mod === 3) ud();
  const r = d.regf;
  if ((op >= 0x80 && op <= 0x83 && r === 7) || ((op === 0xf6 || op === 0xf7) && r !== 2 && r !== 3) || (op === 0xfe && r > 1) || (op === 0xff && r > 1)) ud();
}

function decodeMain(d: Dec, op: number): Exec {
  const cpu = d.cpu;
  const R = d.R;
  if (op < 0x40 && (op & 7) < 6) return decodeAlu(d, op >> 3, op & 7);
  switch (op) {
    case 0x06: case 0x0e: case 0x16: case 0x1e: {
      const s = op >> 3;
      const size = d.sv;
      return () => push(cpu, size, cpu.segSel[s]);
    }
    case 0x07: case 0x17: case 0x1f: {
      const s = op >> 3;
      const size = d.sv;
      return () => {
        const v = popPreview(cpu, size);
        loadSegment(cpu, s, v & 0xffff);
        adjustSp(cpu, size === 2 ? 4 : 2);
        if (s === SS) cpu.shadow = SHADOW_MOV_SS, (cpu.attention = true);
      };
    }
    case 0x27: return () => bcd.daa(cpu);
    case 0x2f: return () => bcd.das(cpu);
    case 0x37: return () => bcd.aaa(cpu);
    case 0x3f: return () => bcd.aas(cpu);
  }
  if (op >= 0x40 && op < 0x60) {
    const n = op & 7;
    const size = d.sv;
    switch (op >> 3) {
      case 8:
        if (size === 2) return () => {
          const a = R[n];
          const r = (a + 1) | 0;
          cpu.ccAux = lazyCF(cpu);
          cpu.ccOp = CC.INC | 2;
          cpu.ccSrc1 = a;
          cpu.ccSrc2 = 1;
          cpu.ccDst = r;
          R[n] = r;
        };
        return () => setReg(R, size, n, inc(cpu, size, getReg(R, size, n)));
      case 9:
        if (size === 2) return () => {
          const a = R[n];
          const r = (a - 1) | 0;
          cpu.ccAux = cpu.ccOp === (CC.DEC | 2) || cpu.ccOp === (CC.INC | 2) ? cpu.ccAux : lazyCF(cpu);
          cpu.ccOp = CC.DEC | 2;
          cpu.ccSrc1 = a;
          cpu.ccSrc2 = 1;
          cpu.ccDst = r;
          R[n] = r;
        };
        return () => setReg(R, size, n, dec(cpu, size, getReg(R, size, n)));
      case 10:
        if (size === 2) d.inline = { kind: 'push', reg: n, seg: SS, base: 4, index: -1, scale: 0, disp: -4 };
        if (n === 4) return () => push(cpu, size, getReg(R, size, 4));
        return () => push(cpu, size, getReg(R, size, n));
      default:
        if (size === 2) d.inline = { kind: 'pop', reg: n, seg: SS, base: 4, index: -1, scale: 0, disp: 0 };
        return () => {
          const v = pop(cpu, size);
          setReg(R, size, n, v);
        };
    }
  }
  switch (op) {
    case 0x60: {
      const size = d.sv;
      return () => {
        probePush(cpu, 8 << (size - 1));
        const sp = getReg(R, size, 4);
        for (let n = 0; n < 8; n++) push(cpu, size, n === 4 ? sp : getReg(R, size, n));
      };
    }
    case 0x61: {
      const size = d.sv;
      return () => {
        for (let n = 7; n >= 0; n--) {
          const v = pop(cpu, size);
          if (n !== 4) setReg(R, size, n, v);
        }
      };
    }
    case 0x62: {
      d.modrm();
      if (d.mod === 3) ud();
      const size = d.sv;
      const { ea, seg } = d.addr();
      const reg = d.regf;
      return () => {
        const a = cpu.lin(seg, ea(), 2 << size, false);
        const idx = sext(size, getReg(R, size, reg));
        const bytes = size === 2 ? 4 : 2;
        const lo = sext(size, size === 2 ? cpu.read32(a) : cpu.read16(a));
        const hi = sext(size, size === 2 ? cpu.read32((a + bytes) | 0) : cpu.read16((a + bytes) | 0));
        if (idx < lo || idx > hi) fault(Vec.BR);
      };
    }
    case 0x63: {
      d.modrm();
      const e = d.E(1);
      const reg = d.regf;
      return () => {
        if (!cpu.pe) ud();
        const dst = e.rmw();
        const src = R[reg] & 0xffff;
        settle(cpu);
        if ((dst & 3) < (src & 3)) {
          e.set((dst & ~3) | (src & 3));
          cpu.eflags |= ZF;
        } else {
          if (!e.isReg) e.set(dst);
          cpu.eflags &= ~ZF;
        }
      };
    }
    case 0x68: {
      const size = d.sv;
      const v = d.imm(size);
      return () => push(cpu, size, v);
    }
    case 0x6a: {
      const size = d.sv;
      const v = d.simm8(size);
      return () => push(cpu, size, v);
    }
    case 0x69:
    case 0x6b: {
      const size = d.sv;
      d.modrm();
      const e = d.E(size);
      const reg = d.regf;
      const imm = op === 0x69 ? d.imm(size) : d.simm8(size);
      return () => setReg(R, size, reg, imulTrunc(cpu, size, e.get(), imm));
    }
    case 0x6c: case 0x6d: case 0x6e: case 0x6f:
    case 0xa4: case 0xa5: case 0xa6: case 0xa7:
    case 0xaa: case 0xab: case 0xac: case 0xad: case 0xae: case 0xaf:
      return stringOp(d, op);
  }
  if (op >= 0x70 && op < 0x80) {
    const disp = (d.b() << 24) >> 24;
    return jcc(d, op & 15, disp);
  }
  switch (op) {
    case 0x80: case 0x81: case 0x82: case 0x83: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const aop = d.regf;
      const imm = op === 0x81 ? d.imm(size) : op === 0x83 ? d.simm8(size) : d.b();
      if (size === 2 && e.isReg) {
        const fast = aluRegImm32(cpu, aop, e.reg, imm);
        if (fast) return fast;
      }
      if (size === 2 && !e.isReg && d.ad32 && d.addr32) d.inline = { kind: 'alu-rmw', aop, imm, reg: -1, ...d.addr32 };
      if (aop === Alu.CMP) return () => void alu(cpu, Alu.CMP, size, e.get(), imm);
      return () => e.set(alu(cpu, aop, size, e.rmw(), imm));
    }
    case 0x84: case 0x85: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const g = d.G(size);
      return () => logicFlags(cpu, size, e.get() & g.get());
    }
    case 0x86: case 0x87: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const g = d.G(size);
      return () => {
        const a = e.rmw();
        const b = g.get();
        e.set(b);
        g.set(a);
      };
    }
    case 0x88: case 0x89: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const reg = d.regf;
      if (size === 2 && e.isReg) {
        const rm = e.reg;
        return () => {
          R[rm] = R[reg];
        };
      }
      if (size === 2 && d.ad32 && d.addr32) d.inline = { kind: 'store', reg, ...d.addr32 };
      return () => e.put(getReg(R, size, reg));
    }
    case 0x8a: case 0x8b: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const reg = d.regf;
      if (size === 2 && !e.isReg && d.ad32 && d.addr32) d.inline = { kind: 'load', reg, ...d.addr32 };
      if (size === 2) return () => {
        R[reg] = e.get();
      };
      return () => setReg(R, size, reg, e.get());
    }
    case 0x8c: {
      d.modrm();
      if (d.regf > 5) ud();
      const s = d.regf;
      // To a register with 32-bit operand size the whole register is written (zero-extended).
      const e = d.E(d.mod === 3 ? d.sv : 1);
      return () => e.put(cpu.segSel[s]);
    }
    case 0x8d: {
      d.modrm();
      if (d.mod === 3) ud();
      const { ea } = d.addr();
      const size = d.sv;
      const reg = d.regf;
      return () => setReg(R, size, reg, ea());
    }
    case 0x8e: {
      d.modrm();
      const s = d.regf;
      if (s === CS || s > 5) ud();
      const e = d.E(1);
      return () => {
        loadSegment(cpu, s, e.get());
        if (s === SS) cpu.shadow = SHADOW_MOV_SS, (cpu.attention = true);
      };
    }
    case 0x8f: {
      d.modrm();
      if (d.regf !== 0) ud();
      const size = d.sv;
      const e = d.E(size);
      if (e.isReg) return () => e.set(pop(cpu, size));
      return () => {
        // The address is computed with ESP already incremented (SDM: POP).
        const v = popPreview(cpu, size);
        const sp = R[4];
        adjustSp(cpu, size === 2 ? 4 : 2);
        try {
          e.put(v);
        } catch (err) {
          R[4] = sp;
          throw err;
        }
      };
    }
    case 0x90:
      if (d.rep === 0xf3) return sys.pause(d);
      return () => {};
  }
  if (op > 0x90 && op < 0x98) {
    const n = op & 7;
    const size = d.sv;
    return () => {
      const a = getReg(R, size, 0);
      setReg(R, size, 0, getReg(R, size, n));
      setReg(R, size, n, a);
    };
  }
  switch (op) {
    case 0x98:
      if (d.op32) return () => {
        R[0] = (R[0] << 16) >> 16;
      };
      return () => {
        R[0] = (R[0] & ~0xffff) | (((R[0] << 24) >> 24) & 0xffff);
      };
    case 0x99:
      if (d.op32) return () => {
        R[2] = R[0] >> 31;
      };
      return () => {
        R[2] = (R[2] & ~0xffff) | (((R[0] << 16) >> 31) & 0xffff);
      };
    case 0x9a: {
      const size = d.sv;
      const off = d.imm(size);
      const sel = d.w();
      return sys.farCall(d, size, () => sel, () => off);
    }
    case 0x9b:
      return () => {
        if ((cpu.cr0 & (CR0_TS | 0x2)) === (CR0_TS | 0x2)) fault(Vec.NM);
      };
    case 0x9c: return sys.pushf(d);
    case 0x9d: return sys.popf(d);
    case 0x9e:
      return () => {
        settle(cpu);
        cpu.eflags = (cpu.eflags & ~0xd5) | ((R[0] >> 8) & 0xd5);
      };
    case 0x9f:
      return () => {
        const f = (cpu.getEflags() & 0xd5) | 2;
        R[0] = (R[0] & ~0xff00) | (f << 8);
      };
    case 0xa0: case 0xa1: case 0xa2: case 0xa3: {
      const size = op & 1 ? d.sv : 0;
      const off = d.ad32 ? d.d() : d.w();
      const m = memOpnd(cpu, size, d.dseg, () => off);
      if (op < 0xa2) return () => setReg(R, size, 0, m.get());
      return () => m.put(getReg(R, size, 0));
    }
    case 0xa8: case 0xa9: {
      const size = op & 1 ? d.sv : 0;
      const imm = d.imm(size);
      return () => logicFlags(cpu, size, getReg(R, size, 0) & imm);
    }
  }
  if (op >= 0xb0 && op < 0xb8) {
    const v = d.b();
    const n = op & 7;
    return () => setReg(R, 0, n, v);
  }
  if (op >= 0xb8 && op < 0xc0) {
    const size = d.sv;
    const v = d.imm(size);
    const n = op & 7;
    if (size === 2) return () => {
      R[n] = v;
    };
    return () => setReg(R, size, n, v);
  }
  switch (op) {
    case 0xc0: case 0xc1: case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const sop = d.regf;
      if (op <= 0xc1) {
        const c = d.b();
        return () => e.set(shift(cpu, sop, size, e.rmw(), c));
      }
      if (op <= 0xd1) return () => e.set(shift(cpu, sop, size, e.rmw(), 1));
      return () => e.set(shift(cpu, sop, size, e.rmw(), R[1] & 0xff));
    }
    case 0xc2: case 0xc3: {
      const size = d.sv;
      const n = op === 0xc2 ? d.w() : 0;
      const mask = d.ipMask;
      return () => {
        const t = pop(cpu, size) & mask;
        if (n) adjustSp(cpu, n);
        cpu.eip = t;
      };
    }
    case 0xc4: case 0xc5: {
      d.modrm();
      if (d.mod === 3) ud();
      return loadFarPointer(d, op === 0xc4 ? ES : DS);
    }
    case 0xc6: case 0xc7: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      if (d.regf !== 0) ud();
      const e = d.E(size);
      const v = d.imm(size);
      if (size === 2 && !e.isReg && d.ad32 && d.addr32) d.inline = { kind: 'store', imm: v, reg: -1, ...d.addr32 };
      return () => e.put(v);
    }
    case 0xc8: {
      const size = d.sv;
      const alloc = d.w();
      const level = d.b() & 31;
      return () => enter(cpu, size, alloc, level);
    }
    case 0xc9: {
      const size = d.sv;
      return () => {
        const bp = R[5];
        if (cpu.stack32) R[4] = bp;
        else R[4] = (R[4] & ~0xffff) | (bp & 0xffff);
        const v = pop(cpu, size);
        setReg(R, size, 5, v);
      };
    }
    case 0xca: case 0xcb: {
      const n = op === 0xca ? d.w() : 0;
      return sys.farRet(d, d.sv, n);
    }
    case 0xcc: return sys.softInt(d, 3, 'soft');
    case 0xcd: {
      const v = d.b();
      return sys.softInt(d, v, 'soft');
    }
    case 0xce:
      return () => {
        if (cpu.getEflags() & 0x800) sys.raiseSoft(cpu, Vec.OF, 'soft');
      };
    case 0xcf: return sys.iret(d, d.sv);
    case 0xd4: {
      const base = d.b();
      return () => bcd.aam(cpu, base);
    }
    case 0xd5: {
      const base = d.b();
      return () => bcd.aad(cpu, base);
    }
    case 0xd6:
      // salc (undocumented; QEMU implements it): AL = CF ? 0xff : 0.
      return () => setReg(R, 0, 0, lazyCF(cpu) ? 0xff : 0);
    case 0xd7: {
      const seg = d.dseg;
      const ad32 = d.ad32;
      return () => {
        const off = ad32 ? (R[3] + (R[0] & 0xff)) | 0 : (R[3] + (R[0] & 0xff)) & 0xffff;
        setReg(R, 0, 0, cpu.read8(cpu.lin(seg, off, 1, false)));
      };
    }
  }
  if (op >= 0xd8 && op <= 0xdf) {
    // x87: no FPU is modelled. #NM when CR0.EM or CR0.TS, else #UD (CPUID reports no FPU).
    d.modrm();
    if (d.mod !== 3) d.addr();
    return () => {
      if (cpu.cr0 & (CR0_EM | CR0_TS)) fault(Vec.NM);
      ud();
    };
  }
  switch (op) {
    case 0xe0: case 0xe1: case 0xe2: case 0xe3: {
      const disp = (d.b() << 24) >> 24;
      const mask = d.ipMask;
      const ad32 = d.ad32;
      const kind = op & 3;
      return () => {
        let c: number;
        if (kind === 3) {
          c = ad32 ? R[1] : R[1] & 0xffff;
        } else if (ad32) {
          c = R[1] = (R[1] - 1) | 0;
        } else {
          c = (R[1] - 1) & 0xffff;
          R[1] = (R[1] & ~0xffff) | c;
        }
        let take: boolean;
        if (kind === 3) take = c === 0;
        else if (kind === 2) take = c !== 0;
        else {
          const zf = (cpu.ccOp === CC.NONE ? cpu.eflags & ZF : cpu.ccDst === 0 ? ZF : 0) !== 0;
          take = c !== 0 && zf === (kind === 1);
        }
        if (take) cpu.eip = (cpu.eip + disp) & mask;
      };
    }
    case 0xe4: case 0xe5: case 0xe6: case 0xe7: {
      const port = d.b();
      return sys.inOut(d, op, () => port);
    }
    case 0xec: case 0xed: case 0xee: case 0xef:
      return sys.inOut(d, op, () => R[2] & 0xffff);
    case 0xe8: {
      const size = d.sv;
      const disp = d.imm(size);
      const mask = d.ipMask;
      return () => {
        push(cpu, size, cpu.eip);
        cpu.eip = (cpu.eip + disp) & mask;
      };
    }
    case 0xe9: {
      const disp = d.imm(d.sv);
      const mask = d.ipMask;
      return () => {
        cpu.eip = (cpu.eip + disp) & mask;
      };
    }
    case 0xea: {
      const size = d.sv;
      const off = d.imm(size);
      const sel = d.w();
      return sys.farJmp(d, () => sel, () => off);
    }
    case 0xeb: {
      const disp = (d.b() << 24) >> 24;
      const mask = d.ipMask;
      return () => {
        cpu.eip = (cpu.eip + disp) & mask;
      };
    }
    case 0xf1: return sys.softInt(d, 1, 'trap');
    case 0xf4: return sys.hlt(d);
    case 0xf5:
      return () => {
        settle(cpu);
        cpu.eflags ^= CF;
      };
    case 0xf6: case 0xf7: {
      const size = op & 1 ? d.sv : 0;
      d.modrm();
      const e = d.E(size);
      const g = d.regf;
      switch (g) {
        case 0:
        case 1: {
          const imm = d.imm(size);
          return () => logicFlags(cpu, size, e.get() & imm);
        }
        case 2: return () => e.set(~e.rmw() & (size === 2 ? -1 : size === 1 ? 0xffff : 0xff));
        case 3: return () => e.set(neg(cpu, size, e.rmw()));
        default: return () => mulDiv(cpu, g, size, e.get());
      }
    }
    case 0xf8: return flagOp(cpu, CF, 0);
    case 0xf9: return flagOp(cpu, CF, CF);
    case 0xfa: return sys.cli(d);
    case 0xfb: return sys.sti(d);
    case 0xfc: return flagOp(cpu, DF, 0);
    case 0xfd: return flagOp(cpu, DF, DF);
    case 0xfe: {
      d.modrm();
      const e = d.E(0);
      if (d.regf === 0) return () => e.set(inc(cpu, 0, e.rmw()));
      if (d.regf === 1) return () => e.set(dec(cpu, 0, e.rmw()));
      return ud();
    }
    case 0xff: return decodeGroup5(d);
  }
  return ud();
}

const CC_ADD32 = CC.ADD | 2;
const CC_SUB32 = CC.SUB | 2;
const CC_LOGIC32 = CC.LOGIC | 2;

/**
 * The common `op r32, imm` forms as flat closures (same lazy-flag records as alu()); null for
 * adc/sbb, which take the generic path.
 */
function aluRegImm32(cpu: Cpu, aop: number, rm: number, imm: number): Exec | null {
  const R = cpu.r;
  switch (aop) {
    case Alu.ADD:
      return () => {
        const a = R[rm];
        const r = (a + imm) | 0;
        cpu.ccOp = CC_ADD32;
        cpu.ccSrc1 = a;
        cpu.ccSrc2 = imm;
        cpu.ccDst = r;
        R[rm] = r;
      };
    case Alu.SUB:
    case Alu.CMP: {
      const write = aop === Alu.SUB;
      return () => {
        const a = R[rm];
        const r = (a - imm) | 0;
        cpu.ccOp = CC_SUB32;
        cpu.ccSrc1 = a;
        cpu.ccSrc2 = imm;
        cpu.ccDst = r;
        if (write) R[rm] = r;
      };
    }
    case Alu.AND:
    case Alu.OR:
    case Alu.XOR:
      return () => {
        const a = R[rm];
        const r = aop === Alu.AND ? a & imm : aop === Alu.OR ? a | imm : a ^ imm;
        cpu.ccOp = CC_LOGIC32;
        cpu.ccSrc1 = a;
        cpu.ccSrc2 = imm;
        cpu.ccDst = r;
        R[rm] = r;
      };
  }
  return null;
}

function flagOp(cpu: Cpu, bit: number, value: number): Exec {
  if (bit === CF) {
    return () => {
      settle(cpu);
      cpu.eflags = (cpu.eflags & ~bit) | value;
    };
  }
  return () => {
    cpu.eflags = (cpu.eflags & ~bit) | value;
  };
}

function decodeAlu(d: Dec, aop: number, form: number): Exec {
  const cpu = d.cpu;
  const R = d.R;
  const size = form & 1 ? d.sv : 0;
  if (form >= 4) {
    const imm = d.imm(size);
    if (aop === Alu.CMP) return () => void alu(cpu, aop, size, getReg(R, size, 0), imm);
    return () => setReg(R, size, 0, alu(cpu, aop, size, getReg(R, size, 0), imm));
  }
  d.modrm();
  const e = d.E(size);
  const reg = d.regf;
  if (size === 2 && !e.isReg && d.ad32 && d.addr32) d.inline = { kind: form < 2 ? 'alu-rmw' : 'alu-load', aop, reg, ...d.addr32 };
  if (form < 2) {
    if (e.isReg && size === 2) {
      const rm = e.reg;
      if (aop === Alu.CMP) return () => void alu(cpu, aop, 2, R[rm], R[reg]);
      if (aop === Alu.XOR && rm === reg) return () => {
        R[rm] = 0;
        cpu.ccOp = CC.LOGIC | 2;
        cpu.ccDst = 0;
      };
      return () => {
        R[rm] = alu(cpu, aop, 2, R[rm], R[reg]);
      };
    }
    if (aop === Alu.CMP) return () => void alu(cpu, aop, size, e.get(), getReg(R, size, reg));
    return () => e.set(alu(cpu, aop, size, e.rmw(), getReg(R, size, reg)));
  }
  if (aop === Alu.CMP) return () => void alu(cpu, aop, size, getReg(R, size, reg), e.get());
  return () => setReg(R, size, reg, alu(cpu, aop, size, getReg(R, size, reg), e.get()));
}

/** Conditional jump; fast paths for the conditions loops use most. */
export function jcc(d: Dec, cc: number, disp: number): Exec {
  const cpu = d.cpu;
  const mask = d.ipMask;
  if (cc === 5 && mask === -1) {
    return () => {
      if (cpu.ccOp !== CC.NONE ? cpu.ccDst !== 0 : (cpu.eflags & ZF) === 0) cpu.eip = (cpu.eip + disp) | 0;
    };
  }
  if (cc === 4 && mask === -1) {
    return () => {
      if (cpu.ccOp !== CC.NONE ? cpu.ccDst === 0 : (cpu.eflags & ZF) !== 0) cpu.eip = (cpu.eip + disp) | 0;
    };
  }
  return () => {
    if (cond(cpu, cc)) cpu.eip = (cpu.eip + disp) & mask;
  };
}

function decodeGroup5(d: Dec): Exec {
  const cpu = d.cpu;
  d.modrm();
  const g = d.regf;
  const size = d.sv;
  const mask = d.ipMask;
  switch (g) {
    case 0: {
      const e = d.E(size);
      return () => e.set(inc(cpu, size, e.rmw()));
    }
    case 1: {
      const e = d.E(size);
      return () => e.set(dec(cpu, size, e.rmw()));
    }
    case 2: {
      const e = d.E(size);
      return () => {
        const t = e.get() & mask;
        push(cpu, size, cpu.eip);
        cpu.eip = t;
      };
    }
    case 4: {
      const e = d.E(size);
      return () => {
        cpu.eip = e.get() & mask;
      };
    }
    case 3:
    case 5: {
      if (d.mod === 3) ud();
      const { ea, seg } = d.addr();
      const bytes = size === 2 ? 4 : 2;
      const off = () => {
        const a = cpu.lin(seg, ea(), bytes + 2, false);
        return size === 2 ? cpu.read32(a) : cpu.read16(a);
      };
      const sel = () => cpu.read16(cpu.lin(seg, (ea() + bytes) | 0, 2, false));
      return g === 3 ? sys.farCall(d, size, sel, off) : sys.farJmp(d, sel, off);
    }
    case 6: {
      const e = d.E(size);
      return () => push(cpu, size, e.get());
    }
  }
  return ud();
}

/** Read the value at the top of the stack without moving ESP. */
function popPreview(cpu: Cpu, size: number): number {
  const R = cpu.r;
  const sp = cpu.stack32 ? R[4] : R[4] & 0xffff;
  return size === 2 ? cpu.read32(cpu.lin(SS, sp, 4, false)) : cpu.read16(cpu.lin(SS, sp, 2, false));
}

/** lds/les/lfs/lgs/lss: offset then selector from memory. */
export function loadFarPointer(d: Dec, s: number): Exec {
  const cpu = d.cpu;
  const R = d.R;
  const size = d.sv;
  const reg = d.regf;
  const { ea, seg } = d.addr();
  const bytes = size === 2 ? 4 : 2;
  return () => {
    const a = cpu.lin(seg, ea(), bytes + 2, false);
    const off = size === 2 ? cpu.read32(a) : cpu.read16(a);
    const sel = cpu.read16((a + bytes) | 0);
    loadSegment(cpu, s, sel);
    setReg(R, size, reg, off);
  };
}

function enter(cpu: Cpu, size: number, alloc: number, level: number): void {
  const R = cpu.r;
  const bytes = size === 2 ? 4 : 2;
  probePush(cpu, bytes * (level + 1));
  const spMask = cpu.stack32 ? -1 : 0xffff;
  push(cpu, size, getReg(R, size, 5));
  const frame = R[4] & spMask;
  if (level > 0) {
    let bp = R[5] & spMask;
    for (let i = 1; i < level; i++) {
      bp = (bp - bytes) & spMask;
      const a = cpu.lin(SS, bp, bytes, false);
      push(cpu, size, size === 2 ? cpu.read32(a) : cpu.read16(a));
    }
    push(cpu, size, frame);
  }
  const sp = ((R[4] & spMask) - alloc) & spMask;
  // The new stack bottom must be writable (SDM: ENTER checks it).
  if (alloc) cpu.probeWrite(cpu.lin(SS, sp, 1, true), 1);
  setReg(R, size, 5, frame);
  if (cpu.stack32) R[4] = sp;
  else R[4] = (R[4] & ~0xffff) | sp;
}

