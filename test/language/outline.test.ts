import * as assert from 'assert';
import { scanAsm } from '../../src/language/asmOutline';
import { scanXl, settingAt } from '../../src/language/xlOutline';
import { asmCodeEnd, asmWordAt, xlValueEnd } from '../../src/language/text';
import { numberHover } from '../../src/language/hover';

const defs = (src: string) => scanAsm(src).symbols.map((s) => `${s.kind}:${s.name}`);
const refs = (src: string) => scanAsm(src).references.map((r) => r.name);

describe('asm outline', () => {
  it('scopes local labels to the last global label; ..@ labels do not open a scope', () => {
    const src = 'a:\n.x: jmp .x\n..@m: jmp .x\nb: jmp .x\n';
    assert.deepStrictEqual(defs(src), ['label:a', 'local:a.x', 'label:..@m', 'label:b']);
    assert.deepStrictEqual(refs(src), ['a.x', 'a.x', 'b.x']);
  });

  it('ignores names inside strings and comments, and numbers in every radix', () => {
    const src = 'm: db "x: jmp y", \'z\', `w\\`v` ; jmp q\n mov eax, 0x10 + 10h + $0f + 0b1 + $ + $$ + r\n';
    assert.deepStrictEqual(defs(src), ['label:m']);
    assert.deepStrictEqual(refs(src), ['r']);
  });

  it('finds equ, data labels without a colon, %define/%assign/%idefine, struc fields', () => {
    const src = 'N equ 4\nbuf resb N\n%assign i 0\n%idefine Big 1\nstruc s\n.f resd 1\nendstruc\nlist times 3 dd s.f\n';
    assert.deepStrictEqual(defs(src), ['equ:N', 'label:buf', 'define:i', 'define:Big', 'struc:s', 'field:s.f', 'label:list']);
    assert.strictEqual(scanAsm(src).symbols.find((s) => s.name === 'Big')!.caseless, true);
    assert.deepStrictEqual(refs(src), ['N', 's.f']);
  });

  it('records %include targets with their position', () => {
    const o = scanAsm('  %include "inc/xen.inc" ; the ABI\n%include <sys.inc>\n');
    assert.deepStrictEqual(o.includes.map((i) => [i.path, i.line, i.start]), [['inc/xen.inc', 0, 12], ['sys.inc', 1, 10]]);
  });

  it('keeps %% labels inside their macro and notes where the macro ends', () => {
    const o = scanAsm('%macro m 1\n%%l: loop %%l\n%endmacro\n');
    assert.deepStrictEqual(o.symbols.map((s) => [s.name, s.endLine]), [['m', 2], ['m%%l', undefined]]);
    assert.deepStrictEqual(o.references.map((r) => r.name), ['m%%l']);
  });

  it('does not take mnemonics, registers or size keywords for names', () => {
    assert.deepStrictEqual(refs(' lock cmpxchg dword [es:edi], ecx\n rep movsb\n'), []);
  });
});

describe('text helpers', () => {
  it('finds the comment of a line outside strings', () => {
    assert.strictEqual(asmCodeEnd('db ";", 1 ; c'), 10);
    assert.strictEqual(asmCodeEnd('db `\\`;` ; c'), 9);
  });
  it('takes .local, %%local and ..@ names as one word', () => {
    for (const w of ['.loop', '%%again', '..@x1', 'start.loop']) assert.strictEqual(asmWordAt(` jmp ${w}`, 6)!.text, w);
  });
  it('shows numbers as NASM character constants (little-endian) and signed when negative', () => {
    assert.strictEqual(numberHover(0x44434241n), "1145258561 · 0x44434241 · 0o10420641101 · 0b1000100010000110100001001000001 · 'ABCD'");
    assert.match(numberHover(0xfffffffen), /· -2 signed$/);
  });
  it('finds the end of an xl value: string, list, word', () => {
    assert.strictEqual(xlValueEnd('kernel = "a\\"b" # c', 9), 15);
    assert.strictEqual(xlValueEnd('cpus = [ "0", 1 ], x', 7), 17);
    assert.strictEqual(xlValueEnd('vcpus = x2; memory=1', 8), 10);
  });
});

describe('xl outline', () => {
  it('finds keys separated by newlines or semicolons, not inside strings or list lines', () => {
    const src = 'name="a;b=c"; type = "pv" # x=1\nvif = [ "a=1",\n  "b=2" ]\nmemory+=4\n';
    const s = scanXl(src);
    assert.deepStrictEqual(s.map((x) => [x.key, x.line, x.start]), [['name', 0, 0], ['type', 0, 14], ['vif', 1, 0], ['memory', 3, 0]]);
    assert.strictEqual(settingAt(s, 2, 4)!.key, 'vif');
  });
});
