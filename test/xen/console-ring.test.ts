// The PV console ring (xencons_interface) and its dom0 back end.
import * as assert from 'assert';
import { IO_LAYOUTS } from '../../src/xen/abi';
import { consoleInput, consoleRings, drainConsole } from '../../src/xen/dom0/console';
import { boot, runToEnd } from './guest';
import { consoleRingGuest } from './console-guest';

const F = IO_LAYOUTS.xencons_interface.fields;

describe('console ring', () => {
  function page() {
    const p = new Uint8Array(4096);
    const dv = new DataView(p.buffer);
    const rings = consoleRings(() => p);
    const guestWrite = (text: string) => {
      let prod = dv.getUint32(F.out_prod.offset, true);
      for (const ch of Buffer.from(text, 'latin1')) p[F.out.offset + (prod++ & (F.out.size - 1))] = ch;
      dv.setUint32(F.out_prod.offset, prod >>> 0, true);
    };
    return { p, dv, rings, guestWrite };
  }

  it('drains what the guest wrote, across the wrap of the 2 KiB out ring', () => {
    const { dv, rings, guestWrite } = page();
    dv.setUint32(F.out_cons.offset, 0xfffffff0, true);
    dv.setUint32(F.out_prod.offset, 0xfffffff0, true);
    guestWrite('x'.repeat(2040));
    assert.strictEqual(drainConsole(rings.out), 'x'.repeat(2040));
    guestWrite('over the edge\n');
    assert.strictEqual(drainConsole(rings.out), 'over the edge\n');
    assert.strictEqual(dv.getUint32(F.out_cons.offset, true), dv.getUint32(F.out_prod.offset, true));
    assert.strictEqual(drainConsole(rings.out), '');
  });

  it('a lying out_prod yields at most one ring of bytes, and the ring goes on working', () => {
    const { dv, rings, guestWrite } = page();
    dv.setUint32(F.out_prod.offset, 0x40000000, true);
    assert.strictEqual(drainConsole(rings.out).length, F.out.size);
    guestWrite('fine\n');
    assert.strictEqual(drainConsole(rings.out), 'fine\n');
  });

  it('a guest prints through its console ring; the line reaches the trace as pv-ring output', () => {
    const body = consoleRingGuest('hello through the console ring');
    const b = boot([{ name: 'ringer', body }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0);
    const lines = b.records.filter((r) => r.kind === 'console' && r.source === 'pv-ring').map((r) => (r.kind === 'console' ? r.text : ''));
    assert.deepStrictEqual(lines, ['hello through the console ring']);
  });

  it('input typed for a domain lands in its in ring and raises its console port', () => {
    const b = boot([{ name: 'reader', body: '' }]);
    const d = b.sys.domain(1);
    assert.strictEqual(consoleInput(b.sys.hv, d, 'ls\n'), 3);
    const p = b.sys.hv.machine.readable(d.consoleMfn);
    const dv = new DataView(p.buffer, p.byteOffset, 4096);
    assert.strictEqual(dv.getUint32(F.in_prod.offset, true), 3);
    assert.strictEqual(Buffer.from(p.subarray(F.in.offset, F.in.offset + 3)).toString(), 'ls\n');
    assert.ok(b.sys.hv.shared(d).pending(d.consolePort));
  });
});
