/**
 * Compiled blocks against the interpreter: generated sequences wrapped in loops (so their
 * blocks get hot and compile) must leave the same registers, flags and memory either way.
 */
import * as assert from 'assert';
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../../src/cpu/bare';
import { BLK, BLK_SIZE, DiffCase, EBP_OFF, ESP_OFF, fillBlock, generateCase } from './diff-gen';
import { nasm } from './nasm';
import { linuxUserSegments } from './diff-run';

const CODE = 0x100000;
const SLOT = 1024;
const COUNTER = BLK - 16;
const LOW = BLK - 4096;
/** Loops can walk the stack beyond the block either way: reset and compare a margin. */
const HIGH = BLK + BLK_SIZE + 4096;
const COUNT = Number(process.env.JIT_COUNT ?? 1000);

/** Every case as a 60-pass loop, case k at CODE + k*SLOT, assembled in one nasm run. */
function assembleLoops(cases: DiffCase[]): Uint8Array {
  const src = [`bits 32`, `org ${CODE}`];
  cases.forEach((c, k) => {
    src.push(`mov dword [${COUNTER}], 60`, `top${k}:`, ...c.lines, `dec dword [${COUNTER}]`, `jnz top${k}`, 'hlt');
    src.push(`times ${(k + 1) * SLOT} - ($ - $$) db 0xf4`);
  });
  return nasm(src.join('\n') + '\n');
}

function runLoop(p: BarePlatform, k: number, c: DiffCase, blocks: boolean) {
  const cpu = new Cpu(p);
  cpu.blocksEnabled = blocks;
  const low = new Uint8Array(HIGH - LOW);
  fillBlock(c.memSeed, low.subarray(BLK - LOW));
  p.bus.load(LOW, low);
  enterFlatProtectedMode(cpu, CODE + k * SLOT, BLK + ESP_OFF, 3);
  linuxUserSegments(cpu);
  c.regs.forEach((v, i) => (cpu.r[i < 4 ? i : i + 2] = v));
  cpu.r[5] = BLK + EBP_OFF;
  cpu.setEflags(c.flags | 0x202);
  let retired = 0;
  let r;
  do {
    r = cpu.run(997); // an odd budget, so blocks also meet the budget edge
    retired += r.retired;
  } while (r.stop === 'budget' && retired < 1e6);
  return { state: cpu.snapshot(), mem: p.bus.bytes.slice(LOW, HIGH), stop: r.stop, retired, blocks: cpu.blocksCompiled };
}

describe('cpu compiled blocks', function () {
  this.timeout(120000);
  it(`${COUNT} looped generated sequences: blocks and interpreter agree`, () => {
    const cases = Array.from({ length: COUNT }, (_, i) => generateCase(3, i));
    const image = assembleLoops(cases);
    const p = new BarePlatform(8 << 20);
    p.intercept = () => true;
    p.bus.load(CODE, image);
    let compiledRuns = 0;
    cases.forEach((c, k) => {
      const a = runLoop(p, k, c, false);
      const b = runLoop(p, k, c, true);
      const why = `case ${k}:\n  ${c.lines.join('\n  ')}`;
      assert.strictEqual(b.stop, a.stop, why);
      assert.strictEqual(b.retired, a.retired, why);
      assert.deepStrictEqual(b.state, a.state, why);
      assert.ok(Buffer.from(a.mem).equals(Buffer.from(b.mem)), `memory differs; ${why}`);
      assert.strictEqual(a.blocks, 0);
      if (b.blocks > 0) compiledRuns++;
    });
    assert.ok(compiledRuns > COUNT * 0.9, `blocks compiled in ${compiledRuns} of ${COUNT} loops`);
  });

  it('self-modifying code inside a hot loop takes effect on the next pass', () => {
    const p = new BarePlatform(4 << 20);
    const cpu = new Cpu(p);
    // The loop body rewrites the immediate of its own `add eax, imm32` on every pass.
    p.bus.load(CODE, nasm(`bits 32\norg ${CODE}\nmov ecx, 100\nxor eax, eax\nl: add eax, strict dword 1\npatch equ $-4\ninc dword [patch]\ndec ecx\njnz l\nhlt\n`));
    enterFlatProtectedMode(cpu, CODE, 0x80000);
    assert.strictEqual(cpu.run(100000).stop, 'hlt');
    assert.strictEqual(cpu.r[0], (100 * 101) / 2);
  });

  it('inlined 32-bit movs, pushes, pops and ALU operations with memory and immediates: aligned, misaligned, page-crossing and through a checked segment agree with the interpreter', () => {
    // The walking pointer visits aligned, misaligned and page-crossing dwords; the fs accesses
    // go through a segment with a base (checked: never inlined).
    const src = `bits 32\norg ${CODE}\nmov ecx, 400\nmov esi, 0x200ff0\nxor eax, eax\nl: add eax, ecx\n` +
      `mov ebx, [esi]\nmov [esi+0x1000], ebx\nmov edx, [esi+ecx*4-4]\nmov [fs:esi], edx\nmov edi, [fs:esi]\n` +
      `push ebx\npush esp\npop ebp\npush esp\npop esp\npop edx\npush edx\nadd edi, [esp]\npop edi\n` +
      `add [esi+8], ecx\nadc edx, [esi+ecx]\nsbb [esi], edi\ncmp [esi+4], eax\ncmp ebx, [esi+1]\nxor [fs:esi], ebx\nsub eax, [esi+5]\n` +
      `mov dword [esi+12], 0x89abcdef\nadd dword [esi+12], -3\nsbb dword [esi+16], 0x12345678\ncmp dword [esi], 7\nmov dword [fs:esi+4], 5\nand dword [esi+ecx], 0xff0ff0ff\n` +
      `add esi, 3\ndec ecx\njnz l\nhlt\n`;
    const run = (blocks: boolean, esp: number) => {
      const p = new BarePlatform(4 << 20);
      for (let a = 0x200000; a < 0x204000; a++) p.bus.bytes[a] = (a * 7) & 0xff;
      p.bus.load(CODE, nasm(src));
      const cpu = new Cpu(p);
      cpu.blocksEnabled = blocks;
      enterFlatProtectedMode(cpu, CODE, esp);
      cpu.segBase[4] = 0x1000; // FS with a base
      cpu.segmentsChanged();
      const r = cpu.run(1e6);
      return { stop: r.stop, retired: r.retired, state: cpu.snapshot(), mem: p.bus.bytes.slice(0x70000, 0x206000), blocks: cpu.blocksCompiled };
    };
    // an aligned stack, and two misaligned ones whose first pushes cross a page boundary
    for (const esp of [0x80000, 0x80002, 0x80001]) {
      const a = run(false, esp);
      const b = run(true, esp);
      assert.strictEqual(b.stop, 'hlt');
      assert.ok(b.blocks > 0);
      assert.strictEqual(b.retired, a.retired);
      assert.deepStrictEqual(b.state, a.state);
      assert.ok(Buffer.from(a.mem).equals(Buffer.from(b.mem)), 'memory differs');
    }
  });

  it('a fault inside a compiled block reports the faulting instruction and the retired count', () => {
    const p = new BarePlatform(4 << 20);
    p.intercept = () => true;
    const cpu = new Cpu(p);
    // The 200th pass divides by zero, inside the (by then compiled) loop block.
    p.bus.load(CODE, nasm(`bits 32\norg ${CODE}\nmov ecx, 200\nmov ebx, 200\nl: mov eax, 1000\nxor edx, edx\ndec ebx\ndiv ebx\ndec ecx\njnz l\nhlt\n`));
    enterFlatProtectedMode(cpu, CODE, 0x80000);
    const r = cpu.run(1e6);
    assert.strictEqual(r.stop, 'intercept');
    assert.strictEqual(r.event?.vector, 0);
    assert.strictEqual(cpu.eip, CODE + 5 + 5 + 5 + 2 + 1);
    assert.strictEqual(cpu.r[3], 0);
    assert.strictEqual(r.retired, 2 + 199 * 6 + 3);
  });
});

describe('cpu compiled blocks and breakpoints', () => {
  it('a breakpoint inside a hot loop stops every pass; one in another page leaves blocks on', () => {
    const p = new BarePlatform(4 << 20);
    const cpu = new Cpu(p);
    p.bus.load(CODE, nasm(`bits 32\norg ${CODE}\nmov ecx, 500\nl: add eax, ecx\ndec ecx\njnz l\nhlt\n`));
    enterFlatProtectedMode(cpu, CODE, 0x80000);
    cpu.breakpoints.add(CODE + 0x3000); // another page: blocks still allowed
    cpu.run(300);
    assert.ok(cpu.blocksCompiled > 0);
    cpu.breakpoints.add(CODE + 7); // `dec ecx`, inside the compiled loop
    let stops = 0;
    let decsLeft = -1;
    for (;;) {
      const r = cpu.run(1e6);
      if (r.stop === 'hlt') break;
      assert.strictEqual(r.stop, 'breakpoint');
      assert.strictEqual(cpu.eip, CODE + 7);
      if (decsLeft < 0) decsLeft = cpu.r[1]; // each remaining pass executes `dec ecx` once
      stops++;
    }
    assert.ok(decsLeft > 300, 'the loop was still running when the breakpoint was armed');
    assert.strictEqual(stops, decsLeft, 'one stop per remaining pass');
    assert.strictEqual(cpu.r[0], (500 * 501) / 2);
  });
});
