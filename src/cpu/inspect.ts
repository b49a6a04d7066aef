/**
 * The inspection view of a CPU: named registers, segment caches, control/debug registers and
 * decoded flags, computed from the plain CpuState (Cpu.snapshot()), so a debugger never reaches
 * into the live object. Also a side-effect-free linear → physical lookup.
 */
import type { Cpu } from './cpu';
import * as constsM from './consts';
import { CpuState } from './state';
import type { SegmentCache } from './segments';
import * as faultM from './fault';
import * as pagingM from './paging';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { REG_NAMES, SEG_NAMES } = constsM;
const { CpuFault } = faultM;
const { translate } = pagingM;

const FLAG_NAMES: [number, string][] = [
  [0x1, 'CF'],
  [0x4, 'PF'],
  [0x10, 'AF'],
  [0x40, 'ZF'],
  [0x80, 'SF'],
  [0x100, 'TF'],
  [0x200, 'IF'],
  [0x400, 'DF'],
  [0x800, 'OF'],
  [0x4000, 'NT'],
  [0x10000, 'RF'],
  [0x20000, 'VM'],
  [0x40000, 'AC'],
  [0x80000, 'VIF'],
  [0x100000, 'VIP'],
  [0x200000, 'ID'],
];

/** EFLAGS as names of the set bits plus IOPL, e.g. ['ZF', 'IF', 'IOPL=0']. */
export function decodeEflags(eflags: number): string[] {
  const out = FLAG_NAMES.filter(([bit]) => eflags & bit).map(([, n]) => n);
  out.push(`IOPL=${(eflags >> 12) & 3}`);
  return out;
}

const CR0_BITS: [number, string][] = [
  [0x1, 'PE'], [0x2, 'MP'], [0x4, 'EM'], [0x8, 'TS'], [0x10, 'ET'], [0x20, 'NE'], [0x10000, 'WP'],
  [0x40000, 'AM'], [0x20000000, 'NW'], [0x40000000, 'CD'], [0x80000000, 'PG'],
];
const CR4_BITS: [number, string][] = [
  [0x1, 'VME'], [0x2, 'PVI'], [0x4, 'TSD'], [0x8, 'DE'], [0x10, 'PSE'], [0x20, 'PAE'], [0x40, 'MCE'],
  [0x80, 'PGE'], [0x100, 'PCE'], [0x200, 'OSFXSR'], [0x400, 'OSXMMEXCPT'],
];

export function decodeCr0(v: number): string[] {
  return CR0_BITS.filter(([b]) => (v >>> 0) & b).map(([, n]) => n);
}

export function decodeCr4(v: number): string[] {
  return CR4_BITS.filter(([b]) => v & b).map(([, n]) => n);
}

/** A segment cache decoded: type, DPL, present, 32-bit, granularity, usability. */
export interface SegmentView extends SegmentCache {
  name: string;
  dpl: number;
  present: boolean;
  /** 'code' | 'data' | 'system' | 'unusable' */
  type: string;
  big: boolean;
}

export function segmentView(name: string, s: SegmentCache): SegmentView {
  const unusable = (s.attr & 0x10000) !== 0;
  const type = unusable ? 'unusable' : !(s.attr & 0x10) ? 'system' : s.attr & 0x8 ? 'code' : 'data';
  return { name, ...s, dpl: (s.attr >> 5) & 3, present: (s.attr & 0x80) !== 0, type, big: (s.attr & 0x4000) !== 0 };
}

export interface RegisterView {
  gpr: Record<(typeof REG_NAMES)[number] | 'eip', number>;
  eflags: number;
  flags: string[];
  cpl: number;
  segments: SegmentView[];
  gdtr: { base: number; limit: number };
  idtr: { base: number; limit: number };
  ldtr: SegmentView;
  tr: SegmentView;
  cr: { cr0: number; cr2: number; cr3: number; cr4: number; cr0Bits: string[]; cr4Bits: string[] };
  dr: number[];
  halted: boolean;
}

export function registerView(s: CpuState): RegisterView {
  const gpr = Object.fromEntries(REG_NAMES.map((n, i) => [n, s.r[i] >>> 0])) as RegisterView['gpr'];
  gpr.eip = s.eip >>> 0;
  return {
    gpr,
    eflags: s.eflags >>> 0,
    flags: decodeEflags(s.eflags),
    cpl: s.cpl,
    segments: s.seg.map((c, i) => segmentView(SEG_NAMES[i], c)),
    gdtr: s.gdtr,
    idtr: s.idtr,
    ldtr: segmentView('ldtr', s.ldtr),
    tr: segmentView('tr', s.tr),
    cr: { cr0: s.cr[0], cr2: s.cr[2], cr3: s.cr[3], cr4: s.cr[4], cr0Bits: decodeCr0(s.cr[0]), cr4Bits: decodeCr4(s.cr[4]) },
    dr: s.dr.slice(),
    halted: s.halted,
  };
}

/**
 * Physical address of a linear address under the CPU's current paging, or undefined when not
 * mapped (or not accessible at `user`). Sets no accessed/dirty bits and raises nothing.
 */
export function linearToPhysical(cpu: Cpu, lin: number, write = false, user = cpu.cpl === 3): number | undefined {
  try {
    return translate(cpu, lin | 0, write, user, false, true);
  } catch (e) {
    if (e instanceof CpuFault) return undefined;
    throw e;
  }
}
