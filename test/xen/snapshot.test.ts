// Restore-and-continue yields exactly the trace of the uninterrupted run.
import * as assert from 'assert';
import * as path from 'path';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { toJsonLine } from '../../src/trace/jsonl';

const root = path.resolve(__dirname, '..', '..');
const cfgs = ['examples/timer/timer.cfg', 'examples/hello/hello.cfg'].map((f) => loadDomainConfigFile(path.join(root, f)).config!);

function system(): { sys: XenSystem; lines: string[] } {
  const sys = new XenSystem(cfgs, { dom0: false, pcpus: 1 });
  const lines: string[] = [];
  sys.trace.subscribe((r) => lines.push(toJsonLine(r)));
  return { sys, lines };
}

describe('xen: snapshot and restore', () => {
  for (const cut of [50, 137, 250]) {
    it(`continuing from a snapshot after ${cut} instructions reproduces the trace`, () => {
      const full = system();
      assert.strictEqual(full.sys.run({ maxInstructions: 1e7 }).reason, 'finished');

      const a = system();
      assert.strictEqual(a.sys.run({ maxInstructions: cut }).reason, 'budget');
      const before = a.lines.length;
      const snap = a.sys.snapshot();
      assert.strictEqual(a.sys.run({ maxInstructions: 1e7 }).reason, 'finished');
      const first = a.lines.slice(before);
      a.sys.restore(snap);
      const mark = a.lines.length;
      assert.strictEqual(a.sys.run({ maxInstructions: 1e7 }).reason, 'finished');
      const second = a.lines.slice(mark);
      assert.deepStrictEqual(second, first);
      assert.deepStrictEqual(first, full.lines.slice(before));
      assert.deepStrictEqual(a.sys.domain(1).consoleLines.slice(-1), ['tick 5']);
    });
  }

  it('a snapshot taken while stopped inside a hypercall resumes inside it', () => {
    const { sys, lines } = system();
    const stop = sys.run({ maxInstructions: 1e7, stopOn: (r) => r.kind === 'hypercall-entry' && r.name === 'set_timer_op' });
    assert.strictEqual(stop.reason, 'trace');
    const snap = sys.snapshot();
    const mark = lines.length;
    sys.run({ maxInstructions: 1e7 });
    const first = lines.slice(mark);
    sys.restore(snap);
    assert.ok(sys.vcpus(1)[0].activity?.hypercall?.name === 'set_timer_op');
    const mark2 = lines.length;
    sys.run({ maxInstructions: 1e7 });
    assert.deepStrictEqual(lines.slice(mark2), first);
  });
});
