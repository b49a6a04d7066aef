// xenstored's saved tree is shared between snapshots while nothing changed (every change bumps
// the tree's generation), and restoring any saved state, then saving, stays exact.
import * as assert from 'assert';
import { XenStore, XsClient } from '../../src/xen/dom0/xenstore';

/** Every path with its value and permissions, in order. */
function dump(c: XsClient, p = '/'): string[] {
  const out = [`${p}=${c.read(p)} ${c.getPerms(p).join(',')}`];
  for (const k of c.directory(p)) out.push(...dump(c, p === '/' ? `/${k}` : `${p}/${k}`));
  return out;
}

describe('xenstored snapshot of an unchanged tree', () => {
  it('shares the saved tree while nothing changes, and copies it after every kind of change', () => {
    const xs = new XenStore();
    const dom0 = new XsClient(xs, 0);
    dom0.write('/local/a', 'one');
    const s1 = xs.saveState();
    dom0.read('/local/a');
    dom0.directory('/local');
    assert.strictEqual(xs.saveState().tree, s1.tree, 'reads change nothing');
    const changes: [string, () => void][] = [
      ['write', () => dom0.write('/local/a', 'two')],
      ['mkdir', () => dom0.mkdir('/local/b')],
      ['setperms', () => dom0.setPerms('/local/b', ['b0', 'r1'])],
      ['rm', () => dom0.rm('/local/b')],
      [
        'transaction',
        () => {
          const tx = dom0.transactionStart();
          dom0.write('/local/c', 'three', tx);
          assert.ok(dom0.transactionEnd(tx));
        },
      ],
    ];
    let prev = xs.saveState().tree;
    for (const [what, change] of changes) {
      change();
      const next = xs.saveState().tree;
      assert.notStrictEqual(next, prev, `${what} is seen`);
      prev = next;
    }
  });

  it('restoring an older state, changing and saving again keeps each state exact', () => {
    const xs = new XenStore();
    const dom0 = new XsClient(xs, 0);
    dom0.write('/local/a', 'one');
    const s1 = xs.saveState();
    const d1 = dump(dom0);
    dom0.write('/local/a', 'two');
    dom0.write('/local/b', 'x');
    const s2 = xs.saveState();
    const d2 = dump(dom0);
    xs.restoreState(s1);
    assert.deepStrictEqual(dump(dom0), d1);
    assert.strictEqual(xs.saveState().tree, s1.tree, 'just restored: the same state');
    // the same number of changes as s2 had, other content: the generation alone would match s2's
    dom0.write('/local/a', 'three');
    dom0.write('/local/c', 'y');
    const s3 = xs.saveState();
    const d3 = dump(dom0);
    assert.notDeepStrictEqual(d3, d2);
    xs.restoreState(s2);
    assert.deepStrictEqual(dump(dom0), d2);
    xs.restoreState(s3);
    assert.deepStrictEqual(dump(dom0), d3);
    xs.restoreState(s1);
    assert.deepStrictEqual(dump(dom0), d1);
  });
});
