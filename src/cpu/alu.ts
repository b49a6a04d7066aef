/**
 * Integer arithmetic with its flags: the eight ALU operations, shifts and rotates, multiply and
 * divide. Values are unsigned masked for 8/16-bit sizes and int32 for 32-bit (size index 2).
 * See flags.ts for the SDM-undefined cases and what we produce for them.
 */
import type { Cpu } from './cpu';
import * as flagsM from './flags';
import * as faultM from './fault';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { CC, CF, OF, SIZE_BITS, SIZE_MASK, lazyCF, settle } = flagsM;
const { Vec, fault } = faultM;

export const Alu = {
  ADD: 0,
  OR: 1,
  ADC: 2,
  SBB: 3,
  AND: 4,
  SUB: 5,
  XOR: 6,
  CMP: 7,
} as const;
export type Alu = (typeof Alu)[keyof typeof Alu];

/** One of the eight ALU operations; returns the result (callers skip the write for CMP). */
export function alu(cpu: Cpu, op: number, size: number, a: number, b: number): number {
  const m = SIZE_MASK[size];
  let r: number;
  switch (op) {
    case Alu.ADD:
      r = (a + b) & m;
      cpu.ccOp = CC.ADD | size;
      break;
    case Alu.OR:
      r = (a | b) & m;
      cpu.ccOp = CC.LOGIC | size;
      break;
    case Alu.ADC: {
      const c = lazyCF(cpu);
      r = (a + b + c) & m;
      cpu.ccAux = c;
      cpu.ccOp = CC.ADC | size;
      break;
    }
    case Alu.SBB: {
      const c = lazyCF(cpu);
      r = (a - b - c) & m;
      cpu.ccAux = c;
      cpu.ccOp = CC.SBB | size;
      break;
    }
    case Alu.AND:
      r = a & b & m;
      cpu.ccOp = CC.LOGIC | size;
      break;
    case Alu.XOR:
      r = (a ^ b) & m;
      cpu.ccOp = CC.LOGIC | size;
      break;
    default: // SUB, CMP
      r = (a - b) & m;
      cpu.ccOp = CC.SUB | size;
      break;
  }
  cpu.ccSrc1 = a;
  cpu.ccSrc2 = b;
  cpu.ccDst = r;
  return r;
}

export function inc(cpu: Cpu, size: number, a: number): number {
  const r = (a + 1) & SIZE_MASK[size];
  cpu.ccAux = lazyCF(cpu);
  cpu.ccOp = CC.INC | size;
  cpu.ccSrc1 = a;
  cpu.ccSrc2 = 1;
  cpu.ccDst = r;
  return r;
}

export function dec(cpu: Cpu, size: number, a: number): number {
  const r = (a - 1) & SIZE_MASK[size];
  cpu.ccAux = lazyCF(cpu);
  cpu.ccOp = CC.DEC | size;
  cpu.ccSrc1 = a;
  cpu.ccSrc2 = 1;
  cpu.ccDst = r;
  return r;
}

export function neg(cpu: Cpu, size: number, a: number): number {
  const r = -a & SIZE_MASK[size];
  cpu.ccOp = CC.SUB | size;
  cpu.ccSrc1 = 0;
  cpu.ccSrc2 = a;
  cpu.ccDst = r;
  return r;
}

/** Result of a logic operation (test/and/or/xor and friends) into the lazy flags. */
export function logicFlags(cpu: Cpu, size: number, r: number): void {
  cpu.ccOp = CC.LOGIC | size;
  cpu.ccDst = r;
}

function setCfOf(cpu: Cpu, cf: number, of: number): void {
  settle(cpu);
  cpu.eflags = (cpu.eflags & ~(CF | OF)) | cf | (of << 11);
}

/** Sign-extend a masked value of `size` to int32. */
export function sext(size: number, v: number): number {
  return size === 0 ? (v << 24) >> 24 : size === 1 ? (v << 16) >> 16 : v | 0;
}

/** Group 2: rol ror rcl rcr shl shr sal sar by `count` (already the raw count operand). */
export function shift(cpu: Cpu, op: number, size: number, v: number, rawCount: number): number {
  const count = rawCount & 0x1f;
  if (count === 0) return v;
  const bits = SIZE_BITS[size];
  const m = SIZE_MASK[size];
  const top = bits - 1;
  switch (op) {
    case 0: {
      // rol
      const c = count & top;
      const r = c === 0 ? v : ((v << c) | ((v & m) >>> (bits - c))) & m;
      const cf = r & 1;
      setCfOf(cpu, cf, ((r >>> top) & 1) ^ cf);
      return r;
    }
    case 1: {
      // ror
      const c = count & top;
      const r = c === 0 ? v : (((v & m) >>> c) | (v << (bits - c))) & m;
      const cf = (r >>> top) & 1;
      setCfOf(cpu, cf, cf ^ ((r >>> (top - 1)) & 1));
      return r;
    }
    case 2:
    case 3: {
      // rcl / rcr: rotate through CF, count modulo size+1
      const c = size === 2 ? count : count % (bits + 1);
      if (c === 0) return v;
      let cf = lazyCF(cpu);
      let r = v & m;
      if (op === 2) {
        for (let k = 0; k < c; k++) {
          const out = (r >>> top) & 1;
          r = ((r << 1) | cf) & m;
          cf = out;
        }
      } else {
        for (let k = 0; k < c; k++) {
          const out = r & 1;
          r = ((r >>> 1) | (cf << top)) & m;
          cf = out;
        }
      }
      setCfOf(cpu, cf, ((v ^ r) >>> top) & 1);
      return r;
    }
    case 4:
    case 6: {
      // shl / sal
      const r = (v << count) & m;
      cpu.ccOp = CC.SHL | size;
      cpu.ccSrc1 = count > 31 ? 0 : (v << (count - 1)) & m;
      cpu.ccDst = r;
      return r;
    }
    case 5: {
      const u = v & m;
      const r = count >= 32 ? 0 : (u >>> count) & m;
      cpu.ccOp = CC.SHR | size;
      cpu.ccSrc1 = (u >>> (count - 1)) & m;
      cpu.ccDst = r;
      return r;
    }
    default: {
      const s = sext(size, v);
      const r = (s >> count) & m;
      cpu.ccOp = CC.SHR | size;
      cpu.ccSrc1 = (s >> (count - 1)) & m;
      cpu.ccDst = r;
      return r;
    }
  }
}

/** shld (left) / shrd (right) dst, src, count for 16/32-bit sizes. */
export function shiftDouble(cpu: Cpu, left: boolean, size: number, dst: number, src: number, rawCount: number): number {
  const c = rawCount & 0x1f;
  if (c === 0) return dst;
  if (size === 2) {
    let r: number;
    let pre: number;
    if (left) {
      r = (dst << c) | (src >>> (32 - c));
      pre = dst << (c - 1);
      cpu.ccOp = CC.SHL | 2;
    } else {
      r = (dst >>> c) | (src << (32 - c));
      pre = dst >>> (c - 1); // QEMU (i386 target) derives OF from the destination bits only

      cpu.ccOp = CC.SHR | 2;
    }
    cpu.ccSrc1 = pre | 0;
    cpu.ccDst = r | 0;
    return r | 0;
  }
  // 16-bit: Intel behaviour for counts above 16 (the operands repeat: A:B:A).
  const d = BigInt(dst & 0xffff);
  const s = BigInt(src & 0xffff);
  let r: number;
  let pre: number;
  if (left) {
    const x = (d << 32n) | (s << 16n) | d;
    r = Number((x << BigInt(c)) >> 32n) & 0xffff;
    pre = Number((x << BigInt(c - 1)) >> 32n) & 0xffff;
    cpu.ccOp = CC.SHL | 1;
  } else {
    const x = (d << 32n) | (s << 16n) | d;
    r = Number(x >> BigInt(c)) & 0xffff;
    pre = Number(x >> BigInt(c - 1)) & 0xffff;
    cpu.ccOp = CC.SHR | 1;
  }
  cpu.ccSrc1 = pre;
  cpu.ccDst = r;
  return r;
}

/** Unsigned 32×32 → 64 as [lo, hi] int32. */
export function mulu32(a: number, b: number): [number, number] {
  const lo = Math.imul(a, b);
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const mid = ah * bl + (ll >>> 16) + 0; // < 2^33
  const mid2 = al * bh + (mid % 0x10000);
  const hi = ah * bh + Math.floor(mid / 0x10000) + Math.floor(mid2 / 0x10000);
  return [lo, hi | 0];
}

/** Signed 32×32 → 64 as [lo, hi] int32. */
export function muls32(a: number, b: number): [number, number] {
  const [lo, hiU] = mulu32(a, b);
  let hi = hiU;
  if (a < 0) hi = (hi - b) | 0;
  if (b < 0) hi = (hi - a) | 0;
  return [lo, hi];
}

/** Flags of a multiply: low half of the result and whether the high half is significant. */
export function mulFlags(cpu: Cpu, size: number, low: number, overflow: boolean): void {
  cpu.ccOp = CC.MUL | size;
  cpu.ccDst = low & SIZE_MASK[size];
  cpu.ccSrc1 = overflow ? 1 : 0;
}

/** Group 3 mul/imul/div/idiv with the implicit accumulator operands. */
export function mulDiv(cpu: Cpu, op: number, size: number, v: number): void {
  const R = cpu.r;
  if (size === 0) {
    const al = R[0] & 0xff;
    const ax = R[0] & 0xffff;
    let res: number;
    switch (op) {
      case 4:
        res = al * v;
        mulFlags(cpu, 0, res, (res & 0xff00) !== 0);
        break;
      case 5:
        res = sext(0, al) * sext(0, v);
        mulFlags(cpu, 0, res, res !== sext(0, res & 0xff));
        break;
      case 6: {
        if (v === 0) fault(Vec.DE);
        const q = Math.floor(ax / v);
        if (q > 0xff) fault(Vec.DE);
        res = q | ((ax % v) << 8);
        break;
      }
      default: {
        const s = sext(1, ax);
        const d = sext(0, v);
        if (d === 0) fault(Vec.DE);
        const q = Math.trunc(s / d);
        if (q > 127 || q < -128) fault(Vec.DE);
        res = (q & 0xff) | ((s % d & 0xff) << 8);
      }
    }
    R[0] = (R[0] & ~0xffff) | (res & 0xffff);
    return;
  }
  if (size === 1) {
    const ax = R[0] & 0xffff;
    let lo: number;
    let hi: number;
    switch (op) {
      case 4: {
        const p = ax * v;
        lo = p & 0xffff;
        hi = p >>> 16;
        mulFlags(cpu, 1, lo, hi !== 0);
        break;
      }
      case 5: {
        const p = sext(1, ax) * sext(1, v);
        lo = p & 0xffff;
        hi = (p >> 16) & 0xffff;
        mulFlags(cpu, 1, lo, p !== sext(1, lo));
        break;
      }
      case 6: {
        const n = ((R[2] & 0xffff) * 0x10000 + ax);
        if (v === 0) fault(Vec.DE);
        const q = Math.floor(n / v);
        if (q > 0xffff) fault(Vec.DE);
        lo = q;
        hi = n % v;
        break;
      }
      default: {
        const n = ((R[2] & 0xffff) << 16) | ax;
        const d = sext(1, v);
        if (d === 0) fault(Vec.DE);
        const q = Math.trunc(n / d);
        if (q > 32767 || q < -32768) fault(Vec.DE);
        lo = q & 0xffff;
        hi = n % d & 0xffff;
      }
    }
    R[0] = (R[0] & ~0xffff) | lo;
    R[2] = (R[2] & ~0xffff) | hi;
    return;
  }
  switch (op) {
    case 4: {
      const [lo, hi] = mulu32(R[0], v);
      R[0] = lo;
      R[2] = hi;
      mulFlags(cpu, 2, lo, hi !== 0);
      return;
    }
    case 5: {
      const [lo, hi] = muls32(R[0], v);
      R[0] = lo;
      R[2] = hi;
      mulFlags(cpu, 2, lo, hi !== lo >> 31);
      return;
    }
    case 6: {
      if (v === 0) fault(Vec.DE);
      const n = (BigInt(R[2] >>> 0) << 32n) | BigInt(R[0] >>> 0);
      const d = BigInt(v >>> 0);
      const q = n / d;
      if (q > 0xffffffffn) fault(Vec.DE);
      R[0] = Number(q) | 0;
      R[2] = Number(n % d) | 0;
      return;
    }
    default: {
      if (v === 0) fault(Vec.DE);
      const n = (BigInt(R[2]) << 32n) | BigInt(R[0] >>> 0);
      const d = BigInt(v | 0);
      const q = n / d;
      if (q > 0x7fffffffn || q < -0x80000000n) fault(Vec.DE);
      R[0] = Number(q) | 0;
      R[2] = Number(n % d) | 0;
    }
  }
}

/** Two/three-operand imul (truncated result). */
export function imulTrunc(cpu: Cpu, size: number, a: number, b: number): number {
  if (size === 2) {
    const [lo, hi] = muls32(a, b);
    mulFlags(cpu, 2, lo, hi !== lo >> 31);
    return lo;
  }
  const p = sext(1, a) * sext(1, b);
  const lo = p & 0xffff;
  mulFlags(cpu, 1, lo, p !== sext(1, lo));
  return lo;
}
