/**
 * The disassembler: bytes → Intel-syntax text exactly as `objdump -d -M intel` prints it,
 * decoded with the same opcode table the encoder uses. Each decoded instruction also carries
 * NASM-syntax text (when NASM can express those exact bytes' meaning), which re-assembles to
 * an instruction that disassembles to the same text.
 */
import { nasmSpelling } from './disasm-nasm';
import { hex, mem16, mem32, ModRM, R16, R32, R8, Reader, SREG, Truncated } from './disasm-operands';
import { PREFIX_BYTES, prefixName, prefixNames, PrefixState, SEG_PREFIX, unusedPrefixes } from './disasm-prefixes';
import { Form, FORMS, Pattern } from './table';
import { noWait, X87_ENV, X87_MEM, x87Reg } from './x87';

export interface Decoded {
  address: number;
  length: number;
  bytes: Uint8Array;
  /** objdump's Intel syntax, single spaces (`mov eax,DWORD PTR [ebx+0x4]`) */
  text: string;
  /** NASM syntax for the same instruction, when NASM can say it (not for `(bad)`) */
  nasm?: string;
  /** the destination of a relative jump, call or loop (for symbols and stepping over calls) */
  target?: number;
}

const MEM_LABEL: Partial<Record<Pattern, string>> = {
  rm8: 'BYTE', rm16: 'WORD', rm32: 'DWORD', m8: 'BYTE', m16: 'WORD', m32: 'DWORD', m64: 'QWORD',
  m48: 'FWORD', mfar32: 'FWORD', mfar16: 'DWORD',
  Xb: 'BYTE', Xw: 'WORD', Xd: 'DWORD', Yb: 'BYTE', Yw: 'WORD', Yd: 'DWORD', Zb: 'BYTE',
};
const NASM_SIZE: Record<string, string> = { BYTE: 'byte', WORD: 'word', DWORD: 'dword', QWORD: 'qword', FWORD: 'fword' };

/** Candidate forms by opcode key: one byte, or 0x100 | second byte after 0F. */
const INDEX: Map<number, Form[]> = (() => {
  const m = new Map<number, Form[]>();
  const add = (k: number, f: Form): void => {
    const list = m.get(k) ?? [];
    list.push(f);
    m.set(k, list);
  };
  for (const f of FORMS) {
    if (f.encOnly) continue;
    const two = f.opcode[0] === 0x0f;
    const keyByte = two ? f.opcode[1] : f.opcode[0];
    const last = (two ? 2 : 1) === f.opcode.length && f.plusReg;
    for (let r = 0; r < (last ? 8 : 1); r++) add((two ? 0x100 : 0) | (keyByte + r), f);
  }
  return m;
})();

const isMemOnly = (p: Pattern): boolean => /^m(\d|far|$)/.test(p);
const isRegOnly = (p: Pattern): boolean => p === 'rr16' || p === 'rr32';

function formFits(f: Form, r: Reader, keyLen: number, ps: PrefixState, lastRep: number | undefined, bits: 16 | 32): boolean {
  if (f.modeDefault && f.osize !== bits) return false;
  if (f.mandatory !== undefined && lastRep !== f.mandatory) return false;
  if (f.asize !== undefined && f.asize !== ps.adsize) return false;
  const extra = f.opcode.length - keyLen;
  for (let i = 0; i < extra; i++) if (r.peek(i) !== f.opcode[keyLen + i]) return false;
  if (f.modrm === null) return true;
  const modrm = r.peek(extra);
  if (f.modrm >= 0 && ((modrm >> 3) & 7) !== f.modrm) return false;
  const mod = modrm >> 6;
  for (const p of f.ops) {
    if (isMemOnly(p) && mod === 3) return false;
    if (isRegOnly(p) && mod !== 3) return false;
  }
  return true;
}

interface Rendered {
  text: string;
  nasm?: string;
}

/** An x87 instruction (d8–df, after an optional merged fwait), as objdump prints it. */
function decodeX87(r: Reader, ps: PrefixState, op: number, afterWait: boolean, bits: 16 | 32): { head: string; operands: string } {
  const b = r.u8();
  const mod = b >> 6;
  const reg = (b >> 3) & 7;
  const rm = b & 7;
  if (mod === 3) {
    const t = x87Reg(op, reg, rm, afterWait) ?? '(bad)';
    const sp = t.indexOf(' ');
    return sp < 0 ? { head: t, operands: '' } : { head: t.slice(0, sp), operands: t.slice(sp).trim() };
  }
  const m = ps.adsize === 32 ? mem32(r, mod, rm) : mem16(r, mod, rm);
  ps.addrUsed = !m.direct;
  const segName = ps.seg !== undefined ? SEG_PREFIX[ps.seg] : undefined;
  ps.segUsed = segName !== undefined;
  const [raw, label] = X87_MEM[op - 0xd8][reg];
  let name = raw ? noWait(raw, afterWait) : '(bad)';
  if (X87_ENV.has(raw) && ps.opsize !== bits) {
    name += 'w'; // the 14-byte (16-bit) environment layout
    ps.dataUsed = true;
  }
  const where = m.text.replace('{seg}', segName ? `${segName}:` : m.text.startsWith('{seg}[') ? '' : 'ds:');
  return { head: name, operands: (label ? `${label} PTR ` : '') + where };
}

/** Outside 64-bit code, c5 (lds) before a register-form ModRM is VEX, and 8f (pop) before an XOP map select is XOP. */
function isVexLike(op: number, r: Reader): boolean {
  if (r.pos >= r.end) return false;
  const next = r.bytes[r.pos];
  if (op === 0xc5) return next >> 6 === 3; // (c4's three-byte VEX lengths depend on the map: left as (bad) + 1)
  return op === 0x8f && (next & 0x1f) >= 8 && (next & 0x1f) <= 10; // XOP map select 8-10 (so ModRM.reg is not 0)
}

function decodeInner(bytes: Uint8Array, offset: number, address: number, bits: 16 | 32, end: number): Decoded {
  const r = new Reader(bytes, offset, end);
  const ps: PrefixState = {
    bits,
    list: [], segAt: -1, dataAt: -1, addrAt: -1, repzAt: -1, opsize: bits, adsize: bits,
    segUsed: false, dataUsed: false, addrUsed: false, mandatoryUsed: false,
  };
  let lastRep: number | undefined;
  // binutils reads fwait as a prefix of a following x87 opcode (fstsw, not fwait + fnstsw)
  let scan = offset;
  while (scan < end && (PREFIX_BYTES.has(bytes[scan]) || bytes[scan] === 0x9b)) scan++;
  const afterWait = scan < end && bytes[scan] >= 0xd8 && bytes[scan] <= 0xdf && bytes.subarray(offset, scan).includes(0x9b);
  while ((PREFIX_BYTES.has(r.peek()) || (afterWait && r.peek() === 0x9b)) && ps.list.length < 14) {
    const b = r.u8();
    if (b === 0x9b) continue;
    const index = ps.list.length;
    ps.list.push({ byte: b, index });
    if (SEG_PREFIX[b]) {
      ps.seg = b;
      ps.segAt = index;
    } else if (b === 0x66) {
      ps.dataAt = index;
      ps.opsize = bits === 32 ? 16 : 32;
    } else if (b === 0x67) {
      ps.addrAt = index;
      ps.adsize = bits === 32 ? 16 : 32;
    } else if (b === 0xf3 || b === 0xf2) {
      lastRep = b;
      if (b === 0xf3) ps.repzAt = index;
    }
  }
  let key = r.u8();
  let keyLen = 1;
  if (isVexLike(key, r)) {
    // AVX (VEX) and AMD XOP: outside the integer set; objdump's length for an invalid one
    r.pos += key === 0xc5 ? 2 : 3;
    return bad(bytes, offset, address, Math.min(r.pos, end) - offset);
  }
  if (key >= 0xd8 && key <= 0xdf) {
    const x = decodeX87(r, ps, key, afterWait, bits);
    const names = ps.list.map(({ byte }) => prefixName(byte, bits));
    const { words } = unusedPrefixes(ps, names, names, bits);
    const head = [...words, x.head].join(' ');
    const length = r.pos - offset;
    return { address, length, bytes: bytes.slice(offset, offset + length), text: x.operands ? `${head.padEnd(6)} ${x.operands}` : head };
  }
  if (key === 0x0f) {
    key = 0x100 | r.u8();
    keyLen = 2;
  }
  const cands = (INDEX.get(key) ?? []).filter((f) => formFits(f, r, keyLen, ps, lastRep, bits));
  const form = cands.find((f) => f.mandatory !== undefined) ?? cands.find((f) => f.osize === undefined || f.osize === ps.opsize);
  if (!form) {
    const words = ps.list.map(({ byte }) => prefixName(byte, bits));
    // objdump consumes the prefixes and the opcode bytes (three for the 0f 38 / 0f 3a maps;
    // an unknown 3DNow! 0f 0f form, though, only its first byte)
    const extra = key === 0x138 || key === 0x13a ? 1 : key === 0x10f ? -1 : 0;
    return bad(bytes, offset, address, r.pos - offset + extra, [...words, '(bad)'].join(' '));
  }
  r.pos += form.opcode.length - keyLen;
  if (form.mandatory !== undefined) ps.mandatoryUsed = true;
  if (form.osize !== undefined) ps.dataUsed = true;
  if (form.asize !== undefined) ps.addrUsed = true;
  const lastOpcode = bytes[r.pos - 1];

  let modrm: ModRM | undefined;
  if (form.modrm !== null) {
    const b = r.u8();
    modrm = { mod: b >> 6, reg: (b >> 3) & 7, rm: b & 7 };
    const regInRm = form.ops.some((p) => p === 'rx32');
    if (modrm.mod !== 3 && !regInRm) {
      modrm.mem = ps.adsize === 32 ? mem32(r, modrm.mod, modrm.rm) : mem16(r, modrm.mod, modrm.rm);
      ps.addrUsed = !modrm.mem.direct;
    }
  }
  // binutils: a ds prefix on an indirect near jmp/call is CET's notrack, not a segment
  const notrack = ps.list.some((p) => p.byte === 0x3e) && form.opcode[0] === 0xff && (form.modrm === 2 || form.modrm === 4);
  const segName = ps.seg !== undefined && !notrack ? SEG_PREFIX[ps.seg] : undefined;
  const imms: number[] = [];
  let rel: number | undefined;
  let moffs: number | undefined;
  let far: [number, number] | undefined;
  for (const t of form.tail) {
    if (t.t === 'imm') imms.push(t.size === 1 ? r.u8() : t.size === 2 ? r.u16() : r.u32());
    else if (t.t === 'rel') {
      const d = t.size === 1 ? r.s8() : t.size === 2 ? (r.u16() << 16) >> 16 : r.u32() | 0;
      const mask = t.size === 2 || (bits === 16 && t.size === 1) ? 0xffff : 0xffffffff;
      const next = address + (r.pos - offset);
      const segment = t.size !== 2 && bits === 16 ? next & ~0xffff : 0;
      rel = (((next + d) & mask) | segment) >>> 0;
    } else if (t.t === 'moffs') {
      moffs = ps.adsize === 16 ? r.u16() : r.u32(); // objdump still prints addr16 here
    } else if (t.t === 'ptr') {
      const off = form.osize === 16 ? r.u16() : r.u32();
      far = [r.u16(), off];
    }
  }

  let nasmOk = true;
  /** operand `i` of `list` (the printed operands, or NASM's when they differ) */
  const render = (list: readonly Pattern[], i: number): Rendered => {
    const p = list[i];
    const imm = (): number => imms[list.slice(0, i).filter((q) => /^(imm|sbyte)/.test(q)).length];
    switch (p) {
      case 'r8': return { text: R8[plusOrReg()] };
      case 'r16': return { text: R16[plusOrReg()] };
      case 'r32': return { text: R32[plusOrReg()] };
      case 'rr16': return { text: R16[modrm!.rm] };
      case 'rr32': case 'rx32': return { text: R32[modrm!.rm] };
      case 'al': case 'ax': case 'eax': case 'cl': case 'dx':
      case 'es': case 'cs': case 'ss': case 'ds': case 'fs': case 'gs':
        return { text: p };
      case 'sreg': {
        const s = SREG[modrm!.reg];
        if (s === '?') nasmOk = false;
        return { text: s };
      }
      case 'cr': return { text: `cr${modrm!.reg}` };
      case 'dr': return { text: `dr${modrm!.reg}` };
      case 'tr': return { text: `tr${modrm!.reg}` };
      case 'one': return { text: '1' };
      case 'imm8': case 'imm16': case 'imm32':
        return { text: hex(imm()) };
      case 'sbyte16': case 'sbyte32': {
        const v = (imm() << 24) >> 24;
        return { text: hex(p === 'sbyte16' ? v & 0xffff : v) };
      }
      case 'rel8': case 'rel16': case 'rel32':
        return { text: hex(rel!) };
      case 'far16': case 'far32':
        return { text: `${hex(far![0])}:${hex(far![1])}` };
      case 'moffs8': case 'moffs16': case 'moffs32':
        ps.segUsed = segName !== undefined;
        return { text: `${segName ?? 'ds'}:${hex(moffs!)}`, nasm: `[${segName ? segName + ':' : ''}${hex(moffs!)}]` };
      case 'Xb': case 'Xw': case 'Xd': case 'Yb': case 'Yw': case 'Yd': case 'Zb': {
        const dst = p[0] === 'Y';
        const reg = p[0] === 'Z' ? 'ebx' : dst ? 'edi' : 'esi';
        const regName = ps.adsize === 16 ? reg.slice(1) : reg;
        ps.addrUsed = true;
        if (!dst) ps.segUsed = segName !== undefined;
        const seg = dst ? 'es' : (segName ?? 'ds');
        return { text: `${MEM_LABEL[p]} PTR ${seg}:[${regName}]` };
      }
      default: {
        // a ModRM r/m operand
        if (modrm!.mod === 3) {
          const size = p.endsWith('8') ? R8 : p.endsWith('16') ? R16 : R32;
          return { text: size[modrm!.rm] };
        }
        const label = MEM_LABEL[p];
        ps.segUsed = segName !== undefined;
        const m = modrm!.mem!;
        const text = (label ? `${label} PTR ` : '') + m.text.replace('{seg}', segName ? `${segName}:` : m.text.startsWith('{seg}[') ? '' : 'ds:');
        if (m.nasm === undefined) nasmOk = false;
        const isFar = p.startsWith('mfar');
        // NASM's templates take m32/m64/m48 operands (bound, cmpxchg8b) without a size keyword
        const sized = label && !/^m(32|48|64)$/.test(p);
        const size = isFar ? (form.mnemonic === 'jmp' || form.mnemonic === 'call' ? 'far ' : '') : sized ? NASM_SIZE[label] + ' ' : '';
        const nasm = m.nasm?.replace('{nseg}', segName ? `${segName}:` : '');
        return { text, nasm: nasm && size + nasm };
      }
    }
  };
  function plusOrReg(): number {
    return form!.plusReg ? lastOpcode & 7 : modrm!.reg;
  }

  const ops = form.disOps.map((_, i) => render(form.disOps, i));
  const length = r.pos - offset;

  const { names, nasmNames } = prefixNames(ps, form, modrm, notrack);
  const { words, nasmWords, nasmOrder } = unusedPrefixes(ps, names, nasmNames, bits);
  if (!nasmOrder) nasmOk = false;
  const suffix = form.sizeSuffix && form.osize !== bits ? (form.osize === 16 ? 'w' : 'd') : '';
  const head = [...words, form.disName + suffix].join(' ');
  const operandText = ops.map((o) => o.text).join(',');
  const text = operandText ? `${head.padEnd(6)} ${operandText}` : head;

  let nasm: string | undefined;
  if (nasmOk) {
    const nasmOps = form.ops.map((_, i) => {
      const o = form.disOps === form.ops ? ops[i] : render(form.ops, i);
      return o.nasm ?? o.text;
    });
    nasm = nasmSpelling({ form, nasmOps, nasmWords, segName, ps, bits, modrm, imms });
  }
  return { address, length, bytes: bytes.slice(offset, offset + length), text, nasm, ...(rel !== undefined ? { target: rel } : {}) };
}

function bad(bytes: Uint8Array, offset: number, address: number, length: number, text = '(bad)'): Decoded {
  return { address, length, bytes: bytes.slice(offset, offset + length), text };
}

/** Decodes the instruction at bytes[offset] (which is at `address`); never throws. */
export function decodeOne(bytes: Uint8Array, offset: number, address: number, bits: 16 | 32 = 32): Decoded {
  const end = Math.min(bytes.length, offset + 15);
  try {
    return decodeInner(bytes, offset, address, bits, end);
  } catch (e) {
    if (!(e instanceof Truncated)) throw e;
    if (end - offset >= 15) return bad(bytes, offset, address, 1);
    return { address, length: 1, bytes: bytes.slice(offset, offset + 1), text: `.byte ${hex(bytes[offset])}` };
  }
}

/** Decodes a whole buffer that is loaded at `org`. */
export function disassemble(bytes: Uint8Array, org: number, bits: 16 | 32 = 32): Decoded[] {
  const out: Decoded[] = [];
  let off = 0;
  while (off < bytes.length) {
    const d = decodeOne(bytes, off, (org + off) >>> 0, bits);
    out.push(d);
    off += d.length;
  }
  return out;
}
