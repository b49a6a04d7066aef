/**
 * The contract between the assembler's front end (parser, preprocessor, passes, layout)
 * and its back end (one opcode table that encodes and disassembles).
 * The front end resolves expressions to numbers and hands the back end one Instruction
 * at a time; the back end returns bytes or throws EncodeError.
 */

export type Size = 1 | 2 | 4 | 8;
export type RegClass = 'gpr' | 'seg' | 'cr' | 'dr';

export interface Register {
  /** lower-case NASM name: eax, ax, al, ah, es, cr0, dr7 ... */
  readonly name: string;
  readonly cls: RegClass;
  /** operand size in bytes (segment registers: 2; control/debug registers: 4) */
  readonly size: Size;
  /** encoding number (the ModRM reg/rm field value) */
  readonly num: number;
}

export interface RegOperand {
  kind: 'reg';
  reg: Register;
}

export interface MemOperand {
  kind: 'mem';
  /** explicit size keyword in front of the brackets: byte=1 word=2 dword=4 qword=8 fword=6 tword=10 */
  size?: Size | 6 | 10;
  /** segment override written as `es:[...]`, `[es:...]` */
  seg?: Register;
  base?: Register;
  index?: Register;
  scale: 1 | 2 | 4 | 8;
  /** the resolved displacement (0 while unknown) */
  disp: number;
  /** false on a pass where the displacement still depends on an unresolved forward reference */
  dispKnown: boolean;
  /** a displacement expression was written at all (`[eax]` vs `[eax+x]`) */
  hasDisp: boolean;
  /** explicit `byte`/`dword` size inside the brackets (`[byte eax+1]`, `[dword eax+1]`) */
  dispSize?: 1 | 2 | 4;
  /** `nosplit` inside the brackets */
  nosplit?: boolean;
  /** `far` was written (`jmp far [x]`): a far pointer, whatever `size` says (in 16-bit code it is 4 bytes) */
  far?: boolean;
}

export interface ImmOperand {
  kind: 'imm';
  /** resolved value (0 while unknown) */
  value: number;
  /** false on a pass where the value still depends on an unresolved forward reference */
  known: boolean;
  /** explicit size keyword: byte/word/dword/qword */
  size?: Size;
  /** `strict` was written */
  strict: boolean;
  /** jump distance keyword */
  jump?: 'short' | 'near' | 'far';
}

/** `jmp 0x08:entry` / `call far seg:off` written as an immediate pair */
export interface FarOperand {
  kind: 'far';
  segment: number;
  offset: number;
  known: boolean;
  /** explicit `word`/`dword` on the offset part (o16/o32 form) */
  size?: 2 | 4;
}

export type Operand = RegOperand | MemOperand | ImmOperand | FarOperand;

export interface Instruction {
  /** prefixes written before the mnemonic, lower case, in source order: lock rep repe repz repne repnz o16 o32 a16 a32, and segment names (`es`, `fs` ...) used as bare prefixes */
  prefixes: string[];
  /** lower-case mnemonic */
  mnemonic: string;
  operands: Operand[];
  /** `bits` in force */
  bits: 16 | 32;
  /** address of the instruction's first byte ($) — relative jumps are encoded against it */
  address: number;
}

/** An encoding failure; `operand` is the index of the operand at fault, when one is. */
export class EncodeError extends Error {
  constructor(message: string, readonly operand?: number) {
    super(message);
  }
}
