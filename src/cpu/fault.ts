/**
 * Architectural exceptions raised while executing an instruction. They are thrown (instructions
 * are deep call chains of closures) and caught by the run loop, which hands them to delivery.
 */

import type { InterceptedInstruction } from './platform';

export const Vec = {
  DE: 0,
  DB: 1,
  NMI: 2,
  BP: 3,
  OF: 4,
  BR: 5,
  UD: 6,
  NM: 7,
  DF: 8,
  TS: 10,
  NP: 11,
  SS: 12,
  GP: 13,
  PF: 14,
  MF: 16,
  AC: 17,
  MC: 18,
  XM: 19,
} as const;
export type Vec = (typeof Vec)[keyof typeof Vec];

/** Vectors that push an error code (SDM vol. 3 table 6-1). */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

export class CpuFault {
  constructor(
    readonly vector: number,
    /** Error code for vectors that have one; ignored otherwise. */
    readonly errorCode = 0,
    /** For #PF: the linear address that faulted. */
    readonly cr2?: number,
  ) {}
}

/** Thrown by an instruction its platform intercepted (platform.ts on* hooks); run() stops on it. */
export class InstructionIntercept {
  constructor(readonly insn: InterceptedInstruction) {}
}

/**
 * Thrown by a bus's mmioRead/mmioWrite (platform.ts) to abandon the executing instruction as
 * a fault would (EIP back at it, nothing retired, no event delivered); run() stops with
 * 'stop-requested'. A VMM uses it to finish an MMIO access elsewhere and run the instruction
 * again, as Xen re-emulates an instruction once its ioreq has been answered.
 */
export class InstructionRestart {}

export function restartInstruction(): never {
  throw new InstructionRestart();
}

/** End the executing instruction as intercepted: no effect, EIP back at it, run() stops. */
export function interceptInstruction(cpu: { insnEip: number; insnLen: number }, what: DistributiveOmit<InterceptedInstruction, 'eip' | 'length'>): never {
  throw new InstructionIntercept({ ...what, eip: cpu.insnEip >>> 0, length: cpu.insnLen } as InterceptedInstruction);
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function fault(vector: number, errorCode = 0): never {
  throw new CpuFault(vector, errorCode);
}

export const ud = (): never => fault(Vec.UD);
export const gp = (errorCode = 0): never => fault(Vec.GP, errorCode);
