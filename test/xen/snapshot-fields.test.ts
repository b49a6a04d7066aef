// Saved fields share the previous save's copy while the live value is still equal, and a fresh
// copy is made the moment anything in it differs (values, order, kinds); nothing saved is live.
import * as assert from 'assert';
import { inspect } from 'util';
import { restoreFields, saveFields } from '../../src/xen/snapshot-fields';

const none = new Set<string>();
/** Order-sensitive (Map and Set order, -0): what deepStrictEqual alone does not see. */
const show = (v: unknown) => inspect(v, { depth: Infinity, maxArrayLength: Infinity });

/** A seeded PRNG (mulberry32): the test is the same every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function live() {
  const trapTable = new Array<{ cs: number; eip: number } | undefined>(256);
  trapTable[14] = { cs: 0xe019, eip: 0x1000 };
  return {
    n: 1,
    name: 'd1',
    trapTable,
    evtchns: [{ state: 'unbound', remote: 0 }],
    watches: new Map<string, number[]>([['a', [1]], ['b', [2]]]),
    ports: new Set([3, 4]),
    nested: { a: { b: [1, 2, { c: -0 }] } },
    bytes: new Uint8Array([1, 2]),
  };
}

describe('snapshot fields shared while unchanged', () => {
  it('an unchanged field is shared with the previous save, never with the live object', () => {
    const o = live();
    const s1 = saveFields(o, none);
    const s2 = saveFields(o, none);
    for (const k of ['trapTable', 'evtchns', 'watches', 'ports', 'nested']) {
      assert.strictEqual(s2[k], s1[k], `${k} shared`);
      assert.notStrictEqual(s1[k], (o as Record<string, unknown>)[k], `${k} is a copy`);
    }
    assert.notStrictEqual(s2.bytes, s1.bytes, 'typed arrays are copied every time');
    assert.deepStrictEqual(restoreFields(s2), restoreFields(s1));
  });

  it('every kind of change makes a fresh, exact copy', () => {
    const changes: [string, (o: ReturnType<typeof live>) => void][] = [
      ['array entry', (o) => (o.trapTable[14]!.eip = 0x2000)],
      ['array hole filled', (o) => (o.trapTable[3] = { cs: 1, eip: 2 })],
      ['record value', (o) => (o.evtchns[0].state = 'interdomain')],
      ['record key added', (o) => Object.assign(o.evtchns[0], { extra: 1 })],
      ['map value', (o) => o.watches.get('a')!.push(5)],
      ['map order', (o) => { const b = o.watches.get('a')!; o.watches.delete('a'); o.watches.set('a', b); }],
      ['set member', (o) => { o.ports.delete(3); o.ports.add(5); }],
      ['minus zero', (o) => ((o.nested.a.b[2] as { c: number }).c = 0)],
      ['kind', (o) => ((o as Record<string, unknown>).nested = new Map())],
    ];
    for (const [what, change] of changes) {
      const o = live();
      const s1 = saveFields(o, none);
      const before = restoreFields(s1);
      change(o);
      const s2 = saveFields(o, none);
      assert.strictEqual(show(restoreFields(s2)), show(restoreFields(saveFields(structuredClone(o), none))), `${what}: saved as it is now`);
      assert.strictEqual(show(restoreFields(s1)), show(before), `${what}: the earlier save is untouched`);
      assert.notStrictEqual(show(restoreFields(s2)), show(before), `${what} is seen`);
    }
  });

  it('random changes between saves: every save restores exactly what was live then', () => {
    const rnd = prng(11);
    const o = live();
    const saves: [Record<string, unknown>, unknown][] = [];
    for (let i = 0; i < 200; i++) {
      const r = rnd();
      if (r < 0.3) o.trapTable[Math.floor(rnd() * 256)] = { cs: 0xe019, eip: Math.floor(rnd() * 8) };
      else if (r < 0.45) o.evtchns.push({ state: 'unbound', remote: i });
      else if (r < 0.6) o.watches.set(`w${Math.floor(rnd() * 4)}`, [i]);
      else if (r < 0.7) o.ports.add(Math.floor(rnd() * 8));
      // else: unchanged
      saves.push([saveFields(o, none), structuredClone(o)]);
    }
    for (const [s, was] of saves) assert.strictEqual(show(restoreFields(s)), show(restoreFields(saveFields(was as object, none))));
  });
});
