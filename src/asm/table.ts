/**
 * The opcode table: one list of instruction forms from which both the encoder and the
 * disassembler are derived ("one table, two directions").
 *
 * Each form is one line of a small text notation, parsed once at load:
 *
 *     mnemonic pattern,pattern : encoding : flags
 *
 * Encoding tokens: `o16`/`o32` (operand size of the form: a 0x66 prefix when it differs from
 * `bits`), `a16`/`a32` (address size, for jcxz/jecxz), hex opcode bytes, `+r` (register
 * number added to the last opcode byte), `/r` or `/0`…`/7` (a ModRM byte), `ib iw id`
 * (immediates), `rb rw rd` (relative targets), `mo` (a moffs address), `ptr` (seg:offset).
 *
 * Flags: `E` encoder only, `D` disassembler only, `@name` the mnemonic objdump prints,
 * `=pat,pat` the operands objdump prints (implicit string operands), `S` a memory operand
 * without a size keyword is accepted, `J` a short jump NASM picks when the target is in range,
 * `B` an unsized immediate matches only when the form's size is the `bits` in force, `F3` a
 * mandatory prefix, `W` objdump suffixes w/d when the form's operand size is not the mode's,
 * `M` (disassembly) only in the mode whose default operand size is the form's.
 *
 * Order matters: the encoder takes the first form that matches, which is how NASM's own
 * table orders its choices (sign-extended imm8 before the accumulator form before the
 * general form; `r/m, reg` before `reg, r/m`). The disassembler takes the first form that
 * fits the bytes and the operand size in force, so a form without o16/o32 placed after
 * sized ones catches the rest (and a 0x66 it did not use prints as data16).
 */

export type Pattern =
  | 'r8' | 'r16' | 'r32' // general register in ModRM.reg or in the opcode (+r)
  | 'rm8' | 'rm16' | 'rm32' // register or memory in ModRM.rm
  | 'rr16' | 'rr32' // register only, in ModRM.rm
  | 'rx32' // register in ModRM.rm whatever mod says (mov crN, as the CPU and objdump read it)
  | 'm' | 'm8' | 'm16' | 'm32' | 'm64' | 'm48' // memory only (m: any size, none printed)
  | 'mfar16' | 'mfar32' // far pointer in memory (jmp far [x])
  | 'imm8' | 'imm16' | 'imm32'
  | 'sbyte16' | 'sbyte32' // imm8 sign-extended to the operand size
  | 'one' // the constant 1 (shift by one)
  | 'al' | 'ax' | 'eax' | 'cl' | 'dx'
  | 'sreg' | 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs'
  | 'cr' | 'dr' | 'tr'
  | 'rel8' | 'rel16' | 'rel32'
  | 'far16' | 'far32' // seg:offset immediate
  | 'moffs8' | 'moffs16' | 'moffs32'
  // implicit operands objdump prints for string instructions
  | 'Xb' | 'Xw' | 'Xd' // seg:[esi]
  | 'Yb' | 'Yw' | 'Yd' // es:[edi]
  | 'Zb'; // seg:[ebx] (xlat)

export type EncToken =
  | { t: 'byte'; v: number }
  | { t: 'plusr' }
  | { t: 'modrm'; digit: number | null }
  | { t: 'imm'; size: 1 | 2 | 4 }
  | { t: 'rel'; size: 1 | 2 | 4 }
  | { t: 'moffs' }
  | { t: 'ptr' };

export interface Form {
  readonly mnemonic: string;
  readonly ops: readonly Pattern[];
  /** opcode bytes (before ModRM), the last one is the +r base when plusReg */
  readonly opcode: readonly number[];
  readonly plusReg: boolean;
  /** null: no ModRM; -1: /r; 0..7: /digit */
  readonly modrm: number | null;
  /** immediates / relative / moffs / ptr tokens after the ModRM, in order */
  readonly tail: readonly EncToken[];
  readonly osize?: 16 | 32;
  readonly asize?: 16 | 32;
  readonly mandatory?: number;
  readonly encOnly: boolean;
  readonly disOnly: boolean;
  readonly disName: string;
  readonly disOps: readonly Pattern[];
  readonly sizeless: boolean;
  readonly shortJump: boolean;
  readonly bitsSized: boolean;
  /** objdump adds w/d to the name when the operand size differs from the mode's */
  readonly sizeSuffix: boolean;
  /** decoded only when the form's operand size is the mode's default */
  readonly modeDefault: boolean;
  /** imul r32,imm: operand 0 is both ModRM.reg and ModRM.rm */
  readonly dupReg: boolean;
  readonly line: string;
}

const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
/** NASM's other spellings of the condition codes, by condition number */
export const CC_ALIASES: Record<string, number> = {
  o: 0, no: 1, b: 2, c: 2, nae: 2, ae: 3, nb: 3, nc: 3, e: 4, z: 4, ne: 5, nz: 5,
  be: 6, na: 6, a: 7, nbe: 7, s: 8, ns: 9, p: 10, pe: 10, np: 11, po: 11,
  l: 12, nge: 12, ge: 13, nl: 13, le: 14, ng: 14, g: 15, nle: 15,
};

const hex = (n: number): string => n.toString(16).padStart(2, '0');

function lines(): string[] {
  const L: string[] = [];
  const alu = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
  alu.forEach((m, n) => {
    const b = n * 8;
    L.push(
      `${m} rm8,r8 : ${hex(b)} /r`,
      `${m} rm16,r16 : o16 ${hex(b + 1)} /r`,
      `${m} rm32,r32 : o32 ${hex(b + 1)} /r`,
      `${m} r8,rm8 : ${hex(b + 2)} /r`,
      `${m} r16,rm16 : o16 ${hex(b + 3)} /r`,
      `${m} r32,rm32 : o32 ${hex(b + 3)} /r`,
      `${m} rm16,sbyte16 : o16 83 /${n} ib`,
      `${m} rm32,sbyte32 : o32 83 /${n} ib`,
      `${m} al,imm8 : ${hex(b + 4)} ib`,
      `${m} ax,imm16 : o16 ${hex(b + 5)} iw`,
      `${m} eax,imm32 : o32 ${hex(b + 5)} id`,
      `${m} rm8,imm8 : 80 /${n} ib`,
      `${m} rm16,imm16 : o16 81 /${n} iw`,
      `${m} rm32,imm32 : o32 81 /${n} id`,
      `${m} rm8,imm8 : 82 /${n} ib : D`,
    );
  });
  // sal is shl (/4) to NASM; objdump reads the undocumented /6 as shl too
  const shifts: [string, number, string][] = [
    ['rol', 0, ''], ['ror', 1, ''], ['rcl', 2, ''], ['rcr', 3, ''], ['shl', 4, ''], ['shr', 5, ''],
    ['sal', 4, 'E'], ['shl', 6, 'D'], ['sar', 7, ''],
  ];
  for (const [m, digit, fl] of shifts) {
    L.push(
      `${m} rm8,one : d0 /${digit} : ${fl}`,
      `${m} rm16,one : o16 d1 /${digit} : ${fl}`,
      `${m} rm32,one : o32 d1 /${digit} : ${fl}`,
      `${m} rm8,cl : d2 /${digit} : ${fl}`,
      `${m} rm16,cl : o16 d3 /${digit} : ${fl}`,
      `${m} rm32,cl : o32 d3 /${digit} : ${fl}`,
      `${m} rm8,imm8 : c0 /${digit} ib : ${fl}`,
      `${m} rm16,imm8 : o16 c1 /${digit} ib : ${fl}`,
      `${m} rm32,imm8 : o32 c1 /${digit} ib : ${fl}`,
    );
  }
  L.push(
    'test rm8,r8 : 84 /r', 'test rm16,r16 : o16 85 /r', 'test rm32,r32 : o32 85 /r',
    'test r8,rm8 : 84 /r : E', 'test r16,rm16 : o16 85 /r : E', 'test r32,rm32 : o32 85 /r : E',
    'test al,imm8 : a8 ib', 'test ax,imm16 : o16 a9 iw', 'test eax,imm32 : o32 a9 id',
    'test rm8,imm8 : f6 /0 ib', 'test rm16,imm16 : o16 f7 /0 iw', 'test rm32,imm32 : o32 f7 /0 id',
    'test rm8,imm8 : f6 /1 ib : D', 'test rm16,imm16 : o16 f7 /1 iw : D', 'test rm32,imm32 : o32 f7 /1 id : D',
  );
  (['not', 'neg', 'mul', 'imul', 'div', 'idiv'] as const).forEach((m, i) => {
    const n = i + 2;
    L.push(`${m} rm8 : f6 /${n}`, `${m} rm16 : o16 f7 /${n}`, `${m} rm32 : o32 f7 /${n}`);
  });
  L.push(
    'imul r16,rm16 : o16 0f af /r', 'imul r32,rm32 : o32 0f af /r',
    'imul r16,rm16,sbyte16 : o16 6b /r ib', 'imul r32,rm32,sbyte32 : o32 6b /r ib',
    'imul r16,rm16,imm16 : o16 69 /r iw', 'imul r32,rm32,imm32 : o32 69 /r id',
    'imul r16,sbyte16 : o16 6b /r ib : E', 'imul r32,sbyte32 : o32 6b /r ib : E',
    'imul r16,imm16 : o16 69 /r iw : E', 'imul r32,imm32 : o32 69 /r id : E',
  );
  (['inc', 'dec'] as const).forEach((m, n) => {
    L.push(
      `${m} r16 : o16 ${hex(0x40 + n * 8)}+r`, `${m} r32 : o32 ${hex(0x40 + n * 8)}+r`,
      `${m} rm8 : fe /${n}`, `${m} rm16 : o16 ff /${n}`, `${m} rm32 : o32 ff /${n}`,
    );
  });
  // data movement
  L.push(
    'mov al,moffs8 : a0 mo', 'mov ax,moffs16 : o16 a1 mo', 'mov eax,moffs32 : o32 a1 mo',
    'mov moffs8,al : a2 mo', 'mov moffs16,ax : o16 a3 mo', 'mov moffs32,eax : o32 a3 mo',
    'mov rm8,r8 : 88 /r', 'mov rm16,r16 : o16 89 /r', 'mov rm32,r32 : o32 89 /r',
    'mov r8,rm8 : 8a /r', 'mov r16,rm16 : o16 8b /r', 'mov r32,rm32 : o32 8b /r',
    'mov rr16,sreg : o16 8c /r', 'mov rr32,sreg : o32 8c /r', 'mov m16,sreg : 8c /r : S',
    'mov sreg,rr16 : o16 8e /r : D', 'mov sreg,rr32 : o32 8e /r : D', 'mov sreg,rr32 : 8e /r : E', 'mov sreg,rr16 : 8e /r : E', 'mov sreg,m16 : 8e /r : S',
    'mov r8,imm8 : b0+r ib', 'mov r16,imm16 : o16 b8+r iw', 'mov r32,imm32 : o32 b8+r id',
    'mov rm8,imm8 : c6 /0 ib', 'mov rm16,imm16 : o16 c7 /0 iw', 'mov rm32,imm32 : o32 c7 /0 id',
    'mov rx32,cr : 0f 20 /r', 'mov cr,rx32 : 0f 22 /r', 'mov rx32,dr : 0f 21 /r', 'mov dr,rx32 : 0f 23 /r',
    'mov rx32,tr : 0f 24 /r : D', 'mov tr,rx32 : 0f 26 /r : D', // the 386/486 test registers
    'movzx r16,rm8 : o16 0f b6 /r', 'movzx r32,rm8 : o32 0f b6 /r',
    'movzx r16,rm16 : o16 0f b7 /r : D', 'movzx r32,rm16 : o32 0f b7 /r',
    'movsx r16,rm8 : o16 0f be /r', 'movsx r32,rm8 : o32 0f be /r',
    'movsx r16,rm16 : o16 0f bf /r : D', 'movsx r32,rm16 : o32 0f bf /r',
    'lea r16,m : o16 8d /r', 'lea r32,m : o32 8d /r',
    'nop : o32 90 : D M', 'nop : o16 90 : D M', 'xchg r16,ax : o16 90+r', 'xchg ax,r16 : o16 90+r : E',
    'xchg r32,eax : o32 90+r', 'xchg eax,r32 : o32 90+r : E', 'nop : 90',
    // NASM puts the first operand of a register pair in ModRM.reg; objdump reads ModRM.rm first
    'xchg r8,rm8 : 86 /r : E', 'xchg r16,rm16 : o16 87 /r : E', 'xchg r32,rm32 : o32 87 /r : E',
    'xchg rm8,r8 : 86 /r', 'xchg rm16,r16 : o16 87 /r', 'xchg rm32,r32 : o32 87 /r',
    'cmpxchg rm8,r8 : 0f b0 /r', 'cmpxchg rm16,r16 : o16 0f b1 /r', 'cmpxchg rm32,r32 : o32 0f b1 /r',
    'xadd rm8,r8 : 0f c0 /r', 'xadd rm16,r16 : o16 0f c1 /r', 'xadd rm32,r32 : o32 0f c1 /r',
    'cmpxchg8b m64 : 0f c7 /1 : S',
    'bswap r32 : o32 0f c8+r', 'bswap r16 : o16 0f c8+r : D',
    'nop rm16 : o16 0f 1f /0', 'nop rm32 : o32 0f 1f /0',
    // the reserved-NOP and hint space as objdump names it (any ModRM.reg)
    'nop rm16 : o16 0f 1f /r : D', 'nop rm32 : o32 0f 1f /r : D',
    'nop rm16 : o16 0f 19 /r : D', 'nop rm32 : o32 0f 19 /r : D',
    'nop rm16 : o16 0f 1d /r : D', 'nop rm32 : o32 0f 1d /r : D',
    'nop rm16 : o16 0f 1e /r : D', 'nop rm32 : o32 0f 1e /r : D',
    'nop rr16 : o16 0f 1a /r : D', 'nop rr32 : o32 0f 1a /r : D', 'nop rr16 : o16 0f 1b /r : D', 'nop rr32 : o32 0f 1b /r : D',
    'cldemote m8 : 0f 1c /0 : D', 'nop rm16 : o16 0f 1c /r : D', 'nop rm32 : o32 0f 1c /r : D',
    'prefetchnta m : 0f 18 /0 : =m8', 'prefetcht0 m : 0f 18 /1 : =m8', 'prefetcht1 m : 0f 18 /2 : =m8', 'prefetcht2 m : 0f 18 /3 : =m8',
    'nop rm16 : o16 0f 18 /r : D', 'nop rm32 : o32 0f 18 /r : D',
    'prefetch m : 0f 0d /0 : =m8', 'prefetchw m : 0f 0d /1 : =m8', 'prefetchwt1 m8 : 0f 0d /2 : D', 'prefetch m : 0f 0d /r : D =m8',
    'ud1 r16,rm16 : o16 0f b9 /r', 'ud1 r32,rm32 : o32 0f b9 /r',
    'ud0 r16,rm16 : o16 0f ff /r', 'ud0 r32,rm32 : o32 0f ff /r',
    'movnti m32,r32 : 0f c3 /r',
  );
  // bit operations
  (['bt', 'bts', 'btr', 'btc'] as const).forEach((m, n) => {
    const op = hex(0xa3 + n * 8);
    L.push(
      `${m} rm16,r16 : o16 0f ${op} /r`, `${m} rm32,r32 : o32 0f ${op} /r`,
      `${m} rm16,imm8 : o16 0f ba /${n + 4} ib`, `${m} rm32,imm8 : o32 0f ba /${n + 4} ib`,
    );
  });
  L.push(
    'bsf r16,rm16 : o16 0f bc /r', 'bsf r32,rm32 : o32 0f bc /r',
    'bsr r16,rm16 : o16 0f bd /r', 'bsr r32,rm32 : o32 0f bd /r',
    'shld rm16,r16,imm8 : o16 0f a4 /r ib', 'shld rm32,r32,imm8 : o32 0f a4 /r ib',
    'shld rm16,r16,cl : o16 0f a5 /r', 'shld rm32,r32,cl : o32 0f a5 /r',
    'shrd rm16,r16,imm8 : o16 0f ac /r ib', 'shrd rm32,r32,imm8 : o32 0f ac /r ib',
    'shrd rm16,r16,cl : o16 0f ad /r', 'shrd rm32,r32,cl : o32 0f ad /r',
  );
  // conditions
  for (const [cc, n] of Object.entries(CC_ALIASES)) {
    const canon = CC[n] === cc;
    const fl = canon ? '' : 'E';
    L.push(
      `j${cc} rel8 : ${hex(0x70 + n)} rb : J ${fl}`,
      `j${cc} rel16 : o16 0f ${hex(0x80 + n)} rw : ${fl}`,
      `j${cc} rel32 : o32 0f ${hex(0x80 + n)} rd : ${fl}`,
      `set${cc} rm8 : 0f ${hex(0x90 + n)} /0 : ${fl}`,
      `set${cc} rm8 : 0f ${hex(0x90 + n)} /r : D`,
      `cmov${cc} r16,rm16 : o16 0f ${hex(0x40 + n)} /r : ${fl}`,
      `cmov${cc} r32,rm32 : o32 0f ${hex(0x40 + n)} /r : ${fl}`,
    );
  }
  // control transfer
  L.push(
    'jmp rel8 : eb rb : J', 'jmp rel16 : o16 e9 rw : W', 'jmp rel32 : o32 e9 rd : W',
    'jmp rm16 : o16 ff /4 : S', 'jmp rm32 : o32 ff /4 : S',
    'jmp far16 : o16 ea ptr', 'jmp far32 : o32 ea ptr',
    'jmp mfar16 : o16 ff /5 : @jmp', 'jmp mfar32 : o32 ff /5 : @jmp',
    'call rel16 : o16 e8 rw : W', 'call rel32 : o32 e8 rd : W',
    'call rm16 : o16 ff /2 : S', 'call rm32 : o32 ff /2 : S',
    'call far16 : o16 9a ptr', 'call far32 : o32 9a ptr',
    'call mfar16 : o16 ff /3', 'call mfar32 : o32 ff /3',
    'loopne rel8 : e0 rb', 'loopnz rel8 : e0 rb : E', 'loope rel8 : e1 rb', 'loopz rel8 : e1 rb : E',
    'loop rel8 : e2 rb',
    'jcxz rel8 : a16 e3 rb', 'jecxz rel8 : a32 e3 rb',
    'ret : o16 c3 : D W', 'ret imm16 : o16 c2 iw : D W', 'ret : o32 c3 : D W', 'ret imm16 : o32 c2 iw : D W',
    'ret : c3 : E', 'ret imm16 : c2 iw : E', 'retw : o16 c3 : E', 'retd : o32 c3 : E', 'retn : c3 : E', 'retn imm16 : c2 iw : E',
    'retf : o16 cb : D W', 'retf imm16 : o16 ca iw : D W', 'retf : o32 cb : D W', 'retf imm16 : o32 ca iw : D W',
    'retf : cb : E', 'retf imm16 : ca iw : E',
    'int3 : cc', 'int03 : cc : E', 'int imm8 : cd ib', 'into : ce', 'int1 : f1', 'icebp : f1 : E', 'int01 : f1 : E',
    'iretw : o16 cf : @iret W', 'iretd : o32 cf : @iret W', 'iret : cf : E',
    'enter imm16,imm8 : o16 c8 iw ib : D W', 'enter imm16,imm8 : o32 c8 iw ib : D W', 'enter imm16,imm8 : c8 iw ib : E',
    'leave : o16 c9 : D W', 'leave : o32 c9 : D W', 'leave : c9 : E',
  );
  // stack
  L.push(
    'push r16 : o16 50+r', 'push r32 : o32 50+r',
    'pop r16 : o16 58+r', 'pop r32 : o32 58+r',
    'push es : o16 06 : D W', 'push es : o32 06 : D W', 'push es : 06 : E', 'pop es : o16 07 : D W', 'pop es : o32 07 : D W', 'pop es : 07 : E',
    'push cs : o16 0e : D W', 'push cs : o32 0e : D W', 'push cs : 0e : E',
    'push ss : o16 16 : D W', 'push ss : o32 16 : D W', 'push ss : 16 : E', 'pop ss : o16 17 : D W', 'pop ss : o32 17 : D W', 'pop ss : 17 : E',
    'push ds : o16 1e : D W', 'push ds : o32 1e : D W', 'push ds : 1e : E', 'pop ds : o16 1f : D W', 'pop ds : o32 1f : D W', 'pop ds : 1f : E',
    'push fs : o16 0f a0 : D W', 'push fs : o32 0f a0 : D W', 'push fs : 0f a0 : E', 'pop fs : o16 0f a1 : D W', 'pop fs : o32 0f a1 : D W', 'pop fs : 0f a1 : E',
    'push gs : o16 0f a8 : D W', 'push gs : o32 0f a8 : D W', 'push gs : 0f a8 : E', 'pop gs : o16 0f a9 : D W', 'pop gs : o32 0f a9 : D W', 'pop gs : 0f a9 : E',
    'push sbyte32 : o32 6a ib : B W', 'push sbyte16 : o16 6a ib : B W',
    'push imm32 : o32 68 id : B W', 'push imm16 : o16 68 iw : B W',
    'push rm16 : o16 ff /6', 'push rm32 : o32 ff /6',
    'pop rm16 : o16 8f /0', 'pop rm32 : o32 8f /0',
    'pushaw : o16 60 : @pusha W', 'pushad : o32 60 : @pusha W', 'pusha : 60 : E',
    'popaw : o16 61 : @popa W', 'popad : o32 61 : @popa W', 'popa : 61 : E',
    'pushfw : o16 9c : @pushf W', 'pushfd : o32 9c : @pushf W', 'pushf : 9c : E',
    'popfw : o16 9d : @popf W', 'popfd : o32 9d : @popf W', 'popf : 9d : E',
  );
  // flags, conversions, misc
  L.push(
    'cbw : o16 98', 'cwde : o32 98', 'cwd : o16 99', 'cdq : o32 99',
    'lahf : 9f', 'sahf : 9e', 'clc : f8', 'stc : f9', 'cmc : f5', 'cld : fc', 'std : fd',
    'cli : fa', 'sti : fb', 'hlt : f4', 'pause : f3 90 : F3', 'wait : 9b : E', 'fwait : 9b',
    'salc : d6 : E', 'aaa : 37', 'aas : 3f', 'daa : 27', 'das : 2f',
    'aam : d4 0a : E', 'aam imm8 : d4 ib', 'aad : d5 0a : E', 'aad imm8 : d5 ib',
    'cpuid : 0f a2', 'rdtsc : 0f 31', 'rdmsr : 0f 32', 'wrmsr : 0f 30', 'rdpmc : 0f 33',
    'clts : 0f 06', 'invd : 0f 08', 'wbnoinvd : f3 0f 09 : F3 D', 'wbinvd : 0f 09', 'sysenter : 0f 34', 'sysexit : 0f 35', 'rsm : 0f aa',
    'vmcall : 0f 01 c1', 'vmmcall : 0f 01 d9',
    // the rest of 0f 01's register forms, for the disassembler
    'enclv : 0f 01 c0 : D', 'vmlaunch : 0f 01 c2', 'vmresume : 0f 01 c3', 'vmxoff : 0f 01 c4', 'pconfig : 0f 01 c5 : D', 'wrmsrns : 0f 01 c6 : D', 'monitor : 0f 01 c8', 'mwait : 0f 01 c9', 'clac : 0f 01 ca', 'stac : 0f 01 cb', 'encls : 0f 01 cf : D', 'xgetbv : 0f 01 d0', 'xsetbv : 0f 01 d1', 'vmfunc : 0f 01 d4 : D', 'xend : 0f 01 d5 : D', 'xtest : 0f 01 d6 : D', 'enclu : 0f 01 d7 : D', 'vmrun : 0f 01 d8', 'vmload : 0f 01 da', 'vmsave : 0f 01 db', 'stgi : 0f 01 dc', 'clgi : 0f 01 dd', 'skinit : 0f 01 de : D', 'invlpga : 0f 01 df', 'serialize : 0f 01 e8', 'rdpkru : 0f 01 ee : D', 'wrpkru : 0f 01 ef : D', 'swapgs : 0f 01 f8 : D', 'rdtscp : 0f 01 f9', 'monitorx : 0f 01 fa : D', 'mwaitx : 0f 01 fb : D', 'clzero : 0f 01 fc : D', 'rdpru : 0f 01 fd : D', 'invlpgb : 0f 01 fe : D', 'tlbsync : 0f 01 ff : D',
    'syscall : 0f 05', 'femms : 0f 0e', 'sysret : 0f 07', 'getsec : 0f 37', 'ud2 : 0f 0b', 'ud2a : 0f 0b : E',
    'lfence : 0f ae e8', 'mfence : 0f ae f0', 'sfence : 0f ae f8',
    'fxsave m : 0f ae /0', 'fxrstor m : 0f ae /1', 'ldmxcsr m32 : 0f ae /2', 'stmxcsr m32 : 0f ae /3',
    'xsave m : 0f ae /4', 'xrstor m : 0f ae /5', 'xsaveopt m : 0f ae /6', 'clflush m : 0f ae /7 : =m8',
    'sgdt m : o16 0f 01 /0 : D @sgdtw', 'sgdt m : o32 0f 01 /0 : D @sgdtd', 'sgdt m : 0f 01 /0 : E',
    'sidt m : o16 0f 01 /1 : D @sidtw', 'sidt m : o32 0f 01 /1 : D @sidtd', 'sidt m : 0f 01 /1 : E',
    'lgdt m : o16 0f 01 /2 : D @lgdtw', 'lgdt m : o32 0f 01 /2 : D @lgdtd', 'lgdt m : 0f 01 /2 : E',
    'lidt m : o16 0f 01 /3 : D @lidtw', 'lidt m : o32 0f 01 /3 : D @lidtd', 'lidt m : 0f 01 /3 : E',
    'smsw rr16 : o16 0f 01 /4', 'smsw rr32 : o32 0f 01 /4', 'smsw m16 : 0f 01 /4 : S',
    'lmsw rm16 : 0f 01 /6 : S',
    'invlpg m : 0f 01 /7 : =m8',
    'sldt rr16 : o16 0f 00 /0', 'sldt rr32 : o32 0f 00 /0', 'sldt m16 : 0f 00 /0 : S',
    'str rr16 : o16 0f 00 /1', 'str rr32 : o32 0f 00 /1', 'str m16 : 0f 00 /1 : S',
    'lldt rm16 : 0f 00 /2 : S', 'ltr rm16 : 0f 00 /3 : S',
    'verr rm16 : 0f 00 /4 : S', 'verw rm16 : 0f 00 /5 : S',
    'lar r16,rm16 : o16 0f 02 /r', 'lar r32,rr16 : o32 0f 02 /r : D =r32,rr32', 'lar r32,rm16 : o32 0f 02 /r : S',
    'lsl r16,rm16 : o16 0f 03 /r', 'lsl r32,rr16 : o32 0f 03 /r : D =r32,rr32', 'lsl r32,rm16 : o32 0f 03 /r : S',
    'arpl rm16,r16 : 63 /r',
    'bound r16,m32 : o16 62 /r', 'bound r32,m64 : o32 62 /r',
    'les r16,mfar16 : o16 c4 /r', 'les r32,mfar32 : o32 c4 /r',
    'lds r16,mfar16 : o16 c5 /r', 'lds r32,mfar32 : o32 c5 /r',
    'lss r16,mfar16 : o16 0f b2 /r', 'lss r32,mfar32 : o32 0f b2 /r',
    'lfs r16,mfar16 : o16 0f b4 /r', 'lfs r32,mfar32 : o32 0f b4 /r',
    'lgs r16,mfar16 : o16 0f b5 /r', 'lgs r32,mfar32 : o32 0f b5 /r',
    'in al,imm8 : e4 ib', 'in ax,imm8 : o16 e5 ib', 'in eax,imm8 : o32 e5 ib',
    'in al,dx : ec', 'in ax,dx : o16 ed', 'in eax,dx : o32 ed',
    'out imm8,al : e6 ib', 'out imm8,ax : o16 e7 ib', 'out imm8,eax : o32 e7 ib',
    'out dx,al : ee', 'out dx,ax : o16 ef', 'out dx,eax : o32 ef',
  );
  // string instructions: NASM names them by size, objdump by operands
  const str: [string, string, string][] = [
    ['movs', 'a4', 'Y,X'], ['cmps', 'a6', 'X,Y'], ['stos', 'aa', 'Y,A'],
    ['lods', 'ac', 'A,X'], ['scas', 'ae', 'A,Y'], ['ins', '6c', 'Y,dx'], ['outs', '6e', 'dx,X'],
  ];
  for (const [m, op, ops] of str) {
    const next = hex(parseInt(op, 16) + 1);
    const sized = (s: 'b' | 'w' | 'd', acc: string): string =>
      ops.replace('X', 'X' + s).replace('Y', 'Y' + s).replace('A', acc);
    L.push(
      `${m}b : ${op} : @${m} =${sized('b', 'al')}`,
      `${m}w : o16 ${next} : @${m} =${sized('w', 'ax')}`,
      `${m}d : o32 ${next} : @${m} =${sized('d', 'eax')}`,
    );
  }
  L.push('xlatb : d7 : @xlat =Zb', 'xlat : d7 : E');
  return L;
}

const SIMPLE_PATTERNS = new Set<string>([
  'r8', 'r16', 'r32', 'rm8', 'rm16', 'rm32', 'rr16', 'rr32', 'rx32', 'm', 'm8', 'm16', 'm32', 'm64', 'm48',
  'mfar16', 'mfar32', 'imm8', 'imm16', 'imm32', 'sbyte16', 'sbyte32', 'one', 'al', 'ax', 'eax',
  'cl', 'dx', 'sreg', 'es', 'cs', 'ss', 'ds', 'fs', 'gs', 'cr', 'dr', 'tr', 'rel8', 'rel16', 'rel32',
  'far16', 'far32', 'moffs8', 'moffs16', 'moffs32', 'Xb', 'Xw', 'Xd', 'Yb', 'Yw', 'Yd', 'Zb',
]);

function parsePatterns(s: string, line: string): Pattern[] {
  if (!s) return [];
  return s.split(',').map((p) => {
    if (!SIMPLE_PATTERNS.has(p)) throw new Error(`opcode table: bad pattern '${p}' in '${line}'`);
    return p as Pattern;
  });
}

function parseLine(line: string): Form {
  const [head, enc, flagText = ''] = line.split(':').map((s) => s.trim());
  const sp = head.indexOf(' ');
  const mnemonic = sp < 0 ? head : head.slice(0, sp);
  const ops = parsePatterns(sp < 0 ? '' : head.slice(sp + 1).trim(), line);
  const opcode: number[] = [];
  const tail: EncToken[] = [];
  let plusReg = false;
  let modrm: number | null = null;
  let osize: 16 | 32 | undefined;
  let asize: 16 | 32 | undefined;
  for (const tok of enc.split(/\s+/)) {
    if (tok === 'o16' || tok === 'o32') osize = tok === 'o16' ? 16 : 32;
    else if (tok === 'a16' || tok === 'a32') asize = tok === 'a16' ? 16 : 32;
    else if (/^[0-9a-f]{2}\+r$/.test(tok)) {
      opcode.push(parseInt(tok, 16));
      plusReg = true;
    } else if (/^[0-9a-f]{2}$/.test(tok)) opcode.push(parseInt(tok, 16));
    else if (tok === '/r') modrm = -1;
    else if (/^\/[0-7]$/.test(tok)) modrm = Number(tok[1]);
    else if (tok === 'ib' || tok === 'iw' || tok === 'id') tail.push({ t: 'imm', size: tok === 'ib' ? 1 : tok === 'iw' ? 2 : 4 });
    else if (tok === 'rb' || tok === 'rw' || tok === 'rd') tail.push({ t: 'rel', size: tok === 'rb' ? 1 : tok === 'rw' ? 2 : 4 });
    else if (tok === 'mo') tail.push({ t: 'moffs' });
    else if (tok === 'ptr') tail.push({ t: 'ptr' });
    else throw new Error(`opcode table: bad encoding token '${tok}' in '${line}'`);
  }
  const flags = flagText.split(/\s+/).filter(Boolean);
  let disName = mnemonic;
  let disOps: Pattern[] = ops;
  let mandatory: number | undefined;
  for (const f of flags) {
    if (f.startsWith('@')) disName = f.slice(1);
    else if (f.startsWith('=')) disOps = parsePatterns(f.slice(1), line);
    else if (f === 'F3') mandatory = 0xf3;
  }
  if (mandatory !== undefined) opcode.shift();
  return {
    mnemonic, ops, opcode, plusReg, modrm, tail, osize, asize, mandatory,
    encOnly: flags.includes('E'),
    disOnly: flags.includes('D'),
    disName, disOps,
    sizeless: flags.includes('S'),
    shortJump: flags.includes('J'),
    bitsSized: flags.includes('B'),
    sizeSuffix: flags.includes('W'),
    modeDefault: flags.includes('M'),
    dupReg: flags.includes('E') && mnemonic === 'imul' && ops.length === 2,
    line,
  };
}

export const FORMS: readonly Form[] = lines().map(parseLine);

/** Forms by mnemonic, in table order (the encoder's view). */
export const FORMS_BY_MNEMONIC: ReadonlyMap<string, readonly Form[]> = (() => {
  const m = new Map<string, Form[]>();
  for (const f of FORMS) {
    if (f.disOnly) continue;
    const list = m.get(f.mnemonic) ?? [];
    list.push(f);
    m.set(f.mnemonic, list);
  }
  return m;
})();

/** Every mnemonic the encoder knows (for completion and "unknown mnemonic" checks). */
export const MNEMONICS: readonly string[] = [...FORMS_BY_MNEMONIC.keys()].sort();

/** Every mnemonic the disassembler prints. */
export const DIS_NAMES: ReadonlySet<string> = new Set(FORMS.filter((f) => !f.encOnly).map((f) => f.disName));

/** How a mnemonic can be written, for hover and completion: `rm32,imm32` beside `o32 81 /0 id`. */
export function signatures(mnemonic: string): { operands: string; encoding: string }[] {
  return (FORMS_BY_MNEMONIC.get(mnemonic.toLowerCase()) ?? []).map((f) => ({
    operands: f.ops.join(','),
    encoding: f.line.split(':')[1].trim(),
  }));
}
