// Typed access to guest structures by Xen's member names, over bytes the caller owns (a
// frame of guest memory, a copy of a hypercall argument): the domain builder fills
// start_info with `writeField(page, 0, 'start_info', 'nr_pages', n)`.
import { LAYOUTS } from './generated';
import { AbiField } from './types';
import { StructName } from './hypercalls';

export type FieldName<S extends StructName> = keyof (typeof LAYOUTS)[S]['fields'] & string;

export function fieldOf<S extends StructName>(struct: S, field: FieldName<S>): AbiField {
  const f = (LAYOUTS[struct].fields as Readonly<Record<string, AbiField>>)[field];
  if (!f) throw new RangeError(`${struct} has no member ${field}`);
  return f;
}

/** Offset of a member from the start of its structure. */
export function offsetOf<S extends StructName>(struct: S, field: FieldName<S>): number {
  return fieldOf(struct, field).offset;
}

export function sizeOf(struct: StructName): number {
  return LAYOUTS[struct].size;
}

function view(bytes: Uint8Array, at: number, size: number, what: string): DataView {
  if (at < 0 || at + size > bytes.length) throw new RangeError(`${what}: bytes ${at}..${at + size} outside a buffer of ${bytes.length}`);
  return new DataView(bytes.buffer, bytes.byteOffset + at, size);
}

/** Reads an integer member (1, 2, 4 or 8 bytes, little-endian, unsigned) of the structure at `base`. */
export function readField<S extends StructName>(bytes: Uint8Array, base: number, struct: S, field: FieldName<S>): number {
  const f = fieldOf(struct, field);
  const dv = view(bytes, base + f.offset, f.size, `${struct}.${field}`);
  switch (f.size) {
    case 1:
      return dv.getUint8(0);
    case 2:
      return dv.getUint16(0, true);
    case 4:
      return dv.getUint32(0, true);
    case 8:
      return dv.getUint32(4, true) * 0x1_0000_0000 + dv.getUint32(0, true);
    default:
      throw new RangeError(`${struct}.${field} is ${f.size} bytes, not an integer`);
  }
}

/** Writes an integer member; values wrap to the member's size as C would store them. */
export function writeField<S extends StructName>(bytes: Uint8Array, base: number, struct: S, field: FieldName<S>, value: number): void {
  const f = fieldOf(struct, field);
  const dv = view(bytes, base + f.offset, f.size, `${struct}.${field}`);
  switch (f.size) {
    case 1:
      dv.setUint8(0, value & 0xff);
      return;
    case 2:
      dv.setUint16(0, value & 0xffff, true);
      return;
    case 4:
      dv.setUint32(0, value >>> 0, true);
      return;
    case 8:
      dv.setUint32(0, value >>> 0, true);
      dv.setUint32(4, Math.floor(value / 0x1_0000_0000) >>> 0, true);
      return;
    default:
      throw new RangeError(`${struct}.${field} is ${f.size} bytes, not an integer`);
  }
}

/** Writes a NUL-terminated string into a char array member (start_info.magic, cmd_line), truncating to fit. */
export function writeCString<S extends StructName>(bytes: Uint8Array, base: number, struct: S, field: FieldName<S>, text: string): void {
  const f = fieldOf(struct, field);
  view(bytes, base + f.offset, f.size, `${struct}.${field}`);
  const enc = new TextEncoder().encode(text).subarray(0, f.size - 1);
  bytes.fill(0, base + f.offset, base + f.offset + f.size);
  bytes.set(enc, base + f.offset);
}

/** Reads a char array member up to its first NUL. */
export function readCString<S extends StructName>(bytes: Uint8Array, base: number, struct: S, field: FieldName<S>): string {
  const f = fieldOf(struct, field);
  view(bytes, base + f.offset, f.size, `${struct}.${field}`);
  const raw = bytes.subarray(base + f.offset, base + f.offset + f.size);
  const nul = raw.indexOf(0);
  return new TextDecoder('latin1').decode(nul < 0 ? raw : raw.subarray(0, nul));
}
