/** The disassembler's byte reader and objdump's spelling of memory operands. */

export const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
export const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
export const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];
const IDX16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];
export const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

export class Truncated extends Error {}

export class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, readonly start: number, readonly end: number) {
    this.pos = start;
  }
  peek(ahead = 0): number {
    if (this.pos + ahead >= this.end) throw new Truncated();
    return this.bytes[this.pos + ahead];
  }
  u8(): number {
    const v = this.peek();
    this.pos++;
    return v;
  }
  s8(): number {
    return (this.u8() << 24) >> 24;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
}

export interface ModRM {
  mod: number;
  reg: number;
  rm: number;
  /** formatted memory operand parts (when mod != 3) */
  mem?: MemText;
}

/** A memory operand's spellings; `direct` when it is a bare disp32 (binutils then leaves 67 unused). */
export interface MemText {
  text: string;
  nasm?: string;
  direct?: boolean;
}

/** 32-bit effective address in objdump's spelling (binutils OP_E_memory). */
export function mem32(r: Reader, mod: number, rm: number): MemText {
  const havesib = rm === 4;
  let base = rm;
  let index = 4;
  let scale = 0;
  if (havesib) {
    const sib = r.u8();
    base = sib & 7;
    index = (sib >> 3) & 7;
    scale = sib >> 6;
  }
  let disp = 0;
  const haveindex = havesib && index !== 4;
  let havebase = true;
  if (mod === 0 && base === 5) {
    havebase = false;
    disp = r.u32() | 0;
  } else if (mod === 1) disp = r.s8();
  else if (mod === 2) disp = r.u32() | 0;
  const needindex = havesib && !havebase && !haveindex;
  const havedisp = havebase || needindex || (havesib && (haveindex || scale !== 0));
  if (!havedisp) return { text: `{seg}${hex(disp)}`, nasm: `[{nseg}${hex(disp)}]`, direct: true };
  let t = '[';
  if (havebase) t += R32[base];
  if (havesib && (scale !== 0 || needindex || haveindex || (havebase && base !== 4))) {
    if (havebase) t += '+';
    t += (haveindex ? R32[index] : 'eiz') + '*' + (1 << scale);
  }
  if (disp !== 0 || mod !== 0 || base === 5) t += disp >= 0 ? '+' + hex(disp) : '-' + hex(-disp);
  t += ']';
  // NASM can say this unless it needs an index of none (eiz) other than plain [esp]
  const eiz = havesib && !haveindex && !(havebase && base === 4 && scale === 0);
  if (eiz) return { text: `{seg}${t}` };
  const force = mod === 1 ? 'byte ' : mod === 2 ? 'dword ' : '';
  let inner = '';
  if (havebase) inner += R32[base];
  if (haveindex) inner += (inner ? '+' : '') + R32[index] + '*' + (1 << scale);
  const split = !havebase && haveindex ? 'nosplit ' : '';
  // [esp] is spelled by NASM with esp as the base; ebp+esi style pairs keep their order
  if (!havebase) inner += (disp >= 0 ? '+' : '-') + hex(Math.abs(disp));
  else if (mod !== 0) inner += (disp >= 0 ? '+' : '-') + hex(Math.abs(disp));
  return { text: `{seg}${t}`, nasm: `[${force}${split}{nseg}${inner}]` };
}

export function mem16(r: Reader, mod: number, rm: number): MemText {
  let disp = 0;
  if (mod === 0 && rm === 6) disp = (r.u16() << 16) >> 16;
  else if (mod === 1) disp = r.s8();
  else if (mod === 2) disp = (r.u16() << 16) >> 16;
  if (mod === 0 && rm === 6) return { text: `{seg}${hex(disp & 0xffff)}`, nasm: `[word {nseg}${hex(disp & 0xffff)}]` };
  let t = '[' + IDX16[rm];
  if (disp !== 0 || mod !== 0) t += disp >= 0 ? '+' + hex(disp) : '-' + hex(-disp);
  t += ']';
  const force = mod === 1 ? 'byte ' : mod === 2 ? 'word ' : '';
  const d = mod === 0 ? '' : (disp >= 0 ? '+' : '-') + hex(Math.abs(disp));
  return { text: `{seg}${t}`, nasm: `[${force}{nseg}${IDX16[rm]}${d}]` };
}
