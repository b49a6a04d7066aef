/**
 * The disassembler: bytes → Intel-syntax text exactly as `objdump -d -M intel` prints it,
 * decoded with the same opcode table the encoder uses. Each decoded instruction also carries
 * NASM-syntax text (when NASM can express those exact bytes' meaning), which re-assembles to
 * an instruction that disassembles to the same text.
 */
import { Form, FORMS, FORMS_BY_MNEMONIC, Pattern } from './table';
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

const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];
const IDX16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx'];
const SEG_PREFIX: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs' };
const PREFIX_NAME: Record<number, string> = { ...SEG_PREFIX, 0x66: 'data16', 0x67: 'addr16', 0xf0: 'lock', 0xf2: 'repnz', 0xf3: 'repz' };
/** objdump names a size prefix after the size it selects: data16/addr16 in 32-bit code, data32/addr32 in 16-bit. */
function prefixName(byte: number, bits: 16 | 32): string {
  if (bits === 16 && (byte === 0x66 || byte === 0x67)) return byte === 0x66 ? 'data32' : 'addr32';
  return PREFIX_NAME[byte];
}
const PREFIX_BYTES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
/** NASM emits prefixes in this order; text with another order cannot round-trip through NASM. */
const NASM_PREFIX_RANK: Record<number, number> = { 0xf2: 0, 0xf3: 0, 0xf0: 1, 0x26: 2, 0x2e: 2, 0x36: 2, 0x3e: 2, 0x64: 2, 0x65: 2, 0x66: 3, 0x67: 4 };
const REP_STRING = new Set(['ins', 'outs', 'movs', 'lods', 'stos']);
const NASM_PREFIX: Record<number, string> = { 0xf3: 'repe', 0xf2: 'repne' };
/** Instructions whose f2/f3 objdump calls xacquire/xrelease under lock (binutils HLE_Fixup1). */
const HLE_LOCKED = new Set(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'inc', 'dec', 'not', 'neg', 'bts', 'btr', 'btc', 'cmpxchg', 'xadd', 'cmpxchg8b']);

/** Near branches on which objdump calls f2 "bnd" (MPX). */
function isBndBranch(f: Form): boolean {
  if (f.ops.some((p) => p.startsWith('far') || p.startsWith('mfar'))) return false;
  if (f.mnemonic === 'ret' || f.mnemonic === 'call') return true;
  if (f.mnemonic === 'jmp') return true;
  return /^j/.test(f.mnemonic) && f.ops[0]?.startsWith('rel') && f.opcode[0] !== 0xe3;
}

const MEM_LABEL: Partial<Record<Pattern, string>> = {
  rm8: 'BYTE', rm16: 'WORD', rm32: 'DWORD', m8: 'BYTE', m16: 'WORD', m32: 'DWORD', m64: 'QWORD',
  m48: 'FWORD', mfar32: 'FWORD', mfar16: 'DWORD',
  Xb: 'BYTE', Xw: 'WORD', Xd: 'DWORD', Yb: 'BYTE', Yw: 'WORD', Yd: 'DWORD', Zb: 'BYTE',
};
const NASM_SIZE: Record<string, string> = { BYTE: 'byte', WORD: 'word', DWORD: 'dword', QWORD: 'qword', FWORD: 'fword' };

const hex = (v: number): string => '0x' + (v >>> 0).toString(16);

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

class Truncated extends Error {}

class Reader {
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

interface PrefixState {
  bits: 16 | 32;
  list: { byte: number; index: number }[];
  seg?: number;
  segAt: number;
  dataAt: number;
  addrAt: number;
  repzAt: number;
  opsize: 16 | 32;
  adsize: 16 | 32;
  segUsed: boolean;
  dataUsed: boolean;
  addrUsed: boolean;
  mandatoryUsed: boolean;
}

interface ModRM {
  mod: number;
  reg: number;
  rm: number;
  /** formatted memory operand parts (when mod != 3) */
  mem?: MemText;
}

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

/** 32-bit effective address in objdump's spelling (binutils OP_E_memory). */
/** A memory operand's spellings; `direct` when it is a bare disp32 (binutils then leaves 67 unused). */
interface MemText {
  text: string;
  nasm?: string;
  direct?: boolean;
}

function mem32(r: Reader, mod: number, rm: number): MemText {
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

function mem16(r: Reader, mod: number, rm: number): MemText {
  let disp = 0;
  if (mod === 0 && rm === 6) disp = (r.u16() << 16) >> 16;
  else if (mod === 1) disp = r.s8();
  else if (mod === 2) disp = (r.u16() << 16) >> 16;
  if (mod === 0 && rm === 6) return { text: `{seg}${hex(disp & 0xffff)}`, nasm: `[{nseg}word ${hex(disp & 0xffff)}]` };
  let t = '[' + IDX16[rm];
  if (disp !== 0 || mod !== 0) t += disp >= 0 ? '+' + hex(disp) : '-' + hex(-disp);
  t += ']';
  const force = mod === 1 ? 'byte ' : mod === 2 ? 'word ' : '';
  const d = mod === 0 ? '' : (disp >= 0 ? '+' : '-') + hex(Math.abs(disp));
  return { text: `{seg}${t}`, nasm: `[${force}{nseg}${IDX16[rm]}${d}]` };
}

interface Rendered {
  text: string;
  nasm?: string;
}

/**
 * What objdump calls each prefix byte: its plain name, renamed by binutils' fixups (rep on
 * string moves, bnd on near branches, xacquire/xrelease on HLE-capable writes, notrack).
 */
function prefixNames(ps: PrefixState, form: Form, modrm: ModRM | undefined, notrack: boolean): { names: string[]; nasmNames: string[] } {
  const names = ps.list.map(({ byte }) => prefixName(byte, ps.bits));
  const nasmNames = ps.list.map(({ byte }) => NASM_PREFIX[byte] ?? PREFIX_NAME[byte]);
  const repnzAt = ps.list.map((p) => p.byte).lastIndexOf(0xf2);
  if (ps.repzAt >= 0 && REP_STRING.has(form.disName)) {
    names[ps.repzAt] = 'rep';
    nasmNames[ps.repzAt] = 'rep';
  }
  const memFirst = modrm !== undefined && modrm.mod !== 3 && /^(rm|m)/.test(form.ops[0] ?? '');
  const lock = ps.list.some((p) => p.byte === 0xf0);
  if (memFirst && ((lock && HLE_LOCKED.has(form.mnemonic)) || form.mnemonic === 'xchg')) {
    if (ps.repzAt >= 0) names[ps.repzAt] = 'xrelease';
    if (repnzAt >= 0) names[repnzAt] = 'xacquire';
  } else if (memFirst && form.mnemonic === 'mov' && /^(r|imm)/.test(form.ops[1]) && ps.repzAt > repnzAt) {
    names[ps.repzAt] = 'xrelease';
  }
  if (repnzAt >= 0 && isBndBranch(form)) names[repnzAt] = 'bnd';
  if (notrack) names[ps.segAt] = 'notrack';
  return { names, nasmNames };
}

/** The prefix words objdump prints (those the instruction did not use) and their NASM spelling. */
function unusedPrefixes(ps: PrefixState, names: string[], nasmNames: string[], bits: 16 | 32): { words: string[]; nasmWords: string[]; nasmOrder: boolean } {
  const words: string[] = [];
  const nasmWords: string[] = [];
  let lastRank = -1;
  let nasmOrder = true;
  ps.list.forEach(({ byte, index }) => {
    const rank = NASM_PREFIX_RANK[byte];
    if (rank <= lastRank) nasmOrder = false;
    lastRank = rank;
    if (SEG_PREFIX[byte] && ps.segUsed && index === ps.segAt) return;
    if (byte === 0x66 && ps.dataUsed && index === ps.dataAt) return;
    if (byte === 0x67 && ps.addrUsed && index === ps.addrAt) return;
    if (byte === 0xf3 && ps.mandatoryUsed && index === ps.repzAt) return;
    words.push(names[index]);
    nasmWords.push(byte === 0x66 ? (bits === 32 ? 'o16' : 'o32') : byte === 0x67 ? (bits === 32 ? 'a16' : 'a32') : nasmNames[index]);
  });
  return { words, nasmWords, nasmOrder };
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
    // objdump consumes the prefixes and the opcode bytes (three for the 0f 38 / 0f 3a maps)
    const three = key === 0x138 || key === 0x13a ? 1 : 0;
    return bad(bytes, offset, address, r.pos - offset + three, [...words, '(bad)'].join(' '));
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

interface SpellingContext {
  form: Form;
  nasmOps: string[];
  nasmWords: string[];
  segName?: string;
  ps: PrefixState;
  bits: 16 | 32;
  modrm?: ModRM;
  imms: number[];
}

/** Whether NASM's mnemonic alone fixes the operand size (iretw, cbw, movsw ...). */
function mnemonicImpliesSize(f: Form): boolean {
  return (FORMS_BY_MNEMONIC.get(f.mnemonic) ?? []).every((g) => g.osize === f.osize);
}

/**
 * The instruction in NASM syntax, such that NASM's bytes disassemble to the same text; or
 * undefined where NASM cannot say it (an eiz index, rel16 jumps, prefixes out of NASM's order,
 * `shl eax,0x1` spelled with an imm8, `mov eax,[disp32]` through ModRM rather than moffs).
 */
function nasmSpelling(c: SpellingContext): string | undefined {
  const { form, ps, bits, modrm } = c;
  if (form.ops.includes('rel16') || form.ops.includes('tr') || !FORMS_BY_MNEMONIC.has(form.mnemonic)) return undefined;
  if (form.mnemonic === 'fwait' && c.nasmWords.length > 0) return undefined; // NASM treats wait as a prefix itself
  const shiftByOne = form.ops.length === 2 && form.ops[1] === 'imm8' && /^(rol|ror|rcl|rcr|shl|shr|sal|sar)$/.test(form.mnemonic) && c.imms[0] === 1;
  if (shiftByOne) return undefined;
  const direct = modrm !== undefined && modrm.mod === 0 && modrm.rm === (ps.adsize === 32 ? 5 : 6);
  if (direct && form.mnemonic === 'mov' && c.nasmOps.some((o) => o === 'al' || o === 'ax' || o === 'eax')) return undefined;
  const implicit = form.disOps.some((p) => /^[XYZ]/.test(p)); // string instructions: memory operands implied
  const words = [...c.nasmWords];
  if (implicit && ps.segUsed && c.segName) words.push(c.segName);
  if (implicit && ps.adsize !== bits) words.push(bits === 32 ? 'a16' : 'a32');
  const pushImm = form.mnemonic === 'push' && /^(imm|sbyte)/.test(form.ops[0] ?? '');
  const sizeShown = pushImm || form.ops.some((p) => /^(r8|r16|r32|rm|rr|rx|al|ax|eax|m16|m32|m64)/.test(p));
  if (form.osize !== undefined && form.osize !== bits && !sizeShown && !mnemonicImpliesSize(form)) words.push(bits === 32 ? 'o16' : 'o32');
  let ops = c.nasmOps;
  // NASM puts xchg's first register in ModRM.reg; objdump prints ModRM.rm first
  if (form.mnemonic === 'xchg' && modrm?.mod === 3) {
    if (ops.some((o) => o === 'eax' || o === 'ax')) return undefined; // NASM would pick 90+r
    ops = [ops[1], ops[0]];
  }
  if (pushImm) ops = [(form.osize === 16 ? 'word ' : 'dword ') + ops[0]];
  return [...words, form.mnemonic].join(' ') + (ops.length ? ' ' + ops.join(', ') : '');
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
