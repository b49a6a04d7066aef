/** The NASM spelling of a decoded instruction (for re-assembly and a "copy as NASM" view). */
import { ModRM } from './disasm-operands';
import { PrefixState } from './disasm-prefixes';
import { Form, FORMS_BY_MNEMONIC } from './table';

export interface SpellingContext {
  form: Form;
  nasmOps: string[];
  nasmWords: string[];
  segName?: string;
  ps: PrefixState;
  bits: 16 | 32;
  modrm?: ModRM;
  imms: number[];
}

/** A pattern as the encoder's forms take it: a register-only or memory-only r/m is still an r/m. */
const shape = (p: string): string => p.replace(/^(rr|m)(8|16|32)$/, 'rm$2');

/** Whether some encoder form takes operands of this (disassembler-only) form's shape. */
function encodable(f: Form): boolean {
  if (!f.disOnly) return true;
  return (FORMS_BY_MNEMONIC.get(f.mnemonic) ?? []).some(
    (g) => g.ops.length === f.ops.length && g.ops.every((p, i) => shape(p) === shape(f.ops[i])),
  );
}

/** Whether NASM's mnemonic alone fixes the operand size (iretw, cbw, movsw ...). */
function mnemonicImpliesSize(f: Form): boolean {
  return (FORMS_BY_MNEMONIC.get(f.mnemonic) ?? []).every((g) => g.osize === f.osize);
}

/**
 * The instruction in NASM syntax, such that NASM's bytes disassemble to the same text; or
 * undefined where NASM cannot say it (an eiz index, rel16 jumps, prefixes out of NASM's order,
 * `shl eax,0x1` spelled with an imm8, `mov eax,[disp32]` through ModRM rather than moffs).
 */
export function nasmSpelling(c: SpellingContext): string | undefined {
  const { form, ps, bits, modrm } = c;
  if (form.ops.includes('rel16') || !encodable(form)) return undefined;
  if (form.mnemonic === 'fwait' && c.nasmWords.length > 0) return undefined; // NASM treats wait as a prefix itself
  // NASM drops bnd from a jump it makes short
  if (c.nasmWords.includes('bnd') && form.ops.some((p) => p.startsWith('rel'))) return undefined;
  const shiftByOne = form.ops.length === 2 && form.ops[1] === 'imm8' && /^(rol|ror|rcl|rcr|shl|shr|sal|sar)$/.test(form.mnemonic) && c.imms[0] === 1;
  if (shiftByOne) return undefined;
  const direct = modrm !== undefined && modrm.mod === 0 && modrm.rm === (ps.adsize === 32 ? 5 : 6);
  if (direct && form.mnemonic === 'mov' && c.nasmOps.some((o) => o === 'al' || o === 'ax' || o === 'eax')) return undefined;
  const implicit = form.disOps.some((p) => /^[XYZ]/.test(p)); // string instructions: memory operands implied
  const words = [...c.nasmWords];
  if (implicit && ps.segUsed && c.segName) words.push(c.segName);
  if (implicit && ps.adsize !== bits) words.push(bits === 32 ? 'a16' : 'a32');
  const pushImm = form.mnemonic === 'push' && /^(imm|sbyte)/.test(form.ops[0] ?? '');
  const farPtr = form.ops[0] === 'far16' || form.ops[0] === 'far32';
  const sizeShown = pushImm || farPtr || form.ops.some((p) => /^(r8|r16|r32|rm|rr|rx|al|ax|eax|m16|m32|m64)/.test(p));
  // mov to a segment register takes no 0x66 from NASM: the operand size must be asked for
  const sregLoad = form.ops[0] === 'sreg';
  if (form.osize !== undefined && form.osize !== bits && (sregLoad || (!sizeShown && !mnemonicImpliesSize(form)))) {
    words.push(bits === 32 ? 'o16' : 'o32');
  }
  let ops = c.nasmOps;
  // NASM puts xchg's first register in ModRM.reg; objdump prints ModRM.rm first
  if (form.mnemonic === 'xchg' && modrm?.mod === 3) {
    if (ops.some((o) => o === 'eax' || o === 'ax')) return undefined; // NASM would pick 90+r
    ops = [ops[1], ops[0]];
  }
  if (pushImm || (farPtr && form.osize !== bits)) ops = [(form.osize === 16 ? 'word ' : 'dword ') + ops[0]];
  return [...words, form.mnemonic].join(' ') + (ops.length ? ' ' + ops.join(', ') : '');
}
