// Copy-on-write versions (versions.ts) and the machine's memory snapshots built on them, against
// a plain model: any interleaving of writes, saves and restores (in any order) leaves the live
// array exactly as the model says, and a save holds only what changed.
import * as assert from 'assert';
import { Machine, PAGE_SIZE } from '../../src/xen/machine';
import { MemoryManager } from '../../src/xen/mm';
import { CHUNK_SHIFT, VersionTracker, Version, distinctEntries, entriesOf } from '../../src/xen/versions';
import { prng } from '../asm/prng';

describe('xen: copy-on-write versions', () => {
  it('a tracker over a model array: random writes, saves and restores in any order', () => {
    const n = 3000; // not a multiple of the chunk size
    const live: (number | undefined)[] = Array.from({ length: n }, () => undefined);
    const t = new VersionTracker<number>(n);
    const saved: { v: Version<number>; model: (number | undefined)[] }[] = [];
    const rnd = prng(7);
    for (let step = 0; step < 400; step++) {
      const op = rnd() % 10;
      if (op < 6) {
        for (let k = rnd() % 40; k >= 0; k--) {
          const i = rnd() % n;
          t.mark(i);
          live[i] = rnd() % 3 === 0 ? undefined : rnd();
        }
      } else if (op < 8) {
        const v = t.save((i) => live[i]);
        saved.push({ v, model: live.slice() });
      } else if (saved.length) {
        const s = saved[rnd() % saved.length];
        t.restore(s.v, (i, x) => {
          live[i] = x;
        });
        assert.deepStrictEqual(live, s.model, `restore at step ${step}`);
      }
    }
    for (const s of saved) assert.deepStrictEqual([...Array(n).keys()].map((i) => s.v.chunks[i >> CHUNK_SHIFT]?.[i & ((1 << CHUNK_SHIFT) - 1)]), s.model);
    assert.ok(saved.length > 30, `${saved.length} versions`);
  });

  it('a save shares every chunk nothing was written to since the last save', () => {
    const t = new VersionTracker<string>(4096);
    const a = t.save(() => undefined);
    t.mark(5);
    const b = t.save(() => 'x');
    assert.strictEqual(b.chunks.filter((c, i) => c !== a.chunks[i]).length, 1, 'one chunk copied');
    t.mark(6);
    const c = t.save(() => 'y');
    assert.strictEqual(c.chunks[0]![5], 'x');
    assert.strictEqual(c.chunks[0]![6], 'y');
    assert.strictEqual(b.chunks[0]![6], undefined, 'an older version is untouched');
    const held = distinctEntries([a, b, c]);
    assert.deepStrictEqual([...held.entries].sort(), ['x', 'y']);
    assert.deepStrictEqual([...entriesOf(c)].sort(), ['x', 'y']);
  });

  it("machine memory: snapshots copy only written frames, restore in place and move the written frames' generations", () => {
    const m = new Machine({ memoryMiB: 16 });
    const rnd = prng(21);
    const model = new Map<number, Uint8Array>();
    const bytes = (mfn: number) => m.peek(mfn)?.slice() ?? new Uint8Array(PAGE_SIZE);
    const write = (mfn: number) => {
      m.writable(mfn)[rnd() % PAGE_SIZE] = 1 + (rnd() % 255);
      model.set(mfn, bytes(mfn));
    };
    for (let i = 0; i < 200; i++) write(rnd() % m.nrFrames);
    const frames = [...model.keys()];
    const s0 = m.saveMemory();
    const m0 = new Map([...model].map(([k, v]) => [k, v.slice()]));
    const views = new Map(frames.map((k) => [k, m.readable(k)]));
    const gens = new Map(frames.map((k) => [k, m.generation(k)]));
    const touched = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const mfn = frames[rnd() % frames.length];
      touched.add(mfn);
      write(mfn);
    }
    const scrubbed = frames.find((k) => !touched.has(k))!;
    m.scrub(scrubbed);
    model.set(scrubbed, new Uint8Array(PAGE_SIZE));
    touched.add(scrubbed);
    assert.strictEqual(m.dirtyFrames(), touched.size, 'the writes marked exactly the frames written');
    const s1 = m.saveMemory();
    let copied = 0;
    s1.chunks.forEach((c, i) => c?.forEach((f, k) => (copied += f !== undefined && f !== s0.chunks[i]?.[k] ? 1 : 0)));
    assert.ok(copied > 0 && copied <= touched.size, `${copied} frames copied for ${touched.size} written`);
    m.restoreMemory(s0);
    for (const [mfn, b] of m0) {
      if (mfn !== scrubbed) assert.strictEqual(m.readable(mfn), views.get(mfn), `mfn ${mfn} restored in place`);
      assert.deepStrictEqual(bytes(mfn), b, `mfn ${mfn} back at the first snapshot`);
      if (touched.has(mfn)) assert.notStrictEqual(m.generation(mfn), gens.get(mfn), `mfn ${mfn}'s decoded code is stale`);
      else assert.strictEqual(m.generation(mfn), gens.get(mfn), `mfn ${mfn}'s decoded code stays valid`);
    }
    m.restoreMemory(s1);
    for (const [mfn, b] of model) assert.deepStrictEqual(bytes(mfn), b, `mfn ${mfn} forward at the second snapshot`);
  });

  it('page information: a snapshot holds only the records changed since the previous one', () => {
    const m = new Machine({ memoryMiB: 16 });
    const mm = new MemoryManager(m);
    const s0 = mm.saveState();
    const a = mm.alloc(1);
    const b = mm.alloc(1);
    mm.getPage(a, 1);
    mm.info[b].pinned = true;
    const s1 = mm.saveState();
    const changed = distinctEntries([s1.info]).entries.size - distinctEntries([s0.info]).entries.size;
    assert.strictEqual(changed, 2, 'two new records');
    mm.putPage(a);
    mm.free(b);
    assert.strictEqual(mm.info[b].owner, -1);
    mm.restoreState(s1);
    assert.strictEqual(mm.info[a].count, 1);
    assert.strictEqual(mm.info[b].owner, 1);
    assert.strictEqual(mm.info[b].pinned, true);
    mm.restoreState(s0);
    assert.strictEqual(mm.info[a].owner, -1);
    assert.strictEqual(mm.alloc(2), a, 'the allocator is back too');
    mm.restoreState(s1);
    assert.strictEqual(mm.info[a].owner, 1, 'and forward again');
    assert.strictEqual(mm.info[a].count, 1);
  });
});
