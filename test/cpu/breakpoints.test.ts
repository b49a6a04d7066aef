/**
 * The debugger's instruction breakpoints (Cpu.breakpoints) with compiled blocks: blocks are cut
 * before breakpoints instead of being switched off, so every stop must be exactly where and when
 * the interpreter (blocksEnabled = false) stops, with the same state, whatever the breakpoints,
 * budgets and changes of breakpoints between runs, across self-modifying code and an
 * instruction that straddles a page.
 */
import * as assert from 'assert';
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../../src/cpu/bare';
import { BreakpointSet } from '../../src/cpu/breakpoints';
import { nasm } from './nasm';
import { Rng } from './diff-gen';

const CODE = 0x100000;

/**
 * Nested loops; each outer pass flips the inner loop's `add eax, ecx` into `sub eax, ecx` and back
 * (self-modifying code) and calls a piece whose first instruction straddles the first page's end.
 */
const PROGRAM = nasm(`bits 32
org ${CODE}
    mov esi, 6
outer:
    mov ecx, 40
inner:
    add eax, ecx
    xor edx, eax
    rol eax, 3
    dec ecx
    jnz inner
    lea ebx, [ebx+eax*2]
    xor byte [inner], 0x28
    jmp straddle
back:
    sub edi, ebx
    dec esi
    jnz outer
    hlt
    times 0xffd - ($ - $$) db 0xcc
straddle:
    mov edx, 0x12345678
    add edi, edx
    jmp back
`);
const STRADDLE = CODE + 0xffd;

/** `n` → a seeded random integer below n: the same sequence on every run. */
function prng(seed: number): (n: number) => number {
  const rng = new Rng(seed);
  return (n) => rng.int(n);
}

function machine(blocks: boolean): Cpu {
  const p = new BarePlatform(4 << 20);
  const cpu = new Cpu(p);
  p.bus.load(CODE, PROGRAM);
  enterFlatProtectedMode(cpu, CODE, 0x80000);
  cpu.blocksEnabled = blocks;
  return cpu;
}

/** Every instruction start the program executes (by single steps on the interpreter). */
function executedAddresses(): number[] {
  const cpu = machine(false);
  const seen = new Set<number>();
  for (let i = 0; i < 100_000; i++) {
    seen.add(cpu.eip >>> 0);
    if (cpu.run(1).stop === 'hlt') break;
  }
  return [...seen].sort((a, b) => a - b);
}

type Event = string;

/** Runs to hlt with budgets and breakpoint changes drawn from `seed`; one line per run() call. */
function trace(blocks: boolean, seed: number, addrs: number[]): { events: Event[]; cpu: Cpu } {
  const rnd = prng(seed);
  const cpu = machine(blocks);
  const events: Event[] = [];
  const pick = (): number[] => Array.from({ length: 1 + rnd(4) }, () => addrs[rnd(addrs.length)]);
  // warm up with no breakpoint so blocks are hot and compiled before the first one is armed
  const warm = cpu.run(300 + rnd(400));
  events.push(`${warm.stop} ${warm.retired} ${(cpu.eip >>> 0).toString(16)}`);
  cpu.breakpoints.assign([...new Set(pick())]);
  for (let i = 0; i < 10_000; i++) {
    if (rnd(8) === 0) cpu.breakpoints.assign([...new Set(pick())]);
    if (rnd(16) === 0) cpu.breakpoints.clear();
    const r = cpu.run(1 + rnd(rnd(2) ? 50 : 5000));
    events.push(`${r.stop} ${r.retired} ${(cpu.eip >>> 0).toString(16)} ${cpu.r[0]} ${cpu.r[7]}`);
    if (r.stop === 'hlt') break;
  }
  return { events, cpu };
}

describe('cpu breakpoints with compiled blocks', () => {
  const addrs = executedAddresses();

  it('the program covers what the cases need (a straddling instruction, a patched one)', () => {
    assert.ok(addrs.includes(STRADDLE), 'the straddling mov is executed');
    assert.ok(addrs.includes(STRADDLE + 5), 'and the instruction after it, on the next page');
    assert.ok(addrs.length > 15);
  });

  it('stops exactly where the interpreter stops, for random breakpoints, budgets and changes (seeded)', () => {
    let stops = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const jit = trace(true, seed, addrs);
      const interp = trace(false, seed, addrs);
      assert.deepStrictEqual(jit.events, interp.events, `seed ${seed}`);
      assert.ok(jit.cpu.blocksCompiled > 0, `seed ${seed}: blocks were compiled`);
      stops += jit.events.filter((e) => e.startsWith('breakpoint')).length;
    }
    assert.ok(stops > 100, `the breakpoints were hit (${stops} stops)`);
  });

  it('a breakpoint on the first instruction of a hot looping block stops every pass, also after resuming', () => {
    const cpu = machine(true);
    cpu.run(400); // inner is hot and compiled by now
    assert.ok(cpu.blocksCompiled > 0);
    const inner = CODE + 10; // mov esi, 6 (5) + mov ecx, 40 (5)
    cpu.breakpoints.add(inner);
    const ref = machine(false);
    ref.run(400);
    ref.breakpoints.add(inner);
    let stops = 0;
    for (;;) {
      const a = cpu.run(1e6);
      const b = ref.run(1e6);
      assert.deepStrictEqual([a.stop, a.retired, cpu.eip, cpu.r[0]], [b.stop, b.retired, ref.eip, ref.r[0]]);
      if (a.stop === 'hlt') break;
      assert.strictEqual(cpu.eip, inner);
      stops++;
    }
    assert.ok(stops > 100, `one stop per pass (${stops})`);
  });

  it('a breakpoint on an instruction that straddles a page stops before it on every pass', () => {
    const cpu = machine(true);
    cpu.breakpoints.add(STRADDLE);
    let stops = 0;
    for (;;) {
      const r = cpu.run(1e6);
      if (r.stop === 'hlt') break;
      assert.strictEqual(r.stop, 'breakpoint');
      assert.strictEqual(cpu.eip >>> 0, STRADDLE);
      stops++;
    }
    assert.strictEqual(stops, 6, 'once per outer pass');
  });

  it('a breakpoint elsewhere on a hot loop\'s page leaves the loop compiled', () => {
    const cpu = machine(true);
    cpu.breakpoints.add(CODE + 0xf00); // on the page, never executed
    const r = cpu.run(1e6);
    assert.strictEqual(r.stop, 'hlt');
    assert.ok(cpu.blocksCompiled > 0, 'blocks compiled on a page that holds a breakpoint');
  });

  it('run(n, false) does not stop at breakpoints and leaves them armed', () => {
    const cpu = machine(true);
    cpu.breakpoints.add(CODE);
    assert.strictEqual(cpu.run(1, false).stop, 'budget');
    assert.strictEqual(cpu.eip >>> 0, CODE + 5);
    assert.ok(cpu.breakpoints.has(CODE));
  });
});

describe('cpu BreakpointSet', () => {
  it('answers has() and page() by linear address, and moves gen only on a change', () => {
    const s = new BreakpointSet();
    const g0 = s.gen;
    s.assign([0x1000, 0xfffff000 + 0xfff, 0x1003]);
    assert.strictEqual(s.size, 3);
    assert.ok(s.has(0x1003) && s.has(0xffffffff) && s.has(-1) && !s.has(0x1001));
    assert.ok(s.page(1) && s.page(0xfffff) && !s.page(2));
    const g1 = s.gen;
    assert.ok(g1 > g0);
    s.assign([0x1003, 0x1000, 0xffffffff]);
    assert.strictEqual(s.gen, g1, 'the same addresses: no change');
    s.delete(0x1000);
    s.delete(0x1003);
    assert.ok(!s.page(1), 'a page without breakpoints is dropped');
    assert.ok(s.gen > g1);
    assert.deepStrictEqual([...s], [0xffffffff]);
    s.clear();
    assert.strictEqual(s.size, 0);
    // the same array again is taken as unchanged, unless the set was changed in between
    const list = [0x2000, 0x2004];
    s.assign(list);
    const g2 = s.gen;
    s.assign(list);
    assert.strictEqual(s.gen, g2);
    s.add(0x3000);
    s.assign(list);
    assert.deepStrictEqual([...s].sort(), [0x2000, 0x2004]);
  });
});
