/**
 * Decoder fuzz: random byte strings executed from random register state never throw out of
 * the CPU — every outcome is architectural (an event the platform intercepts, hlt, a triple
 * fault or the budget). FUZZ_COUNT=1000000 runs the full count; the default is a sample.
 */
import * as assert from 'assert';
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode, installFlatGdt } from '../../src/cpu/bare';
import { Rng } from './diff-gen';

const COUNT = Number(process.env.FUZZ_COUNT ?? 20000);
const CODE = 0x100000;

describe('cpu decoder fuzz', function () {
  this.timeout(600000);
  it(`${COUNT} random byte strings from random state stay architectural`, () => {
    const p = new BarePlatform(4 << 20);
    const stops = new Map<string, number>();
    p.intercept = (ev) => {
      stops.set(`#${ev.vector}`, (stops.get(`#${ev.vector}`) ?? 0) + 1);
      return true;
    };
    const cpu = new Cpu(p);
    installFlatGdt(cpu, p.bus, 0x1000);
    const rng = new Rng(12345);
    const bytes = new Uint8Array(32);
    for (let i = 0; i < COUNT; i++) {
      for (let k = 0; k < bytes.length; k++) bytes[k] = rng.int(256);
      // Bias towards prefixes and the 0F map so deep decoder paths are reached.
      if (rng.chance(0.3)) bytes[0] = rng.pick([0x0f, 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x26, 0x64]);
      if (rng.chance(0.2)) bytes[1] = 0x0f;
      p.bus.load(CODE, bytes);
      const cpl = rng.chance(0.5) ? 0 : 3;
      cpu.reset();
      installFlatGdt(cpu, p.bus, 0x1000);
      enterFlatProtectedMode(cpu, CODE, 0x200000, cpl);
      for (let r = 0; r < 8; r++) if (r !== 4) cpu.r[r] = rng.chance(0.5) ? rng.u32() : rng.int(0x300000);
      cpu.setEflags((rng.u32() & 0xcd5) | 0x2);
      let r;
      try {
        r = cpu.run(8);
      } catch (e) {
        assert.fail(`case ${i}: bytes ${Buffer.from(bytes).toString('hex')} cpl ${cpl}: ${(e as Error).stack}`);
      }
      stops.set(r.stop, (stops.get(r.stop) ?? 0) + 1);
    }
    if (process.env.FUZZ_VERBOSE) console.log(stops);
    // Sanity: the fuzz reaches both plain execution and many different exceptions.
    assert.ok((stops.get('budget') ?? 0) > 0);
    assert.ok((stops.get('#6') ?? 0) > 0 && (stops.get('#13') ?? 0) > 0);
  });
});
