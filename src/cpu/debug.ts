/**
 * Debug registers (SDM vol. 3 ch. 17): DR0–DR3 breakpoint addresses, DR6 status, DR7 control.
 *
 * - Instruction breakpoints (RW = 00) are faults checked before an instruction starts, unless
 *   EFLAGS.RF is set (§17.3.1.1); RF is then cleared at the start of the instruction.
 * - Data breakpoints (RW = 01 writes, 11 reads or writes) are traps taken after the
 *   instruction that touched the range; pages holding one are kept out of the TLB so every
 *   access to them reaches the check.
 * - Single-step (EFLAGS.TF at the start of an instruction) is a trap after it, DR6.BS.
 *
 * - General detect (DR7.GD): the next mov to or from a debug register is a #DB fault with
 *   DR6.BD (system-ops.ts).
 *
 * Not modelled: I/O breakpoints (RW = 10 with CR4.DE), task-switch breakpoints (DR6.BT); RF is
 * not set in the EFLAGS image of any #DB fault (the SDM sets it for general detect).
 */
import type { Cpu } from './cpu';

export const DR6_BS = 0x4000;
export const DR6_BD = 0x2000;
export const DR7_GD = 0x2000;
const LEN = [1, 2, 8, 4];

/** Recompute the armed breakpoint masks after DR0–DR3 or DR7 change. */
export function debugChanged(cpu: Cpu): void {
  const dr7 = cpu.dr[7];
  let exec = 0;
  let data = 0;
  for (let n = 0; n < 4; n++) {
    if (!((dr7 >> (2 * n)) & 3)) continue;
    const rw = (dr7 >>> (16 + 4 * n)) & 3;
    if (rw === 0) exec |= 1 << n;
    else if (rw === 1 || rw === 3) data |= 1 << n;
  }
  if (data !== cpu.dataBp || data !== 0) cpu.flushTlb(false);
  cpu.execBp = exec;
  cpu.dataBp = data;
  cpu.attention = true;
}

function range(cpu: Cpu, n: number): [number, number] {
  const len = LEN[(cpu.dr[7] >>> (18 + 4 * n)) & 3];
  const lo = (cpu.dr[n] & ~(len - 1)) >>> 0;
  return [lo, lo + len - 1];
}

/** DR6 B0–B3 bits of the instruction breakpoints matching linear address `lin`. */
export function instructionBreakpoints(cpu: Cpu, lin: number): number {
  let hit = 0;
  for (let n = 0; n < 4; n++) if ((cpu.execBp >> n) & 1 && cpu.dr[n] >>> 0 === lin >>> 0) hit |= 1 << n;
  return hit;
}

/**
 * Check a data access of `size` bytes at `lin` against the data breakpoints, recording hits in
 * cpu.pendingDr6. Returns true when the access's page holds a breakpoint (do not cache it).
 */
export function dataBreakpoints(cpu: Cpu, lin: number, size: number, write: boolean): boolean {
  const a = lin >>> 0;
  const b = a + size - 1;
  let onPage = false;
  for (let n = 0; n < 4; n++) {
    if (!((cpu.dataBp >> n) & 1)) continue;
    const [lo, hi] = range(cpu, n);
    // The TLB entry being filled is for the page of `lin`: keep it out if the range touches it.
    if (a >>> 12 >= lo >>> 12 && a >>> 12 <= hi >>> 12) onPage = true;
    const rw = (cpu.dr[7] >>> (16 + 4 * n)) & 3;
    if (a <= hi && b >= lo && (write || rw === 3)) {
      cpu.pendingDr6 |= 1 << n;
      cpu.attention = true;
    }
  }
  return onPage;
}
