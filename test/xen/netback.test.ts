// netback and the bridge: frames from one front end's TX ring reach another's RX ring.
import * as assert from 'assert';
import { GTF, IO_CONST, IO_LAYOUTS, NETIF_RSP, NETTXF } from '../../src/xen/abi';
import { GrantTables } from '../../src/xen/grant';
import { Bridge, BridgePort, Netback, RX_QUEUE_MAX } from '../../src/xen/dom0/netback';
import { FakeMachine } from './grant-helpers';

const RING = IO_LAYOUTS.netif_tx_sring.fields;
const TXQ = IO_LAYOUTS.netif_tx_request.fields;
const TXR = IO_LAYOUTS.netif_tx_response.fields;
const RXQ = IO_LAYOUTS.netif_rx_request.fields;
const RXR = IO_LAYOUTS.netif_rx_response.fields;

/** A netfront: tx ring (ref 8), rx ring (ref 9), tx pages (refs 10..13), rx pages (refs 20..23). */
function netfront(m: FakeMachine, g: GrantTables, domid: number, bridge: Bridge) {
  const pages = m.addDomain(domid, 12);
  g.init(domid);
  const t = g.table(domid)!;
  const grant = (ref: number, page: number) => g.writeEntry(t, ref, { flags: GTF.permit_access, domid: 0, frame: page });
  grant(8, pages[0]);
  grant(9, pages[1]);
  for (let i = 0; i < 4; i++) grant(10 + i, pages[2 + i]);
  for (let i = 0; i < 4; i++) grant(20 + i, pages[6 + i]);
  let kicks = 0;
  const nb = new Netback({ beDomid: 0, feDomid: domid, txRef: 8, rxRef: 9, grants: g, frame: (f) => m.frame(f), notify: () => kicks++, bridge });
  const dv = (p: number) => new DataView(m.frame(p).buffer);
  let txProd = 0;
  let txRsp = 0;
  let rxProd = 0;
  let rxRsp = 0;
  return {
    nb,
    pages,
    kicks: () => kicks,
    /** queue a frame in tx page `i` (several slots when `split` is given) */
    send(frame: Uint8Array, i = 0, split?: number[]) {
      const parts = split ?? [frame.length];
      let at = 0;
      parts.forEach((len, k) => {
        m.frame(pages[2 + i + k]).set(frame.subarray(at, at + len), 100);
        const slot = RING.ring.offset + (txProd % IO_CONST.NETIF_TX_RING_SIZE) * 12;
        const d = dv(pages[0]);
        d.setUint32(slot + TXQ.gref.offset, 10 + i + k, true);
        d.setUint16(slot + TXQ.offset.offset, 100, true);
        d.setUint16(slot + TXQ.flags.offset, k < parts.length - 1 ? NETTXF.more_data : 0, true);
        d.setUint16(slot + TXQ.id.offset, txProd, true);
        d.setUint16(slot + TXQ.size.offset, k === 0 ? frame.length : len, true);
        txProd++;
        at += len;
      });
      dv(pages[0]).setUint32(RING.req_prod.offset, txProd, true);
    },
    txResponses() {
      const out: { id: number; status: number }[] = [];
      const d = dv(pages[0]);
      for (; txRsp !== d.getUint32(RING.rsp_prod.offset, true); txRsp++) {
        const slot = RING.ring.offset + (txRsp % 256) * 12;
        out.push({ id: d.getUint16(slot + TXR.id.offset, true), status: d.getInt16(slot + TXR.status.offset, true) });
      }
      return out;
    },
    post(n: number) {
      const d = dv(pages[1]);
      for (let k = 0; k < n; k++) {
        const slot = RING.ring.offset + (rxProd % 256) * 8;
        d.setUint16(slot + RXQ.id.offset, rxProd, true);
        d.setUint32(slot + RXQ.gref.offset, 20 + (rxProd % 4), true);
        rxProd++;
      }
      d.setUint32(RING.req_prod.offset, rxProd, true);
    },
    received() {
      const out: Uint8Array[] = [];
      const d = dv(pages[1]);
      for (; rxRsp !== d.getUint32(RING.rsp_prod.offset, true); rxRsp++) {
        const slot = RING.ring.offset + (rxRsp % 256) * 8;
        const id = d.getUint16(slot + RXR.id.offset, true);
        const st = d.getInt16(slot + RXR.status.offset, true);
        out.push(st > 0 ? m.frame(pages[6 + (id % 4)]).slice(0, st) : new Uint8Array(0));
      }
      return out;
    },
    ring: (which: 0 | 1) => dv(pages[which]),
  };
}

function ether(dst: number[], src: number[], payload: string): Uint8Array {
  return new Uint8Array([...dst, ...src, 0x08, 0x00, ...Buffer.from(payload)]);
}
const MAC1 = [0x00, 0x16, 0x3e, 0, 0, 1];
const MAC2 = [0x00, 0x16, 0x3e, 0, 0, 2];
const BCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function setup() {
  const m = new FakeMachine();
  m.addDomain(0, 2);
  const g = new GrantTables(m);
  g.init(0);
  const br = new Bridge('xenbr0');
  const a = netfront(m, g, 1, br);
  const b = netfront(m, g, 2, br);
  assert.strictEqual(a.nb.connect(), 0);
  assert.strictEqual(b.nb.connect(), 0);
  const host: Uint8Array[] = [];
  const dom0: BridgePort = { name: 'dom0', deliver: (f) => host.push(f) };
  br.attach(dom0);
  return { m, g, br, a, b, host, dom0 };
}

describe('netback and the bridge', () => {
  it('a broadcast from d1 reaches d2 and dom0; a reply to the learned MAC reaches only d1', () => {
    const { a, b, host } = setup();
    b.post(4);
    a.post(4);
    const hello = ether(BCAST, MAC1, 'who is there?');
    a.send(hello);
    a.nb.kick();
    assert.deepStrictEqual(a.txResponses(), [{ id: 0, status: NETIF_RSP.OKAY }]);
    assert.deepStrictEqual(b.received(), [hello]);
    assert.deepStrictEqual(host, [hello]);
    const reply = ether(MAC1, MAC2, 'd2 here');
    b.send(reply);
    b.nb.kick();
    assert.deepStrictEqual(a.received(), [reply]);
    assert.strictEqual(host.length, 1, 'unicast to a learned MAC is not flooded');
    assert.ok(a.kicks() >= 2 && b.kicks() >= 2);
    assert.strictEqual(a.nb.stats.txFrames, 1);
    assert.strictEqual(a.nb.stats.rxFrames, 1);
  });

  it('a frame in several slots (NETTXF_more_data) arrives whole', () => {
    const { a, b } = setup();
    b.post(1);
    const big = ether(MAC2, MAC1, 'x'.repeat(3000));
    a.send(big, 0, [1000, 1000, big.length - 2000]);
    a.nb.kick();
    assert.deepStrictEqual(a.txResponses().map((r) => r.status), [0, 0, 0]);
    assert.deepStrictEqual(b.received(), [big]);
  });

  it('frames wait for RX slots, up to a bound, then are dropped and counted', () => {
    const { a, b } = setup();
    for (let i = 0; i < 3; i++) {
      a.send(ether(MAC2, MAC1, `frame ${i}`));
      a.nb.kick();
    }
    assert.strictEqual(b.nb.queued, 3);
    b.post(2);
    b.nb.kick();
    assert.deepStrictEqual(b.received().map((f) => Buffer.from(f.subarray(14)).toString()), ['frame 0', 'frame 1']);
    b.post(2);
    b.nb.kick();
    assert.deepStrictEqual(b.received().map((f) => Buffer.from(f.subarray(14)).toString()), ['frame 2']);
    for (let i = 0; i < RX_QUEUE_MAX + 10; i++) b.nb.deliver(ether(MAC2, MAC1, 'flood'));
    assert.strictEqual(b.nb.stats.rxDropped, 10 - 1, 'one posted slot took a frame');
  });

  it('malformed TX slots answer NETIF_RSP_ERROR and nothing reaches the bridge', () => {
    const { a, b, m, g, host } = setup();
    b.post(4);
    a.send(new Uint8Array(10)); // shorter than an Ethernet header
    g.writeEntry(g.table(1)!, 11, { flags: GTF.invalid, domid: 0, frame: 0 }); // revoked
    a.send(ether(MAC2, MAC1, 'revoked page'), 1);
    a.nb.kick();
    assert.deepStrictEqual(a.txResponses().map((r) => r.status), [NETIF_RSP.ERROR, NETIF_RSP.ERROR]);
    assert.deepStrictEqual(b.received(), []);
    assert.deepStrictEqual(host, []);
    assert.strictEqual(a.nb.stats.txErrors, 2);
    void m;
  });

  it('a forged ring index stops only that vif; the bridge keeps serving the others', () => {
    const { a, b, host } = setup();
    a.ring(0).setUint32(RING.req_prod.offset, 0x80000000, true);
    a.nb.kick();
    assert.ok(a.nb.broken);
    a.post(1);
    b.send(ether(BCAST, MAC2, 'still here'));
    b.nb.kick();
    assert.strictEqual(host.length, 1);
  });

  it('connect fails on ring references not granted to dom0', () => {
    const m = new FakeMachine();
    m.addDomain(0, 1);
    const g = new GrantTables(m);
    g.init(0);
    m.addDomain(1, 2);
    g.init(1);
    const nb = new Netback({ beDomid: 0, feDomid: 1, txRef: 8, rxRef: 9, grants: g, frame: (f) => m.frame(f), notify: () => undefined, bridge: new Bridge('b') });
    assert.notStrictEqual(nb.connect(), 0);
    assert.strictEqual(m.heldRefs(), 0);
  });
});
