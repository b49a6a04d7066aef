/**
 * Far control transfers in protected mode (SDM vol. 2 JMP, CALL, RET, IRET; vol. 3 §5.8):
 * to code segments directly, through call gates (with the inner-stack switch and parameter
 * copy for a call to a more privileged ring), and back with retf/iret to the same or an outer
 * ring (data segment registers the outer ring may not use are nulled).
 *
 * Task switches are refused: a far jmp/call naming a TSS or a task gate raises #GP(selector),
 * and iret with EFLAGS.NT raises #GP(TR selector). Returns to virtual-8086 mode (iret with
 * VM at CPL 0) raise #GP(0). These are documented limitations of the model.
 */
import type { Dec, Exec } from './decode';
import type { Cpu } from './cpu';
import { CS, DS, ES, FS, GS, SS } from './consts';
import { Vec, fault, gp } from './fault';
import { AC, ID, IF, IOPL, NT, RF, VIF, VIP, VM } from './flags';
import { adjustSp, peek, probePush, push } from './stack';
import { ATTR_UNUSABLE, loadCodeSegment, loadSegment, parseDescriptor, readDescriptor, setAccessed, setSegment } from './segments';
import { innerStack, pushFrame } from './privilege';

/** CF PF AF ZF SF TF DF OF NT: what popf/iret may always change. */
export const STATUS_AND_CONTROL = 0x4dd5;

const CALL_GATE16 = 0x04;
const CALL_GATE32 = 0x0c;

interface Target {
  /** CS selector to load (RPL already the new CPL). */
  sel: number;
  desc: { base: number; limit: number; attr: number };
  descAddr: number;
  descHi: number;
  offset: number;
  cpl: number;
  /** Set for a call gate: its operand size in bytes and parameter count. */
  gate?: { size: 2 | 4; params: number };
}

/** Check a code-segment descriptor as a jmp/call target at the current CPL (§5.8.1). */
function checkCode(cpu: Cpu, sel: number, viaGate: boolean, call: boolean): { d: ReturnType<typeof readDescriptor>; p: ReturnType<typeof parseDescriptor> } {
  if ((sel & 0xfffc) === 0) gp(0);
  const d = readDescriptor(cpu, sel);
  const p = parseDescriptor(d.lo, d.hi);
  const err = sel & 0xfffc;
  if ((p.attr & 0x18) !== 0x18) gp(err);
  const dpl = (p.attr >> 5) & 3;
  if (p.attr & 0x4) {
    if (dpl > cpu.cpl) gp(err);
  } else if (viaGate) {
    // Through a gate a call may go inward; a jmp only to the same ring.
    if (call ? dpl > cpu.cpl : dpl !== cpu.cpl) gp(err);
  } else if ((sel & 3) > cpu.cpl || dpl !== cpu.cpl) gp(err);
  if (!(p.attr & 0x80)) fault(Vec.NP, err);
  return { d, p };
}

/** Resolve the selector of a far jmp/call: a code segment or a call gate. */
function resolve(cpu: Cpu, sel: number, offset: number, call: boolean): Target {
  if ((sel & 0xfffc) === 0) gp(0);
  const gd = readDescriptor(cpu, sel);
  const g = parseDescriptor(gd.lo, gd.hi);
  if (g.attr & 0x10) {
    const { d, p } = checkCode(cpu, sel, false, call);
    if (offset >>> 0 > p.limit) gp(0);
    return { sel: (sel & 0xfffc) | cpu.cpl, desc: p, descAddr: d.addr, descHi: d.hi, offset, cpl: cpu.cpl };
  }
  const type = g.attr & 0xf;
  if (type !== CALL_GATE16 && type !== CALL_GATE32) gp(sel & 0xfffc); // TSS, task gate, LDT, …
  const gateDpl = (g.attr >> 5) & 3;
  if (gateDpl < cpu.cpl || gateDpl < (sel & 3)) gp(sel & 0xfffc);
  if (!(g.attr & 0x80)) fault(Vec.NP, sel & 0xfffc);
  const codeSel = gd.lo >>> 16;
  const { d, p } = checkCode(cpu, codeSel, true, call);
  const size = type === CALL_GATE32 ? 4 : 2;
  const gateOffset = size === 4 ? ((gd.lo & 0xffff) | (gd.hi & 0xffff0000)) >>> 0 : gd.lo & 0xffff;
  if (gateOffset > p.limit) gp(0);
  const dpl = (p.attr >> 5) & 3;
  const cpl = p.attr & 0x4 ? cpu.cpl : dpl;
  return {
    sel: (codeSel & 0xfffc) | cpl,
    desc: p,
    descAddr: d.addr,
    descHi: d.hi,
    offset: gateOffset,
    cpl,
    gate: { size, params: gd.hi & 0x1f },
  };
}

function enterCode(cpu: Cpu, t: Target): void {
  setAccessed(cpu, t.descAddr, t.descHi);
  cpu.cpl = t.cpl;
  setSegment(cpu, CS, t.sel, t.desc.base, t.desc.limit, t.desc.attr | 0x1);
  cpu.eip = t.offset | 0;
}

export function farJmp(d: Dec, sel: () => number, off: () => number): Exec {
  const cpu = d.cpu;
  const mask = d.ipMask;
  return () => {
    const o = off() & mask;
    const s = sel();
    if (!cpu.pe) {
      loadCodeSegment(cpu, s, 0);
      cpu.eip = o;
      return;
    }
    enterCode(cpu, resolve(cpu, s & 0xffff, o, false));
  };
}

export function farCall(d: Dec, size: number, sel: () => number, off: () => number): Exec {
  const cpu = d.cpu;
  const mask = d.ipMask;
  return () => {
    const o = off() & mask;
    const s = sel() & 0xffff;
    const oldCs = cpu.segSel[CS];
    const oldEip = cpu.eip;
    if (!cpu.pe) {
      probePush(cpu, size === 2 ? 8 : 4);
      push(cpu, size, oldCs);
      push(cpu, size, oldEip);
      loadCodeSegment(cpu, s, 0);
      cpu.eip = o;
      return;
    }
    const t = resolve(cpu, s, o, true);
    if (t.gate && t.cpl < cpu.cpl) {
      callInner(cpu, t, t.gate.size, t.gate.params, oldCs, oldEip);
      return;
    }
    // Same privilege: a gate's size decides the frame, else the instruction's operand size.
    const psize = t.gate ? t.gate.size : size === 2 ? 4 : 2;
    probePush(cpu, 2 * psize);
    const sp = cpu.r[4];
    push(cpu, psize === 4 ? 2 : 1, oldCs);
    push(cpu, psize === 4 ? 2 : 1, oldEip);
    try {
      enterCode(cpu, t);
    } catch (e) {
      cpu.r[4] = sp;
      throw e;
    }
  };
}

/**
 * Call through a gate to a more privileged ring (§5.8.5, figure 5-13): SS:ESP from the TSS,
 * then old SS, old ESP, the gate's parameters copied from the old stack, old CS, old EIP.
 */
function callInner(cpu: Cpu, t: Target, size: 2 | 4, params: number, oldCs: number, oldEip: number): void {
  const stack = innerStack(cpu, t.cpl, 0);
  const frame: number[] = [cpu.segSel[SS], cpu.r[4]];
  const wsize = size === 4 ? 2 : 1;
  for (let i = params - 1; i >= 0; i--) frame.push(peek(cpu, wsize, i * size));
  frame.push(oldCs, oldEip);
  const sp = pushFrame(cpu, stack, t.cpl, size, frame, stack.sel & 0xfffc);
  cpu.cpl = t.cpl;
  setSegment(cpu, SS, stack.sel, stack.base, stack.limit, stack.attr);
  cpu.r[4] = (stack.attr & 0x4000) !== 0 ? sp : (cpu.r[4] & ~0xffff) | (sp & 0xffff);
  enterCode(cpu, t);
}

export function farRet(d: Dec, size: number, n: number): Exec {
  const cpu = d.cpu;
  const mask = d.ipMask;
  const bytes = size === 2 ? 4 : 2;
  return () => {
    const eip = peek(cpu, size, 0) & mask;
    const cs = peek(cpu, size, bytes) & 0xffff;
    if (!cpu.pe) {
      adjustSp(cpu, 2 * bytes + n);
      loadCodeSegment(cpu, cs, 0);
      cpu.eip = eip;
      return;
    }
    const rpl = cs & 3;
    if (rpl < cpu.cpl) gp(cs & 0xfffc);
    checkReturnTarget(cpu, cs, rpl, eip);
    if (rpl === cpu.cpl) {
      adjustSp(cpu, 2 * bytes + n);
      loadCodeSegment(cpu, cs, rpl);
      cpu.eip = eip;
      return;
    }
    const esp = peek(cpu, size, 2 * bytes + n);
    const ss = peek(cpu, size, 3 * bytes + n) & 0xffff;
    returnToOuter(cpu, cs, rpl, eip, ss, size === 2 ? esp : esp & 0xffff, n);
  };
}

function checkReturnTarget(cpu: Cpu, cs: number, rpl: number, eip: number): void {
  if ((cs & 0xfffc) === 0) gp(0);
  const desc = readDescriptor(cpu, cs);
  const { attr, limit } = parseDescriptor(desc.lo, desc.hi);
  if ((attr & 0x18) !== 0x18) gp(cs & 0xfffc);
  const dpl = (attr >> 5) & 3;
  if (attr & 0x4 ? dpl > rpl : dpl !== rpl) gp(cs & 0xfffc);
  if (!(attr & 0x80)) fault(Vec.NP, cs & 0xfffc);
  if (eip >>> 0 > limit) gp(0);
}

/** Finish a ret/iret to a less privileged ring: new CS, SS:ESP, and data segments re-checked. */
function returnToOuter(cpu: Cpu, cs: number, rpl: number, eip: number, ss: number, esp: number, n: number): void {
  const savedCpl = cpu.cpl;
  const saved = { sel: cpu.segSel[SS], base: cpu.segBase[SS], limit: cpu.segLimit[SS], attr: cpu.segAttr[SS] };
  // SS is checked against the new CPL (RPL = DPL = CS.RPL).
  cpu.cpl = rpl;
  try {
    loadSegment(cpu, SS, ss);
    loadCodeSegment(cpu, cs, rpl);
  } catch (e) {
    cpu.cpl = savedCpl;
    setSegment(cpu, SS, saved.sel, saved.base, saved.limit, saved.attr);
    throw e;
  }
  cpu.r[4] = (esp + n) | 0;
  if (!cpu.stack32) cpu.r[4] = (cpu.r[4] & ~0xffff) | ((esp + n) & 0xffff);
  cpu.eip = eip;
  // §5.8.6 / IRET: ES, DS, FS, GS holding data or non-conforming code with DPL < new CPL
  // are loaded with a null selector.
  for (const s of [ES, DS, FS, GS]) {
    const attr = cpu.segAttr[s];
    const dpl = (attr >> 5) & 3;
    const conformingCode = (attr & 0x1c) === 0x1c;
    if (!(attr & ATTR_UNUSABLE) && !conformingCode && dpl < rpl) setSegment(cpu, s, 0, 0, 0, ATTR_UNUSABLE);
  }
}

export function iret(d: Dec, size: number): Exec {
  const cpu = d.cpu;
  const bytes = size === 2 ? 4 : 2;
  return () => {
    if (cpu.nmiBlocked) cpu.endNmiBlocking(); // even when this iret faults (SDM vol. 3 §6.7.1)
    const eip = peek(cpu, size, 0);
    const cs = peek(cpu, size, bytes) & 0xffff;
    const flags = peek(cpu, size, 2 * bytes);
    if (!cpu.pe) {
      adjustSp(cpu, 3 * bytes);
      loadCodeSegment(cpu, cs, 0);
      cpu.eip = eip & (size === 2 ? -1 : 0xffff);
      const mask = size === 2 ? 0x257fd5 : 0x7fd5;
      cpu.setEflags((cpu.getEflags() & ~mask) | (flags & mask));
      return;
    }
    if (cpu.eflags & NT) gp(cpu.tr.sel & 0xfffc); // task return: not modelled
    if (size === 2 && flags & VM && cpu.cpl === 0) gp(0); // return to virtual-8086 mode: not modelled
    const rpl = cs & 3;
    if (rpl < cpu.cpl) gp(cs & 0xfffc);
    const target = size === 2 ? eip : eip & 0xffff;
    checkReturnTarget(cpu, cs, rpl, target);
    const oldCpl = cpu.cpl;
    const iopl = (cpu.eflags & IOPL) >> 12;
    let mask = STATUS_AND_CONTROL | AC | ID | RF;
    if (oldCpl === 0) mask |= IOPL | IF | VIF | VIP;
    else if (oldCpl <= iopl) mask |= IF;
    if (size === 1) mask &= 0xffff;
    const newFlags = (cpu.getEflags() & ~mask) | (flags & mask);
    if (rpl === oldCpl) {
      adjustSp(cpu, 3 * bytes);
      loadCodeSegment(cpu, cs, rpl);
      cpu.eip = target;
    } else {
      const esp = peek(cpu, size, 3 * bytes);
      const ss = peek(cpu, size, 4 * bytes) & 0xffff;
      returnToOuter(cpu, cs, rpl, target, ss, size === 2 ? esp : esp & 0xffff, 0);
    }
    cpu.setEflags(newFlags);
  };
}
