// The debug console's `info p2m` through the adapter process: every domain's gfn → mfn runs,
// checked against the page walk of `info pt` (whose gpa comes from Xen's M2P for a PV guest)
// and against reading the same bytes as guest-physical and machine memory.
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import * as path from 'path';
import { launchTo, root, useAdapter } from './helpers';
import { stopAfter } from './hits';

const timer = path.join(root, 'examples', 'timer', 'timer.cfg');
const hvmHello = path.join(root, 'examples', 'hvm-hello', 'hvm-hello.cfg');

interface Run {
  gfn: number;
  mfn: number;
  count: number;
}

/** `info p2m` output → per domain header and runs. */
function parse(text: string): Map<number, { header: string; pages: number; runs: Run[] }> {
  const out = new Map<number, { header: string; pages: number; runs: Run[] }>();
  let cur: { header: string; pages: number; runs: Run[] } | undefined;
  for (const line of text.split('\n')) {
    const h = /^d(\d+) .*: (\d+) pages in (\d+) runs?$/.exec(line);
    if (h) {
      cur = { header: line, pages: Number(h[2]), runs: [] };
      out.set(Number(h[1]), cur);
      continue;
    }
    const m = /^ {2}gfn (0x[0-9a-f]+)(?:-(0x[0-9a-f]+))? -> mfn (0x[0-9a-f]+)(?:-(0x[0-9a-f]+) \((\d+)\))?$/.exec(line);
    assert.ok(m && cur, `line '${line}'`);
    const gfn = parseInt(m[1], 16);
    const count = m[5] ? Number(m[5]) : 1;
    if (m[2]) assert.strictEqual(parseInt(m[2], 16) - gfn + 1, count, line);
    cur.runs.push({ gfn, mfn: parseInt(m[3], 16), count });
  }
  return out;
}

describe('debug/info p2m (adapter process)', function () {
  this.timeout(60000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  const repl = async (expression: string, frameId?: number) => (await dc.evaluateRequest({ expression, context: 'repl', frameId })).body.result;
  const read = async (ref: string, count: number) => Buffer.from((await dc.send('readMemory', { memoryReference: ref, count })).body?.data ?? '', 'base64').toString('hex');

  it('lists each domain’s runs (PV p2m, HVM P2M), consistent with the page walk and with memory', async () => {
    const entry = await launchTo(dc, { domains: [timer, hvmHello], stopOnEntry: true });
    // both domUs built: the second one's entry stop comes next
    if (!(await dc.threadsRequest()).body.threads.some((x) => x.name.startsWith('d2 '))) await stopAfter(dc, () => dc.continueRequest({ threadId: entry.body.threadId! }));
    const all = parse(await repl('info p2m'));
    assert.deepStrictEqual([...all.keys()].sort(), [0, 1, 2]);
    assert.match(all.get(1)!.header, /^d1 timer \(PV p2m\)/);
    assert.match(all.get(2)!.header, /^d2 hvm-hello \(HVM P2M\)/);
    for (const [d, p] of all) {
      assert.strictEqual(p.runs.reduce((n, r) => n + r.count, 0), p.pages, `d${d} pages`);
      for (let i = 1; i < p.runs.length; i++) {
        const a = p.runs[i - 1];
        const b = p.runs[i];
        assert.ok(b.gfn >= a.gfn + a.count, `d${d} runs in gfn order`);
        // collapsed: a run never continues straight on in both spaces
        assert.ok(!(b.gfn === a.gfn + a.count && b.mfn === a.mfn + a.count), `d${d} run ${i} should have been merged`);
      }
    }
    // the domain's memory size (memory = 16 in both configs) is what the map holds, give or take
    // Xen's special pages (and for HVM the legacy VGA/ROM hole at 0xa0000-0xfffff)
    for (const d of [1, 2]) assert.ok(all.get(d)!.pages >= 4096 - 96 && all.get(d)!.pages <= 4096 + 64, `d${d}: ${all.get(d)!.pages} pages`);

    const mfnOf = (d: number, gfn: number) => {
      const r = all.get(d)!.runs.find((x) => gfn >= x.gfn && gfn < x.gfn + x.count);
      return r && r.mfn + (gfn - r.gfn);
    };
    const threads = (await dc.threadsRequest()).body.threads;
    for (const d of [1, 2]) {
      const thread = threads.find((x) => x.name.startsWith(`d${d} `))!.id;
      const frame = (await dc.stackTraceRequest({ threadId: thread })).body.stackFrames[0];
      // the page walk of eip: gva -> gpa -> ma (PV: the gpa is Xen's M2P of the frame the page tables name)
      const walk = /gpa (0x[0-9a-f]+) -> ma (0x[0-9a-f]+)/.exec(await repl('info pt eip', frame.id))!;
      const gpa = parseInt(walk[1], 16);
      const ma = parseInt(walk[2], 16);
      assert.strictEqual(mfnOf(d, Math.floor(gpa / 4096)), Math.floor(ma / 4096), `d${d}: p2m of the gfn eip is in`);
      // the first and last frame of a few runs read the same through gpa and ma
      for (const r of all.get(d)!.runs.slice(0, 4)) {
        for (const gfn of [r.gfn, r.gfn + r.count - 1]) {
          const m = mfnOf(d, gfn)!;
          assert.strictEqual(await read(`d${d}:gpa:0x${(gfn * 4096).toString(16)}`, 64), await read(`ma:0x${(m * 4096).toString(16)}`, 64), `d${d} gfn 0x${gfn.toString(16)}`);
        }
      }
    }
  });

  it('takes one domain, refuses an unknown one, and completes', async () => {
    await launchTo(dc, { domains: [timer], stopOnEntry: true });
    const one = parse(await repl('info p2m d1'));
    assert.deepStrictEqual([...one.keys()], [1]);
    assert.deepStrictEqual(parse(await repl('info p2m 1')), one);
    await assert.rejects(repl('info p2m d9'), /d9 does not exist/);
    const targets = (await dc.completionsRequest({ text: 'info p', column: 7 })).body.targets.map((t) => t.label);
    assert.ok(targets.includes('info p2m') && targets.includes('info p2m d0') && targets.includes('info p2m d1') && targets.includes('info pt '), targets.join());
  });
});
