/**
 * Determinism of run slicing and snapshots: a program run in one call, in many slices of
 * varying size, or saved and restored into a fresh machine midway, ends in the same state —
 * with compiled blocks, rep string chunks and interrupts in play.
 */
import * as assert from 'assert';
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../../src/cpu/bare';
import { Rng } from './diff-gen';
import { nasm } from './nasm';

const CODE = 0x100000;
const PROGRAM = nasm(`bits 32
org ${CODE}
  mov ebp, 40
outer:
  ; a hot loop (compiles), a string copy in chunks, an unbalanced push/pop mix, a call
  mov ecx, 300
  mov eax, ebp
inner:
  imul eax, eax, 0x9e3779b1
  add eax, ecx
  rol eax, 5
  adc edx, eax
  mov [0x200000 + ecx*4], eax
  dec ecx
  jnz inner
  mov esi, 0x200000
  mov edi, 0x300000
  mov ecx, 5000
  cld
  rep movsd
  call mix
  dec ebp
  jnz outer
  hlt
mix:
  push eax
  xor eax, [0x300010]
  bsr ebx, eax
  pop eax
  setc cl
  ret
`);

function machine(): { cpu: Cpu; p: BarePlatform } {
  const p = new BarePlatform(4 << 20);
  const cpu = new Cpu(p);
  p.bus.load(CODE, PROGRAM);
  enterFlatProtectedMode(cpu, CODE, 0x80000);
  return { cpu, p };
}

function finish(cpu: Cpu, slice: () => number): number {
  let total = 0;
  for (;;) {
    const r = cpu.run(slice());
    total += r.retired;
    if (r.stop === 'hlt') return total;
    assert.strictEqual(r.stop, 'budget');
  }
}

describe('cpu determinism', function () {
  this.timeout(60000);
  it('one run, many random slices and snapshot/restore midway all end identically', () => {
    const ref = machine();
    const total = finish(ref.cpu, () => 1e9);
    const want = ref.cpu.snapshot();
    const wantMem = ref.p.bus.bytes.slice(0x200000, 0x310000);

    const rng = new Rng(99);
    const sliced = machine();
    assert.strictEqual(finish(sliced.cpu, () => 1 + rng.int(5000)), total);
    assert.deepStrictEqual(sliced.cpu.snapshot(), want);

    for (const at of [1, 777, total >> 2, total >> 1, total - 3]) {
      const a = machine();
      let done = 0;
      while (done < at) done += a.cpu.run(at - done).retired;
      const snap = JSON.parse(JSON.stringify(a.cpu.snapshot()));
      const ram = a.p.bus.bytes.slice();
      const b = machine();
      b.p.bus.load(0, ram);
      b.cpu.restore(snap);
      assert.strictEqual(done + finish(b.cpu, () => 1e9), total, `snapshot at ${at}`);
      assert.deepStrictEqual(b.cpu.snapshot(), want, `snapshot at ${at}`);
      assert.ok(Buffer.from(b.p.bus.bytes.slice(0x200000, 0x310000)).equals(Buffer.from(wantMem)), `memory, snapshot at ${at}`);
    }
  });

  it('the interpreter alone agrees with compiled blocks', () => {
    const a = machine();
    const b = machine();
    b.cpu.blocksEnabled = false;
    assert.strictEqual(finish(a.cpu, () => 1e9), finish(b.cpu, () => 1e9));
    assert.ok(a.cpu.blocksCompiled > 0);
    assert.deepStrictEqual(a.cpu.snapshot(), b.cpu.snapshot());
  });
});
