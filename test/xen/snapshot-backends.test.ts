// Restore-and-continue with dom0's block and network back ends: stopped at seeded trace records
// of examples/block and examples/network, a snapshot restored and run on repeats the trace and
// the consoles of the run from the stop; restoring puts the image file back to the disk as it
// was at the snapshot, and the continued run leaves exactly the file the original run left.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { toJsonLine } from '../../src/trace/jsonl';
import { prng } from '../asm/prng';

const root = path.resolve(__dirname, '..', '..');
const RUN = { maxInstructions: 5e6, untilTimeNs: 5e9 };

interface Example {
  dir: string;
  names: string[];
  /** a scratch copy of the example (the block example's disk is written) */
  setup?: (dir: string) => void;
}

const EXAMPLES: Example[] = [
  { dir: 'block', names: ['block'], setup: (d) => fs.writeFileSync(path.join(d, 'disk.img'), Buffer.alloc(1 << 20)) },
  { dir: 'network', names: ['ping', 'pong'] },
];

function system(cfgDir: string, names: string[], dom0: boolean): { sys: XenSystem; lines: string[] } {
  const cfgs = names.map((n) => loadDomainConfigFile(path.join(cfgDir, `${n}.cfg`)).config!);
  const sys = new XenSystem(cfgs, { dom0, pcpus: 2, memoryMiB: 512, nsPerInstruction: 1 });
  const lines: string[] = [];
  sys.trace.subscribe((r) => lines.push(toJsonLine(r)));
  return { sys, lines };
}

const consoles = (sys: XenSystem, n: number): string[][] => Array.from({ length: n }, (_, i) => [...sys.domain(i + 1).consoleLines]);

describe('xen: snapshot and restore with dom0 back ends (block, network)', function () {
  this.timeout(120000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-snapbe-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  function scratch(ex: Example, tag: string): string {
    const d = path.join(tmp, tag);
    fs.mkdirSync(d);
    for (const f of fs.readdirSync(path.join(root, 'examples', ex.dir))) if (/\.(asm|cfg)$/.test(f)) fs.copyFileSync(path.join(root, 'examples', ex.dir, f), path.join(d, f));
    ex.setup?.(d);
    return d;
  }
  const disk = (d: string): Buffer | undefined => (fs.existsSync(path.join(d, 'disk.img')) ? fs.readFileSync(path.join(d, 'disk.img')) : undefined);

  for (const ex of EXAMPLES) {
    for (const dom0 of [true, false]) {
      it(`${ex.dir} (${dom0 ? 'with' : 'no'} dom0): restore at 4 seeded records repeats the run, and the disk with it`, () => {
        // the reference: a whole run, its records and the file it leaves
        const refDir = scratch(ex, 'ref');
        const ref = system(refDir, ex.names, dom0);
        assert.strictEqual(ref.sys.run(RUN).reason, 'finished');
        const interesting = (l: string) => /"kind":"(hypercall-entry|event-send|event-deliver|schedule|domain|console)"/.test(l) && !/"(reason|subop)":"(SCHEDOP_)?yield"/.test(l);
        const points = ref.lines.flatMap((l, i) => (i > 0 && i < ref.lines.length - 1 && interesting(l) ? [i] : []));
        const refDisk = disk(refDir);
        if (refDisk) assert.ok(refDisk.some((b) => b !== 0), 'the reference run wrote its disk');
        const rnd = prng(ex.dir.length * 7919 + (dom0 ? 1 : 0));
        for (let t = 0; t < 4; t++) {
          // one seeded point in each quarter of the run's hypercalls, events and schedules (the
          // polling front ends' yields left out: they would crowd every point into the waits)
          const stopAt = 1 + points[Math.floor(((t + rnd() / 2 ** 32) / 4) * points.length)];
          const d = scratch(ex, `t${t}`);
          const { sys, lines } = system(d, ex.names, dom0);
          let n = 0;
          assert.strictEqual(sys.run({ ...RUN, stopOn: () => ++n === stopAt }).reason, 'trace', `trial ${t}: the run reaches record ${stopAt}`);
          const snap = sys.snapshot();
          const atSnap = disk(d);
          const mark = lines.length;
          assert.strictEqual(sys.run(RUN).reason, 'finished', `trial ${t}: the run from record ${stopAt}`);
          const first = lines.slice(mark);
          const firstOut = consoles(sys, ex.names.length);
          assert.deepStrictEqual(disk(d), refDisk, `trial ${t}: the run left the reference's disk`);
          sys.restore(snap);
          assert.deepStrictEqual(disk(d), atSnap, `trial ${t}: restoring put the disk back as it was at record ${stopAt}`);
          const mark2 = lines.length;
          assert.strictEqual(sys.run(RUN).reason, 'finished', `trial ${t}: the run from the restored snapshot`);
          assert.deepStrictEqual(lines.slice(mark2), first, `trial ${t}: the trace from record ${stopAt} repeats`);
          assert.deepStrictEqual(consoles(sys, ex.names.length), firstOut);
          assert.deepStrictEqual(disk(d), refDisk, `trial ${t}: after restore and continue the disk is what the original run left`);
        }
      });
    }
  }

  it('block: restoring back to a snapshot and then to an earlier one keeps the file exact', () => {
    const ex = EXAMPLES[0];
    const d = scratch(ex, 'multi');
    const { sys, lines } = system(d, ex.names, true);
    // snapshots before the disk is attached and while it is written
    const early = sys.snapshot();
    const atEarly = disk(d)!;
    let n = 0;
    // the front end's first kick of its blkif ring (the write, not served yet)
    const firstKick = (r: { kind: string; domid: number; channel?: string }) => r.kind === 'event-send' && r.domid === 1 && r.channel === 'interdomain' && ++n === 1;
    assert.strictEqual(sys.run({ ...RUN, stopOn: firstKick }).reason, 'trace');
    const mid = sys.snapshot();
    const atMid = disk(d)!;
    assert.strictEqual(sys.run(RUN).reason, 'finished');
    const whole = [...lines];
    const end = disk(d)!;
    assert.notDeepStrictEqual(atMid, end, 'the disk was written after the middle snapshot');
    sys.restore(mid);
    assert.deepStrictEqual(disk(d), atMid, 'back to the disk in the middle');
    sys.restore(early);
    assert.deepStrictEqual(disk(d), atEarly, 'back to the empty disk');
    const mark = lines.length;
    assert.strictEqual(sys.run(RUN).reason, 'finished');
    assert.deepStrictEqual(lines.slice(mark), whole);
    assert.deepStrictEqual(disk(d), end);
  });
});
