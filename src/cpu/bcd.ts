/**
 * Decimal adjust instructions (daa das aaa aas aam aad), as QEMU's helpers compute them,
 * including the flags the SDM leaves undefined (OF for daa/das/aaa/aas; see each).
 */
import type { Cpu } from './cpu';
import * as flagsM from './flags';
import * as faultM from './fault';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { AF, CF, PARITY, SF, ZF, OF, settle } = flagsM;
const { Vec, fault } = faultM;

function szp(v: number): number {
  return (v === 0 ? ZF : 0) | (v & 0x80 ? SF : 0) | PARITY[v & 0xff];
}

/** QEMU helper_daa: CF/AF per SDM, ZF/SF/PF from AL, OF cleared. */
export function daa(cpu: Cpu): void {
  settle(cpu);
  const R = cpu.r;
  const old = cpu.eflags;
  let al = R[0] & 0xff;
  let eflags = 0;
  const oldAl = al;
  if ((al & 0x0f) > 9 || old & AF) {
    al = (al + 6) & 0xff;
    eflags |= AF;
  }
  if (oldAl > 0x99 || old & CF) {
    al = (al + 0x60) & 0xff;
    eflags |= CF;
  }
  R[0] = (R[0] & ~0xff) | al;
  cpu.eflags = (old & ~(CF | AF | ZF | SF | OF | 0x4)) | eflags | szp(al);
}

/** QEMU helper_das. */
export function das(cpu: Cpu): void {
  settle(cpu);
  const R = cpu.r;
  const old = cpu.eflags;
  let al = R[0] & 0xff;
  const al1 = al;
  let eflags = 0;
  if ((al & 0x0f) > 9 || old & AF) {
    eflags |= AF;
    if (al < 6 || old & CF) eflags |= CF;
    al = (al - 6) & 0xff;
  }
  if (al1 > 0x99 || old & CF) {
    al = (al - 0x60) & 0xff;
    eflags |= CF;
  }
  R[0] = (R[0] & ~0xff) | al;
  cpu.eflags = (old & ~(CF | AF | ZF | SF | OF | 0x4)) | eflags | szp(al);
}

/** QEMU helper_aaa: AF=CF per SDM; other arithmetic flags keep their old values except ... */
export function aaa(cpu: Cpu): void {
  settle(cpu);
  const R = cpu.r;
  const old = cpu.eflags;
  let al = R[0] & 0xff;
  let ah = (R[0] >> 8) & 0xff;
  const icarry = al > 0xf9 ? 1 : 0;
  let eflags = old;
  if ((al & 0x0f) > 9 || old & AF) {
    al = (al + 6) & 0x0f;
    ah = (ah + 1 + icarry) & 0xff;
    eflags |= CF | AF;
  } else {
    eflags &= ~(CF | AF);
    al &= 0x0f;
  }
  R[0] = (R[0] & ~0xffff) | al | (ah << 8);
  cpu.eflags = eflags;
}

export function aas(cpu: Cpu): void {
  settle(cpu);
  const R = cpu.r;
  const old = cpu.eflags;
  let al = R[0] & 0xff;
  let ah = (R[0] >> 8) & 0xff;
  const icarry = al < 6 ? 1 : 0;
  let eflags = old;
  if ((al & 0x0f) > 9 || old & AF) {
    al = (al - 6) & 0x0f;
    ah = (ah - 1 - icarry) & 0xff;
    eflags |= CF | AF;
  } else {
    eflags &= ~(CF | AF);
    al &= 0x0f;
  }
  R[0] = (R[0] & ~0xffff) | al | (ah << 8);
  cpu.eflags = eflags;
}

/** aam imm8: #DE when imm8 is 0; flags as a logic op on AL (QEMU: CC_OP_LOGICB). */
export function aam(cpu: Cpu, base: number): void {
  if (base === 0) fault(Vec.DE);
  const R = cpu.r;
  const al = R[0] & 0xff;
  const ah = Math.floor(al / base);
  const nal = al % base;
  R[0] = (R[0] & ~0xffff) | nal | (ah << 8);
  settle(cpu);
  cpu.eflags = (cpu.eflags & ~(CF | AF | ZF | SF | OF | 0x4)) | szp(nal);
}

export function aad(cpu: Cpu, base: number): void {
  const R = cpu.r;
  const al = R[0] & 0xff;
  const ah = (R[0] >> 8) & 0xff;
  const nal = (al + ah * base) & 0xff;
  R[0] = (R[0] & ~0xffff) | nal;
  settle(cpu);
  cpu.eflags = (cpu.eflags & ~(CF | AF | ZF | SF | OF | 0x4)) | szp(nal);
}
