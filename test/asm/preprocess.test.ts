import * as assert from 'assert';
import { hex, nasm, ours } from './nasm-run';
import { sameAsNasm } from './data.test';

const CASES: Record<string, string> = {
  '%define with and without parameters, %undef, %xdefine': `
    %define ONE 1
    %define TWO (ONE + ONE)
    %define sq(x) ((x) * (x))
    %define add3(a, b, c) a + b + c
    %idefine Loud 7
    dd ONE, TWO, sq(3), sq(TWO + 1), add3(1, 2, 3), LOUD, loud
    %xdefine SNAP TWO
    %undef ONE
    %define ONE 10
    dd SNAP, TWO
    %undef ONE
    %ifdef ONE
    dd 0xbad
    %endif`,
  '%assign counters': `
    %assign i 0
    %rep 5
    db i
    %assign i i + 1
    %endrep
    %assign j i * 2
    dd j`,
  '%macro with %1..%n, %0 and %%local labels': `
    %macro pair 2
      db %1, %2, %0
    %endmacro
    %macro count 0-*
      db %0
    %endmacro
    %macro lbl 1
    %%here: dd %%here, %1
    %endmacro
    pair 1, 2
    pair 'a', 3 + 4
    count
    count 1, 2, 3
    lbl 5
    lbl 6`,
  'default and greedy parameters': `
    %macro def 1-3 10, 20
      db %1, %2, %3
    %endmacro
    %macro greedy 1+
      db %1
    %endmacro
    %macro two 2+
      dw %1
      db %2
    %endmacro
    def 1
    def 1, 2
    def 1, 2, 3
    greedy 1, 2, 3
    two 9, 8, 7, 6`,
  'parameters pasted into names, braces group an argument': `
    %macro mk 1
    label_%1: db %1_val
    %endmacro
    a_val equ 3
    b_val equ 4
    mk a
    mk b
    dd label_a, label_b
    %macro many 1-*
      db %0
    %endmacro
    many {1, 2}, 3`,
  'label before a macro call; macros calling macros': `
    %macro inner 1
      db %1 + 1
    %endmacro
    %macro outer 1
      inner %1
      inner %1 * 2
    %endmacro
    start: outer 5
    dd start`,
  '%rep with %exitrep and nesting': `
    %assign n 0
    %rep 10
      %rep 2
        db n
      %endrep
      %assign n n + 1
      %if n == 3
        %exitrep
      %endif
    %endrep`,
  '%if, %elif, %else, %ifdef, %ifndef, %ifidn, %ifnum, %ifstr': `
    %define MODE 2
    %if MODE == 1
      db 1
    %elif MODE == 2
      db 2
      %if 0
        db 0xbad
      %else
        db 22
      %endif
    %else
      db 3
    %endif
    %ifdef MODE
      db 4
    %endif
    %ifndef NOPE
      db 5
    %endif
    %ifidn MODE, 2
      db 6
    %endif
    %ifidni abc, ABC
      db 7
    %endif
    %ifnum 42
      db 8
    %endif
    %ifstr 'x'
      db 9
    %endif
    %ifn 0
      db 10
    %endif
    %if 0
      %error not reached
      %macro hidden 0
      %endmacro
    %endif`,
  '%rotate walks variadic arguments; %if on %0 inside a macro': `
    %macro pushall 1-*
      %rep %0
        push %1
        %rotate 1
      %endrep
    %endmacro
    %macro popall 1-*
      %rep %0
        %rotate -1
        pop %1
      %endrep
    %endmacro
    %macro opt 1-2
      %if %0 > 1
        db %1, %2
      %else
        db %1
      %endif
    %endmacro
    bits 32
    pushall eax, ebx, ecx
    popall eax, ebx, ecx
    opt 1
    opt 1, 2`,
  '__LINE__, __FILE__, %defstr, %strlen': `
    db __LINE__, __?LINE?__
    db __FILE__
    %defstr S hello world
    db S
    %strlen N "abc"
    %strlen M S
    db N, M
    %macro where 0
      db __LINE__
    %endmacro
    where`,
  '%strcat and %substr': `
    %strcat S 'ab', "cd", \`e\`
    db S
    %substr T 'xyzw' 2
    %substr U 'xyzw' 2,-1
    %substr V 'xyzw' 2, 2
    %substr W 'xyzw' 3, -2
    %strlen N S
    db T, U, V, W, N`,
  '$-escaped names that spell registers': `
    bits 32
    $eax: dd $eax
    mov eax, $eax
    $ebx dd 1
    mov eax, [$ebx+ebx]`,
  'a macro named like an instruction: other counts and its own body use the instruction': `
    bits 32
    %macro push 2
      push %1
      push %2
    %endmacro
    push eax, ebx
    push ecx`,
  'context stack: %push, %repl, %pop, %$local, %ifctx, %-1 (structured if/else macros)': `
    bits 32
    %macro if 1
      %push if
      j%-1 %$ifnot
    %endmacro
    %macro else 0
      %ifctx if
        %repl else
        jmp %$ifend
        %$ifnot:
      %else
        %error "expected if"
      %endif
    %endmacro
    %macro endif 0
      %ifctx if
        %$ifnot:
        %pop
      %elifctx else
        %$ifend:
        %pop
      %else
        %error "expected if or else"
      %endif
    %endmacro
    cmp eax, 1
    if e
      mov ebx, 2
    else
      mov ebx, 3
    endif`,
  '%exitmacro leaves the macro, also from inside %if': `
    %macro upto 1
      db 1
      %if %1 < 2
        %exitmacro
      %endif
      db 2
    %endmacro
    upto 1
    upto 5
    db 0xee`,
  'line continuation': `
    db 1, \\
       2, \\
       3`,
};

describe('asm: preprocessor against nasm -f bin', () => {
  for (const [name, src] of Object.entries(CASES)) it(name, () => sameAsNasm(src));

  it('%include: relative to the including file, then include paths', () => {
    const files = {
      'inc/a.inc': '%include "b.inc"\ndb 0xa\n',
      'inc/b.inc': 'db 0xb\n',
      'lib/c.inc': 'db 0xc\n',
    };
    const src = '%include "inc/a.inc"\n%include "c.inc"\ndb 1\n';
    // NASM itself only searches its -I paths; we also look beside the including file
    const want = nasm(src, files, ['-Iinc/', '-Ilib/']);
    assert.ok(want.bytes, want.messages);
    const got = ours(src, files, { includePaths: ['lib'] });
    assert.deepStrictEqual(got.errors, []);
    assert.strictEqual(hex(got.image), hex(want.bytes));
    // every byte knows the file and line that produced it
    assert.deepStrictEqual(
      got.lineMap.entries.map((e) => `${e.address}:${e.file}:${e.line}`),
      ['0:inc/b.inc:1', '1:inc/a.inc:2', '2:lib/c.inc:1', '3:main.asm:3'],
    );
  });

  it('incbin, whole and in part, searched like %include', () => {
    const files = { 'data.bin': 'ABCDEFGH', 'blobs/x.bin': 'xyz' };
    const src = 'db 1\nincbin "data.bin"\nincbin "data.bin", 2\nincbin "data.bin", 2, 3\nincbin "x.bin", 1\n';
    const want = nasm(src, files, ['-Iblobs/']);
    assert.ok(want.bytes, want.messages);
    const got = ours(src, files, { includePaths: ['blobs'] });
    assert.deepStrictEqual(got.errors, []);
    assert.strictEqual(hex(got.image), hex(want.bytes));
    assert.deepStrictEqual(ours('incbin "gone.bin"\n').errors.map((e) => `${e.line}:${e.col}: ${e.message}`), ["1:1: `incbin': unable to open file `gone.bin'"]);
  });

  it('macro expansions map to the line that invoked them', () => {
    const r = ours('%macro two 0\ndb 1\ndb 2\n%endmacro\n\ntwo\nx: two\n');
    assert.deepStrictEqual(r.lineMap.entries.map((e) => `${e.address}+${e.size}:${e.line}`), ['0+1:6', '1+1:6', '2+1:7', '3+1:7']);
    assert.deepStrictEqual(r.lineMap.addresses('main.asm', 7), [2, 3]);
    assert.strictEqual(r.lineMap.lookup(3)?.line, 7);
    assert.strictEqual(r.lineMap.lookup(4), undefined);
  });

  it('%warning and %error report their text at their line', () => {
    const r = ours('db 1\n%warning careful "now"\n%error "stop here"\n');
    assert.deepStrictEqual(r.warnings.map((w) => `${w.line}:${w.col}: ${w.message}`), ['2:1: careful "now"']);
    assert.deepStrictEqual(r.errors.map((w) => `${w.line}:${w.col}: ${w.message}`), ['3:1: stop here']);
  });
});
