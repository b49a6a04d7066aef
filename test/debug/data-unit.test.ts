// data.ts without the adapter: dataIds, the debug register count of a range, memory operands,
// and how a hit's access and value are told.
import * as assert from 'assert';
import { accessOf, formatDataId, memoryOperand, parseDataId, registersFor, valueOf } from '../../src/debug/data';
import * as path from 'path';
import { parseLaunchArguments } from '../../src/debug/launch';
import { XenSystem } from '../../src/xen/system';
import type { Watchpoint } from '../../src/xen/inspect';
import { watchPieces } from '../../src/xen/watch';

describe('debug/data (unit)', () => {
  it('a dataId names a domain, a gva and a length, and reads back', () => {
    const r = { domid: 2, gva: 0xc0001002, length: 6 };
    assert.strictEqual(formatDataId(r), 'd2:gva:0xc0001002/6');
    assert.deepStrictEqual(parseDataId(formatDataId(r)), r);
    assert.throws(() => parseDataId('0x1000'), /d<domid>:gva:<addr>\/<bytes>/);
    assert.throws(() => parseDataId('d1:gpa:0x1000/4'), /guest-virtual/);
    assert.throws(() => parseDataId('ma:0x1000/4'), /guest-virtual/);
  });

  it('counts the aligned 1/2/4/8-byte pieces a range takes, as the simulator arms them', () => {
    // a seeded walk over addresses and lengths, compared with the pieces' own definition
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 500; i++) {
      const gva = Math.floor(next() * 0x10000);
      const length = 1 + Math.floor(next() * 32);
      const pieces = watchPieces({ domid: 1, gva, length, access: 'write' });
      assert.strictEqual(registersFor({ domid: 1, gva, length }), pieces.length);
      // the pieces cover the range exactly, each aligned to its length
      assert.strictEqual(pieces.reduce((n, p) => n + p.len, 0), length);
      for (const p of pieces) assert.strictEqual(p.base % p.len, 0);
    }
    assert.strictEqual(registersFor({ domid: 1, gva: 0x1000, length: 32 }), 4);
    assert.strictEqual(registersFor({ domid: 1, gva: 0x1002, length: 4 }), 2);
    assert.throws(() => registersFor({ domid: 1, gva: 0, length: 33 }), /1 to 32 bytes/);
    assert.throws(() => registersFor({ domid: 1, gva: 0, length: 0 }), /1 to 32 bytes/);
  });

  it('reads memory operands with their size', () => {
    assert.deepStrictEqual(memoryOperand('dword [esp+4]'), { address: 'esp+4', size: 4 });
    assert.deepStrictEqual(memoryOperand(' BYTE [x] '), { address: 'x', size: 1 });
    assert.deepStrictEqual(memoryOperand('[ticks]'), { address: 'ticks', size: undefined });
    assert.strictEqual(memoryOperand('ticks'), undefined);
    assert.strictEqual(memoryOperand('[a] + 1'), undefined);
  });

  it('tells a read from a write by the access type and the bytes', () => {
    const w = (access: 'read' | 'write' | 'readWrite') => ({ domid: 1, gva: 0, length: 4, access });
    const same = { before: [1, 0, 0, 0], after: [1, 0, 0, 0] };
    const changed = { before: [1, 0, 0, 0], after: [2, 0, 0, 0] };
    assert.strictEqual(accessOf(w('write'), same), 'write');
    assert.strictEqual(accessOf(w('readWrite'), same), 'read');
    assert.strictEqual(accessOf(w('readWrite'), changed), 'write');
    assert.strictEqual(accessOf(w('read'), same), 'read');
    assert.strictEqual(valueOf([0x78, 0x56, 0x34, 0x12, 0xff]), 0x12345678);
    assert.strictEqual(valueOf([0xff]), 0xff);
    assert.strictEqual(valueOf([]), undefined);
  });

  it('a hit by the last instruction of a run (or a step) keeps its old value: runs of one instruction see 0→1 … 4→5', () => {
    const root = path.resolve(__dirname, '..', '..');
    const config = parseLaunchArguments({ domains: [path.join(root, 'examples', 'timer', 'timer.cfg')] }, root);
    const sys = new XenSystem(config.configs);
    sys.run({ maxInstructions: 1e6, stopOn: (r) => r.kind === 'domain' && r.event === 'unpaused' });
    const w: Watchpoint = { domid: 1, gva: sys.image(1)!.symbolAddress('ticks')!, length: 4, access: 'write' };
    const seen: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const s = i % 2 ? sys.run({ maxInstructions: 1, watchpoints: [w] }) : sys.step(1, 0, { watchpoints: [w] });
      if (s.reason === 'finished') break;
      if (s.reason === 'watchpoint') seen.push(`${s.watchValue!.before[0]}→${s.watchValue!.after[0]}`);
    }
    assert.deepStrictEqual(seen, ['0→1', '1→2', '2→3', '3→4', '4→5']);
  });
});
