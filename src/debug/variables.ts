/**
 * The Registers, Segments and System scopes as trees of rows built from a CpuState. Pure: the
 * session turns rows into DAP variables and applies edits through Inspectable.setRegisters.
 */
import type { CpuState } from '../cpu/state';
import type { SegmentCache } from '../cpu/segments';
import { EFLAGS_BITS, fieldOf, GPR32, SEGMENT_NAMES } from './names';
import { parseNumber } from './expr';

/** What setVariable may change, and how. */
export type RegisterEdit = { kind: 'gpr'; index: number } | { kind: 'eip' } | { kind: 'eflags' } | { kind: 'flag'; bit: number; width: number };

export interface Row {
  name: string;
  value: string;
  type?: string;
  children?: Row[];
  /** an address this row holds, in the memref syntax (opens the memory view) */
  memoryReference?: string;
  edit?: RegisterEdit;
  /** DAP presentation hint kind/attributes, when it matters */
  readOnly?: boolean;
}

export const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** How a gva of this vCPU is written as a memory reference. */
export type GvaRef = (address: number) => string;

function bits(value: number, table: ReadonlyArray<readonly [string, number, ...string[]]>): string {
  const set = table.filter(([, b]) => (value >>> b) & 1).map(([n]) => n);
  return set.length ? set.join(' ') : '-';
}

function bitRows(value: number, table: ReadonlyArray<readonly [string, number, string]>): Row[] {
  return table.map(([name, bit, what]) => ({ name, value: String((value >>> bit) & 1), type: what, readOnly: true }));
}

export function eflagsText(v: number): string {
  const set = EFLAGS_BITS.filter((f) => !f.width && fieldOf(v, f.bit)).map((f) => f.name);
  return `${hex32(v)} [${set.join(' ')}${set.length ? ' ' : ''}IOPL=${fieldOf(v, 12, 2)}]`;
}

export function registerRows(s: CpuState, gva: GvaRef): Row[] {
  const rows: Row[] = GPR32.map((name, index) => ({ name, value: hex32(s.r[index]), type: 'uint32', memoryReference: gva(s.r[index]), edit: { kind: 'gpr', index } }));
  rows.push({ name: 'eip', value: hex32(s.eip), type: 'uint32', memoryReference: gva(s.eip), edit: { kind: 'eip' } });
  rows.push({
    name: 'eflags',
    value: eflagsText(s.eflags),
    type: 'uint32',
    edit: { kind: 'eflags' },
    children: EFLAGS_BITS.map((f) => ({ name: f.name, value: String(fieldOf(s.eflags, f.bit, f.width)), type: f.what, edit: { kind: 'flag', bit: f.bit, width: f.width ?? 1 } })),
  });
  rows.push({ name: 'CPL', value: String(s.cpl), type: 'privilege level', readOnly: true });
  return rows;
}

/** The new register values `text` asks for; throws Error with a message for the user. */
export function applyEdit(s: CpuState, edit: RegisterEdit, text: string): Partial<Pick<CpuState, 'r' | 'eip' | 'eflags'>> {
  const t = text.trim();
  const v = /^-\d+$/.test(t) ? Number(t) >>> 0 : parseNumber(t);
  if (v === undefined) throw new Error(`'${text}' is not a 32-bit number`);
  switch (edit.kind) {
    case 'gpr': {
      const r = s.r.slice();
      r[edit.index] = v;
      return { r };
    }
    case 'eip':
      return { eip: v };
    case 'eflags':
      return { eflags: v };
    case 'flag': {
      const max = (1 << edit.width) - 1;
      if (v > max) throw new Error(`a ${edit.width}-bit flag takes 0${max > 1 ? `..${max}` : ' or 1'}`);
      const mask = max << edit.bit;
      return { eflags: ((s.eflags & ~mask) | (v << edit.bit)) >>> 0 };
    }
  }
}

/** The value shown after an edit, from the state read back. */
export function editedValue(s: CpuState, edit: RegisterEdit): string {
  switch (edit.kind) {
    case 'gpr':
      return hex32(s.r[edit.index]);
    case 'eip':
      return hex32(s.eip);
    case 'eflags':
      return eflagsText(s.eflags);
    case 'flag':
      return String(fieldOf(s.eflags, edit.bit, edit.width));
  }
}

const SYSTEM_TYPES: Record<number, string> = {
  1: '16-bit TSS (available)',
  2: 'LDT',
  3: '16-bit TSS (busy)',
  4: '16-bit call gate',
  5: 'task gate',
  6: '16-bit interrupt gate',
  7: '16-bit trap gate',
  9: '32-bit TSS (available)',
  11: '32-bit TSS (busy)',
  12: '32-bit call gate',
  14: '32-bit interrupt gate',
  15: '32-bit trap gate',
};

/** The descriptor cache in words: `code, readable, accessed, DPL 1, 32-bit, 4 GiB`. */
export function describeDescriptor(c: SegmentCache): string {
  if (c.attr & 0x10000) return 'unusable (null selector)';
  const type = c.attr & 0xf;
  const parts: string[] = [];
  if (c.attr & 0x10) {
    if (type & 8) parts.push('code', ...(type & 4 ? ['conforming'] : []), type & 2 ? 'readable' : 'execute-only');
    else parts.push('data', ...(type & 4 ? ['expand-down'] : []), type & 2 ? 'writable' : 'read-only');
    if (type & 1) parts.push('accessed');
  } else parts.push(SYSTEM_TYPES[type] ?? `system type ${type}`);
  parts.push(`DPL ${(c.attr >>> 5) & 3}`);
  if (!(c.attr & 0x80)) parts.push('not present');
  if (c.attr & 0x10) parts.push(c.attr & 0x4000 ? '32-bit' : '16-bit');
  return parts.join(', ');
}

function segmentRow(name: string, c: SegmentCache | undefined): Row {
  if (!c) return { name, value: '-', readOnly: true };
  const rpl = c.sel & 3;
  const ti = (c.sel >>> 2) & 1;
  return {
    name,
    value: `${hex(c.sel).padStart(6)} ${describeDescriptor(c)}`,
    readOnly: true,
    children: [
      { name: 'selector', value: `${hex(c.sel)} (index ${c.sel >>> 3}, ${ti ? 'LDT' : 'GDT'}, RPL ${rpl})`, readOnly: true },
      { name: 'base', value: hex32(c.base), readOnly: true },
      { name: 'limit', value: hex32(c.limit), readOnly: true },
      { name: 'attributes', value: hex(c.attr), readOnly: true },
      { name: 'type', value: describeDescriptor(c), readOnly: true },
      { name: 'DPL', value: String((c.attr >>> 5) & 3), readOnly: true },
      { name: 'present', value: String((c.attr >>> 7) & 1), readOnly: true },
      { name: 'D/B', value: String((c.attr >>> 14) & 1), readOnly: true },
      { name: 'G', value: String((c.attr >>> 15) & 1), readOnly: true },
    ],
  };
}

export function segmentRows(s: CpuState): Row[] {
  return [...SEGMENT_NAMES.map((n, i) => segmentRow(n, s.seg[i])), segmentRow('ldtr', s.ldtr), segmentRow('tr', s.tr)];
}

const CR0: ReadonlyArray<readonly [string, number, string]> = [
  ['PE', 0, 'protection enable'],
  ['MP', 1, 'monitor coprocessor'],
  ['EM', 2, 'emulation'],
  ['TS', 3, 'task switched'],
  ['ET', 4, 'extension type'],
  ['NE', 5, 'numeric error'],
  ['WP', 16, 'write protect'],
  ['AM', 18, 'alignment mask'],
  ['NW', 29, 'not write-through'],
  ['CD', 30, 'cache disable'],
  ['PG', 31, 'paging'],
];
const CR4: ReadonlyArray<readonly [string, number, string]> = [
  ['VME', 0, 'virtual-8086 mode extensions'],
  ['PVI', 1, 'protected-mode virtual interrupts'],
  ['TSD', 2, 'time stamp disable'],
  ['DE', 3, 'debugging extensions'],
  ['PSE', 4, 'page size extensions'],
  ['PAE', 5, 'physical address extension'],
  ['MCE', 6, 'machine check enable'],
  ['PGE', 7, 'page global enable'],
  ['PCE', 8, 'performance counter enable'],
  ['OSFXSR', 9, 'FXSAVE/FXRSTOR support'],
  ['OSXMMEXCPT', 10, 'unmasked SIMD exceptions'],
  ['UMIP', 11, 'user-mode instruction prevention'],
  ['VMXE', 13, 'VMX enable'],
  ['SMXE', 14, 'SMX enable'],
  ['FSGSBASE', 16, 'FSGSBASE enable'],
  ['PCIDE', 17, 'PCID enable'],
  ['OSXSAVE', 18, 'XSAVE enable'],
  ['SMEP', 20, 'supervisor-mode execution prevention'],
  ['SMAP', 21, 'supervisor-mode access prevention'],
  ['PKE', 22, 'protection keys'],
];
const DR6: ReadonlyArray<readonly [string, number]> = [
  ['B0', 0],
  ['B1', 1],
  ['B2', 2],
  ['B3', 3],
  ['BD', 13],
  ['BS', 14],
  ['BT', 15],
];

function dr7Text(v: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 4; i++) {
    const en = [(v >>> (2 * i)) & 1 ? 'L' : '', (v >>> (2 * i + 1)) & 1 ? 'G' : ''].join('');
    if (!en) continue;
    const rw = ['exec', 'write', 'io', 'rw'][(v >>> (16 + 4 * i)) & 3];
    const len = [1, 2, 8, 4][(v >>> (18 + 4 * i)) & 3];
    parts.push(`dr${i}:${en} ${rw} ${len}`);
  }
  return parts.length ? parts.join(', ') : 'none enabled';
}

export function systemRows(s: CpuState, gva: GvaRef, ma: (address: number) => string): Row[] {
  const cr = (i: number) => (s.cr[i] ?? 0) >>> 0;
  const dr = (i: number) => (s.dr[i] ?? 0) >>> 0;
  const paePdpt = (cr(4) >>> 5) & 1;
  return [
    { name: 'cr0', value: `${hex32(cr(0))} [${bits(cr(0), CR0)}]`, readOnly: true, children: bitRows(cr(0), CR0) },
    { name: 'cr2', value: hex32(cr(2)), type: 'page-fault linear address', memoryReference: gva(cr(2)), readOnly: true },
    // For a PV guest cr3 holds a machine address (direct paging), so it opens machine memory.
    { name: 'cr3', value: `${hex32(cr(3))} (${paePdpt ? 'PDPT' : 'page directory'} at ma ${hex(cr(3) & (paePdpt ? ~0x1f : ~0xfff))})`, memoryReference: ma(cr(3) & (paePdpt ? ~0x1f : ~0xfff)), readOnly: true },
    { name: 'cr4', value: `${hex32(cr(4))} [${bits(cr(4), CR4)}]`, readOnly: true, children: bitRows(cr(4), CR4) },
    { name: 'efer', value: hex32(s.efer), readOnly: true },
    { name: 'gdtr', value: `base ${hex32(s.gdtr.base)} limit ${hex(s.gdtr.limit)}`, memoryReference: gva(s.gdtr.base), readOnly: true },
    { name: 'idtr', value: `base ${hex32(s.idtr.base)} limit ${hex(s.idtr.limit)}`, memoryReference: gva(s.idtr.base), readOnly: true },
    { name: 'ldtr', value: `${hex(s.ldtr.sel)} base ${hex32(s.ldtr.base)} limit ${hex(s.ldtr.limit)}`, readOnly: true },
    { name: 'tr', value: `${hex(s.tr.sel)} base ${hex32(s.tr.base)} limit ${hex(s.tr.limit)}`, memoryReference: gva(s.tr.base), readOnly: true },
    ...[0, 1, 2, 3].map((i) => ({ name: `dr${i}`, value: hex32(dr(i)), memoryReference: gva(dr(i)), readOnly: true })),
    { name: 'dr6', value: `${hex32(dr(6))} [${bits(dr(6), DR6)}]`, readOnly: true },
    { name: 'dr7', value: `${hex32(dr(7))} [${dr7Text(dr(7))}]`, readOnly: true },
    { name: 'sysenter', value: `cs ${hex(s.sysenter[0])} esp ${hex32(s.sysenter[1])} eip ${hex32(s.sysenter[2])}`, readOnly: true },
  ];
}
