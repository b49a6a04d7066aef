/**
 * Delivering exceptions and interrupts through the IDT (protected mode) or IVT (real mode),
 * after the platform declined to intercept them.
 *
 * Phase-1 scope (the cpu-system work deepens this): interrupt and trap gates (32- and 16-bit)
 * with DPL checks for software interrupts, the inter-privilege stack switch through a 32-bit
 * TSS, error codes pushed; a fault while delivering becomes #DF and a fault while delivering
 * #DF shuts the processor down (triple fault). Task gates are refused with #GP (documented
 * limitation).
 */
import type { Cpu } from './cpu';
import * as constsM from './consts';
import { CpuEvent } from './platform';
import * as faultM from './fault';
import * as flagsM from './flags';
import * as segmentsM from './segments';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { CS, SS, CR0_PE } = constsM;
const { CpuFault, Vec, hasErrorCode } = faultM;
const { IF, NT, RF, TF, VM } = flagsM;
const { loadCodeSegment, parseDescriptor, readDescriptor, setAccessed, setSegment } = segmentsM;

export function deliverEvent(cpu: Cpu, ev: CpuEvent): void {
  let vector = ev.vector;
  let kind = ev.kind;
  let errorCode = ev.errorCode;
  for (let attempt = 0; ; attempt++) {
    try {
      if (cpu.cr0 & CR0_PE) deliverProtected(cpu, vector, kind, errorCode);
      else deliverReal(cpu, vector);
      cpu.halted = false;
      return;
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      if (vector === Vec.DF || attempt >= 1) {
        cpu.shutdown(`triple fault: #${e.vector} while delivering #DF`);
        return;
      }
      if (e.vector === Vec.PF && e.cr2 !== undefined) cpu.cr2 = e.cr2 | 0;
      // SDM table 6-5: benign first events let the second be delivered serially.
      const contributory = (v: number) => v === 0 || (v >= 10 && v <= 13);
      const first = vector;
      const doubled =
        (contributory(first) && contributory(e.vector)) ||
        (first === Vec.PF && (contributory(e.vector) || e.vector === Vec.PF));
      if (doubled) {
        vector = Vec.DF;
        errorCode = 0;
      } else {
        vector = e.vector;
        errorCode = hasErrorCode(e.vector) ? e.errorCode : undefined;
      }
      kind = 'fault';
    }
  }
}

function deliverReal(cpu: Cpu, vector: number): void {
  const ivt = (cpu.idtrBase + vector * 4) | 0;
  if (vector * 4 + 3 > cpu.idtrLimit) throw new CpuFault(Vec.GP, 0);
  const ip = cpu.read16(ivt);
  const cs = cpu.read16((ivt + 2) | 0);
  const flags = cpu.getEflags();
  push16(cpu, flags);
  push16(cpu, cpu.segSel[CS]);
  push16(cpu, cpu.eip);
  cpu.setEflags(flags & ~(IF | TF | 0x40000));
  loadCodeSegment(cpu, cs, 0);
  cpu.eip = ip;
}

function push16(cpu: Cpu, v: number): void {
  const sp = (cpu.r[4] - 2) & 0xffff;
  cpu.write16((cpu.segBase[SS] + sp) | 0, v);
  cpu.r[4] = (cpu.r[4] & ~0xffff) | sp;
}

function deliverProtected(cpu: Cpu, vector: number, kind: CpuEvent['kind'], errorCode: number | undefined): void {
  const ext = kind === 'external' || kind === 'fault' || kind === 'trap' ? 1 : 0;
  const idtErr = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > cpu.idtrLimit) throw new CpuFault(Vec.GP, idtErr);
  const gateAddr = (cpu.idtrBase + vector * 8) | 0;
  const lo = cpu.read32(gateAddr);
  const hi = cpu.read32((gateAddr + 4) | 0);
  const type = (hi >> 8) & 0x1f;
  const gateDpl = (hi >> 13) & 3;
  if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07) throw new CpuFault(Vec.GP, idtErr);
  if (kind === 'soft' && gateDpl < cpu.cpl) throw new CpuFault(Vec.GP, idtErr);
  if (!(hi & 0x8000)) throw new CpuFault(Vec.NP, idtErr);
  const gate32 = (type & 0x8) !== 0;
  const trapGate = (type & 1) !== 0;
  const sel = lo >>> 16;
  const offset = gate32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;
  if ((sel & 0xfffc) === 0) throw new CpuFault(Vec.GP, ext);
  const cd = readDescriptor(cpu, sel);
  const code = parseDescriptor(cd.lo, cd.hi);
  const dpl = (code.attr >> 5) & 3;
  if ((code.attr & 0x18) !== 0x18 || dpl > cpu.cpl) throw new CpuFault(Vec.GP, (sel & 0xfffc) + ext);
  if (!(code.attr & 0x80)) throw new CpuFault(Vec.NP, (sel & 0xfffc) + ext);
  const conforming = (code.attr & 0x4) !== 0;
  const newCpl = conforming ? cpu.cpl : dpl;
  const flags = cpu.getEflags();
  const oldCs = cpu.segSel[CS];
  const oldEip = cpu.eip;
  const size = gate32 ? 4 : 2;
  const frame: number[] = [];
  let ssSel = cpu.segSel[SS];
  let ssBase = cpu.segBase[SS];
  let ssLimit = cpu.segLimit[SS];
  let ssAttr = cpu.segAttr[SS];
  let esp = cpu.r[4];
  if (newCpl < cpu.cpl) {
    // Stack switch: SS:ESP for the new ring from the 32-bit TSS.
    const tssOff = 4 + newCpl * 8;
    if (tssOff + 7 > cpu.tr.limit) throw new CpuFault(Vec.TS, cpu.tr.sel & 0xfffc);
    const newEsp = cpu.read32((cpu.tr.base + tssOff) | 0);
    const newSs = cpu.read16((cpu.tr.base + tssOff + 4) | 0);
    if ((newSs & 0xfffc) === 0) throw new CpuFault(Vec.TS, ext);
    const sd = readDescriptor(cpu, newSs, Vec.TS);
    const ss = parseDescriptor(sd.lo, sd.hi);
    if ((newSs & 3) !== newCpl || ((ss.attr >> 5) & 3) !== newCpl || (ss.attr & 0x1a) !== 0x12) {
      throw new CpuFault(Vec.TS, (newSs & 0xfffc) + ext);
    }
    if (!(ss.attr & 0x80)) throw new CpuFault(Vec.SS, (newSs & 0xfffc) + ext);
    frame.push(cpu.segSel[SS], cpu.r[4]);
    setAccessed(cpu, sd.addr, sd.hi);
    ssSel = newSs;
    ssBase = ss.base | 0;
    ssLimit = ss.limit;
    ssAttr = ss.attr;
    esp = newEsp;
  }
  frame.push(flags, oldCs, oldEip);
  if (errorCode !== undefined && hasErrorCode(vector) && kind !== 'soft' && kind !== 'external') frame.push(errorCode);
  // Write the whole frame before changing any state, so a fault here leaves the old context.
  const stack32 = (ssAttr & 0x4000) !== 0;
  let sp = esp;
  const writes: [number, number][] = [];
  for (const v of frame) {
    sp = stack32 ? (sp - size) | 0 : (sp & ~0xffff) | ((sp - size) & 0xffff);
    writes.push([(ssBase + (stack32 ? sp : sp & 0xffff)) | 0, v]);
  }
  const savedCpl = cpu.cpl;
  cpu.cpl = newCpl; // stack writes at the new privilege
  cpu.modeChanged();
  try {
    for (const [a, v] of writes) {
      if (size === 4) cpu.write32(a, v);
      else cpu.write16(a, v);
    }
  } catch (e) {
    cpu.cpl = savedCpl;
    cpu.modeChanged();
    throw e;
  }
  if (ssSel !== cpu.segSel[SS] || newCpl !== savedCpl) setSegment(cpu, SS, ssSel, ssBase, ssLimit, ssAttr);
  cpu.r[4] = sp;
  setAccessed(cpu, cd.addr, cd.hi);
  setSegment(cpu, CS, (sel & 0xfffc) | newCpl, code.base, code.limit, code.attr);
  cpu.eip = offset;
  cpu.setEflags(flags & ~(TF | NT | RF | VM | (trapGate ? 0 : IF)));
}
