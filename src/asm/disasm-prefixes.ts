/** Prefix bytes as objdump prints them: which the instruction used, and what the rest are called. */
import { ModRM } from './disasm-operands';
import { Form } from './table';

export const SEG_PREFIX: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs' };
const PREFIX_NAME: Record<number, string> = { ...SEG_PREFIX, 0x66: 'data16', 0x67: 'addr16', 0xf0: 'lock', 0xf2: 'repnz', 0xf3: 'repz' };
/** objdump names a size prefix after the size it selects: data16/addr16 in 32-bit code, data32/addr32 in 16-bit. */
export function prefixName(byte: number, bits: 16 | 32): string {
  if (bits === 16 && (byte === 0x66 || byte === 0x67)) return byte === 0x66 ? 'data32' : 'addr32';
  return PREFIX_NAME[byte];
}
export const PREFIX_BYTES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
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

export interface PrefixState {
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

/**
 * What objdump calls each prefix byte: its plain name, renamed by binutils' fixups (rep on
 * string moves, bnd on near branches, xacquire/xrelease on HLE-capable writes, notrack).
 */
export function prefixNames(ps: PrefixState, form: Form, modrm: ModRM | undefined, notrack: boolean): { names: string[]; nasmNames: string[] } {
  const names = ps.list.map(({ byte }) => prefixName(byte, ps.bits));
  const nasmNames = ps.list.map(({ byte }) => NASM_PREFIX[byte] ?? PREFIX_NAME[byte]);
  const repnzAt = ps.list.map((p) => p.byte).lastIndexOf(0xf2);
  if (ps.repzAt >= 0 && REP_STRING.has(form.disName)) {
    names[ps.repzAt] = 'rep';
    nasmNames[ps.repzAt] = 'rep';
  }
  const memFirst = modrm !== undefined && modrm.mod !== 3 && /^(rm|m)/.test(form.ops[0] ?? '');
  const lock = ps.list.some((p) => p.byte === 0xf0);
  // NASM knows these prefixes by the same names (notrack it accepts but drops: spelled ds there)
  const rename = (at: number, name: string): void => {
    names[at] = name;
    nasmNames[at] = name;
  };
  if (memFirst && ((lock && HLE_LOCKED.has(form.mnemonic)) || form.mnemonic === 'xchg')) {
    if (ps.repzAt >= 0) rename(ps.repzAt, 'xrelease');
    if (repnzAt >= 0) rename(repnzAt, 'xacquire');
  } else if (memFirst && form.mnemonic === 'mov' && /^(r|imm)/.test(form.ops[1]) && ps.repzAt > repnzAt) {
    rename(ps.repzAt, 'xrelease');
  }
  if (repnzAt >= 0 && isBndBranch(form)) rename(repnzAt, 'bnd');
  if (notrack) names[ps.segAt] = 'notrack';
  return { names, nasmNames };
}

/** The prefix words objdump prints (those the instruction did not use) and their NASM spelling. */
export function unusedPrefixes(ps: PrefixState, names: string[], nasmNames: string[], bits: 16 | 32): { words: string[]; nasmWords: string[]; nasmOrder: boolean } {
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
