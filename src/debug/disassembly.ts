/**
 * The disassemble request over guest memory: src/asm's decoder on bytes read through the
 * simulator, with unmapped bytes shown as such (one `??` per byte) so a view that crosses into
 * an unmapped page stays aligned, and symbols and lines from the image.
 */
import { decodeOne } from '../asm/disasm';
import type { ImageInfo } from '../xen/inspect';

export interface DisassembledInstruction {
  address: number;
  bytes: string;
  text: string;
  length: number;
  /** the symbol when the instruction starts one */
  symbol?: string;
  source?: { file: string; line: number };
  invalid?: boolean;
}

/** Reads `length` bytes at `address`; undefined entries are unmapped. */
export type ByteReader = (address: number, length: number) => (number | undefined)[];

const MAX_INSN = 15;

function decodeAt(read: ByteReader, address: number, image: ImageInfo | undefined, bits: 16 | 32): DisassembledInstruction {
  const raw = read(address, MAX_INSN);
  if (raw[0] === undefined) return { address, bytes: '??', text: '??', length: 1, invalid: true };
  // Bytes past the first unmapped one cannot be part of the instruction as fetched.
  let n = 0;
  while (n < raw.length && raw[n] !== undefined) n++;
  const bytes = Uint8Array.from(raw.slice(0, n) as number[]);
  const d = decodeOne(bytes, 0, address, bits);
  const sym = image?.symbolAt(address);
  return {
    address,
    bytes: [...d.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' '),
    text: d.text,
    length: d.length,
    symbol: sym && sym.address === address ? sym.name : undefined,
    source: image?.lineAt(address),
    invalid: d.text === '(bad)' || d.text.startsWith('.byte'),
  };
}

/**
 * `count` instructions starting `instructionOffset` instructions from `address` (negative:
 * before it). Going backwards decodes forward from the enclosing symbol when there is one
 * (an instruction boundary), else from a guess that resynchronises within a few instructions.
 */
export function disassembleAround(read: ByteReader, address: number, instructionOffset: number, count: number, image?: ImageInfo, bits: 16 | 32 = 32): DisassembledInstruction[] {
  let start = address >>> 0;
  const before: DisassembledInstruction[] = [];
  if (instructionOffset < 0) {
    const want = -instructionOffset;
    const sym = image?.symbolAt((address - 1) >>> 0);
    const span = want * MAX_INSN;
    let from = sym && address - sym.address <= span + 4096 ? sym.address : Math.max(0, address - span);
    const list: DisassembledInstruction[] = [];
    for (let a = from; a < address && list.length < 4 * want + 4096; ) {
      const d = decodeAt(read, a >>> 0, image, bits);
      list.push(d);
      a += d.length;
    }
    // Keep only instructions that end at or before `address`; pad with unknown bytes if short.
    const fit = list.filter((d) => d.address + d.length <= address);
    before.push(...fit.slice(-want));
    while (before.length < want) {
      from = (before.length ? before[0].address : address) - 1;
      before.unshift({ address: from >>> 0, bytes: '??', text: '??', length: 1, invalid: true });
    }
    start = address >>> 0;
  } else {
    for (let i = 0; i < instructionOffset; i++) start = (start + decodeAt(read, start, image, bits).length) >>> 0;
  }
  const out = before.slice(0, count);
  for (let a = start; out.length < count; ) {
    const d = decodeAt(read, a >>> 0, image, bits);
    out.push(d);
    a = (a + d.length) >>> 0;
  }
  return out;
}
