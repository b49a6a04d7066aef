/**
 * ioreq_t (hvm/ioreq.h) in the shared ioreq page, one 32-byte slot per vCPU: Xen writes a
 * request and marks it STATE_IOREQ_READY; the device model takes it (INPROCESS), emulates it
 * and writes the answer with STATE_IORESP_READY; Xen copies the data back into the vCPU and
 * frees the slot (STATE_IOREQ_NONE).
 */
import { IOREQ_DIR, IOREQ_STATE, IOREQ_TYPE } from '../abi';

export const IOREQ_SIZE = 32;
const ADDR = 0;
const DATA = 8;
const COUNT = 16;
const SIZE = 20;
const VP_EPORT = 24;
/** state:4, data_is_ptr:1, dir:1, df:1 */
const BITS = 30;
const TYPE = 31;

export interface Ioreq {
  addr: number;
  data: number;
  size: number;
  dir: number;
  type: number;
}

function view(page: Uint8Array): DataView {
  return new DataView(page.buffer, page.byteOffset, page.byteLength);
}

export function ioreqState(page: Uint8Array, slot: number): number {
  return page[slot * IOREQ_SIZE + BITS] & 0xf;
}

function setState(page: Uint8Array, slot: number, state: number): void {
  const o = slot * IOREQ_SIZE + BITS;
  page[o] = (page[o] & 0xf0) | state;
}

/** Xen's side: post a request in the vCPU's slot. */
export function postIoreq(page: Uint8Array, slot: number, r: Ioreq, eport: number): void {
  const o = slot * IOREQ_SIZE;
  const dv = view(page);
  dv.setBigUint64(o + ADDR, BigInt(r.addr >>> 0), true);
  dv.setBigUint64(o + DATA, BigInt(r.data >>> 0), true);
  dv.setUint32(o + COUNT, 1, true);
  dv.setUint32(o + SIZE, r.size, true);
  dv.setUint32(o + VP_EPORT, eport, true);
  page[o + BITS] = IOREQ_STATE.READY | (r.dir << 5);
  page[o + TYPE] = r.type;
}

/** The device model's side: take a READY request, answer it with `emulate`'s data. */
export function serveIoreq(page: Uint8Array, slot: number, emulate: (r: Ioreq) => number): boolean {
  if (ioreqState(page, slot) !== IOREQ_STATE.READY) return false;
  const o = slot * IOREQ_SIZE;
  const dv = view(page);
  setState(page, slot, IOREQ_STATE.INPROCESS);
  const r: Ioreq = {
    addr: Number(dv.getBigUint64(o + ADDR, true)),
    data: Number(dv.getBigUint64(o + DATA, true) & 0xffffffffn),
    size: dv.getUint32(o + SIZE, true),
    dir: (page[o + BITS] >> 5) & 1,
    type: page[o + TYPE],
  };
  const data = emulate(r);
  if (r.dir === IOREQ_DIR.READ) dv.setBigUint64(o + DATA, BigInt(data >>> 0), true);
  setState(page, slot, IOREQ_STATE.IORESP_READY);
  return true;
}

/** Xen's side: collect the answer and free the slot; the data for a read. */
export function completeIoreq(page: Uint8Array, slot: number): number | undefined {
  if (ioreqState(page, slot) !== IOREQ_STATE.IORESP_READY) return undefined;
  const data = Number(view(page).getBigUint64(slot * IOREQ_SIZE + DATA, true) & 0xffffffffn);
  setState(page, slot, IOREQ_STATE.NONE);
  return data;
}

export { IOREQ_DIR, IOREQ_TYPE };
