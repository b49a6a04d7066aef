/**
 * What interrupt delivery and call-gate calls share when they move to a more privileged ring:
 * fetching the inner stack from the TSS and writing a frame onto a (possibly new) stack.
 */
import type { Cpu } from './cpu';
import { SS } from './consts';
import { CpuFault, Vec } from './fault';
import { ATTR_UNUSABLE, SegmentCache, parseDescriptor, readDescriptor, setAccessed } from './segments';

/** A stack segment the CPU is about to switch to, with the stack pointer to start from. */
export interface StackTarget extends SegmentCache {
  esp: number;
}

/** The current SS:ESP as a StackTarget. */
export function currentStack(cpu: Cpu): StackTarget {
  return { sel: cpu.segSel[SS], base: cpu.segBase[SS], limit: cpu.segLimit[SS], attr: cpu.segAttr[SS], esp: cpu.r[4] };
}

/**
 * SS:ESP for ring `newCpl` from the current TSS (32-bit: ss0/esp0 at 4+8n; 16-bit: sp0/ss0 at
 * 2+4n), checked as the SDM's INT n and CALL pseudocode do. `ext` is the EXT bit for error codes.
 */
export function innerStack(cpu: Cpu, newCpl: number, ext: number): StackTarget {
  const tr = cpu.tr;
  const tss32 = (tr.attr & 0x8) !== 0;
  const off = tss32 ? 4 + newCpl * 8 : 2 + newCpl * 4;
  const span = tss32 ? 5 : 3;
  if (off + span > tr.limit) throw new CpuFault(Vec.TS, (tr.sel & 0xfffc) | ext);
  const { esp, sel } = cpu.supervisor(() => ({
    esp: tss32 ? cpu.read32((tr.base + off) | 0) : cpu.read16((tr.base + off) | 0),
    sel: cpu.read16((tr.base + off + (tss32 ? 4 : 2)) | 0),
  }));
  if ((sel & 0xfffc) === 0) throw new CpuFault(Vec.TS, ext);
  const d = readDescriptor(cpu, sel, Vec.TS, ext);
  const s = parseDescriptor(d.lo, d.hi);
  const dpl = (s.attr >> 5) & 3;
  if ((sel & 3) !== newCpl || dpl !== newCpl || (s.attr & 0x1a) !== 0x12) throw new CpuFault(Vec.TS, (sel & 0xfffc) | ext);
  if (!(s.attr & 0x80)) throw new CpuFault(Vec.SS, (sel & 0xfffc) | ext);
  setAccessed(cpu, d.addr, d.hi);
  return { sel, base: s.base | 0, limit: s.limit, attr: s.attr | 0x1, esp };
}

/**
 * Push `values` (first value pushed first) of `size` bytes each onto `stack` as ring `cpl`
 * would, checking the segment limit (#SS(`ssErr`)) and paging for every slot before writing
 * anything, so a fault leaves no trace. Returns the new stack pointer.
 */
export function pushFrame(cpu: Cpu, stack: StackTarget, cpl: number, size: 2 | 4, values: number[], ssErr: number): number {
  const big = (stack.attr & 0x4000) !== 0;
  const expandDown = (stack.attr & 0x1c) === 0x14;
  let sp = stack.esp;
  const addrs: number[] = [];
  for (let k = 0; k < values.length; k++) {
    sp = big ? (sp - size) | 0 : (sp & ~0xffff) | ((sp - size) & 0xffff);
    const off = big ? sp >>> 0 : sp & 0xffff;
    const last = off + size - 1;
    const ok = stack.attr & ATTR_UNUSABLE
      ? false
      : expandDown
        ? off > stack.limit && last <= (big ? 0xffffffff : 0xffff)
        : last <= stack.limit;
    if (!ok) throw new CpuFault(Vec.SS, ssErr);
    addrs.push((stack.base + off) | 0);
  }
  const savedCpl = cpu.cpl;
  cpu.cpl = cpl; // the pushes are accesses at the new privilege level
  cpu.modeChanged();
  try {
    for (const a of addrs) cpu.probeWrite(a, size);
    for (let k = 0; k < values.length; k++) {
      if (size === 4) cpu.write32(addrs[k], values[k]);
      else cpu.write16(addrs[k], values[k]);
    }
  } finally {
    cpu.cpl = savedCpl;
    cpu.modeChanged();
  }
  return sp;
}
