// Restore-and-continue reproduces the trace and the console output of the HVM examples: the
// P2M, the VMCS-like state beside each CPU, pending injections, Xen's LAPIC/IO-APIC/HPET, the
// device model (UART, PIC, PIT, RTC) and the ioreq server with requests in flight all come back.
import * as assert from 'assert';
import * as path from 'path';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { toJsonLine } from '../../src/trace/jsonl';
import type { TraceRecord } from '../../src/trace/records';
import { TimeTravel, TravelPosition } from '../../src/xen/timetravel/engine';
import { hvmState } from '../../src/xen/hvm';
import { HVM_PARAM } from '../../src/xen/abi';

const root = path.resolve(__dirname, '..', '..');
const RUN = { maxInstructions: 5e6, untilTimeNs: 5e9 };

/** mulberry32: a small seeded PRNG, so the stop points are the same on every run */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The records a stop can land on: exits, ioreq steps (the round trip's every state) and entries. */
const STOPPABLE = new Set<TraceRecord['kind']>(['vm-exit', 'ioreq', 'vm-entry']);

function system(name: string, dom0: boolean): { sys: XenSystem; lines: string[] } {
  const cfg = loadDomainConfigFile(path.join(root, 'examples', name, `${name}.cfg`)).config!;
  const sys = new XenSystem([cfg], { dom0, pcpus: 2, memoryMiB: 256, nsPerInstruction: 1 });
  const lines: string[] = [];
  sys.trace.subscribe((r) => lines.push(toJsonLine(r)));
  return { sys, lines };
}

describe('xen: snapshot and restore of HVM domains', function () {
  this.timeout(60_000);
  for (const name of ['hvm-hello', 'hvm-timer', 'hvm-hypercall']) {
    for (const dom0 of [true, false]) {
      // how many stoppable records a whole run has, to draw stop points among them
      const { sys: whole, lines: all } = system(name, dom0);
      assert.strictEqual(whole.run(RUN).reason, 'finished');
      const total = all.filter((l) => STOPPABLE.has((JSON.parse(l) as TraceRecord).kind)).length;
      const rnd = prng(0x5eed + name.length * 7 + (dom0 ? 1 : 0));
      const points = [1, ...Array.from({ length: 2 }, () => 1 + Math.floor(rnd() * (total - 1)))];
      for (const n of points) {
        it(`${name} (${dom0 ? 'with' : 'no'} dom0): restored at exit/ioreq/entry record ${n} of ${total}, the continued run equals the original`, () => {
          const { sys, lines } = system(name, dom0);
          let seen = 0;
          const stop = sys.run({ ...RUN, stopOn: (r) => STOPPABLE.has(r.kind) && ++seen === n });
          assert.strictEqual(stop.reason, 'trace', 'the run reaches the stop');
          const snap = sys.snapshot();
          const before = [...sys.domain(1).consoleLines];
          const mark = lines.length;
          assert.strictEqual(sys.run(RUN).reason, 'finished', 'the run from the stop');
          const first = lines.slice(mark);
          const out = [...sys.domain(1).consoleLines];
          assert.ok(out.length > before.length || n > total - 20, 'the rest of the run printed something');
          sys.restore(snap);
          assert.deepStrictEqual(sys.domain(1).consoleLines, before, 'the console is back to the stop');
          const mark2 = lines.length;
          assert.strictEqual(sys.run(RUN).reason, 'finished', 'the run from the restored snapshot');
          assert.deepStrictEqual(lines.slice(mark2), first);
          assert.deepStrictEqual(sys.domain(1).consoleLines, out);
        });
      }
    }
  }

  it('reverse execution walks back through the ioreq steps of hvm-timer, each showing the machine as the forward run saw it', () => {
    const { sys } = system('hvm-timer', true);
    const tt = new TimeTravel(sys, { interval: 30_000 });
    const isStop = (r: TraceRecord) => r.kind === 'ioreq' && r.targetDomid === 1 && r.phase !== 'send';
    /** what a debugger shows of the HVM vCPU: registers, runstate and activity, its ioreq slot, the device model's PIT */
    const view = () => {
      const d = sys.domain(1);
      const gfn = Number(hvmState(d).params.get(HVM_PARAM.IOREQ_PFN));
      return JSON.stringify({ cpu: tt.cpuState(1, 0), vcpu: tt.vcpus(1), dom0: tt.vcpus(0), slot: tt.readMemory(1, 'gpa', gfn * 4096, 32), pit: hvmState(d).dm!.save().pit, now: tt.now() });
    };
    const forward: { at: TravelPosition; record: TraceRecord; view: string }[] = [];
    for (;;) {
      const stop = tt.run({ ...RUN, stopOn: isStop });
      if (stop.reason !== 'trace') break;
      forward.push({ at: tt.position(), record: stop.record!, view: view() });
    }
    assert.ok(forward.length > 40, `${forward.length} forward hits`);
    // walk back over the last six (each a restore and a replay)
    for (let i = forward.length - 1; i >= forward.length - 6; i--) {
      const hit = tt.previousStop({ stopOn: isStop });
      assert.ok(hit, `hit ${i}`);
      assert.deepStrictEqual(hit.position, forward[i].at);
      assert.deepStrictEqual(hit.stop.record, forward[i].record);
      assert.strictEqual(view(), forward[i].view, `the machine at hit ${i}`);
    }
  });
});
