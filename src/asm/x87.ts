/**
 * x87 opcodes (d8–df), for the disassembler only: the assembler does not take x87 (guests
 * here are integer code), but C guests built by gcc -m32 contain it, and a disassembly view
 * should read it as objdump -M intel does. Names and operand sizes follow binutils'
 * float_mem / float_reg tables; `N` marks the no-wait forms that lose their `n` after fwait.
 */

/** Memory forms by opcode (d8..df) and ModRM.reg: [name, size label ('' when objdump prints none)]. */
export const X87_MEM: readonly (readonly [string, string][])[] = [
  ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'].map((n) => [n, 'DWORD']),
  [['fld', 'DWORD'], ['', ''], ['fst', 'DWORD'], ['fstp', 'DWORD'], ['fldenv', ''], ['fldcw', 'WORD'], ['fNstenv', ''], ['fNstcw', 'WORD']],
  ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'].map((n) => [n, 'DWORD']),
  [['fild', 'DWORD'], ['fisttp', 'DWORD'], ['fist', 'DWORD'], ['fistp', 'DWORD'], ['', ''], ['fld', 'TBYTE'], ['', ''], ['fstp', 'TBYTE']],
  ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'].map((n) => [n, 'QWORD']),
  [['fld', 'QWORD'], ['fisttp', 'QWORD'], ['fst', 'QWORD'], ['fstp', 'QWORD'], ['frstor', ''], ['', ''], ['fNsave', ''], ['fNstsw', 'WORD']],
  ['fiadd', 'fimul', 'ficom', 'ficomp', 'fisub', 'fisubr', 'fidiv', 'fidivr'].map((n) => [n, 'WORD']),
  [['fild', 'WORD'], ['fisttp', 'WORD'], ['fist', 'WORD'], ['fistp', 'WORD'], ['fbld', 'TBYTE'], ['fild', 'QWORD'], ['fbstp', 'TBYTE'], ['fistp', 'QWORD']],
];

/** The environment/state forms whose size follows the operand size (objdump adds `w` under 0x66). */
export const X87_ENV = new Set(['fldenv', 'fNstenv', 'frstor', 'fNsave']);

/**
 * Register forms: per opcode and ModRM.reg either a [name, operands] pair where operands is
 * `st,i` (st, st(i)), `i,st`, `i` or `` — or, for the groups indexed by ModRM.rm, eight names
 * (told apart by length).
 */
type RegEntry = readonly [string, 'st,i' | 'i,st' | 'i' | ''] | readonly string[];

const arith = (ops: 'st,i' | 'i,st', names: string[]): RegEntry[] => names.map((n) => [n, ops] as const);

export const X87_REG: readonly (readonly RegEntry[])[] = [
  arith('st,i', ['fadd', 'fmul']).concat([['fcom', 'i'], ['fcomp', 'i']], arith('st,i', ['fsub', 'fsubr', 'fdiv', 'fdivr'])),
  [
    ['fld', 'i'], ['fxch', 'i'],
    ['fnop', '', '', '', '', '', '', ''],
    ['', ''],
    ['fchs', 'fabs', '', '', 'ftst', 'fxam', '', ''],
    ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz', ''],
    ['f2xm1', 'fyl2x', 'fptan', 'fpatan', 'fxtract', 'fprem1', 'fdecstp', 'fincstp'],
    ['fprem', 'fyl2xp1', 'fsqrt', 'fsincos', 'frndint', 'fscale', 'fsin', 'fcos'],
  ],
  [...arith('st,i', ['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu']), ['', ''], ['', 'fucompp', '', '', '', '', '', ''], ['', ''], ['', '']],
  [
    ...arith('st,i', ['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu']),
    ['fNeni(8087 only)', 'fNdisi(8087 only)', 'fNclex', 'fNinit', 'fNsetpm(287 only)', 'frstpm(287 only)', '', ''],
    ['fucomi', 'st,i'], ['fcomi', 'st,i'], ['', ''],
  ],
  // objdump's -M intel keeps the AT&T (SysV) reversal of fsub/fsubr and fdiv/fdivr here
  [...arith('i,st', ['fadd', 'fmul']), ['', ''], ['', ''], ...arith('i,st', ['fsubr', 'fsub', 'fdivr', 'fdiv'])],
  [['ffree', 'i'], ['', ''], ['fst', 'i'], ['fstp', 'i'], ['fucom', 'i'], ['fucomp', 'i'], ['', ''], ['', '']],
  [...arith('i,st', ['faddp', 'fmulp']), ['', ''], ['', 'fcompp', '', '', '', '', '', ''], ...arith('i,st', ['fsubrp', 'fsubp', 'fdivrp', 'fdivp'])],
  [['ffreep', 'i'], ['', ''], ['', ''], ['', ''], ['fNstsw ax', '', '', '', '', '', '', ''], ['fucomip', 'st,i'], ['fcomip', 'st,i'], ['', '']],
];

/** Name and operand text of a register form, or undefined for (bad). */
export function x87Reg(op: number, reg: number, rm: number, afterWait: boolean): string | undefined {
  const e = X87_REG[op - 0xd8][reg];
  let text: string;
  if (e.length === 2) {
    const [name, ops] = e as readonly [string, string];
    if (!name) return undefined;
    const sti = `st(${rm})`;
    const operands = ops === 'st,i' ? `st,${sti}` : ops === 'i,st' ? `${sti},st` : ops === 'i' ? sti : '';
    text = operands ? `${name.padEnd(6)} ${operands}` : name;
  } else {
    const name = (e as readonly string[])[rm];
    if (!name) return undefined;
    text = name.includes(' ') ? name.replace(' ', ' '.repeat(Math.max(1, 7 - name.indexOf(' ')))) : name;
  }
  return noWait(text, afterWait);
}

/** `fNstsw` → fnstsw, or fstsw when an fwait came first. */
export function noWait(name: string, afterWait: boolean): string {
  return name.replace('fN', afterWait ? 'f' : 'fn');
}
