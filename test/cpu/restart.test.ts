// A bus abandoning an instruction with restartInstruction() (platform.ts): nothing retired,
// EIP and registers as before the instruction, run() stopping 'stop-requested', inside compiled
// blocks as well as interpreted; the instruction then runs again in full, and a breakpoint on
// it stops the debugger once, not once per attempt.
import * as assert from 'assert';
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode, FlatRam } from '../../src/cpu/bare';
import type { AccessSize } from '../../src/cpu/platform';
import { restartInstruction } from '../../src/cpu/fault';
import { assemble } from '../../src/asm';

const ORG = 0x100000;
const MMIO = 0xf0000000;

/** Every MMIO read is abandoned once, then answered with its address's low byte + attempt. */
class RestartingBus extends FlatRam {
  attempts = 0;
  ready = false;
  mmioRead(addr: number, size: AccessSize): number {
    this.attempts++;
    if (!this.ready) {
      this.ready = true;
      return restartInstruction();
    }
    this.ready = false;
    const v = 0x1000 + (addr & 0xff);
    return size === 1 ? v & 0xff : v;
  }
}

class RestartPlatform extends BarePlatform {
  override readonly bus = new RestartingBus(16 << 20);
}

function boot(body: string): { cpu: Cpu; bus: RestartingBus; sym: (n: string) => number } {
  const out = assemble(`bits 32\norg ${ORG}\n${body}\n`, { file: 'guest.asm' });
  assert.deepStrictEqual(out.errors, []);
  const p = new RestartPlatform();
  p.bus.load(ORG, out.image);
  const cpu = new Cpu(p);
  enterFlatProtectedMode(cpu, ORG, 0x90000, 0);
  return { cpu, bus: p.bus, sym: (n) => out.symbols.find((s) => s.name === n)!.address };
}

describe('cpu: instructions restarted by the bus', () => {
  it('abandons the instruction with nothing retired and runs it again in full', () => {
    const { cpu, bus, sym } = boot(`mov ebx, 5\nmov eax, 7\nat: add eax, [${MMIO} + 4]\nmov ecx, eax\nhlt`);
    let r = cpu.run(100);
    assert.deepStrictEqual(r, { retired: 2, stop: 'stop-requested' });
    assert.strictEqual(cpu.eip, sym('at'));
    assert.strictEqual(cpu.r[0], 7, 'eax untouched');
    r = cpu.run(100);
    assert.deepStrictEqual(r, { retired: 3, stop: 'hlt' }, 'add, mov, hlt');
    assert.strictEqual(cpu.r[1], 7 + 0x1004);
    assert.strictEqual(bus.attempts, 2);
  });

  it('restarts inside a compiled block, counting the instructions before it', () => {
    // a hot loop (compiled after 32 passes) whose MMIO read restarts on every first attempt
    const { cpu, bus } = boot(`mov ecx, 100\nxor esi, esi\nxor edx, edx\nloop_top: inc edx\nadd esi, [${MMIO}]\ndec ecx\njnz loop_top\nhlt`);
    let retired = 0;
    let runs = 0;
    for (;;) {
      const r = cpu.run(1e6);
      retired += r.retired;
      runs++;
      if (r.stop === 'hlt') break;
      assert.strictEqual(r.stop, 'stop-requested');
    }
    assert.strictEqual(cpu.r[6], 100 * 0x1000, 'every read counted once');
    assert.strictEqual(cpu.r[2], 100, 'the instruction before the read ran once per pass');
    assert.strictEqual(retired, 3 + 100 * 4 + 1, 'nothing retired twice (hlt included)');
    assert.strictEqual(runs, 101);
    assert.strictEqual(bus.attempts, 200);
    assert.ok(cpu.blocksCompiled > 0, 'the loop ran as a block');
  });

  it('stops once at a breakpoint on a restarted instruction', () => {
    const { cpu, sym } = boot(`nop\nat: mov eax, [${MMIO}]\nhlt`);
    const at = sym('at');
    cpu.breakpoints.add(at);
    assert.deepStrictEqual(cpu.run(100), { retired: 1, stop: 'breakpoint' });
    assert.deepStrictEqual(cpu.run(100), { retired: 0, stop: 'stop-requested' });
    assert.deepStrictEqual(cpu.run(100), { retired: 2, stop: 'hlt' }, 'the second attempt passes its breakpoint (mov, hlt)');
    assert.strictEqual(cpu.r[0], 0x1000);
  });
});
