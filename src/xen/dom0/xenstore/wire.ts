/**
 * xs_wire messages: a struct xsd_sockmsg header (type, req_id, tx_id, len) and `len` bytes of
 * payload, usually NUL-terminated strings. Errors travel as XS_ERROR with the errno's name.
 */
import { IO_CONST, IO_LAYOUTS, XS } from '../../abi';

export const HEADER_SIZE = IO_LAYOUTS.xsd_sockmsg.size;
export const PAYLOAD_MAX = IO_CONST.XENSTORE_PAYLOAD_MAX;

export interface XsMessage {
  type: number;
  reqId: number;
  txId: number;
  payload: Uint8Array;
}

const F = IO_LAYOUTS.xsd_sockmsg.fields;

export function encode(m: XsMessage): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + m.payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(F.type.offset, m.type, true);
  dv.setUint32(F.req_id.offset, m.reqId, true);
  dv.setUint32(F.tx_id.offset, m.txId, true);
  dv.setUint32(F.len.offset, m.payload.length, true);
  out.set(m.payload, HEADER_SIZE);
  return out;
}

/** The header of a message whose first HEADER_SIZE bytes are `b`. */
export function decodeHeader(b: Uint8Array): Omit<XsMessage, 'payload'> & { len: number } {
  const dv = new DataView(b.buffer, b.byteOffset, HEADER_SIZE);
  return { type: dv.getUint32(F.type.offset, true), reqId: dv.getUint32(F.req_id.offset, true), txId: dv.getUint32(F.tx_id.offset, true), len: dv.getUint32(F.len.offset, true) };
}

/** Strings joined with NUL terminators: strings('a', 'b') is "a\0b\0". */
export function strings(...parts: string[]): Uint8Array {
  return new TextEncoder().encode(parts.map((p) => p + '\0').join(''));
}

/** The NUL-terminated strings of a payload (a trailing unterminated part is kept too). */
export function splitStrings(p: Uint8Array): string[] {
  const text = Buffer.from(p).toString('latin1');
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function text(p: Uint8Array): string {
  return Buffer.from(p).toString('latin1');
}

export function xsTypeName(type: number): string {
  for (const [k, v] of Object.entries(XS)) if (v === type) return `XS_${k}`;
  return `XS_${type}`;
}
