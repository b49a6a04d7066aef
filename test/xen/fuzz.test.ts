// Guests making random hypercalls with random arguments (seeded): Xen answers or crashes the
// guest, never the simulator, and other domains are unaffected.
import * as assert from 'assert';
import { boot } from './guest';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

const GUESTS = Number(process.env.XEN_FUZZ_GUESTS ?? 48);
const CALLS = 40;

function fuzzBody(rnd: () => number): string {
  const arg = (): string => {
    switch (rnd() % 6) {
      case 0: return '0';
      case 1: return 'scratch';
      case 2: return `scratch + ${rnd() % 200}`;
      case 3: return '0xF5800000';
      case 4: return String(rnd() % 64);
      default: return `0x${rnd().toString(16)}`;
    }
  };
  const lines: string[] = [];
  for (let i = 0; i < CALLS; i++) {
    // scribble on the scratch area so structures change between calls
    lines.push(`    mov dword [scratch + ${(rnd() % 60) * 4}], 0x${rnd().toString(16)}`);
    const nr = rnd() % 42;
    if (nr === 29 || nr === 23) continue; // sched_op (block/shutdown would end the fuzz early) and iret
    lines.push(`    mov ebx, ${arg()}`, `    mov ecx, ${arg()}`, `    mov edx, ${arg()}`, `    mov esi, ${arg()}`, `    mov edi, ${arg()}`, `    mov eax, ${nr}`, '    int 0x82');
  }
  return lines.join('\n');
}

describe('xen: hypercall fuzz', () => {
  it(`${GUESTS} guests x ${CALLS} random hypercalls: no simulator error, a bystander unharmed`, function () {
    this.timeout(120000);
    const rnd = prng(0x5eed);
    let calls = 0;
    for (let g = 0; g < GUESTS; g += 8) {
      const guests = Array.from({ length: Math.min(8, GUESTS - g) }, (_, i) => ({ name: `fz${g + i}`, body: fuzzBody(rnd) }));
      const b = boot([{ name: 'bystander', body: `
    mov ebx, CONSOLEIO_write
    mov ecx, 3
    mov edx, ok
    HYPERCALL console_io
    jmp over
ok: db "ok", 10
over:` }, ...guests]);
      const stop = b.sys.run({ maxInstructions: 5e6, untilTimeNs: 1e9 });
      assert.ok(['finished', 'idle', 'time-limit', 'budget'].includes(stop.reason), stop.reason);
      assert.deepStrictEqual(b.console(1), ['ok']);
      assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
      for (const d of b.sys.domains()) {
        calls += b.sys.domain(d.id).hypercalls;
        const cons = b.sys.domain(d.id).consoleLines.join('\n');
        assert.ok(!/internal error/.test(cons), `d${d.id}: ${cons}`);
      }
    }
    // the fuzz must reach Xen, not die at its first call
    assert.ok(calls > GUESTS * CALLS * 0.4, `only ${calls} hypercalls made`);
  });
});
