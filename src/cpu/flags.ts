/**
 * EFLAGS bits and the lazy arithmetic flags.
 *
 * Arithmetic instructions do not compute CF/PF/AF/ZF/SF/OF; they record the operation kind, the
 * operand size and their inputs/result (`cc*` fields of the CPU), and the flags are derived on
 * demand (a conditional jump usually needs one of them). `ccOp === CC.NONE` means the six
 * arithmetic bits in `cpu.eflags` are current.
 *
 * SDM-undefined flags, produced as QEMU 7.2 (TCG, qemu-i386) produces them. The differential
 * test masks exactly the SDM-undefined flags; `DIFF_STRICT=1` compares them too, where the only
 * remaining differences are bt* (below).
 *  - and/or/xor/test: AF = 0.
 *  - shl/shr/sar with a non-zero count: AF = 0; OF = MSB(value shifted by count-1 XOR result)
 *    for every count; CF for counts >= the operand size follows the same shift formula.
 *  - rol/ror: OF by the count-1 formula for every non-zero count; rcl/rcr: OF = MSB(source XOR
 *    result).
 *  - mul/imul: ZF, SF and PF from the low half of the result, AF = 0.
 *  - div/idiv: all flags unchanged.
 *  - bsf/bsr: the flags of a logic operation on the source (CF = OF = AF = 0; ZF, SF, PF from
 *    the source); the destination is unchanged when the source is 0.
 *  - bt/bts/btr/btc: CF = the bit. After a lazily evaluated result, QEMU re-evaluates the old
 *    result as a SAR of the same width (OF = MSB(shifted value XOR old result), AF = 0, SF/ZF/PF
 *    unchanged) and we do the same; when its flags are already materialised (at its translation
 *    block boundaries, which we do not model) only CF changes, so a few of these differ.
 *  - shld/shrd: like shl/shr; shrd's OF uses only destination bits (QEMU's i386 target);
 *    16-bit counts above 16 follow Intel's A:B:A rule (result undefined by the SDM).
 *  - daa/das: OF = 0. aaa/aas: OF, SF, ZF, PF unchanged. aam/aad: logic flags of AL.
 */

export const CF = 0x1;
export const FIXED1 = 0x2;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const TF = 0x100;
export const IF = 0x200;
export const DF = 0x400;
export const OF = 0x800;
export const IOPL = 0x3000;
export const NT = 0x4000;
export const RF = 0x10000;
export const VM = 0x20000;
export const AC = 0x40000;
export const VIF = 0x80000;
export const VIP = 0x100000;
export const ID = 0x200000;

/** The six arithmetic status flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** Lazy operation kinds; the low two bits of a `ccOp` are the operand size (0 byte, 1 word, 2 dword). */
export const CC = {
  NONE: 0,
  ADD: 1 << 2,
  ADC: 2 << 2,
  SUB: 3 << 2,
  SBB: 4 << 2,
  LOGIC: 5 << 2,
  INC: 6 << 2,
  DEC: 7 << 2,
  SHL: 8 << 2,
  SHR: 9 << 2, // also SAR: CF from bit 0 of the value shifted by count-1
  MUL: 10 << 2, // ccSrc1 != 0 means the high half is significant (CF = OF = 1)
} as const;
export type CC = (typeof CC)[keyof typeof CC];

/** Operand size index → bits, mask and sign bit. */
export const SIZE_BITS = [8, 16, 32];
export const SIZE_MASK = [0xff, 0xffff, -1];
export const SIGN_BIT = [0x80, 0x8000, -0x80000000];

/** PF for each low byte value: 4 when the byte has an even number of set bits. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i;
  b ^= b >> 4;
  b ^= b >> 2;
  b ^= b >> 1;
  PARITY[i] = b & 1 ? 0 : PF;
}

/** What the lazy-flag functions need from the CPU. */
export interface LazyFlags {
  eflags: number;
  ccOp: number;
  ccDst: number;
  ccSrc1: number;
  ccSrc2: number;
  ccAux: number;
}

/** Unsigned less-than of two int32-or-masked values. */
function ltu(a: number, b: number): boolean {
  return a >>> 0 < b >>> 0;
}

export function lazyCF(c: LazyFlags): number {
  switch (c.ccOp & ~3) {
    case CC.NONE:
      return c.eflags & CF;
    case CC.ADD:
      return ltu(c.ccDst, c.ccSrc1) ? 1 : 0;
    case CC.ADC:
      return (c.ccAux ? !ltu(c.ccSrc1, c.ccDst) : ltu(c.ccDst, c.ccSrc1)) ? 1 : 0;
    case CC.SUB:
      return ltu(c.ccSrc1, c.ccSrc2) ? 1 : 0;
    case CC.SBB:
      return (c.ccAux ? !ltu(c.ccSrc2, c.ccSrc1) : ltu(c.ccSrc1, c.ccSrc2)) ? 1 : 0;
    case CC.LOGIC:
      return 0;
    case CC.INC:
    case CC.DEC:
      return c.ccAux;
    case CC.SHL:
      return (c.ccSrc1 >>> (SIZE_BITS[c.ccOp & 3] - 1)) & 1;
    case CC.SHR:
      return c.ccSrc1 & 1;
    case CC.MUL:
      return c.ccSrc1 !== 0 ? 1 : 0;
  }
  return 0;
}

export function lazyOF(c: LazyFlags): number {
  const op = c.ccOp;
  const top = SIZE_BITS[op & 3] - 1;
  switch (op & ~3) {
    case CC.NONE:
      return (c.eflags >> 11) & 1;
    case CC.ADD:
    case CC.ADC:
    case CC.INC:
      return (((c.ccSrc1 ^ c.ccDst) & (c.ccSrc2 ^ c.ccDst)) >>> top) & 1;
    case CC.SUB:
    case CC.SBB:
    case CC.DEC:
      return (((c.ccSrc1 ^ c.ccSrc2) & (c.ccSrc1 ^ c.ccDst)) >>> top) & 1;
    case CC.LOGIC:
      return 0;
    case CC.SHL:
    case CC.SHR:
      return ((c.ccSrc1 ^ c.ccDst) >>> top) & 1;
    case CC.MUL:
      return c.ccSrc1 !== 0 ? 1 : 0;
  }
  return 0;
}

export function lazyZF(c: LazyFlags): number {
  return c.ccOp === CC.NONE ? (c.eflags >> 6) & 1 : c.ccDst === 0 ? 1 : 0;
}

export function lazySF(c: LazyFlags): number {
  const op = c.ccOp;
  return op === CC.NONE ? (c.eflags >> 7) & 1 : (c.ccDst >>> (SIZE_BITS[op & 3] - 1)) & 1;
}

export function lazyPF(c: LazyFlags): number {
  return c.ccOp === CC.NONE ? (c.eflags >> 2) & 1 : PARITY[c.ccDst & 0xff] >> 2;
}

export function lazyAF(c: LazyFlags): number {
  switch (c.ccOp & ~3) {
    case CC.NONE:
      return (c.eflags >> 4) & 1;
    case CC.ADD:
    case CC.ADC:
    case CC.SUB:
    case CC.SBB:
    case CC.INC:
    case CC.DEC:
      return ((c.ccSrc1 ^ c.ccSrc2 ^ c.ccDst) >> 4) & 1;
  }
  return 0;
}

/** The six arithmetic flags as EFLAGS bits. */
export function arithFlags(c: LazyFlags): number {
  if (c.ccOp === CC.NONE) return c.eflags & ARITH;
  return (
    lazyCF(c) |
    (lazyPF(c) << 2) |
    (lazyAF(c) << 4) |
    (lazyZF(c) << 6) |
    (lazySF(c) << 7) |
    (lazyOF(c) << 11)
  );
}

/** Materialise the lazy flags into `eflags` (ccOp becomes NONE). */
export function settle(c: LazyFlags): void {
  if (c.ccOp !== CC.NONE) {
    c.eflags = (c.eflags & ~ARITH) | arithFlags(c);
    c.ccOp = CC.NONE;
  }
}

/** Sign-extend a masked 8/16-bit value (32-bit values are already int32). */
function sx(size: number, v: number): number {
  return size === 0 ? (v << 24) >> 24 : size === 1 ? (v << 16) >> 16 : v;
}

/**
 * Condition code test for jcc/setcc/cmovcc (the low four bits of the opcode). After a compare
 * or subtraction, and after logic operations, the unsigned/signed relations come straight from
 * the recorded operands instead of through the individual flags.
 */
export function cond(c: LazyFlags, cc: number): boolean {
  const op = c.ccOp;
  const kind = op & ~3;
  if (kind === CC.SUB) {
    const size = op & 3;
    let r: boolean;
    switch (cc >> 1) {
      case 1:
        r = c.ccSrc1 >>> 0 < c.ccSrc2 >>> 0;
        break;
      case 2:
        r = c.ccDst === 0;
        break;
      case 3:
        r = c.ccSrc1 >>> 0 <= c.ccSrc2 >>> 0;
        break;
      case 6:
        r = sx(size, c.ccSrc1) < sx(size, c.ccSrc2);
        break;
      case 7:
        r = sx(size, c.ccSrc1) <= sx(size, c.ccSrc2);
        break;
      default:
        return condSlow(c, cc);
    }
    return (cc & 1) === 0 ? r : !r;
  }
  return condSlow(c, cc);
}

function condSlow(c: LazyFlags, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0:
      r = lazyOF(c) !== 0;
      break;
    case 1:
      r = lazyCF(c) !== 0;
      break;
    case 2:
      r = lazyZF(c) !== 0;
      break;
    case 3:
      r = (lazyCF(c) | lazyZF(c)) !== 0;
      break;
    case 4:
      r = lazySF(c) !== 0;
      break;
    case 5:
      r = lazyPF(c) !== 0;
      break;
    case 6:
      r = lazySF(c) !== lazyOF(c);
      break;
    default:
      r = lazyZF(c) !== 0 || lazySF(c) !== lazyOF(c);
      break;
  }
  return (cc & 1) === 0 ? r : !r;
}
