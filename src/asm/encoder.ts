import { encodeEA, addressSize, EncodedEA } from './ea';
import { EncodeError, ImmOperand, Instruction, MemOperand, Operand } from './operand';
import { Form, FORMS_BY_MNEMONIC, Pattern } from './table';

/**
 * Instruction → bytes, choosing among the table's forms as NASM does: the first form (in
 * table order) whose patterns accept the operands.
 */

const REP: Record<string, number> = {
  rep: 0xf3, repe: 0xf3, repz: 0xf3, repne: 0xf2, repnz: 0xf2, xacquire: 0xf2, xrelease: 0xf3, bnd: 0xf2,
};
const SEG: Record<string, number> = { es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65 };
const KNOWN_PREFIXES = new Set([...Object.keys(REP), ...Object.keys(SEG), 'lock', 'o16', 'o32', 'a16', 'a32']);

const GPR_SIZE: Partial<Record<Pattern, number>> = {
  r8: 1, r16: 2, r32: 4, rm8: 1, rm16: 2, rm32: 4, rr16: 2, rr32: 4, rx32: 4, al: 1, ax: 2, eax: 4,
};
const MEM_SIZE: Partial<Record<Pattern, number>> = {
  rm8: 1, rm16: 2, rm32: 4, m8: 1, m16: 2, m32: 4, m64: 8, m48: 6,
};
const FIXED_REG: Partial<Record<Pattern, string>> = {
  al: 'al', ax: 'ax', eax: 'eax', cl: 'cl', dx: 'dx', es: 'es', cs: 'cs', ss: 'ss', ds: 'ds', fs: 'fs', gs: 'gs',
};

/** Instructions whose immediate has the size of the destination (NASM's SM templates). */
const SAME_SIZE = new Set(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'mov', 'test']);

const isRegPattern = (p: Pattern): boolean => p === 'r8' || p === 'r16' || p === 'r32' || p === 'sreg' || p === 'cr' || p === 'dr' || p === 'tr';
const isRmPattern = (p: Pattern): boolean =>
  p.startsWith('rm') || p.startsWith('rr') || p === 'rx32' || p === 'm' || /^m\d/.test(p) || p.startsWith('mfar');
const isImmPattern = (p: Pattern): boolean => p.startsWith('imm') || p.startsWith('sbyte');

/** NASM's "fits in a sign-extended byte" tests (parse.c): (uint32)(n+128) <= 255 and the 16-bit one. */
export function isSbyte(value: number, size: 2 | 4): boolean {
  const mod = size === 4 ? 0x100000000 : 0x10000;
  const v = (((value + 128) % mod) + mod) % mod;
  return v <= 255;
}

interface Ctx {
  ins: Instruction;
  /** operand size the instruction asks for: o16/o32 prefix, else bits */
  wanted: 16 | 32;
  /** set by a match that took a size-less memory operand as any size */
  wild?: boolean;
}

function matchImm(p: Pattern, o: ImmOperand, f: Form, ctx: Ctx): boolean {
  if (o.jump) return false;
  switch (p) {
    case 'one':
      return o.known && o.value === 1 && (o.size === undefined || o.size === 1);
    case 'imm8':
      return o.size === undefined || o.size === 1;
    case 'imm16':
    case 'imm32': {
      const n = p === 'imm16' ? 2 : 4;
      if (f.bitsSized) return o.size === undefined || o.size === 1 ? f.osize === ctx.wanted : o.size === n;
      return o.size === undefined || o.size === n;
    }
    case 'sbyte16':
    case 'sbyte32': {
      const n = p === 'sbyte16' ? 2 : 4;
      if (f.bitsSized) {
        const want = o.size === undefined || o.size === 1 ? ctx.wanted / 8 : o.size;
        if (want !== n) return false;
      } else if (o.size !== undefined && o.size !== 1 && o.size !== n) return false;
      // an explicit `byte` asks for the imm8 form whatever the value (NASM truncates and warns)
      if (o.size === 1) return true;
      if (o.strict) return false;
      return o.known && isSbyte(o.value, n);
    }
    default:
      return false;
  }
}

function matchRel(p: Pattern, o: Operand, f: Form, ctx: Ctx): boolean {
  if (o.kind !== 'imm' || o.jump === 'far') return false;
  if (p === 'rel8') {
    if (o.jump === 'near') return false;
    if (!f.shortJump) return o.jump !== 'short'; // NASM refuses `loop short x`
    if (o.jump === 'short') return true;
    if (o.strict) return false;
    if (!o.known) return true; // NASM is optimistic about forward jumps on its first pass
    const rel = o.value - (ctx.ins.address + relEnd(f, ctx));
    return rel >= -128 && rel <= 127;
  }
  if (o.jump === 'short') return false;
  // an o16/o32 written on a jump is only a prefix to NASM: the displacement keeps the mode's size
  return f.osize === ctx.ins.bits;
}

/** Length of the form's encoding (for a rel8 jump: no ModRM). */
function relEnd(f: Form, ctx: Ctx): number {
  return prefixBytes(ctx.ins, f, ctx, undefined).length + f.opcode.length + (f.mandatory ? 1 : 0) + 1;
}

/** Which operand kinds a pattern can take at all: a quick filter before the real test. */
function kindsOf(p: Pattern): ReadonlySet<Operand['kind']> {
  if (p.startsWith('rel') || isImmPattern(p) || p === 'one') return new Set(['imm']);
  if (p === 'far16' || p === 'far32') return new Set(['far']);
  if (p.startsWith('rm')) return new Set(['reg', 'mem']);
  if (p === 'm' || /^m\d/.test(p) || p.startsWith('mfar') || p.startsWith('moffs')) return new Set(['mem']);
  return new Set(['reg']);
}
const KINDS = new Map<Pattern, ReadonlySet<Operand['kind']>>();

function matchOperand(f: Form, pi: number, o: Operand, ctx: Ctx): boolean {
  const p = f.ops[pi];
  let kinds = KINDS.get(p);
  if (!kinds) KINDS.set(p, (kinds = kindsOf(p)));
  if (!kinds.has(o.kind)) return false;
  const fixed = FIXED_REG[p];
  if (fixed) return o.kind === 'reg' && o.reg.name === fixed;
  if (p.startsWith('rel')) return matchRel(p, o, f, ctx);
  if (p === 'far16' || p === 'far32') {
    if (o.kind !== 'far') return false;
    const n = p === 'far16' ? 2 : 4;
    return o.size !== undefined ? o.size === n : f.osize === ctx.ins.bits; // o16/o32 is only a prefix here too
  }
  if (o.kind === 'far') return false;
  if (o.kind === 'imm') return isImmPattern(p) || p === 'one' ? matchImm(p, o, f, ctx) : false;
  if (o.kind === 'reg') {
    const r = o.reg;
    if (p === 'sreg') return r.cls === 'seg';
    if (p === 'cr') return r.cls === 'cr';
    if (p === 'dr') return r.cls === 'dr';
    const n = GPR_SIZE[p];
    return n !== undefined && r.cls === 'gpr' && r.size === n && !p.startsWith('m');
  }
  // memory
  if (p.startsWith('moffs')) {
    if (o.base || o.index || o.dispSize === 1) return false;
    const n = Number(p.slice(5)) / 8;
    return o.size === undefined || o.size === n;
  }
  const farJump = f.mnemonic === 'jmp' || f.mnemonic === 'call';
  // `jmp far [x]` is only ever a far pointer: m16:16 or m16:32 by its explicit size (NASM's
  // `word far`/`dword far`; 6 bytes is the table's fword), else by the mode or o16/o32
  if (o.far) {
    if (!farJump || (p !== 'mfar32' && p !== 'mfar16')) return false;
    const osize = o.size === 2 ? 16 : o.size === 4 || o.size === 6 ? 32 : ctx.wanted;
    return f.osize === osize;
  }
  if (p === 'm') return o.size === undefined;
  if (p === 'mfar32' || p === 'mfar16') return farJump ? o.size === 6 && f.osize === ctx.wanted : o.size === undefined;
  const n = MEM_SIZE[p];
  if (n === undefined || p.startsWith('rr') || p === 'rx32') return false;
  if (o.size === undefined) {
    // NASM: a memory operand without a size fits any size; ambiguity is checked in encode()
    // (a register operand fixes the operand size of lar/lsl; otherwise the mode's size applies)
    if (f.sizeless) return f.osize === undefined || f.osize === ctx.wanted || f.ops.some((q) => /^r(8|16|32)$/.test(q));
    // `add [eax], byte 5`: where operand sizes must agree, a sized immediate sizes the memory
    const sizedImm = ctx.ins.operands.find((x): x is ImmOperand => x.kind === 'imm' && x.size !== undefined && !x.jump);
    if (sizedImm && SAME_SIZE.has(f.mnemonic) && sizedImm.size !== n) return false;
    ctx.wild = true;
    return true;
  }
  return o.size === n;
}

function matches(f: Form, ctx: Ctx): boolean {
  const ops = ctx.ins.operands;
  if (f.ops.length !== ops.length) return false;
  for (let i = 0; i < ops.length; i++) if (!matchOperand(f, i, ops[i], ctx)) return false;
  return true;
}

function memOperand(ins: Instruction): MemOperand | undefined {
  return ins.operands.find((o): o is MemOperand => o.kind === 'mem');
}

/** Prefix bytes in NASM's order: rep group, lock, segment, operand size, address size. */
function prefixBytes(ins: Instruction, f: Form, ctx: Ctx, ea: EncodedEA | undefined): number[] {
  const out: number[] = [];
  let seg: number | undefined;
  let lock = false;
  let rep: number | undefined;
  for (const p of ins.prefixes) {
    if (REP[p] !== undefined) rep = REP[p];
    else if (p === 'lock') lock = true;
    else if (SEG[p] !== undefined) seg = SEG[p];
  }
  const mem = memOperand(ins);
  if (mem?.seg) seg = SEG[mem.seg.name];
  if (rep !== undefined) out.push(rep);
  if (lock) out.push(0xf0);
  if (seg !== undefined) out.push(seg);
  const osize = f.osize ?? (ins.prefixes.includes('o16') ? 16 : ins.prefixes.includes('o32') ? 32 : ins.bits);
  if (osize !== ins.bits || ctx.wanted !== ins.bits) out.push(0x66);
  const asize = f.asize ?? ea?.addrSize ?? (ins.prefixes.includes('a16') ? 16 : ins.prefixes.includes('a32') ? 32 : ins.bits);
  if (asize !== ins.bits) out.push(0x67);
  return out;
}

function le(value: number, size: number): number[] {
  const out: number[] = [];
  let v = value;
  for (let i = 0; i < size; i++) {
    out.push(((v % 256) + 256) % 256);
    v = Math.floor(v / 256);
  }
  return out;
}

function emit(f: Form, ctx: Ctx, warnings: EncodeWarning[]): Uint8Array {
  const { ins } = ctx;
  const ops = ins.operands;
  let regIdx = -1;
  let rmIdx = -1;
  f.ops.forEach((p, i) => {
    if (isRegPattern(p)) regIdx = regIdx < 0 ? i : regIdx;
    else if (isRmPattern(p) && !p.startsWith('moffs')) rmIdx = i;
  });
  if (f.dupReg) rmIdx = 0;
  let ea: EncodedEA | undefined;
  const mem = memOperand(ins);
  if (mem && rmIdx >= 0 && ops[rmIdx].kind === 'mem') ea = encodeEA(mem, addressSize(mem, ins.bits, ins.prefixes));
  const moffsIdx = f.ops.findIndex((p) => p.startsWith('moffs'));
  const moffsSize = moffsIdx >= 0 ? addressSize(ops[moffsIdx] as MemOperand, ins.bits, ins.prefixes) : undefined;
  const bytes = prefixBytes(ins, f, ctx, ea ?? (moffsSize ? { mod: 0, rm: 0, disp: 0, dispSize: 0, addrSize: moffsSize } : undefined));
  if (f.mandatory !== undefined) bytes.push(f.mandatory); // after the prefixes, as part of the opcode
  const opcode = [...f.opcode];
  if (f.plusReg) {
    const ri = f.ops.findIndex((p) => p === 'r8' || p === 'r16' || p === 'r32');
    opcode[opcode.length - 1] += (ops[ri] as { reg: { num: number } }).reg.num;
  }
  bytes.push(...opcode);
  if (f.modrm !== null) {
    const regField = f.modrm >= 0 ? f.modrm : regIdx >= 0 ? (ops[regIdx] as { reg: { num: number } }).reg.num : 0;
    const rmOp = ops[rmIdx];
    if (rmOp.kind === 'reg') bytes.push(0xc0 | (regField << 3) | rmOp.reg.num);
    else {
      bytes.push((ea!.mod << 6) | (regField << 3) | ea!.rm);
      if (ea!.sib !== undefined) bytes.push(ea!.sib);
      if (ea!.dispSize === 1 && (ea!.disp < -128 || ea!.disp > 127)) warnings.push({ message: 'byte data exceeds bounds', operand: rmIdx });
      bytes.push(...le(ea!.disp, ea!.dispSize));
    }
  }
  const imms = ops.filter((_, i) => isImmPattern(f.ops[i]));
  let immNext = 0;
  for (const t of f.tail) {
    if (t.t === 'imm') {
      const o = imms[immNext++] as ImmOperand;
      const warning = o.known ? overflow(o, t.size, f.ops[ops.indexOf(o)], f.osize ?? ins.bits, f.mnemonic) : undefined;
      if (warning) warnings.push({ message: warning, operand: ops.indexOf(o) });
      bytes.push(...le(o.value, t.size));
    }
    else if (t.t === 'moffs') {
      const m = ops[moffsIdx] as MemOperand;
      bytes.push(...le(m.disp, moffsSize === 16 ? 2 : 4));
    } else if (t.t === 'ptr') {
      const far = ops.find((o) => o.kind === 'far');
      if (far?.kind !== 'far') throw new EncodeError('invalid combination of opcode and operands');
      bytes.push(...le(far.offset, f.osize === 16 ? 2 : 4), ...le(far.segment, 2));
    } else if (t.t === 'rel') {
      const target = ops.find((o): o is ImmOperand => o.kind === 'imm')!;
      const rel = target.value - (ins.address + bytes.length + t.size);
      if (t.size === 1 && target.known && (rel < -128 || rel > 127)) {
        throw new EncodeError('short jump is out of range', ops.indexOf(target));
      }
      bytes.push(...le(rel, t.size));
    }
  }
  return Uint8Array.from(bytes);
}

function failure(ins: Instruction, forms: readonly Form[], ctx: Ctx): EncodeError {
  // Tell "no size given" and "sizes disagree" apart from an impossible combination, as NASM does.
  const mi = ins.operands.findIndex((o) => o.kind === 'mem');
  if (mi >= 0) {
    const mem = ins.operands[mi] as MemOperand;
    for (const size of [1, 2, 4, 8, 6] as const) {
      if (size === mem.size) continue;
      const trial: Ctx = { ...ctx, ins: { ...ins, operands: ins.operands.map((o, i) => (i === mi ? { ...mem, size } : o)) } };
      if (forms.some((f) => matches(f, trial))) {
        return new EncodeError(mem.size === undefined ? 'operation size not specified' : 'mismatch in operand sizes', mi);
      }
    }
  }
  const ii = ins.operands.findIndex((o) => o.kind === 'imm' && (o.jump === 'short' || o.jump === 'near' || o.size !== undefined));
  if (ii >= 0) {
    const unsized: Ctx = { ...ctx, ins: { ...ins, operands: ins.operands.map((o, i) => (i === ii ? { ...o, size: undefined, jump: undefined } : o)) } };
    if (forms.some((f) => matches(f, unsized))) return new EncodeError('mismatch in operand sizes', ii);
  }
  // point at the first operand no form takes in its position, when there is one
  const culprit = forms.length === 0 ? -1 : ins.operands.findIndex((o, i) => !forms.some((f) => matchOperand(f, i, o, { ...ctx })));
  return new EncodeError('invalid combination of opcode and operands', culprit >= 0 ? culprit : undefined);
}

const BY_COUNT = new Map<string, readonly Form[]>();

/** A mnemonic's forms with that many operands (cached: the encoder runs once per line per pass). */
function formsWithOperands(mnemonic: string, all: readonly Form[], count: number): readonly Form[] {
  const key = `${mnemonic}/${count}`;
  let list = BY_COUNT.get(key);
  if (!list) BY_COUNT.set(key, (list = all.filter((f) => f.ops.length === count)));
  return list;
}

/** The memory size a form gives the instruction's memory operand. */
function sizeOfMem(f: Form, ins: Instruction): number | undefined {
  const i = ins.operands.findIndex((o) => o.kind === 'mem');
  return i < 0 || i >= f.ops.length ? undefined : MEM_SIZE[f.ops[i]];
}

/** A NASM warning about an instruction that still encodes (a value truncated to its field). */
export interface EncodeWarning {
  message: string;
  operand?: number;
}

/** Counts, bit numbers, ports and vectors: NASM's unsigned byte immediates (ib,u). */
const UNSIGNED_IMM8 = new Set(['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar', 'shld', 'shrd', 'bt', 'bts', 'btr', 'btc', 'enter', 'in', 'out', 'int', 'aam', 'aad']);

/** Mnemonics with a sign-extended imm8 form: NASM calls their overflow a "value", not "data". */
const SBYTE_CAPABLE = new Set(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'imul', 'push']);

/**
 * NASM's -w+number-overflow checks on an immediate: a field takes -2^n … 2^n-1 (signed or
 * unsigned; "value" where the instruction has an imm8 form), an explicit `byte` that is
 * sign-extended only what sign-extends back; counts and ports are unsigned bytes.
 */
function overflow(o: ImmOperand, size: 1 | 2 | 4, p: Pattern, osize: number, mnemonic: string): string | undefined {
  const v = o.value;
  const outside = (bytes: number): boolean => v < -(2 ** (8 * bytes)) || v >= 2 ** (8 * bytes);
  const name = (bytes: number): string => (bytes === 1 ? 'byte' : bytes === 2 ? 'word' : 'dword');
  if (p.startsWith('sbyte') && o.size === 1) {
    const wrapped = osize === 16 ? (v << 16) >> 16 : v | 0;
    return wrapped < -128 || wrapped > 127 ? 'signed byte value exceeds bounds' : undefined;
  }
  // (a size keyword makes it "data" again, except on push)
  if ((o.size === undefined || mnemonic === 'push') && (p.startsWith('sbyte') || (size > 1 && SBYTE_CAPABLE.has(mnemonic)))) {
    return outside(osize / 8) ? `${name(osize / 8)} value exceeds bounds` : undefined;
  }
  if (size === 1 && UNSIGNED_IMM8.has(mnemonic)) return v < 0 || v > 255 ? 'byte data exceeds bounds' : undefined;
  return outside(size) ? `${name(size)} data exceeds bounds` : undefined;
}

/** The bytes NASM produces for one instruction; throws EncodeError when it cannot be encoded. */
export function encode(ins: Instruction): Uint8Array {
  return encodeChecked(ins).bytes;
}

/** encode(), with the warnings NASM gives for the instruction (values truncated to their fields). */
export function encodeChecked(ins: Instruction): { bytes: Uint8Array; warnings: EncodeWarning[] } {
  const all = FORMS_BY_MNEMONIC.get(ins.mnemonic);
  if (!all) throw new EncodeError(`unknown instruction '${ins.mnemonic}'`);
  const forms = formsWithOperands(ins.mnemonic, all, ins.operands.length);
  for (const p of ins.prefixes) if (!KNOWN_PREFIXES.has(p)) throw new EncodeError(`unknown prefix '${p}'`);
  const wanted: 16 | 32 = ins.prefixes.includes('o16') ? 16 : ins.prefixes.includes('o32') ? 32 : ins.bits;
  const ctx: Ctx = { ins, wanted };
  for (const f of forms) {
    ctx.wild = false;
    if (!matches(f, ctx)) continue;
    if (ctx.wild && forms.some((g) => g !== f && sizeOfMem(g, ins) !== sizeOfMem(f, ins) && matches(g, { ...ctx }))) {
      throw new EncodeError('operation size not specified', ins.operands.findIndex((o) => o.kind === 'mem'));
    }
    const warnings: EncodeWarning[] = [];
    return { bytes: emit(f, ctx, warnings), warnings };
  }
  throw failure(ins, forms, ctx);
}

/** Whether a mnemonic is known to the encoder (the front end's "instruction expected" test). */
export function isMnemonic(name: string): boolean {
  return FORMS_BY_MNEMONIC.has(name.toLowerCase());
}
