// dom0 boots its shipped kernel; the toolstack creates domains through domctl hypercalls
// issued as dom0's vCPU (visible in the trace, stoppable) and applies on_poweroff.
import * as assert from 'assert';
import * as path from 'path';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import type { TraceRecord } from '../../src/trace/records';

const root = path.resolve(__dirname, '..', '..');
const hello = loadDomainConfigFile(path.join(root, 'examples/hello/hello.cfg')).config!;

describe('xen: dom0 and its toolstack', () => {
  it('creates the domU with domctls attributed to d0v0, then destroys it on poweroff', () => {
    const sys = new XenSystem([hello]);
    const recs: TraceRecord[] = [];
    sys.trace.subscribe((r) => recs.push(r));
    assert.strictEqual(sys.run({ maxInstructions: 1e7 }).reason, 'finished');
    const ctl = recs.filter((r) => r.kind === 'hypercall-entry' && r.name === 'domctl');
    assert.deepStrictEqual(
      ctl.map((r) => (r.kind === 'hypercall-entry' ? r.subop : '')),
      ['XEN_DOMCTL_createdomain', 'XEN_DOMCTL_max_mem', 'XEN_DOMCTL_scheduler_op', 'XEN_DOMCTL_unpausedomain', 'XEN_DOMCTL_destroydomain'],
    );
    assert.ok(ctl.every((r) => r.domid === 0 && r.vcpu === 0));
    const d0 = sys.domains().find((d) => d.id === 0)!;
    assert.strictEqual(d0.name, 'Domain-0');
    assert.ok(d0.privileged);
    assert.deepStrictEqual(sys.domain(0).consoleLines, ['dom0: ready, serving the toolstack']);
    assert.strictEqual(sys.domain(1).state, 'destroyed');
    assert.strictEqual(sys.domain(1).shutdownReason, 'poweroff');
  });

  it("a run can stop at the toolstack's createdomain before Xen creates the domain", () => {
    const sys = new XenSystem([hello]);
    const s = sys.run({ maxInstructions: 1e7, stopOn: (r) => r.kind === 'hypercall-entry' && r.subop === 'XEN_DOMCTL_createdomain' });
    assert.strictEqual(s.reason, 'trace');
    assert.strictEqual(s.domid, 0);
    assert.deepStrictEqual(sys.domains().map((d) => d.id), [0]);
    sys.step(0, 0);
    assert.deepStrictEqual(sys.domains().map((d) => d.id), [0, 1]);
  });
});
