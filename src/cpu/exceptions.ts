/**
 * Delivering exceptions and interrupts through the IDT (protected mode) or IVT (real mode),
 * after the platform declined to intercept them (SDM vol. 3 ch. 6).
 *
 * - Interrupt and trap gates (32- and 16-bit); the gate's DPL is checked for software
 *   interrupts only (int n, int3, into: §6.12.1.1); the target code segment's DPL decides the
 *   new CPL (conforming code keeps it).
 * - A move to a more privileged ring takes SS:ESP for that ring from the TSS and pushes the old
 *   SS:ESP first (§6.12.1, figure 6-4); every slot is checked before anything is written.
 * - Error codes carry the EXT bit when the event was not a software interrupt (§6.13).
 * - A fault while delivering an event is handled by the double-fault rules of table 6-5
 *   (benign / contributory / page fault); a fault while delivering #DF shuts the processor
 *   down (triple fault, reported to the platform).
 * - Faults push EFLAGS with RF = 1, except #DB from an instruction breakpoint (§17.3.1.1).
 *
 * Not modelled (documented refusals): task gates in the IDT raise #GP(vector·8+2+EXT) instead
 * of switching tasks; virtual-8086 mode is never entered, so its frame layout is not needed.
 */
import type { Cpu } from './cpu';
import { CS, SS, CR0_PE } from './consts';
import { CpuEvent, EventKind } from './platform';
import { CpuFault, Vec, hasErrorCode } from './fault';
import { IF, NT, RF, TF, VM } from './flags';
import { loadCodeSegment, parseDescriptor, readDescriptor, setAccessed, setSegment } from './segments';
import { currentStack, innerStack, pushFrame } from './privilege';

/** Contributory exceptions (SDM table 6-4): #DE #TS #NP #SS #GP. */
function contributory(v: number): boolean {
  return v === Vec.DE || (v >= Vec.TS && v <= Vec.GP);
}

export function deliverEvent(cpu: Cpu, ev: CpuEvent): void {
  let vector = ev.vector;
  let kind: EventKind = ev.kind;
  let errorCode = ev.errorCode;
  for (;;) {
    try {
      if (cpu.cr0 & CR0_PE) deliverProtected(cpu, vector, kind, errorCode);
      else deliverReal(cpu, vector, kind);
      // A single-step armed for an int n stays armed: the trap is taken at the handler's first
      // instruction, which is how a debugger steps into a handler (SDM vol. 3 §17.3.1.4).
      cpu.halted = false;
      return;
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      // The event's instruction did not complete: no #DB trap for it.
      cpu.stepPending = false;
      cpu.pendingDr6 = 0;
      // A fault while vectoring int n / int3 / into is a fault of that instruction: it
      // reports the instruction's own address, not the return address the event carried.
      if (kind === 'soft') cpu.eip = ev.eip | 0;
      if (vector === Vec.DF) {
        cpu.shutdown(`triple fault: #${vectorName(e.vector)} while delivering #DF`);
        return;
      }
      const first = kind === 'soft' || kind === 'external' ? -1 : vector;
      const doubled =
        (contributory(first) && contributory(e.vector)) ||
        (first === Vec.PF && (contributory(e.vector) || e.vector === Vec.PF));
      const next: CpuEvent = {
        vector: doubled ? Vec.DF : e.vector,
        kind: 'fault',
        errorCode: doubled ? 0 : hasErrorCode(e.vector) ? e.errorCode : undefined,
        instructionLength: 0,
        eip: cpu.eip >>> 0,
      };
      if (e.vector === Vec.PF && e.cr2 !== undefined) {
        next.cr2 = e.cr2 >>> 0;
        cpu.cr2 = e.cr2 | 0;
      }
      if (cpu.offerEvent(next)) return;
      vector = next.vector;
      errorCode = next.errorCode;
      kind = 'fault';
    }
  }
}

const NAMES: Record<number, string> = { 0: 'DE', 1: 'DB', 3: 'BP', 4: 'OF', 5: 'BR', 6: 'UD', 7: 'NM', 8: 'DF', 10: 'TS', 11: 'NP', 12: 'SS', 13: 'GP', 14: 'PF' };

export function vectorName(v: number): string {
  return NAMES[v] ?? String(v);
}

function deliverReal(cpu: Cpu, vector: number, kind: EventKind): void {
  const ivt = (cpu.idtrBase + vector * 4) | 0;
  if (vector * 4 + 3 > cpu.idtrLimit) throw new CpuFault(Vec.GP, 0);
  const ip = cpu.read16(ivt);
  const cs = cpu.read16((ivt + 2) | 0);
  const flags = cpu.getEflags() | (kind === 'fault' && vector !== Vec.DB ? RF : 0);
  push16(cpu, flags);
  push16(cpu, cpu.segSel[CS]);
  push16(cpu, cpu.eip);
  cpu.setEflags(flags & ~(IF | TF | 0x40000 | RF));
  loadCodeSegment(cpu, cs, 0);
  cpu.eip = ip;
}

function push16(cpu: Cpu, v: number): void {
  const sp = (cpu.r[4] - 2) & 0xffff;
  cpu.write16((cpu.segBase[SS] + sp) | 0, v);
  cpu.r[4] = (cpu.r[4] & ~0xffff) | sp;
}

function deliverProtected(cpu: Cpu, vector: number, kind: EventKind, errorCode: number | undefined): void {
  const ext = kind === 'soft' ? 0 : 1;
  const idtErr = vector * 8 + 2 + ext;
  if (vector * 8 + 7 > cpu.idtrLimit) throw new CpuFault(Vec.GP, idtErr);
  const gateAddr = (cpu.idtrBase + vector * 8) | 0;
  const { lo, hi } = cpu.supervisor(() => ({ lo: cpu.read32(gateAddr), hi: cpu.read32((gateAddr + 4) | 0) }));
  const type = (hi >> 8) & 0x1f;
  const gateDpl = (hi >> 13) & 3;
  // 0x05 (task gate) and anything else: #GP (task switches are not modelled).
  if (type !== 0x0e && type !== 0x0f && type !== 0x06 && type !== 0x07) throw new CpuFault(Vec.GP, idtErr);
  if (kind === 'soft' && gateDpl < cpu.cpl) throw new CpuFault(Vec.GP, idtErr);
  if (!(hi & 0x8000)) throw new CpuFault(Vec.NP, idtErr);
  const gate32 = (type & 0x8) !== 0;
  const trapGate = (type & 1) !== 0;
  const sel = lo >>> 16;
  const offset = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
  if ((sel & 0xfffc) === 0) throw new CpuFault(Vec.GP, ext);
  const cd = readDescriptor(cpu, sel, Vec.GP, ext);
  const code = parseDescriptor(cd.lo, cd.hi);
  const dpl = (code.attr >> 5) & 3;
  if ((code.attr & 0x18) !== 0x18 || dpl > cpu.cpl) throw new CpuFault(Vec.GP, (sel & 0xfffc) | ext);
  if (!(code.attr & 0x80)) throw new CpuFault(Vec.NP, (sel & 0xfffc) | ext);
  setAccessed(cpu, cd.addr, cd.hi);
  const conforming = (code.attr & 0x4) !== 0;
  const newCpl = conforming ? cpu.cpl : dpl;
  let flags = cpu.getEflags();
  if (kind === 'fault' && vector !== Vec.DB) flags |= RF;
  const size = gate32 ? 4 : 2;
  const frame: number[] = [];
  let stack = currentStack(cpu);
  let ssErr = ext;
  if (newCpl < cpu.cpl) {
    stack = innerStack(cpu, newCpl, ext);
    ssErr = (stack.sel & 0xfffc) | ext;
    frame.push(cpu.segSel[SS], cpu.r[4]);
  }
  frame.push(flags, cpu.segSel[CS], cpu.eip);
  if (errorCode !== undefined && hasErrorCode(vector) && kind !== 'soft' && kind !== 'external') frame.push(errorCode);
  if (offset > code.limit) throw new CpuFault(Vec.GP, ext);
  const sp = pushFrame(cpu, stack, newCpl, size, frame, ssErr);
  // Nothing can fault from here on.
  cpu.cpl = newCpl;
  setSegment(cpu, SS, stack.sel, stack.base, stack.limit, stack.attr);
  cpu.r[4] = (stack.attr & 0x4000) !== 0 ? sp : (cpu.r[4] & ~0xffff) | (sp & 0xffff);
  setSegment(cpu, CS, (sel & 0xfffc) | newCpl, code.base, code.limit, code.attr | 0x1);
  cpu.eip = offset | 0;
  cpu.setEflags(flags & ~(TF | NT | RF | VM | (trapGate ? 0 : IF)));
}
