import * as assert from 'assert';
import { hex, nasm, ours } from './nasm-run';

/** Each case must assemble to NASM's bytes, without errors on either side. */
export function sameAsNasm(source: string, files: Record<string, string> = {}): void {
  const want = nasm(source, files);
  assert.ok(want.bytes, `nasm rejected the case:\n${want.messages}`);
  const got = ours(source, files);
  assert.deepStrictEqual(got.errors.map((e) => `${e.line}:${e.col}: ${e.message}`), []);
  assert.strictEqual(hex(got.image), hex(want.bytes));
}

const CASES: Record<string, string> = {
  'numbers in every radix form': `
    dd 0x1F, 0X1f, 0h1F, 1Fh, 1fH, $1F, $0ff, 0b1010, 0B1010, 0y1010, 1010b, 1010y
    dd 17q, 17o, 0q17, 0o17, 0d99, 0t99, 99d, 99t, 1_000_000, 0x_dead_beef, 1111_0000b, 0
    dq 0x123456789abcdef0, -1, 0ffffffffffffffffh
    db 0Bh, 0Dh, 0Ah, 0Bah, 0b1h, 0dh, 0h, 0Fh, 0B1, 0h10, 1bh, 1_0h, 0t5, 0y11`,
  'character constants and strings': `
    db 'a', "b", \`c\`, 'ab', "it's", 'say "hi"', 0
    dw 'a', 'ab', 'abc'
    dd 'abcd', 'ab', "abcdefg"
    dq 'abcdefgh', 'x'
    db \`\\n\\t\\r\\0\\\\\\'\\"\\\`\\x41\\101\\e\\a\\b\\f\\v\`
    db \`\\u00e9\\U0001F600\`, 'é'
    dd 'a' + 1, 'ab' << 8`,
  'operators and precedence': `
    dd 1 + 2 * 3, (1 + 2) * 3, 7 / 2, -7 / 2, -7 // 2, 7 % 3, -7 % 3, -7 %% 3
    dd 1 << 4, 256 >> 4, -256 >> 4, -256 >>> 4, 1 <<< 3
    dd 0xf0 | 0x0f, 0xff ^ 0x0f, 0xff & 0x3c, ~0, -(-3), +5, !0, !7
    dd 1 | 2 ^ 3 & 4, 1 + 2 << 3, 2 * 3 + 4 * 5 - 6 / 2
    dd 1 == 1, 1 != 2, 1 <> 1, 2 < 3, 3 <= 3, 4 > 5, 5 >= 5, 1 <=> 2, 2 <=> 1, 3 <=> 3
    dd 1 && 0, 1 || 0, 1 ^^ 1, 0 ? 5 : 6, 1 ? 5 : 6
    dq 1 << 63, (1 << 63) >> 63, (1 << 63) >>> 63`,
  'labels, local labels, $ and $$': `
    org 0x7c00
    start: db 1
    .a: db 2
    .b: dw .a, start.a, $, $$, $ - $$, .b - start
    second: dd .c, second.c, start.b
    .c: db 0
    ..@x: dd .c
    lone db 3
    dd lone, forward, forward - start
    forward: db 4`,
  'equ and forward references': `
    a equ 5
    b equ a * 2 + c
    c equ 1
    dd a, b, c, later - earlier
    earlier: times b db 0xaa
    later: dd later - earlier
    sz equ end - begin
    begin: db 1, 2, 3
    end:
    dd sz`,
  'times, resb and friends in .bss and absolute space': `
    times 4 db 1, 2
    times 3 dw $ - $$
    times (8 - ($ - $$)) % 8 db 0
    section .bss
    r1: resb 3
    r2: resw 2
    r3: resd 1
    r4: resq 1
    r5: rest 1
    section .text
    dd r1, r2, r3, r4, r5`,
  'align pads with NOP, alignb with zero; section alignment follows': `
    db 1
    align 4
    db 2
    align 16
    db 3
    align 8, db 0xcc
    db 4
    alignb 4
    db 5
    section .data
    db 6
    align 32
    db 7
    section .text
    dd section..data.start`,
  'sections laid out like -f bin': `
    org 0x100
    db 1, 2, 3
    section .bss
    b1: resb 3
    section .data
    d1: db 5
    section .b2 nobits
    b2: resb 1
    section .c align=8
    c1: db 7
    section .text
    dd b1, d1, b2, c1, section..data.start, section..c.start, section..bss.start`,
  'data declared before .text still follows it': `
    section .data
    d: db 9
    section .text
    x: dd d, x`,
  'section start= and vstart=': `
    org 0x1000
    db 1
    section .two start=0x1010
    t: db 2
    section .three vstart=0x8000
    v: dd v, t
    section .text
    dd t, v`,
  'section follows= and vfollows=': `
    org 0x100
    db 1
    section .a
    a: db 2, 2
    section .b follows=.c
    b: db 3
    section .b2
    b2: db 33
    section .c align=16
    c: db 4
    section .d vfollows=.a
    d: db 5
    section .text
    dd a, b, b2, c, d`,
  'absolute space, struc at an offset, alignb in .bss': `
    bits 32
    absolute 0x500
    var1: resd 1
    var2: resb 3
    alignb 4
    var3: resw 1
    here equ $
    section .text
    dd var1, var2, var3, here
    struc hdr, 8
    .a resb 1
    endstruc
    dd hdr.a, hdr_size, hdr
    section .bss
    alignb 8
    bb: resb 1
    alignb 16
    bc: resb 1
    section .text
    dd bb, bc`,
  'struc, istruc, at, iend': `
    struc point
      .x: resd 1
      .y: resw 1
      .tag resb 3
      alignb 4
      .z resd 1
    endstruc
    dd point.x, point.y, point.tag, point.z, point_size
    p: istruc point
      at point.x, dd 10
      at point.y, dw 20
      at point.z, dd 40
    iend
    dd p + point.z, $ - p`,
  'bits and org as primitive directives': `
    [bits 32]
    [org 0x10000]
    here: dd here
    [section .data]
    dd here`,
  'labels named like JavaScript object properties': `
    constructor db 1
    toString: dw constructor
    __proto__ dd toString, hasOwnProperty
    hasOwnProperty: db 2`,
  'data range boundaries': `
    db -128, 255, -1
    dw -32768, 65535
    dd -2147483648, 4294967295`,
  'segment is a synonym of section; use32': `
    segment .data
    x: db 1
    segment .text
    use32
    dd x`,
};

describe('asm: data, expressions and layout against nasm -f bin', () => {
  for (const [name, src] of Object.entries(CASES)) it(name, () => sameAsNasm(src));

  it('warns like NASM when data exceeds its size', () => {
    const r = ours('db 300\ndw 70000\ndd 0x100000000\ndb -257\ndb -256\n');
    assert.deepStrictEqual(
      r.warnings.map((w) => `${w.line}:${w.col}: ${w.message}`),
      ['1:4: byte data exceeds bounds', '2:4: word data exceeds bounds', '3:4: dword data exceeds bounds', '4:4: byte data exceeds bounds'],
    );
    assert.strictEqual(hex(r.image), hex(nasm('db 300\ndw 70000\ndd 0x100000000\ndb -257\ndb -256\n').bytes));
  });

  it('reserving space in a progbits section zeroes it with NASM\'s warning', () => {
    const r = ours('db 1\nresb 2\ndb 3\n');
    assert.strictEqual(hex(r.image), '01000003');
    assert.deepStrictEqual(r.warnings.map((w) => w.message), ['uninitialized space declared in .text section: zeroing']);
  });
});
