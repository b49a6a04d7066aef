/** Stack pushes and pops honouring SS.B (32- or 16-bit stack pointer). Sizes: 1 word, 2 dword. */
import type { Cpu } from './cpu';
import * as constsM from './consts';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { SS } = constsM;

export function push(cpu: Cpu, size: number, v: number): void {
  const R = cpu.r;
  if (cpu.stack32) {
    if (size === 2) {
      const sp = (R[4] - 4) | 0;
      cpu.write32(cpu.lin(SS, sp, 4, true), v);
      R[4] = sp;
    } else {
      const sp = (R[4] - 2) | 0;
      cpu.write16(cpu.lin(SS, sp, 2, true), v);
      R[4] = sp;
    }
  } else {
    const bytes = size === 2 ? 4 : 2;
    const sp = (R[4] - bytes) & 0xffff;
    if (size === 2) cpu.write32(cpu.lin(SS, sp, 4, true), v);
    else cpu.write16(cpu.lin(SS, sp, 2, true), v);
    R[4] = (R[4] & ~0xffff) | sp;
  }
}

export function pop(cpu: Cpu, size: number): number {
  const v = peek(cpu, size, 0);
  adjustSp(cpu, size === 2 ? 4 : 2);
  return v;
}

/** Read the stack at ESP+offset without popping. */
export function peek(cpu: Cpu, size: number, offset: number): number {
  const R = cpu.r;
  const sp = cpu.stack32 ? (R[4] + offset) | 0 : (R[4] + offset) & 0xffff;
  return size === 2 ? cpu.read32(cpu.lin(SS, sp, 4, false)) : cpu.read16(cpu.lin(SS, sp, 2, false));
}

export function adjustSp(cpu: Cpu, delta: number): void {
  const R = cpu.r;
  if (cpu.stack32) R[4] = (R[4] + delta) | 0;
  else R[4] = (R[4] & ~0xffff) | ((R[4] + delta) & 0xffff);
}

/** Check `bytes` below ESP can be written (multi-push instructions must not half-complete). */
export function probePush(cpu: Cpu, bytes: number): void {
  const R = cpu.r;
  const sp = cpu.stack32 ? (R[4] - bytes) | 0 : (R[4] - bytes) & 0xffff;
  cpu.probeWrite(cpu.lin(SS, sp, bytes, true), bytes);
}
