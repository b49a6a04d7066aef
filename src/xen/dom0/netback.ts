/**
 * netback and the bridge (drivers/net/xen-netback and a Linux bridge, in spirit). Each vif has
 * two shared rings the front end granted: on the TX ring it queues netif_tx_request slots (grant,
 * offset, size; NETTXF_more_data chains the slots of one frame), which netback copies out of the
 * granted pages and hands to the bridge; on the RX ring it posts empty granted pages
 * (netif_rx_request), into which netback copies frames the bridge delivers, answering with
 * netif_rx_response (status = length). The bridge learns source MACs and forwards unicast to the
 * port that owns the destination, flooding broadcast and unknown destinations.
 *
 * The front end is not trusted: impossible ring indices stop that vif, malformed slots answer
 * NETIF_RSP_ERROR, frames waiting for RX slots are queued up to a bound and then dropped (and
 * counted), and each call serves at most one ring's worth.
 *
 * A vif's connection (ring mappings, private indices, frames waiting for RX slots, statistics)
 * and a bridge's ports and forwarding table are plain data or references to objects that are
 * restored in place: saveState and restoreState carry them through a snapshot.
 */
import { GNTMAP, GNTST, IO_CONST, IO_LAYOUTS, NETIF_RSP, NETTXF } from '../abi';
import type { GrantTables } from '../grant';

const TX_SIZE = IO_CONST.NETIF_TX_RING_SIZE;
const RX_SIZE = IO_CONST.NETIF_RX_RING_SIZE;
const RING = IO_LAYOUTS.netif_tx_sring.fields;
const TXQ = IO_LAYOUTS.netif_tx_request.fields;
const TXR = IO_LAYOUTS.netif_tx_response.fields;
const RXQ = IO_LAYOUTS.netif_rx_request.fields;
const RXR = IO_LAYOUTS.netif_rx_response.fields;
const TX_ENTRY = IO_CONST.netif_tx_sring_entry_size;
const RX_ENTRY = IO_CONST.netif_rx_sring_entry_size;
export const ETH_HLEN = 14;
/** frames kept for a vif whose front end posted no RX slots yet (then dropped) */
export const RX_QUEUE_MAX = 256;

export function macString(frame: Uint8Array, at: number): string {
  return Array.from(frame.subarray(at, at + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** One port of a bridge: a vif's netback or a dom0 endpoint. */
export interface BridgePort {
  readonly name: string;
  deliver(frame: Uint8Array): void;
}

/** A bridge's state for a snapshot: its ports and forwarding table by reference. */
export interface BridgeState {
  ports: BridgePort[];
  fdb: Map<string, BridgePort>;
  forwarded: number;
}

export class Bridge {
  private readonly ports: BridgePort[] = [];
  private readonly fdb = new Map<string, BridgePort>();
  forwarded = 0;

  constructor(readonly name: string) {}

  saveState(): BridgeState {
    return { ports: [...this.ports], fdb: new Map(this.fdb), forwarded: this.forwarded };
  }

  restoreState(s: BridgeState): void {
    this.ports.splice(0, this.ports.length, ...s.ports);
    this.fdb.clear();
    for (const [mac, p] of s.fdb) this.fdb.set(mac, p);
    this.forwarded = s.forwarded;
  }

  attach(p: BridgePort): void {
    this.ports.push(p);
  }

  detach(p: BridgePort): void {
    const i = this.ports.indexOf(p);
    if (i >= 0) this.ports.splice(i, 1);
    for (const [mac, q] of this.fdb) if (q === p) this.fdb.delete(mac);
  }

  /** A frame entering from port `from`: learn its source, forward by destination. */
  forward(from: BridgePort, frame: Uint8Array): void {
    if (frame.length < ETH_HLEN) return;
    const src = macString(frame, 6);
    if (!(frame[6] & 1)) this.fdb.set(src, from);
    const known = frame[0] & 1 ? undefined : this.fdb.get(macString(frame, 0));
    const to = known ? [known] : this.ports;
    for (const p of to) {
      if (p === from) continue;
      p.deliver(frame.slice());
      this.forwarded++;
    }
  }
}

/** A front/back shared ring as the back end sees it: private consumer and producer indices. */
class BackRing {
  reqCons = 0;
  rspProdPvt = 0;
  constructor(
    readonly mfn: number,
    private readonly page: () => Uint8Array,
    readonly size: number,
    readonly entry: number,
  ) {}

  dv(): DataView {
    const p = this.page();
    return new DataView(p.buffer, p.byteOffset, 4096);
  }

  /** BACK_RING_ATTACH: requests the front end queued before we connected are still to serve. */
  reset(): void {
    this.rspProdPvt = this.dv().getUint32(RING.rsp_prod.offset, true);
    this.reqCons = this.rspProdPvt;
  }

  /** Requests waiting; undefined when the front end's index is impossible. */
  pending(): number | undefined {
    const n = (this.dv().getUint32(RING.req_prod.offset, true) - this.reqCons) >>> 0;
    return n > this.size ? undefined : n;
  }

  /** A copy of the next request slot (the front end may rewrite the shared one). */
  take(): DataView {
    const at = RING.ring.offset + (this.reqCons % this.size) * this.entry;
    this.reqCons = (this.reqCons + 1) >>> 0;
    const b = this.page().slice(at, at + this.entry);
    return new DataView(b.buffer);
  }

  /** The slot for the next response. */
  respond(): DataView {
    const at = RING.ring.offset + (this.rspProdPvt % this.size) * this.entry;
    this.rspProdPvt = (this.rspProdPvt + 1) >>> 0;
    const p = this.page();
    return new DataView(p.buffer, p.byteOffset + at, this.entry);
  }

  push(): void {
    this.dv().setUint32(RING.rsp_prod.offset, this.rspProdPvt, true);
  }
}

export interface NetbackOptions {
  beDomid: number;
  feDomid: number;
  /** the front end's tx-ring-ref and rx-ring-ref grants */
  txRef: number;
  rxRef: number;
  grants: GrantTables;
  frame(mfn: number): Uint8Array;
  notify(): void;
  bridge: Bridge;
  name?: string;
}

export interface NetStats {
  txFrames: number;
  txErrors: number;
  rxFrames: number;
  rxDropped: number;
  rxBytes: number;
  txBytes: number;
}

interface RingState {
  mfn: number;
  reqCons: number;
  rspProdPvt: number;
}

/** A Netback's connection state, for a snapshot. */
export interface NetbackState {
  tx?: RingState;
  rx?: RingState;
  handles: { handle: number; mfn: number }[];
  queue: Uint8Array[];
  broken?: string;
  stats: NetStats;
}

export class Netback implements BridgePort {
  readonly name: string;
  private tx?: BackRing;
  private rx?: BackRing;
  private readonly handles: { handle: number; mfn: number }[] = [];
  private readonly queue: Uint8Array[] = [];
  broken?: string;
  readonly stats: NetStats = { txFrames: 0, txErrors: 0, rxFrames: 0, rxDropped: 0, rxBytes: 0, txBytes: 0 };

  constructor(private readonly o: NetbackOptions) {
    this.name = o.name ?? `vif${o.feDomid}.0`;
  }

  /** Map both rings (xenvif_connect) and join the bridge. A GNTST_* status. */
  connect(): number {
    const maps: BackRing[] = [];
    for (const [ref, size, entry] of [[this.o.txRef, TX_SIZE, TX_ENTRY], [this.o.rxRef, RX_SIZE, RX_ENTRY]] as const) {
      const r = this.o.grants.map(this.o.beDomid, { hostAddr: 0, flags: GNTMAP.device_map, ref, dom: this.o.feDomid });
      if (r.status !== GNTST.okay) {
        this.broken = `cannot map ring ref ${ref}: ${this.o.grants.lastWhy}`;
        this.disconnect();
        return r.status;
      }
      const mfn = r.devBusAddr / 4096;
      this.handles.push({ handle: r.handle, mfn });
      const ring = new BackRing(mfn, () => this.o.frame(mfn), size, entry);
      ring.reset();
      maps.push(ring);
    }
    [this.tx, this.rx] = maps;
    this.o.bridge.attach(this);
    return GNTST.okay;
  }

  saveState(): NetbackState {
    const ring = (r?: BackRing) => r && { mfn: r.mfn, reqCons: r.reqCons, rspProdPvt: r.rspProdPvt };
    // frames are never changed once queued (deliver takes a copy), so the snapshot shares them
    return { tx: ring(this.tx), rx: ring(this.rx), handles: this.handles.map((h) => ({ ...h })), queue: [...this.queue], broken: this.broken, stats: { ...this.stats } };
  }

  restoreState(s: NetbackState): void {
    const ring = (r: RingState | undefined, size: number, entry: number) => {
      if (!r) return undefined;
      const b = new BackRing(r.mfn, () => this.o.frame(r.mfn), size, entry);
      b.reqCons = r.reqCons;
      b.rspProdPvt = r.rspProdPvt;
      return b;
    };
    this.tx = ring(s.tx, TX_SIZE, TX_ENTRY);
    this.rx = ring(s.rx, RX_SIZE, RX_ENTRY);
    this.handles.splice(0, this.handles.length, ...s.handles.map((h) => ({ ...h })));
    this.queue.splice(0, this.queue.length, ...s.queue);
    this.broken = s.broken;
    Object.assign(this.stats, s.stats);
  }

  /** Whether the front end queued TX requests, or posted RX slots for frames that wait. */
  hasWork(): boolean {
    if (!this.tx || !this.rx || this.broken) return false;
    const tx = this.tx.pending();
    const rx = this.rx.pending();
    // an impossible index is work too: serving it stops the vif
    return tx === undefined || tx > 0 || (this.queue.length > 0 && rx !== 0);
  }

  disconnect(): void {
    this.o.bridge.detach(this);
    for (const h of this.handles) this.o.grants.unmap(this.o.beDomid, { hostAddr: 0, devBusAddr: h.mfn * 4096, handle: h.handle });
    this.handles.length = 0;
    this.tx = this.rx = undefined;
  }

  /** The front end kicked its event channel: send what it queued, fill RX slots it posted. How many frames moved. */
  kick(): number {
    return this.processTx() + this.processRx();
  }

  /** Copy `len` bytes at `offset` of granted page `ref` (or write `data` there). */
  private withGrant(ref: number, write: boolean, fn: (page: Uint8Array) => void): boolean {
    const r = this.o.grants.map(this.o.beDomid, { hostAddr: 0, flags: GNTMAP.device_map | (write ? 0 : GNTMAP.readonly), ref, dom: this.o.feDomid });
    if (r.status !== GNTST.okay) return false;
    try {
      fn(this.o.frame(r.devBusAddr / 4096));
    } finally {
      this.o.grants.unmap(this.o.beDomid, { hostAddr: 0, devBusAddr: r.devBusAddr, handle: r.handle });
    }
    return true;
  }

  processTx(): number {
    const tx = this.tx;
    if (!tx || this.broken) return 0;
    let frames = 0;
    let served = 0;
    let budget = TX_SIZE;
    for (;;) {
      const n = tx.pending();
      if (n === undefined) {
        this.broken = `front end d${this.o.feDomid} claims more TX requests than the ring holds`;
        break;
      }
      if (n === 0 || budget <= 0) break;
      // one frame: the first slot and the NETTXF_more_data slots after it
      const slots: DataView[] = [tx.take()];
      budget--;
      while (slots[slots.length - 1].getUint16(TXQ.flags.offset, true) & NETTXF.more_data) {
        if ((tx.pending() ?? 0) === 0 || slots.length >= IO_CONST.XEN_NETIF_NR_SLOTS_MIN) break;
        slots.push(tx.take());
        budget--;
      }
      const frame = this.gather(slots);
      served += slots.length;
      for (const s of slots) {
        const r = tx.respond();
        r.setUint16(TXR.id.offset, s.getUint16(TXQ.id.offset, true), true);
        r.setInt16(TXR.status.offset, frame ? NETIF_RSP.OKAY : NETIF_RSP.ERROR, true);
      }
      if (frame) {
        frames++;
        this.stats.txFrames++;
        this.stats.txBytes += frame.length;
        this.o.bridge.forward(this, frame);
      } else this.stats.txErrors++;
    }
    if (served) {
      tx.push();
      this.o.notify();
    }
    return frames;
  }

  /** The frame a chain of TX slots describes, or undefined when a slot is malformed. */
  private gather(slots: DataView[]): Uint8Array | undefined {
    const first = slots[0];
    const total = first.getUint16(TXQ.size.offset, true);
    if (first.getUint16(TXQ.flags.offset, true) & NETTXF.extra_info) return undefined;
    if (slots[slots.length - 1].getUint16(TXQ.flags.offset, true) & NETTXF.more_data) return undefined;
    if (total < ETH_HLEN) return undefined;
    const out = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i];
      const off = s.getUint16(TXQ.offset.offset, true);
      // the first slot's size is the whole frame's; its own part is what the others leave
      const len = i === 0 ? total - slots.slice(1).reduce((a, x) => a + x.getUint16(TXQ.size.offset, true), 0) : s.getUint16(TXQ.size.offset, true);
      if (len < 0 || off + len > 4096 || at + len > total) return undefined;
      const ok = this.withGrant(s.getUint32(TXQ.gref.offset, true), false, (page) => out.set(page.subarray(off, off + len), at));
      if (!ok) return undefined;
      at += len;
    }
    return at === total ? out : undefined;
  }

  /** From the bridge: queue the frame for the front end's RX slots. */
  deliver(frame: Uint8Array): void {
    if (this.queue.length >= RX_QUEUE_MAX || frame.length > 4096) {
      this.stats.rxDropped++;
      return;
    }
    this.queue.push(frame);
    this.processRx();
  }

  processRx(): number {
    const rx = this.rx;
    if (!rx || this.broken) return 0;
    let done = 0;
    while (this.queue.length) {
      const n = rx.pending();
      if (n === undefined) {
        this.broken = `front end d${this.o.feDomid} claims more RX requests than the ring holds`;
        break;
      }
      if (n === 0) break;
      const req = rx.take();
      const frame = this.queue.shift()!;
      const ok = this.withGrant(req.getUint32(RXQ.gref.offset, true), true, (page) => page.set(frame, 0));
      const r = rx.respond();
      r.setUint16(RXR.id.offset, req.getUint16(RXQ.id.offset, true), true);
      r.setUint16(RXR.offset.offset, 0, true);
      r.setUint16(RXR.flags.offset, 0, true);
      r.setInt16(RXR.status.offset, ok ? frame.length : NETIF_RSP.ERROR, true);
      if (ok) {
        this.stats.rxFrames++;
        this.stats.rxBytes += frame.length;
      } else this.stats.rxDropped++;
      done++;
    }
    if (done) {
      rx.push();
      this.o.notify();
    }
    return done;
  }

  /** Frames waiting for RX slots. */
  get queued(): number {
    return this.queue.length;
  }
}
