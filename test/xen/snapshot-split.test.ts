// Restore-and-continue reproduces the trace and the console output once guests use the split
// drivers: grant tables (examples/shared-page) and xenstored plus event channels (examples/pingpong).
import * as assert from 'assert';
import * as path from 'path';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { toJsonLine } from '../../src/trace/jsonl';
import type { TraceRecord } from '../../src/trace/records';

const root = path.resolve(__dirname, '..', '..');
/** A stop at the nth entry into hypercall `name` (a fresh counter per run). */
const nth = (name: string, nr: number): [string, () => (r: TraceRecord) => boolean] => [
  `${name} #${nr}`,
  () => {
    let n = 0;
    return (r) => r.kind === 'hypercall-entry' && r.name === name && ++n === nr;
  },
];
const examples: [string, string[], [string, () => (r: TraceRecord) => boolean][]][] = [
  ['shared-page', ['granter', 'mapper'], [nth('grant_table_op', 1), nth('grant_table_op', 2), nth('event_channel_op', 3)]],
  // the store ring is kicked through event_channel_op sends: early ones are xenstore requests
  ['pingpong', ['ping', 'pong'], [nth('event_channel_op', 1), nth('event_channel_op', 2), nth('event_channel_op', 5)]],
];

function system(dir: string, names: string[], dom0: boolean): { sys: XenSystem; lines: string[] } {
  const cfgs = names.map((n) => loadDomainConfigFile(path.join(root, 'examples', dir, `${n}.cfg`)).config!);
  const sys = new XenSystem(cfgs, { dom0, pcpus: 2, memoryMiB: 512, nsPerInstruction: 1 });
  const lines: string[] = [];
  sys.trace.subscribe((r) => lines.push(toJsonLine(r)));
  return { sys, lines };
}

function consoles(sys: XenSystem, n: number): string[][] {
  return Array.from({ length: n }, (_, i) => [...sys.domain(i + 1).consoleLines]);
}


describe('xen: snapshot and restore with split drivers', () => {
  for (const [dir, names, stops] of examples) {
    for (const dom0 of [true, false]) {
      for (const [what, pick] of stops) {
        it(`${dir} (${dom0 ? 'with' : 'no'} dom0): stopped at ${what}, restore and continue repeats the run`, () => {
          const { sys, lines } = system(dir, names, dom0);
          const stop = sys.run({ maxInstructions: 3e6, stopOn: pick(), untilTimeNs: 5e9 });
          assert.strictEqual(stop.reason, 'trace', 'the run reaches the stop');
          const snap = sys.snapshot();
          const before = consoles(sys, names.length);
          const mark = lines.length;
          assert.strictEqual(sys.run({ maxInstructions: 3e6, untilTimeNs: 5e9 }).reason, 'finished', 'the run from the stop');
          const first = lines.slice(mark);
          const firstOut = consoles(sys, names.length);
          assert.ok(firstOut.some((c, i) => c.length > before[i].length), 'the rest of the run printed something');
          sys.restore(snap);
          const mark2 = lines.length;
          assert.strictEqual(sys.run({ maxInstructions: 3e6, untilTimeNs: 5e9 }).reason, 'finished', 'the run from the restored snapshot');
          assert.deepStrictEqual(lines.slice(mark2), first);
          assert.deepStrictEqual(consoles(sys, names.length), firstOut);
        });
      }
    }
  }
});
