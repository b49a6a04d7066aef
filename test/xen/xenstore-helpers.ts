// A guest's end of a xenstore ring for tests: a page laid out as xenstore_domain_interface,
// requests written as bytes into req, replies and watch events parsed from rsp.
import { IO_CONST, IO_LAYOUTS, XS } from '../../src/xen/abi';
import { ByteRing, XenStore, XsMessage, decodeHeader, encode, splitStrings, strings, HEADER_SIZE } from '../../src/xen/dom0/xenstore';

const F = IO_LAYOUTS.xenstore_domain_interface.fields;
const SIZE = IO_CONST.XENSTORE_RING_SIZE;

export class GuestStore {
  readonly page = new Uint8Array(4096);
  readonly req = new ByteRing(() => this.page, { data: F.req.offset, size: SIZE, cons: F.req_cons.offset, prod: F.req_prod.offset });
  readonly rsp = new ByteRing(() => this.page, { data: F.rsp.offset, size: SIZE, cons: F.rsp_cons.offset, prod: F.rsp_prod.offset });
  kicks = 0;
  private pending = new Uint8Array(0);
  private nextReq = 1;

  constructor(
    readonly xs: XenStore,
    readonly domid: number,
  ) {
    xs.attachRing(domid, { page: () => this.page, notify: () => this.kicks++ });
  }

  u32(field: 'req_cons' | 'req_prod' | 'rsp_cons' | 'rsp_prod' | 'error' | 'server_features'): number {
    return new DataView(this.page.buffer).getUint32(F[field].offset, true);
  }

  setU32(field: 'req_cons' | 'req_prod' | 'rsp_cons' | 'rsp_prod', v: number): void {
    new DataView(this.page.buffer).setUint32(F[field].offset, v >>> 0, true);
  }

  /** Put a request on the ring (all of it must fit) and return its req_id. */
  send(type: number, payload: Uint8Array, txId = 0): number {
    const reqId = this.nextReq++;
    let bytes = encode({ type, reqId, txId, payload });
    // a message longer than the ring goes in pieces, xenstored consuming in between
    for (let tries = 0; bytes.length > 0; tries++) {
      bytes = bytes.subarray(this.req.write(bytes));
      if (bytes.length === 0) break;
      if (tries > 16) throw new Error('request ring full');
      this.xs.poll(this.domid);
    }
    return reqId;
  }

  /** Every whole message now on the response ring. */
  recv(): XsMessage[] {
    const got = this.rsp.read(SIZE);
    const b = new Uint8Array(this.pending.length + got.length);
    b.set(this.pending);
    b.set(got, this.pending.length);
    const out: XsMessage[] = [];
    let at = 0;
    while (b.length - at >= HEADER_SIZE) {
      const h = decodeHeader(b.subarray(at));
      if (b.length - at < HEADER_SIZE + h.len) break;
      out.push({ type: h.type, reqId: h.reqId, txId: h.txId, payload: b.slice(at + HEADER_SIZE, at + HEADER_SIZE + h.len) });
      at += HEADER_SIZE + h.len;
    }
    this.pending = b.slice(at);
    return out;
  }

  /** send, let xenstored poll, and return the reply (watch events are kept in `events`). */
  call(type: number, ...args: string[]): { type: number; args: string[]; raw: Uint8Array; txId: number } {
    return this.callTx(0, type, ...args);
  }

  readonly events: string[][] = [];

  callTx(txId: number, type: number, ...args: string[]): { type: number; args: string[]; raw: Uint8Array; txId: number } {
    const id = this.send(type, strings(...args), txId);
    this.xs.poll(this.domid);
    let reply: XsMessage | undefined;
    for (const m of this.recv()) {
      if (m.type === XS.WATCH_EVENT) this.events.push(splitStrings(m.payload));
      else if (m.reqId === id) reply = m;
    }
    if (!reply) throw new Error(`no reply to request ${id}`);
    return { type: reply.type, args: splitStrings(reply.payload), raw: reply.payload, txId: reply.txId };
  }

  write(path: string, value: string, txId = 0): { type: number; args: string[] } {
    const id = this.send(XS.WRITE, new Uint8Array([...strings(path), ...new TextEncoder().encode(value)]), txId);
    this.xs.poll(this.domid);
    const all = this.recv();
    for (const m of all) if (m.type === XS.WATCH_EVENT) this.events.push(splitStrings(m.payload));
    const r = all.find((m) => m.reqId === id)!;
    return { type: r.type, args: splitStrings(r.payload) };
  }
}

export const OK = { type: XS.WRITE, args: ['OK'] };

export function err(name: string): { type: number; args: string[] } {
  return { type: XS.ERROR, args: [name] };
}
