// The sparse P2M (src/xen/p2m.ts) against a Map model under seeded random maps and unmaps
// (low RAM, gfns just below 4 GiB where the HVM special pages sit, and PAE's range), and its
// copy-on-write sharing between snapshots, alone and inside whole-machine snapshots.
import * as assert from 'assert';
import * as path from 'path';
import { P2m, P2M_MAX_GFN } from '../../src/xen/p2m';
import type { MachineSnapshot, P2mRange } from '../../src/xen/inspect';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { prng as uint32s } from '../asm/prng';

const root = path.resolve(__dirname, '..', '..');

/** seeded numbers in [0, 1) */
function prng(seed: number): () => number {
  const next = uint32s(seed);
  return () => next() / 2 ** 32;
}

/** The runs a Map model describes, computed the obvious way. */
function modelRanges(model: Map<number, number>): P2mRange[] {
  const out: P2mRange[] = [];
  for (const gfn of [...model.keys()].sort((a, b) => a - b)) {
    const mfn = model.get(gfn)!;
    const last = out[out.length - 1];
    if (last && last.gfn + last.count === gfn && last.mfn + last.count === mfn) last.count++;
    else out.push({ gfn, mfn, count: 1 });
  }
  return out;
}

function check(p: P2m, model: Map<number, number>, probes: number[]): void {
  for (const g of probes) assert.strictEqual(p.get(g), model.get(g) ?? -1, `gfn 0x${g.toString(16)}`);
  assert.strictEqual(p.pages, model.size);
  assert.deepStrictEqual(p.ranges(), modelRanges(model));
}

/** gfns drawn from the places a P2M is used: low RAM, just below 4 GiB, anywhere in PAE's range */
function gfnPicker(rnd: () => number): () => number {
  return () => {
    const r = rnd();
    if (r < 0.5) return Math.floor(rnd() * 4096);
    if (r < 0.85) return 0x100000 - 1 - Math.floor(rnd() * 2048);
    return Math.floor(rnd() * P2M_MAX_GFN);
  };
}

/** The P2M held by domain `id` in a whole-machine snapshot (opaque to front ends; a test looks inside). */
function savedP2m(s: MachineSnapshot, id: number): P2m {
  const d = (s as unknown as { domains: { id: number; fields: { p2m: P2m } }[] }).domains.find((x) => x.id === id)!;
  return d.fields.p2m;
}

describe('xen: the sparse P2M', function () {
  for (const seed of [1, 7, 2026]) {
    it(`matches a Map model under random maps and unmaps (seed ${seed})`, () => {
      const rnd = prng(seed);
      const pick = gfnPicker(rnd);
      const p = new P2m();
      const model = new Map<number, number>();
      const touched: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const g = pick();
        touched.push(g);
        if (rnd() < 0.25) {
          p.unmap(g);
          model.delete(g);
        } else {
          // runs of consecutive mfns now and then, so ranges merge
          const mfn = rnd() < 0.5 && model.has(g - 1) ? model.get(g - 1)! + 1 : Math.floor(rnd() * 0x7fffffff);
          p.set(g, mfn);
          model.set(g, mfn);
        }
        if (i % 1000 === 999) check(p, model, touched);
      }
      const elsewhere = Array.from({ length: 2000 }, pick);
      check(p, model, [...touched, ...elsewhere, 0, 0xfffff, 0x100000, P2M_MAX_GFN - 1, P2M_MAX_GFN, -1, 2 ** 32 + 5]);
      // gfnOf: the lowest gfn of an mfn, as a search of the model finds it
      for (const g of touched.slice(0, 200)) {
        const mfn = model.get(g);
        if (mfn === undefined) continue;
        const lowest = Math.min(...[...model].filter(([, m]) => m === mfn).map(([k]) => k));
        assert.strictEqual(p.gfnOf(mfn), lowest);
      }
      assert.strictEqual(p.gfnOf(-1), -1);
    });
  }

  it('maps the special pages near 4 GiB with two leaves, not a million entries', () => {
    const p = new P2m();
    for (let g = 0; g < 1024; g++) p.set(g, 100 + g);
    for (const g of [0xfeff0, 0xfeff1, 0xfeff2]) p.set(g, 5000 + g - 0xfeff0);
    assert.strictEqual(p.leaves().length, 2);
    assert.deepStrictEqual(p.ranges(), [
      { gfn: 0, mfn: 100, count: 1024 },
      { gfn: 0xfeff0, mfn: 5000, count: 3 },
    ]);
    assert.strictEqual(p.pages, 1027);
  });

  it('unmapMfn removes an mfn wherever it is mapped; clear makes everything a hole', () => {
    const p = P2m.from([7, 8, -1, 7]);
    p.set(0xfffff, 7);
    p.unmapMfn(7);
    assert.deepStrictEqual(p.ranges(), [{ gfn: 1, mfn: 8, count: 1 }]);
    p.clear();
    assert.strictEqual(p.pages, 0);
    assert.strictEqual(p.get(1), -1);
  });

  it('refuses gfns outside its range (callers check guest values first)', () => {
    const p = new P2m();
    assert.throws(() => p.set(P2M_MAX_GFN, 1), RangeError);
    assert.throws(() => p.set(-1, 1), RangeError);
    assert.throws(() => p.set(1.5, 1), RangeError);
  });

  it('snapshot copies share unchanged leaves and never see later writes', () => {
    const rnd = prng(99);
    const pick = gfnPicker(rnd);
    const live = new P2m();
    const model = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const g = pick();
      live.set(g, i);
      model.set(g, i);
    }
    const s1 = live.snapshotCopy();
    const s2 = live.snapshotCopy();
    // nothing changed: the second snapshot shares the first one's copy whole
    assert.strictEqual(s2, s1);
    // a write of the value already there changes nothing either
    live.set([...model.keys()][1], model.get([...model.keys()][1])!);
    assert.strictEqual(live.snapshotCopy(), s1);
    assert.throws(() => s1.set(0, 1), /saved P2M is written/);

    // one write copies one leaf; every other leaf stays shared
    const g = [...model.keys()][0];
    live.set(g, 0x12345);
    const s3 = live.snapshotCopy();
    const shared = s3.leaves().filter((l) => s1.leaves().includes(l)).length;
    assert.strictEqual(shared, s1.leaves().length - 1);
    check(s1, model, [...model.keys()]);

    // restoring from s1 and writing: s1 (and s2, which shares its leaves) stay as they were
    const restored = s1.snapshotCopy();
    check(restored, model, [...model.keys()]);
    const changed = new Map(model);
    for (const k of [...model.keys()].slice(0, 50)) {
      restored.unmap(k);
      changed.delete(k);
    }
    restored.set(0xffffe, 1);
    changed.set(0xffffe, 1);
    check(restored, changed, [...model.keys(), 0xffffe]);
    check(s1, model, [...model.keys(), 0xffffe]);
    // a map restored and saved again unchanged shares the copy it came from
    assert.strictEqual(s1.snapshotCopy().snapshotCopy(), s1);
    // the live map kept its own write
    assert.strictEqual(live.get(g), 0x12345);
  });

  it('whole-machine snapshots of an HVM domain share its P2M leaves and restore it exactly', () => {
    const cfg = loadDomainConfigFile(path.join(root, 'examples', 'hvm-timer', 'hvm-timer.cfg')).config!;
    const sys = new XenSystem([cfg], { dom0: true, pcpus: 2 });
    // hvm-timer powers off after some 21 000 instructions: every snapshot here is of it running
    sys.run({ maxInstructions: 10_000 });
    const before = sys.p2m(1);
    assert.ok(before.some((r) => r.gfn >= 0xf0000), 'an HVM domain maps special pages just below 4 GiB');
    assert.strictEqual(sys.domains().find((d) => d.id === 1)!.pages, before.reduce((n, r) => n + r.count, 0));
    const s1 = sys.snapshot();
    sys.run({ maxInstructions: 1000 });
    const s2 = sys.snapshot();
    const l1 = savedP2m(s1, 1).leaves();
    const l2 = savedP2m(s2, 1).leaves();
    assert.ok(l1.length > 0 && l1.length <= 5, `${l1.length} leaves`);
    assert.strictEqual(l2.length, l1.length);
    l2.forEach((l, i) => assert.strictEqual(l, l1[i], 'an unchanged leaf is shared, not copied'));
    assert.strictEqual(savedP2m(s2, 1), savedP2m(s1, 1), 'an unchanged P2M is shared whole');

    // the live P2M changes (a gfn given back); the snapshot keeps the old map, restore brings it back
    const d = sys.hv.domains.get(1)!;
    assert.ok(d.alive);
    const gone = before[0].gfn;
    d.p2m.unmap(gone);
    const s3 = sys.snapshot();
    assert.strictEqual(savedP2m(s3, 1).leaves().filter((l) => !l1.includes(l)).length, 1);
    sys.restore(s1);
    assert.deepStrictEqual(sys.p2m(1), before);
    assert.notStrictEqual(sys.hv.domains.get(1)!.p2m.get(gone), -1);
    sys.restore(s3);
    assert.strictEqual(sys.hv.domains.get(1)!.p2m.get(gone), -1);
  });
});
