import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { guestFrames, symbolName } from '../../src/debug/stack';
import { disassembleAround } from '../../src/debug/disassembly';
import { asmImage } from './image';

const PROGRAM = `bits 32
org 0xc0000000
start:
    mov esp, 0xc0010000
    call outer
    hlt
outer:
    push ebp
    mov ebp, esp
    call inner
    pop ebp
    ret
inner:
    push ebp
    mov ebp, esp
    mov eax, 1
    pop ebp
    ret
`;

describe('debug/stack and disassembly', () => {
  const img = asmImage(PROGRAM);
  const addr = (name: string) => img.image.symbolAddress(name)!;

  it('walks the EBP chain to the callers, with symbols and the calls\' lines', () => {
    // The stack as it is inside inner after its prologue: inner's frame, then outer's.
    const stack = new Map<number, number>();
    const outerFrame = 0xc000fff8;
    const innerFrame = 0xc000fff0;
    const afterCallInner = addr('outer') + 3 + 5; // push ebp (1) + mov ebp,esp (2) + call (5)
    const afterCallOuter = addr('start') + 5 + 5;
    stack.set(innerFrame, outerFrame).set(innerFrame + 4, afterCallInner);
    stack.set(outerFrame, 0).set(outerFrame + 4, afterCallOuter);
    const eip = addr('inner') + 3;
    const frames = guestFrames(eip, innerFrame, (a) => stack.get(a), img.image);
    assert.deepStrictEqual(
      frames.map((f) => [f.name, f.source?.line]),
      [
        ['inner+0x3', 16],
        ['outer+0x8', 10],
        ['start+0xa', 5],
      ],
    );
    assert.strictEqual(frames[1].pc, afterCallInner);
  });

  it('finds the caller of a hypercall-page stub at [esp] (ours and XTF\'s naming)', () => {
    const xtf = asmImage(`bits 32
org 0x1000
caller:
    call HYPERCALL_xen_version
    ret
HYPERCALL_xen_version:
    mov eax, 17
    int 0x82
    ret
`);
    const stub = xtf.image.symbolAddress('HYPERCALL_xen_version')!;
    const esp = 0x8000;
    const frames = guestFrames(stub + 7, 0, (a) => (a === esp ? 0x1005 : undefined), xtf.image, 64, esp);
    assert.deepStrictEqual(
      frames.map((f) => [f.name, f.unwound?.esp]),
      [
        ['HYPERCALL_xen_version+0x7', undefined],
        ['caller+0x5', esp + 4],
      ],
    );
  });

  it('stops at a chain that does not grow upwards or cannot be read', () => {
    const loop = new Map<number, number>([
      [0x1000, 0x1000],
      [0x1004, addr('start')],
    ]);
    assert.strictEqual(guestFrames(addr('inner'), 0x1000, (a) => loop.get(a), img.image).length, 2);
    assert.strictEqual(guestFrames(addr('inner'), 0x2000, () => undefined, img.image).length, 1);
    assert.strictEqual(symbolName(undefined, 0x1234), '0x1234');
  });

  it('disassembles like objdump, with symbols and lines', function () {
    const list = disassembleAround(img.read, img.origin, 0, 12, img.image);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-dis-'));
    const bin = path.join(dir, 'k.bin');
    fs.writeFileSync(bin, img.bytes);
    let objdump: string;
    try {
      objdump = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386', '-M', 'intel', `--adjust-vma=${img.origin}`, bin], { encoding: 'utf8' });
    } catch {
      this.skip();
      return;
    }
    const theirs = objdump
      .split('\n')
      .map((l) => /^\s*([0-9a-f]+):\t[0-9a-f ]+\t(.*)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => [parseInt(m[1], 16), m[2].replace(/\s+/g, ' ').trim()]);
    assert.deepStrictEqual(
      list.map((d) => [d.address, d.text.replace(/\s+/g, ' ')]),
      theirs.slice(0, 12),
    );
    assert.strictEqual(list[0].symbol, 'start');
    assert.deepStrictEqual(list[0].source, { file: '/src/kernel.asm', line: 4 });
    assert.strictEqual(list.find((d) => d.address === addr('inner'))?.symbol, 'inner');
  });

  it('goes backwards from a symbol boundary and shows unmapped bytes one by one', () => {
    const before = disassembleAround(img.read, addr('inner'), -3, 5, img.image);
    assert.deepStrictEqual(
      before.map((d) => d.text.replace(/\s+/g, ' ')),
      [`call 0x${addr('inner').toString(16)}`, 'pop ebp', 'ret', 'push ebp', 'mov ebp,esp'],
    );
    const end = img.origin + img.bytes.length;
    const tail = disassembleAround(img.read, end - 1, 0, 3, img.image);
    assert.deepStrictEqual(
      tail.map((d) => [d.text, d.invalid ?? false]),
      [
        ['ret', false],
        ['??', true],
        ['??', true],
      ],
    );
    assert.deepStrictEqual(
      tail.map((d) => d.address),
      [end - 1, end, end + 1],
    );
    // before the image: padding keeps the count
    const early = disassembleAround(img.read, img.origin, -2, 3, img.image);
    assert.deepStrictEqual(
      early.map((d) => d.address),
      [img.origin - 2, img.origin - 1, img.origin],
    );
  });
});
