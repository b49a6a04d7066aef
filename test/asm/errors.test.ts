import * as assert from 'assert';
import { assemble, formatDiagnostic } from '../../src/asm';
import { nasm, ours } from './nasm-run';

/** The errors of a run as `file:line:col: error: message`, the form users see. */
function errors(source: string, files: Record<string, string> = {}): string[] {
  return ours(source, files).errors.map(formatDiagnostic);
}

describe('asm: errors name file, line and column', () => {
  it('unknown mnemonic', () => {
    assert.deepStrictEqual(errors('bits 32\n  frob eax, 1\n'), ["main.asm:2:3: error: unknown instruction 'frob'"]);
  });
  it('impossible operand combination', () => {
    assert.deepStrictEqual(errors('bits 32\nmov eax, bx\n'), ['main.asm:2:1: error: invalid combination of opcode and operands']);
  });
  it('operation size not specified', () => {
    assert.deepStrictEqual(errors('bits 32\nmov [eax], 1\n'), ['main.asm:2:5: error: operation size not specified']);
  });
  it('undefined symbol, at the symbol', () => {
    assert.deepStrictEqual(errors('db 1\ndd 4 + nosuch\n'), ["main.asm:2:8: error: symbol `nosuch' not defined"]);
  });
  it('redefined symbol', () => {
    assert.deepStrictEqual(errors('x: db 1\n  x: db 2\n'), ["main.asm:2:3: error: label `x' inconsistently redefined (first defined at main.asm:1)"]);
  });
  it('value out of range: a short jump too far is an error', () => {
    assert.deepStrictEqual(errors('bits 32\njmp short away\ntimes 200 nop\naway:\n'), ['main.asm:2:5: error: short jump is out of range']);
  });
  it('value out of range: data too wide for its size is NASM\'s warning', () => {
    const r = ours('db 1\ndb 256\n');
    assert.deepStrictEqual(r.errors, []);
    assert.deepStrictEqual(r.warnings.map(formatDiagnostic), ['main.asm:2:4: warning: byte data exceeds bounds']);
  });
  it('a register scaled by a forward reference or a label, as NASM says it', () => {
    const src = 'bits 32\nmov eax, [ebx+ecx*S]\nmov eax, [ecx*lab]\nS equ 2\nlab:\n';
    assert.deepStrictEqual(errors(src), [
      'main.asm:2:10: error: unable to multiply two non-scalar objects',
      'main.asm:3:10: error: unable to multiply two non-scalar objects',
    ]);
    assert.match(nasm(src).messages, /main\.asm:2: error: unable to multiply two non-scalar objects/);
  });
  it('macro called with the wrong number of parameters', () => {
    assert.deepStrictEqual(errors('%macro m 2\ndb %1, %2\n%endmacro\n  m 1\n'), ["main.asm:4:3: error: multi-line macro `m' exists, but not taking 1 parameter"]);
  });
  it('missing include', () => {
    assert.deepStrictEqual(errors('db 1\n%include "nope.inc"\n'), ["main.asm:2:1: error: unable to open include file `nope.inc'"]);
  });
  it('unterminated %if, at the %if', () => {
    assert.deepStrictEqual(errors('db 1\n  %if 1\ndb 2\n'), ["main.asm:2:3: error: unterminated `%if': expected `%endif' before end of file"]);
  });
  it('unterminated %macro and %rep', () => {
    assert.deepStrictEqual(errors('%macro m 0\ndb 1\n'), ["main.asm:1:1: error: unterminated `%macro' (expected its end before end of file)"]);
    assert.deepStrictEqual(errors('db 0\n%rep 2\ndb 1\n'), ["main.asm:2:1: error: unterminated `%rep' (expected its end before end of file)"]);
  });
  it('errors inside an included file name that file', () => {
    assert.deepStrictEqual(errors('%include "a.inc"\n', { 'a.inc': 'db 1\ndd missing\n' }), ["a.inc:2:4: error: symbol `missing' not defined"]);
  });
  it('expression syntax errors and %if on labels', () => {
    assert.deepStrictEqual(errors('db (1 + 2\n'), ["main.asm:1:10: error: expecting `)'"]);
    assert.deepStrictEqual(errors('x: db 1\n%if x\n%endif\n'), [
      "main.asm:2:5: error: non-constant value given to `%if' (symbol `x' is not a preprocessor value)",
    ]);
  });
  it('directive misuse', () => {
    const src = ['times -1 db 0', 'align 3', 'org 5', 'org 6', '%endif', '%endmacro', 'bits 64', 'dd 1/0', '%foo', 'mov eax, [ebx+ecx+edx]'].join('\n');
    assert.deepStrictEqual(errors(src), [
      'main.asm:1:1: error: TIMES value -1 is negative',
      'main.asm:2:1: error: alignment 3 is not a power of two',
      'main.asm:4:1: error: program origin redefined',
      "main.asm:5:1: error: `%endif': no matching `%if'",
      "main.asm:6:1: error: `%endmacro': not defining a macro",
      'main.asm:7:6: error: 64-bit code is not supported (IA-32 only)',
      'main.asm:8:5: error: division by zero',
      "main.asm:9:1: error: unknown preprocessor directive `%foo'",
      'main.asm:10:10: error: invalid effective address: too many registers',
    ]);
    assert.deepStrictEqual(ours('db\n').warnings.map(formatDiagnostic), ['main.asm:1:3: warning: no operand for data declaration']);
  });

  it('integers in dt/do/dy are NASM\'s error', () => {
    assert.deepStrictEqual(errors('dt 1\ndo 2\ndy 3\ndt "ab"\n'), [
      'main.asm:1:4: error: integer supplied as 80-bit data',
      'main.asm:2:4: error: integer supplied as 128-bit data',
      'main.asm:3:4: error: integer supplied as 256-bit data',
    ]);
  });

  it('floating-point constants are named as unsupported', () => {
    assert.deepStrictEqual(errors('dd 1.5, 2.0e-3\n'), [
      "main.asm:1:4: error: floating-point constant '1.5' is not supported",
      "main.asm:1:9: error: floating-point constant '2.0e-3' is not supported",
    ]);
  });

  it('runaway sizes are errors, not crashes', () => {
    assert.deepStrictEqual(errors('db 1\ntimes 0x7fffffff db 0\n'), ['main.asm:2:1: error: TIMES value 2147483647 is too large']);
    assert.deepStrictEqual(errors('bits 32\ntimes 2000000 jmp $\n'), ['main.asm:2:1: error: TIMES value 2000000 is too large for a jump (at most 1000000)']);
    assert.deepStrictEqual(errors('db 1\nresb 0x7fffffff\n'), ['main.asm:2:1: error: section would exceed 64 MiB']);
    assert.deepStrictEqual(errors('db 1\nalign 0x40000000\n'), ['main.asm:2:1: error: section would exceed 64 MiB']);
    assert.deepStrictEqual(errors('org 0x1000\ndb 1\nsection .x start=0x7fffffff\ndb 2\n'), ['main.asm:3:1: error: the image would span 2147479552 bytes (more than 64 MiB)']);
    assert.deepStrictEqual(errors('org 0x1000\ndb 1\nsection .x start=0x10\ndb 2\n'), ['main.asm:3:1: error: section .x begins before the program origin']);
    // a macro does not call itself: inside its body the name is an ordinary word (here a label)
    assert.deepStrictEqual(ours('%macro m 0\nm\n%endmacro\nm\n').warnings.map(formatDiagnostic), [
      "main.asm:4:1: warning: label alone on a line without a colon might be in error (in macro `m' at main.asm:2)",
    ]);
  });

  it('every error of a file in one run, in line order', () => {
    const src = ['bits 32', 'frob 1', 'mov eax, bx', 'dd nosuch', 'y: db 1', 'y: db 2', '%include "gone.inc"', 'db (', 'nop'].join('\n');
    assert.deepStrictEqual(
      errors(src).map((e) => e.split(': error: ')[0]),
      ['main.asm:2:1', 'main.asm:3:1', 'main.asm:4:4', 'main.asm:6:1', 'main.asm:7:1', 'main.asm:8:5'],
    );
  });
  it('never throws, whatever the input (seeded random lines)', () => {
    // a small LCG: deterministic "random" garbage built from assembler-ish pieces
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ['mov', 'eax', ',', '[', ']', 'db', "'", '"', '`', '%macro', '%endmacro', '%if', '%endif', '%rep', '%endrep', '%define', '(', ')', '+', '*', ':', 'x', '.y', '$', '$$', '0x', '12h', 'times', 'equ', 'section', '.bss', 'struc', 'endstruc', 'at', 'iend', 'istruc', '%1', '%%l', 'byte', 'jmp', 'short', '\\', ';', '?', '%include'];
    for (let round = 0; round < 20; round++) {
      const lines: string[] = [];
      for (let i = 0; i < 100; i++) {
        const n = rnd(8);
        const parts: string[] = [];
        for (let k = 0; k < n; k++) parts.push(pieces[rnd(pieces.length)]);
        lines.push(parts.join(rnd(2) ? ' ' : ''));
      }
      const r = assemble(lines.join('\n'), { file: 'fuzz.asm' });
      for (const e of r.errors) assert.match(formatDiagnostic(e), /^fuzz\.asm:\d+:\d+: error: ./);
    }
  });
});

describe('asm: warnings are the ones NASM gives, on the same lines', () => {
  const cases: Record<string, string> = {
    'immediates and data out of range': [
      'bits 32', 'mov ax, 70000', 'mov eax, 0x100000000', 'add al, 300', 'mov byte [eax], 300', 'int 300',
      'add eax, 0x1ffffffff', 'push word 70000', 'push byte 200', 'add eax, byte 200', 'add al, 200', 'mov al, 200',
      'add eax, byte -200', 'imul eax, ebx, byte 200', 'add word [eax], byte 200', 'db 256, -256, -257', 'dw 65536', 'dd -1',
    ].join('\n'),
    'space and data in the wrong kind of section': ['db 1', 'resb 2', 'section .bss', 'db 5', 'resb 3', 'dd 1'].join('\n'),
    'orphan labels and empty data': ['lonely', 'db', 'x: db 1'].join('\n'),
    'addresses in small data are not bound-checked': ['org 0x100', 'x: db x', 'dw x', 'db x - $$, 300'].join('\n'),
    'align (NOP padding) in .bss': ['section .bss', 'resb 1', 'align 2', 'x: resb 1'].join('\n'),
  };
  for (const [name, src] of Object.entries(cases)) {
    it(name, () => {
      const theirs = [...nasm(src + '\n').messages.matchAll(/main\.asm:(\d+): warning: (.*?)(?: \[-w\+[a-z-]+\])?$/gm)].map((m) => `${m[1]}: ${m[2]}`);
      const mine = ours(src + '\n').warnings.map((w) => `${w.line}: ${w.message}`);
      assert.ok(theirs.length > 0);
      assert.deepStrictEqual(mine, theirs);
    });
  }
});
