/**
 * ioreq_t (hvm/ioreq.h) in the shared ioreq page, one 32-byte slot per vCPU, and the state
 * machine both sides follow: Xen writes a request and marks it STATE_IOREQ_READY; the device
 * model takes it (STATE_IOREQ_INPROCESS), emulates it and writes the answer with
 * STATE_IORESP_READY; Xen copies the data back into the vCPU and frees the slot
 * (STATE_IOREQ_NONE). With data_is_ptr the data field is the guest-physical address of the
 * data (rep ins/outs), which the device model reads or writes itself.
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
const DATA_IS_PTR = 0x10;
const DIR = 0x20;
const DF = 0x40;

export interface Ioreq {
  addr: number;
  /** the value (write) or, with dataIsPtr, the guest-physical address of the data */
  data: number;
  size: number;
  count: number;
  dir: number;
  type: number;
  dataIsPtr: boolean;
  df: boolean;
  vpEport: number;
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

/** The request in a slot, whatever its state. */
export function readIoreq(page: Uint8Array, slot: number): Ioreq {
  const o = slot * IOREQ_SIZE;
  const dv = view(page);
  const bits = page[o + BITS];
  return {
    addr: dv.getUint32(o + ADDR, true),
    data: dv.getUint32(o + DATA, true),
    count: dv.getUint32(o + COUNT, true),
    size: dv.getUint32(o + SIZE, true),
    vpEport: dv.getUint32(o + VP_EPORT, true),
    dir: bits & DIR ? IOREQ_DIR.READ : IOREQ_DIR.WRITE,
    dataIsPtr: (bits & DATA_IS_PTR) !== 0,
    df: (bits & DF) !== 0,
    type: page[o + TYPE],
  };
}

/** Xen's side: post a request in the vCPU's slot (the slot must be free). */
export function postIoreq(page: Uint8Array, slot: number, r: Ioreq): void {
  const o = slot * IOREQ_SIZE;
  const dv = view(page);
  // 64-bit fields; addresses and data are 32-bit here (the high halves are zero)
  dv.setUint32(o + ADDR, r.addr >>> 0, true);
  dv.setUint32(o + ADDR + 4, 0, true);
  dv.setUint32(o + DATA, r.data >>> 0, true);
  dv.setUint32(o + DATA + 4, 0, true);
  dv.setUint32(o + COUNT, r.count, true);
  dv.setUint32(o + SIZE, r.size, true);
  dv.setUint32(o + VP_EPORT, r.vpEport, true);
  page[o + BITS] = IOREQ_STATE.READY | (r.dataIsPtr ? DATA_IS_PTR : 0) | (r.dir === IOREQ_DIR.READ ? DIR : 0) | (r.df ? DF : 0);
  page[o + TYPE] = r.type;
}

/**
 * The device model's side: take a READY request, answer it with `emulate`'s data (for a read
 * without data_is_ptr). Returns the request served, or null when the slot held none.
 */
export function serveIoreq(page: Uint8Array, slot: number, emulate: (r: Ioreq) => number): Ioreq | null {
  if (ioreqState(page, slot) !== IOREQ_STATE.READY) return null;
  setState(page, slot, IOREQ_STATE.INPROCESS);
  const r = readIoreq(page, slot);
  const data = emulate(r);
  if (r.dir === IOREQ_DIR.READ && !r.dataIsPtr) {
    const dv = view(page);
    dv.setUint32(slot * IOREQ_SIZE + DATA, data >>> 0, true);
    dv.setUint32(slot * IOREQ_SIZE + DATA + 4, 0, true);
  }
  setState(page, slot, IOREQ_STATE.IORESP_READY);
  return r;
}

/** Xen's side: collect the answer and free the slot; the data for a read, undefined when no answer is there. */
export function completeIoreq(page: Uint8Array, slot: number): number | undefined {
  if (ioreqState(page, slot) !== IOREQ_STATE.IORESP_READY) return undefined;
  const data = view(page).getUint32(slot * IOREQ_SIZE + DATA, true);
  setState(page, slot, IOREQ_STATE.NONE);
  return data;
}

export { IOREQ_DIR, IOREQ_STATE, IOREQ_TYPE };
