// The grant table as the debugger's Xen scope and the Domains view show it: what a domain
// grants (read from its table) and what it has mapped (its maptrack), at the moment d2's
// map_grant_ref in examples/shared-page has returned.
import * as assert from 'assert';
import * as path from 'path';
import { XenSystem } from '../../src/xen/system';
import { loadDomainConfigFile } from '../../src/xen/config';
import type { XenStateNode } from '../../src/xen/inspect';

const root = path.resolve(__dirname, '..', '..');
const find = (nodes: XenStateNode[], name: string) => nodes.find((n) => n.name === name);

describe('xen: grant table state for inspection', () => {
  it('shows the granter\'s entry and the mapper\'s handle while the page is mapped', () => {
    const dir = path.join(root, 'examples', 'shared-page');
    const cfgs = ['granter', 'mapper'].map((n) => loadDomainConfigFile(path.join(dir, `${n}.cfg`)).config!);
    const sys = new XenSystem(cfgs, { dom0: false });
    const before = sys.xenState(1, 0);
    assert.strictEqual(find(before, 'grant table'), undefined, 'no grant table before any grant operation');
    const stop = sys.run({
      maxInstructions: 5_000_000,
      stopOn: (r) => r.kind === 'hypercall-exit' && r.domid === 2 && r.name === 'grant_table_op' && r.subop === 'GNTTABOP_map_grant_ref',
    });
    assert.strictEqual(stop.reason, 'trace');
    const g1 = find(sys.xenState(1, 0), 'grant table');
    assert.ok(g1, 'the granter has a table');
    const granted = find(g1.children!, 'granted')!.children!;
    assert.ok(granted.length >= 1, JSON.stringify(g1));
    assert.match(granted[0].value, /^to d2 frame 0x[0-9a-f]+ .*GTF_permit_access/);
    assert.match(granted[0].value, /GTF_reading|GTF_writing/, 'Xen marks the entry in use while it is mapped');
    const g2 = find(sys.xenState(2, 0), 'grant table')!;
    const mapped = find(g2.children!, 'mapped')!.children!;
    assert.strictEqual(mapped.length, 1);
    assert.match(mapped[0].value, /^d1 ref \d+ mfn 0x[0-9a-f]+ at 0x[0-9a-f]+$/);
  });
});
