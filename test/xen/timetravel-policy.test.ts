// The snapshot policy (timetravel/snapshots.ts) on positions alone: geometric thinning keeps the
// count logarithmic in the run's length with full density near its end; scratch snapshots are
// bounded and slot into position order.
import * as assert from 'assert';
import type { MachineSnapshot } from '../../src/xen/inspect';
import type { TravelPosition } from '../../src/xen/timetravel/engine';
import { SnapshotSet } from '../../src/xen/timetravel/snapshots';

const at = (instructions: number): TravelPosition => ({ instructions, records: instructions, inputs: 0 });
const snap = { timeNs: 0, instructions: 0 } as MachineSnapshot;
const before = (a: TravelPosition, b: TravelPosition) => a.records < b.records;

describe('xen: time-travel snapshot policy', () => {
  it('thins forward snapshots geometrically: dense at the end, about window·log2 in all', () => {
    const set = new SnapshotSet({ interval: 100, window: 4, scratch: 2 }, before);
    const n = 10_000;
    for (let k = 0; k <= n; k++) set.addForward(at(k * 100), snap);
    const seqs = set.all.map((s) => s.at.instructions / 100);
    assert.strictEqual(seqs[0], 0, 'the start is kept');
    for (let k = n - 4; k <= n; k++) assert.ok(seqs.includes(k), `interval ${k} near the end is kept`);
    assert.ok(set.all.length <= 4 * (Math.log2(n / 4) + 2), `${set.all.length} held for ${n} intervals`);
    // the gap before a point grows at most in proportion to its age
    for (let i = 1; i < seqs.length; i++) {
      const gap = seqs[i] - seqs[i - 1];
      const age = n - seqs[i];
      assert.ok(gap <= Math.max(1, (2 * age) / 4 + 1), `gap ${gap} at age ${age}`);
    }
    assert.deepStrictEqual(seqs, [...seqs].sort((a, b) => a - b));
  });

  it('keeps scratch snapshots in position order, the oldest made dropped first', () => {
    const set = new SnapshotSet({ interval: 100, window: 4, scratch: 2 }, before);
    for (let k = 0; k <= 64; k++) set.addForward(at(k * 100), snap);
    set.addScratch(at(1_050), snap);
    set.addScratch(at(1_150), snap);
    set.addScratch(at(2_050), snap);
    const scratch = set.all.filter((s) => s.seq < 0).map((s) => s.at.instructions);
    assert.deepStrictEqual(scratch, [1_150, 2_050]);
    const all = set.all.map((s) => s.at.instructions);
    assert.deepStrictEqual(all, [...all].sort((a, b) => a - b));
    assert.strictEqual(set.atOrBefore(at(1_160)).at.instructions, 1_150);
    assert.strictEqual(set.dueAfter(at(2_060)), 2_150);
    set.dropAfter(at(1_500));
    assert.strictEqual(set.last.at.instructions, 1_150);
  });
});
