/**
 * From parsed operands to the encoder's Operand values, with NASM's choices the opcode table
 * cannot see: how registers in brackets become base and index, which values count as known
 * (first-pass optimism, label addresses kept full size), and NASM's immediate range warnings.
 */
import { ExprSyntaxError, Expr, Value } from './expr';
import { Instruction, MemOperand, Operand, Register } from './operand';
import { AddressReg, Body, OperandAst } from './parse';

export const BRANCHES = /^(j[a-z]+|call|loop[a-z]*)$/;
const SBYTE_FORMS = /^(add|or|adc|sbb|and|sub|xor|cmp|imul|push)$/;

export interface OperandContext {
  eval(e: Expr): Value;
  bits: 16 | 32;
  /** index of the current section (a branch into another one is never short) */
  section: number;
  /** forward branch targets count as unknown (NASM's optimistic short jump) */
  optimisticJumps: boolean;
}

/**
 * NASM warns when an immediate does not fit the field it lands in. The field is the size of
 * the other operand (or the explicit size); the encoder reports only impossible forms.
 */
export function immediateWarnings(b: Extract<Body, { k: 'insn' }>, ins: Instruction): { col: number; message: string }[] {
  const out: { col: number; message: string }[] = [];
  let width = 0;
  for (const o of ins.operands) {
    if (o.kind === 'reg' && o.reg.cls === 'gpr') width = o.reg.size;
    else if (o.kind === 'mem' && (o.size === 1 || o.size === 2 || o.size === 4)) width = o.size;
  }
  if (b.mnemonic === 'int') width = 1;
  ins.operands.forEach((o, i) => {
    if (o.kind !== 'imm' || !o.known || o.jump || BRANCHES.test(b.mnemonic)) return;
    const size = o.size ?? width;
    if (size !== 1 && size !== 2 && size !== 4) return;
    if (o.size === 1 && width !== 1) {
      // an explicit byte that the CPU sign-extends to the operand size (push byte, add eax, byte)
      if (o.value < -128 || o.value > 127) out.push({ col: b.ops[i].col, message: 'signed byte value exceeds bounds' });
      return;
    }
    const bits = size * 8;
    if (o.value < -(2 ** bits) || o.value >= 2 ** bits) {
      const name = size === 1 ? 'byte' : size === 2 ? 'word' : 'dword';
      // NASM words it differently where a sign-extended imm8 form exists for the dword
      const kind = size === 4 && SBYTE_FORMS.test(b.mnemonic) ? 'value' : 'data';
      out.push({ col: b.ops[i].col, message: `${name} ${kind} exceeds bounds` });
    }
  });
  return out;
}

/** An operand as the encoder takes it, its expressions evaluated on this pass. */
export function shapeOperand(o: OperandAst, branch: boolean, ctx: OperandContext): Operand {
  switch (o.k) {
    case 'reg':
      return { kind: 'reg', reg: o.reg };
    case 'imm': {
      const v = ctx.eval(o.e);
      if (v.across) throw new ExprSyntaxError('invalid operand type', o.col);
      // A label address stays full-size (NASM relocates it), except as a branch target,
      // where only the distance matters; a target in another section is never short.
      let jump = o.jump;
      if (branch && v.reloc !== 0 && v.section !== undefined && v.section !== ctx.section && !jump) jump = 'near';
      const known = branch && ctx.optimisticJumps && v.forward ? false : operandKnown(v, branch);
      return { kind: 'imm', value: Number(v.v), known, size: o.size, strict: o.strict, jump };
    }
    case 'far': {
      const seg = ctx.eval(o.seg);
      const off = ctx.eval(o.off);
      return { kind: 'far', segment: Number(seg.v), offset: Number(off.v), known: seg.known && off.known, size: o.size };
    }
    case 'mem':
      return shapeMemory(o, ctx);
  }
}

/**
 * Registers with their multipliers evaluated: an expression multiplier must be a plain number by
 * now (NASM: a forward reference or a label cannot scale a register), and a register written
 * twice adds up (`[ecx*S+ecx]`).
 */
function scaledRegisters(regs: readonly AddressReg[], col: number, ctx: OperandContext): AddressReg[] {
  if (!regs.some((r) => r.mulExpr)) return [...regs];
  const out: AddressReg[] = [];
  for (const r of regs) {
    let mul = r.mul;
    if (r.mulExpr) {
      const v = ctx.eval(r.mulExpr);
      if (!v.known || v.forward || v.reloc !== 0 || v.across) throw new ExprSyntaxError('unable to multiply two non-scalar objects', col);
      mul = r.mul * Number(v.v);
    }
    const prev = out.find((p) => p.reg === r.reg);
    if (prev) prev.mul += mul;
    else out.push({ reg: r.reg, mul, scaled: r.scaled });
  }
  return out.filter((r) => r.mul !== 0);
}

/** Base, index and scale the way NASM assigns them (source order, its splitting rules). */
function shapeMemory(o: Extract<OperandAst, { k: 'mem' }>, ctx: OperandContext): MemOperand {
  const regs = scaledRegisters(o.regs, o.col, ctx);
  if (regs.length > 2) throw new ExprSyntaxError('invalid effective address: too many registers', o.col);
  let base: Register | undefined;
  let index: Register | undefined;
  let scale = 1;
  for (const r of regs) {
    // `[nosplit eax*1]` keeps eax as an index (SIB + disp32), as NASM's hint does
    if (r.mul === 1 && !base && !(o.nosplit && r.scaled && regs.length === 1)) base = r.reg;
    else if (!index) {
      index = r.reg;
      scale = r.mul;
    } else throw new ExprSyntaxError('invalid effective address: two index registers', o.col);
  }
  if (index && !base && !o.nosplit && (scale === 1 || scale === 2)) {
    // NASM turns [eax*2] into [eax+eax] and [eax*1] into [eax]: shorter than disp32
    base = index;
    if (scale === 1) index = undefined;
    scale = 1;
  }
  if (index && !base && (scale === 3 || scale === 5 || scale === 9)) {
    base = index;
    scale -= 1;
  }
  if (index && base && scale === 1 && index.name === 'esp') [base, index] = [index, base];
  if (index && scale !== 1 && scale !== 2 && scale !== 4 && scale !== 8) throw new ExprSyntaxError('invalid effective address: impossible scale factor', o.col);
  const d: Value = o.disp ? ctx.eval(o.disp) : { v: 0n, known: true, reloc: 0 };
  if (d.across || (d.complex && d.reloc !== 0)) throw new ExprSyntaxError('invalid effective address: impossible segment base multiplier', o.col);
  return {
    kind: 'mem',
    // `jmp far [x]` keeps only an explicit size: `word far`/`dword far` pick m16:16 or m16:32,
    // and without one the encoder takes the mode's (or o16/o32's) far pointer
    size: o.size,
    seg: o.seg,
    base,
    index,
    scale: scale as 1 | 2 | 4 | 8,
    disp: Number(d.v),
    // NASM's first pass takes a displacement it cannot evaluate yet as a disp32 (unlike immediates)
    dispKnown: d.known && d.reloc === 0,
    hasDisp: o.disp !== undefined,
    dispSize: o.dispSize,
    nosplit: o.nosplit || undefined,
    far: o.far || undefined,
  };
}

/**
 * The `known` flag an immediate gets, chosen so the encoder picks what NASM picks:
 * - a branch target not yet defined: unknown (NASM assumes the short jump on its first pass);
 * - any other value not yet defined: known, as 0 (NASM's first pass sizes it as a small number;
 *   a displacement, by contrast, is taken as disp32: see shapeMemory);
 * - a label address (relocatable): unknown, so no imm8/disp8 form (NASM never shortens one).
 */
function operandKnown(v: Value, branch: boolean): boolean {
if (branch) return v.known;
return !(v.known && v.reloc !== 0);
}
