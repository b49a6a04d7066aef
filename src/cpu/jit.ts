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
 *
 * Breakpoints: the run loop checks them only between blocks, so a block must not run over one.
 * Each block belongs to a family (the instructions it was built from); `cutBlock` gives the
 * family's member that ends before the first breakpoint after its first instruction (the loop
 * never enters a block at a breakpoint), compiling each length once.
 */
import type { Exec, InlineMov, Insn } from './decode';
import { InsnKind } from './decode';
import { TLB_SIZE } from './consts';
import { Alu, alu } from './alu';

export interface Block {
  /** Instructions per pass. */
  len: number;
  /** Runs passes while they fit in `budget`; returns instructions retired; sets cpu.eip. */
  run: (budget: number) => number;
  /** The breakpoint generation (BreakpointSet.gen) this block was last cut for; -1: never. */
  bpGen: number;
  readonly family: BlockFamily;
}

/** The instructions a block was built from and its compiled lengths. */
export interface BlockFamily {
  /** EIP and linear address of the first instruction */
  readonly eip: number;
  readonly lin: number;
  readonly insns: readonly Insn[];
  readonly byLength: Map<number, Block>;
}

/** What the compiler needs from the CPU (kept narrow so cpu.ts stays the owner of state). */
export interface BlockHost {
  eip: number;
  insnEip: number;
  blockDone: number;
  exitGen: number;
  attention: boolean;
  // For inlined TLB-hit accesses (see inlineMov): the same fields Cpu.read32/write32 use.
  readonly r: Int32Array;
  readonly segBase: Int32Array;
  segCheck: number;
  stack32: boolean;
  tlbUser: number;
  readonly rTag: Int32Array;
  readonly rW32: (Int32Array | null)[];
  readonly rBase32: Int32Array;
  readonly wTag: Int32Array;
  readonly wW32: (Int32Array | null)[];
  readonly wBase32: Int32Array;
}

export const MAX_BLOCK = 48;

/**
 * Build a block from `insns` (consecutive instructions starting at EIP `start`, already cut
 * at the first non-SIMPLE one, which is included only if it is a BRANCH).
 */
export function compileBlock(cpu: BlockHost, start: number, lin: number, insns: Insn[]): Block | null {
  if (insns.length === 0) return null;
  const family: BlockFamily = { eip: start, lin, insns, byLength: new Map() };
  const block = compile(cpu, family, insns.length);
  family.byLength.set(insns.length, block);
  return block;
}

/**
 * The member of `block`'s family that stops short of the first address after its start for
 * which `isBreakpoint` holds (the whole family when there is none), marked as cut for `gen`.
 */
export function cutBlock(cpu: BlockHost, block: Block, gen: number, isBreakpoint: (lin: number) => boolean): Block {
  const f = block.family;
  let len = f.insns.length;
  let lin = f.lin;
  for (let i = 1; i < f.insns.length; i++) {
    lin = (lin + f.insns[i - 1].len) | 0;
    if (isBreakpoint(lin)) {
      len = i;
      break;
    }
  }
  let b = f.byLength.get(len);
  if (b === undefined) f.byLength.set(len, (b = compile(cpu, f, len)));
  b.bpGen = gen;
  return b;
}

/**
 * Tags each block's source with its CPU. V8 caches `new Function` by source text, and a cache
 * hit shares the inner function's feedback (call targets, the optimized code) between every
 * block built from the same text: vCPUs running the same guest code, and every machine in the
 * process. Each block's call sites then see one closure per vCPU, go polymorphic and stop being
 * inlined: the scheduler example's guests ran 2–3 times slower once a third vCPU or machine
 * compiled the same blocks (whichever compiled first stayed fast). Per CPU, not per block, so a
 * block recompiled after its code was flushed still hits the cache.
 */
const cpuTags = new WeakMap<BlockHost, number>();
let nextCpuTag = 0;

function cpuTag(cpu: BlockHost): number {
  let t = cpuTags.get(cpu);
  if (t === undefined) cpuTags.set(cpu, (t = nextCpuTag++));
  return t;
}

function compile(cpu: BlockHost, family: BlockFamily, k: number): Block {
  const start = family.eip;
  const insns = family.insns.slice(0, k);
  const last = insns[k - 1];
  const branch = last.kind === InsnKind.BRANCH;
  const eips: number[] = [start | 0];
  for (const ins of insns) eips.push((eips[eips.length - 1] + ins.len) | 0);
  const lines: string[] = [];
  // the per-CPU tag keeps V8 from sharing one block's feedback between vCPUs and machines
  lines.push(`// cpu ${cpuTag(cpu)}`);
  lines.push('const R = cpu.r, segBase = cpu.segBase, rTag = cpu.rTag, rW32 = cpu.rW32, rBase32 = cpu.rBase32;');
  lines.push('const wTag = cpu.wTag, wW32 = cpu.wW32, wBase32 = cpu.wBase32;');
  lines.push('return function block(budget) {', '  let n = 0;', '  const g = cpu.exitGen;', '  for (;;) {');
  for (let i = 0; i < k; i++) {
    const pre = `cpu.blockDone = n + ${i}; cpu.insnEip = ${eips[i]};`;
    const post = i < k - 1 || !branch ? `if (cpu.exitGen !== g) { cpu.eip = ${eips[i + 1]}; return n + ${i + 1}; }` : '';
    const inl = insns[i].inline;
    if (inl) {
      // The fault bookkeeping and the exit check only matter when the closure runs: the
      // inlined hit neither faults nor moves exitGen. (Inlined instructions are never the branch.)
      lines.push(inlineMov(inl, `${pre} f${i}(); ${post}`));
      continue;
    }
    lines.push(`    ${pre}`);
    if (i === k - 1 && branch) lines.push(`    cpu.eip = ${eips[i + 1]};`);
    lines.push(`    f${i}();`);
    if (post) lines.push(`    ${post}`);
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
  const factory = new Function('cpu', 'alu', ...params, lines.join('\n')) as (cpu: BlockHost, a: typeof alu, ...f: Exec[]) => (budget: number) => number;
  return { len: k, run: factory(cpu, alu, ...insns.map((i) => i.exec)), bpGen: -1, family };
}

/**
 * A dword mov, push, pop or ALU operation with memory as Cpu.lin + read32/write32/rmw32's
 * fast path, in line: an aligned dword in a page the TLB already maps (a write entry exists
 * only for RAM frames that hold no decoded code and were requested with frame(pfn, true):
 * fillWrite). Anything else (a checked segment, a 16-bit stack, misalignment, a TLB miss)
 * runs the instruction's closure, which has no side effect before this point, so the slow
 * path sees exactly what it would have seen.
 */
function inlineMov(m: InlineMov, fallback: string): string {
  const parts = [`segBase[${m.seg}]`];
  if (m.base >= 0) parts.push(`R[${m.base}]`);
  if (m.index >= 0) parts.push(`(R[${m.index}] << ${m.scale})`);
  if (m.disp !== 0) parts.push(`${m.disp | 0}`);
  const cmp = m.aop === Alu.CMP;
  const write = m.kind === 'store' || m.kind === 'push' || (m.kind === 'alu-rmw' && !cmp);
  const [tag, w, base] = write ? ['wTag', 'wW32', 'wBase32'] : ['rTag', 'rW32', 'rBase32'];
  const cell = `w[${base}[j] + ((a & 0xfff) >> 2)]`;
  const src = m.imm !== undefined ? `(${m.imm | 0})` : `R[${m.reg}]`;
  const access = {
    load: `R[${m.reg}] = ${cell};`,
    store: `${cell} = ${src};`,
    // push esp stores the value before the decrement; pop esp loads ESP with the popped value
    push: `${cell} = R[${m.reg}]; R[4] = (R[4] - 4) | 0;`,
    pop: `const v = ${cell}; R[4] = (R[4] + 4) | 0; R[${m.reg}] = v;`,
    // the same alu() call as the instruction's closure, with the operands in the same order
    'alu-load': `${cmp ? '' : `R[${m.reg}] = `}alu(cpu, ${m.aop}, 2, R[${m.reg}], ${cell});`,
    'alu-rmw': cmp ? `alu(cpu, ${m.aop}, 2, ${cell}, ${src});` : `const k = ${base}[j] + ((a & 0xfff) >> 2); w[k] = alu(cpu, ${m.aop}, 2, w[k], ${src});`,
  }[m.kind];
  const stack = m.kind === 'push' || m.kind === 'pop' ? 'cpu.stack32 && ' : '';
  return [
    `    { const a = (${parts.join(' + ')}) | 0;`,
    `      const t = (a >>> 12) | cpu.tlbUser, j = t & ${TLB_SIZE - 1};`,
    `      let w;`,
    `      if (${stack}((cpu.segCheck >> ${m.seg}) & 1) === 0 && (a & 3) === 0 && ${tag}[j] === t && (w = ${w}[j]) !== null) { ${access} }`,
    `      else { ${fallback} } }`,
  ].join('\n');
}
