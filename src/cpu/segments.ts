/**
 * Segmentation: descriptor parsing, segment-register loads and access checks.
 *
 * Real-mode loads; protected-mode loads read the GDT/LDT descriptor (an implicit supervisor
 * access) and check presence, type, privilege and the null selector, raising #GP/#NP/#SS with
 * the selector as error code (SDM vol. 2 MOV/POP, vol. 3 §5.5); accesses through non-flat
 * segments check usability and the limit (expand-up and expand-down) with #GP(0)/#SS(0).
 */
import type { Cpu } from './cpu';
import { CS, SS, CR0_PE } from './consts';
import { Vec, fault } from './fault';

/** A segment register's visible selector and hidden descriptor cache. */
export interface SegmentCache {
  sel: number;
  base: number;
  /** Byte-granular limit (granularity already applied), unsigned. */
  limit: number;
  /**
   * Access rights in VMX layout: bits 0-3 type, 4 S, 5-6 DPL, 7 P, 12 AVL, 14 D/B, 15 G,
   * 16 unusable (null selector loaded).
   */
  attr: number;
}

export const ATTR_UNUSABLE = 0x10000;

/** Parse an 8-byte descriptor (low dword, high dword) into base/limit/attr. */
export function parseDescriptor(lo: number, hi: number): { base: number; limit: number; attr: number } {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  const attr = ((hi >>> 8) & 0xff) | ((hi >>> 8) & 0xf000);
  if (attr & 0x8000) limit = ((limit << 12) | 0xfff) >>> 0;
  return { base, limit, attr };
}

/**
 * Read the descriptor a selector names (GDT or LDT), as an implicit supervisor access;
 * `vector`(sel | ext) when the selector is outside the table.
 */
export function readDescriptor(cpu: Cpu, sel: number, vector: number = Vec.GP, ext = 0): { lo: number; hi: number; addr: number } {
  const idx = sel & 0xfff8;
  let base: number;
  let limit: number;
  if (sel & 4) {
    if (cpu.ldtr.attr & ATTR_UNUSABLE || (cpu.ldtr.sel & 0xfffc) === 0) fault(vector, (sel & 0xfffc) | ext);
    base = cpu.ldtr.base;
    limit = cpu.ldtr.limit;
  } else {
    base = cpu.gdtrBase;
    limit = cpu.gdtrLimit;
  }
  if (idx + 7 > limit) fault(vector, (sel & 0xfffc) | ext);
  const addr = (base + idx) | 0;
  return cpu.supervisor(() => ({ lo: cpu.read32(addr), hi: cpu.read32((addr + 4) | 0), addr }));
}

/** Store a segment register's state and refresh the CPU's cached mode bits. */
export function setSegment(cpu: Cpu, seg: number, sel: number, base: number, limit: number, attr: number): void {
  cpu.segSel[seg] = sel;
  cpu.segBase[seg] = base | 0;
  cpu.segLimit[seg] = limit >>> 0;
  cpu.segAttr[seg] = attr;
  cpu.segmentsChanged();
  if (seg === CS || seg === SS) cpu.modeChanged();
}

/**
 * mov/pop/lds… to a data or stack segment register. CS is loaded by far control transfers
 * (loadCodeSegment), never here.
 */
export function loadSegment(cpu: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if (!(cpu.cr0 & CR0_PE) || cpu.eflags & 0x20000) {
    setSegment(cpu, seg, sel, sel << 4, cpu.segLimit[seg], (cpu.segAttr[seg] & ~ATTR_UNUSABLE) | 0x80);
    return;
  }
  if ((sel & 0xfffc) === 0) {
    if (seg === SS) fault(Vec.GP, 0);
    setSegment(cpu, seg, sel, 0, 0, ATTR_UNUSABLE);
    return;
  }
  const d = readDescriptor(cpu, sel);
  const { base, limit, attr } = parseDescriptor(d.lo, d.hi);
  const rpl = sel & 3;
  const dpl = (attr >> 5) & 3;
  if (seg === SS) {
    // Writable data segment with RPL = DPL = CPL.
    if (!(attr & 0x10) || attr & 0x8 || !(attr & 0x2) || rpl !== cpu.cpl || dpl !== cpu.cpl) fault(Vec.GP, sel & 0xfffc);
    if (!(attr & 0x80)) fault(Vec.SS, sel & 0xfffc);
  } else {
    // Data or readable code; for data and non-conforming code, DPL >= max(CPL, RPL).
    if (!(attr & 0x10) || (attr & 0xa) === 0x8) fault(Vec.GP, sel & 0xfffc);
    const conformingCode = (attr & 0xc) === 0xc;
    if (!conformingCode && dpl < Math.max(cpu.cpl, rpl)) fault(Vec.GP, sel & 0xfffc);
    if (!(attr & 0x80)) fault(Vec.NP, sel & 0xfffc);
  }
  setAccessed(cpu, d.addr, d.hi);
  setSegment(cpu, seg, sel, base, limit, attr);
}

/** Set the descriptor's accessed bit in memory if it is clear (as the processor does). */
export function setAccessed(cpu: Cpu, addr: number, hi: number): void {
  if (!(hi & 0x100)) cpu.supervisor(() => cpu.write32((addr + 4) | 0, hi | 0x100));
}

/**
 * Load CS for a far jmp/call/ret/iret/interrupt to a code segment at privilege `cpl`
 * (caller has done the transfer-specific checks).
 */
export function loadCodeSegment(cpu: Cpu, sel: number, cpl: number): void {
  if (!(cpu.cr0 & CR0_PE) || cpu.eflags & 0x20000) {
    setSegment(cpu, CS, sel & 0xffff, (sel & 0xffff) << 4, cpu.segLimit[CS], cpu.segAttr[CS] | 0x80);
    return;
  }
  if ((sel & 0xfffc) === 0) fault(Vec.GP, 0);
  const d = readDescriptor(cpu, sel);
  const { base, limit, attr } = parseDescriptor(d.lo, d.hi);
  if ((attr & 0x18) !== 0x18) fault(Vec.GP, sel & 0xfffc);
  if (!(attr & 0x80)) fault(Vec.NP, sel & 0xfffc);
  setAccessed(cpu, d.addr, d.hi);
  cpu.cpl = cpl;
  setSegment(cpu, CS, (sel & 0xfffc) | cpl, base, limit, attr);
}

/** Limit and usability check for an access through a non-flat segment. */
export function checkSegmentAccess(cpu: Cpu, seg: number, off: number, size: number, write: boolean): void {
  const attr = cpu.segAttr[seg];
  const vec = seg === SS ? Vec.SS : Vec.GP;
  const pe = (cpu.cr0 & CR0_PE) !== 0;
  if (pe && attr & ATTR_UNUSABLE) fault(vec, 0);
  if (pe && write && (attr & 0xa) !== 0x2 && (attr & 0x10)) fault(vec, 0); // code or read-only data
  if (pe && !write && (attr & 0x1a) === 0x18) fault(vec, 0); // execute-only code
  const lo = off >>> 0;
  const hi = lo + size - 1;
  const limit = cpu.segLimit[seg];
  if ((attr & 0x1c) === 0x14) {
    // Expand-down data: valid offsets are (limit, 0xffff or 0xffffffff].
    const top = attr & 0x4000 ? 0xffffffff : 0xffff;
    if (lo <= limit || hi > top) fault(vec, 0);
  } else if (hi > limit) {
    fault(vec, 0);
  }
}
