/**
 * Block compiler: a hot run of decoded instructions in one code frame becomes one JavaScript
 * function that calls the instructions' closures in sequence (each call site sees a single
 * closure, so V8 inlines it), keeps EIP bookkeeping to constant stores, and loops in place
 * when the block's branch returns to its own start. Semantics stay in the closures: the block
 * adds no instruction behaviour of its own, only the sequencing the run loop would do.
 *
 * A block holds SIMPLE instructions (no EIP change, no mode/interrupt-state change) and may
 * end with one BRANCH instruction. It leaves after any instruction when `cpu.exitGen` moved
 * (code invalidated, a platform call, a TLB/mode change) and at its back-edge when the budget
 * is short or `cpu.attention` is set. Faults unwind to the run loop with `cpu.insnEip` naming
 * the instruction and `cpu.blockDone` counting the instructions completed before it.
 */
import type { Exec, Insn } from './decode';
import { InsnKind } from './decode';

export interface Block {
  /** Instructions per pass. */
  len: number;
  /** Runs passes while they fit in `budget`; returns instructions retired; sets cpu.eip. */
  run: (budget: number) => number;
}

/** What the compiler needs from the CPU (kept narrow so cpu.ts stays the owner of state). */
export interface BlockHost {
  eip: number;
  insnEip: number;
  blockDone: number;
  exitGen: number;
  attention: boolean;
}

export const MAX_BLOCK = 48;

/**
 * Build a block from `insns` (consecutive instructions starting at EIP `start`, already cut
 * at the first non-SIMPLE one, which is included only if it is a BRANCH).
 */
export function compileBlock(cpu: BlockHost, start: number, insns: Insn[]): Block | null {
  if (insns.length === 0) return null;
  const k = insns.length;
  const last = insns[k - 1];
  const branch = last.kind === InsnKind.BRANCH;
  const eips: number[] = [start | 0];
  for (const ins of insns) eips.push((eips[eips.length - 1] + ins.len) | 0);
  const lines: string[] = [];
  lines.push('return function block(budget) {', '  let n = 0;', '  const g = cpu.exitGen;', '  for (;;) {');
  for (let i = 0; i < k; i++) {
    lines.push(`    cpu.blockDone = n + ${i}; cpu.insnEip = ${eips[i]};`);
    if (i === k - 1 && branch) lines.push(`    cpu.eip = ${eips[i + 1]};`);
    lines.push(`    f${i}();`);
    if (i < k - 1 || !branch) lines.push(`    if (cpu.exitGen !== g) { cpu.eip = ${eips[i + 1]}; return n + ${i + 1}; }`);
  }
  if (branch) {
    lines.push(`    n += ${k};`);
    lines.push(`    if (cpu.eip !== ${eips[0]} || n + ${k} > budget || cpu.attention || cpu.exitGen !== g) return n;`);
  } else {
    lines.push(`    cpu.eip = ${eips[k]};`, `    return n + ${k};`);
  }
  lines.push('  }', '};');
  const params = insns.map((_, i) => `f${i}`);
  // new Function is the point of a block compiler: the source is built only from numbers.
  const factory = new Function('cpu', ...params, lines.join('\n')) as (cpu: BlockHost, ...f: Exec[]) => (budget: number) => number;
  return { len: k, run: factory(cpu, ...insns.map((i) => i.exec)) };
}
