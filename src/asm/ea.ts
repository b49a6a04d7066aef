import { EncodeError, MemOperand, Register } from './operand';

/** An encoded effective address: ModRM mod and rm, an optional SIB byte, the displacement. */
export interface EncodedEA {
  mod: number;
  rm: number;
  sib?: number;
  disp: number;
  dispSize: 0 | 1 | 2 | 4;
  addrSize: 16 | 32;
}

const fitsInt8 = (v: number): boolean => v >= -128 && v <= 127;
/** The displacement as a signed 32-bit value (NASM wraps addresses at 2^32). */
const int32 = (v: number): number => v | 0;

/** The address size a memory operand needs: from its registers, else from the a16/a32 prefix, else bits. */
export function addressSize(m: MemOperand, bits: 16 | 32, prefixes: readonly string[]): 16 | 32 {
  const r = m.base ?? m.index;
  if (r) return r.size === 2 ? 16 : 32;
  if (prefixes.includes('a16')) return 16;
  if (prefixes.includes('a32')) return 32;
  if (m.dispSize === 2) return 16;
  if (m.dispSize === 4) return 32;
  return bits;
}

/** Displacement size NASM picks: forced by `byte`/`dword`, dropped when zero, disp8 when it fits and is known. */
function dispChoice(m: MemOperand, mustHaveDisp: boolean, wide: 2 | 4): 0 | 1 | 2 | 4 {
  if (m.dispSize === 1) return 1;
  if (m.dispSize === 2 || m.dispSize === 4) return wide;
  if (!m.dispKnown) return wide;
  const d = wide === 4 ? int32(m.disp) : ((m.disp << 16) >> 16);
  if (d === 0 && !mustHaveDisp) return 0;
  return fitsInt8(d) ? 1 : wide;
}

const modFor = (size: 0 | 1 | 2 | 4): number => (size === 0 ? 0 : size === 1 ? 1 : 2);

function encode32(m: MemOperand): EncodedEA {
  let base: Register | undefined = m.base;
  let index: Register | undefined = m.index;
  let scale = m.scale;
  for (const r of [base, index]) if (r && (r.cls !== 'gpr' || r.size !== 4)) throw new EncodeError('invalid effective address');
  if (index && index.num === 4) {
    // esp cannot be an index: NASM swaps it into the base when the scale allows
    if (scale !== 1 || (base && base.num === 4)) throw new EncodeError('invalid effective address');
    [base, index] = [index, base];
  }
  if (!base && index && !m.nosplit) {
    // NASM's splitting: [eax*1] is [eax], [eax*2] is [eax+eax]
    if (scale === 1) [base, index] = [index, undefined];
    else if (scale === 2) {
      base = index;
      scale = 1;
    }
  }
  const disp = int32(m.disp);
  if (!base && !index) return { mod: 0, rm: 5, disp, dispSize: 4, addrSize: 32 };
  if (!base) {
    const ss = Math.log2(scale);
    return { mod: 0, rm: 4, sib: (ss << 6) | (index!.num << 3) | 5, disp, dispSize: 4, addrSize: 32 };
  }
  const dispSize = dispChoice(m, base.num === 5, 4);
  const mod = modFor(dispSize);
  if (!index && base.num !== 4) return { mod, rm: base.num, disp, dispSize, addrSize: 32 };
  const ss = Math.log2(scale);
  const sib = (ss << 6) | ((index ? index.num : 4) << 3) | base.num;
  return { mod, rm: 4, sib, disp, dispSize, addrSize: 32 };
}

/** The 16-bit ModRM rm field for each pair of base/index registers (bx=3 bp=5 si=6 di=7). */
const RM16: Record<string, number> = { '3,6': 0, '3,7': 1, '5,6': 2, '5,7': 3, '6': 4, '7': 5, '5': 6, '3': 7 };

function encode16(m: MemOperand): EncodedEA {
  const regs = [m.base, m.index].filter((r): r is Register => r !== undefined);
  if (regs.some((r) => r.cls !== 'gpr' || r.size !== 2) || (m.index && m.scale !== 1)) {
    throw new EncodeError('invalid effective address');
  }
  const disp = (m.disp << 16) >> 16;
  if (regs.length === 0) return { mod: 0, rm: 6, disp, dispSize: 2, addrSize: 16 };
  const key = regs.map((r) => r.num).sort((a, b) => a - b).join(',');
  const rm = RM16[key];
  if (rm === undefined) throw new EncodeError('invalid effective address');
  const dispSize = dispChoice(m, rm === 6, 2);
  return { mod: modFor(dispSize), rm, disp, dispSize, addrSize: 16 };
}

export function encodeEA(m: MemOperand, addrSize: 16 | 32): EncodedEA {
  return addrSize === 16 ? encode16(m) : encode32(m);
}
