/**
 * The debugger's costs, through the real adapter process (dist/debugAdapter.js): launch → first
 * stop, median single-step latency, pause latency on a guest spinning with interrupts masked,
 * and guest speed with 0, 10 and 1,000 breakpoints of mixed kinds armed (never hit), as ratios
 * to none measured in the same run.
 *
 * The armed breakpoints sit where they cost most: line, function and instruction breakpoints in
 * never-executed code on the same page as the hot loop, hypercall:/vmexit: breakpoints and the
 * exception filters with conditions that are false. Two workloads: a pure guest loop, and a loop
 * that makes a hypercall per pass (records for the record-kind breakpoints to look at).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ensureBuilt, launchTo, adapter } from '../test/debug/helpers';
import { guest, SPIN } from '../test/debug/guests';

const RUN_MS = 1000;
const ROUNDS = 3;
/** Never-called functions after the loop: 16 bytes each (`align 16`), 6 lines each. */
const DEAD_FUNCTIONS = 200;
const FN_LINES = 6;
/** The prelude guest() writes before the body (bits, org, %include). */
const PRELUDE_LINES = 3;
const ORG = 0x100000;
/** The loop (first line `_start:`) fits in the first 16 bytes; the dead functions follow. */
const FN_BASE = ORG + 0x10;

async function session<T>(f: (dc: DebugClient) => Promise<T>): Promise<T> {
  const dc = new DebugClient('node', process.env.XENSIM_BENCH_ADAPTER ?? adapter, 'xensim');
  await dc.start();
  try {
    return await f(dc);
  } finally {
    await dc.stop();
  }
}

async function evalNum(dc: DebugClient, threadId: number, expression: string): Promise<number> {
  const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  return parseInt((await dc.evaluateRequest({ expression, frameId: frame.id, context: 'watch' })).body.result, 16);
}

interface Workload {
  name: string;
  cfg: string;
  asm: string;
  /** the register the loop counts passes in */
  counter: string;
  /** first source line of the dead functions */
  firstFnLine: number;
}

/** A loop (at most 16 bytes) followed by DEAD_FUNCTIONS never-called functions on the same page. */
export function workload(name: string, loop: string, counter: string): Workload {
  const lines = loop.trimEnd().split('\n');
  const fns: string[] = ['align 16'];
  for (let i = 0; i < DEAD_FUNCTIONS; i++) {
    // push ebp (1) + mov ebp, esp (2) + mov eax, imm32 (5) + add eax, ebx (2) + pop ebp (1) + ret (1)
    fns.push(`f${i}:`, '    push ebp', '    mov ebp, esp', `    mov eax, ${i}`, '    add eax, ebx', '    pop ebp', '    ret', 'align 16');
  }
  const cfg = guest(name, `${lines.join('\n')}\n${fns.join('\n')}\n`);
  // f0's first body line: after the loop's lines, `align 16` and `f0:`
  const firstFnLine = PRELUDE_LINES + lines.length + 3;
  return { name, cfg, asm: cfg.replace(/\.cfg$/, '.asm'), counter, firstFnLine };
}

/** Line `k` of the body of dead function `i` (k < FN_LINES). */
const fnLine = (w: Workload, i: number, k: number): number => w.firstFnLine + i * (FN_LINES + 2) + k;

/** `n` breakpoints of mixed kinds, none of which stops the workload. */
export function armed(w: Workload, n: number): (dc: DebugClient) => Promise<unknown> {
  return async (dc) => {
    if (n === 0) return;
    const filters = [
      { filterId: 'hypercall', condition: 'nr == 1000' },
      { filterId: 'ring', condition: 'from == 2' },
      { filterId: 'fault', condition: 'vector == 99' },
      { filterId: 'event', condition: 'port == 4095' },
    ];
    const rest = n - filters.length;
    const fn = Math.max(1, Math.floor(rest / 5));
    const insn = fn;
    const hyper = Math.max(1, Math.floor(rest / 10));
    const vmexit = Math.max(1, Math.floor(rest / 10));
    const line = rest - fn - insn - hyper - vmexit;
    const lines = Array.from({ length: line }, (_, i) => ({ line: fnLine(w, i % DEAD_FUNCTIONS, 1 + Math.floor(i / DEAD_FUNCTIONS)) }));
    // Lines and symbols resolve (verify) when the toolstack has built the domain.
    await dc.setBreakpointsRequest({ source: { path: w.asm }, breakpoints: lines });
    await dc.customRequest('setInstructionBreakpoints', {
      breakpoints: Array.from({ length: insn }, (_, i) => ({ instructionReference: `d1:gva:0x${(FN_BASE + 16 * (DEAD_FUNCTIONS - 1 - (i % DEAD_FUNCTIONS)) + 8).toString(16)}` })),
    });
    const fnbps = [
      ...Array.from({ length: fn }, (_, i) => ({ name: `f${(DEAD_FUNCTIONS - 1 - i) % DEAD_FUNCTIONS}` })),
      ...Array.from({ length: hyper }, (_, i) => ({ name: i % 2 ? 'hypercall:sched_op' : 'hypercall:event_channel_op', condition: `cmd == ${1000 + i}` })),
      ...Array.from({ length: vmexit }, (_, i) => ({ name: i % 2 ? 'vmexit:CPUID' : 'vmexit:IO_INSTRUCTION', condition: `rip == ${i}` })),
    ];
    await dc.setFunctionBreakpointsRequest({ breakpoints: fnbps });
    await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: filters });
  };
}

/** Loop passes per millisecond of wall time while running RUN_MS with `n` breakpoints armed. */
export async function speed(w: Workload, n: number): Promise<number> {
  return session(async (dc) => {
    const entry = await launchTo(dc, { domains: [w.cfg], stopOnEntry: true }, armed(w, n));
    const t = entry.body.threadId!;
    await dc.continueRequest({ threadId: t });
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, RUN_MS));
    const paused = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.pauseRequest({ threadId: t });
    const stop = await paused;
    if (stop.body.reason !== 'pause') throw new Error(`stopped by ${stop.body.reason}: ${stop.body.description}`);
    const ms = performance.now() - t0;
    return (await evalNum(dc, t, w.counter)) / ms;
  });
}

/** pauseRequest → stopped event on a guest that has been spinning for a while. */
async function pauseLatency(cfg: string, setup?: (dc: DebugClient) => Promise<unknown>): Promise<number> {
  return session(async (dc) => {
    const entry = await launchTo(dc, { domains: [cfg], stopOnEntry: true }, setup);
    const t = entry.body.threadId!;
    await dc.continueRequest({ threadId: t });
    await new Promise((r) => setTimeout(r, 300));
    const paused = dc.waitForEvent('stopped', 10000);
    const t0 = performance.now();
    await dc.pauseRequest({ threadId: t });
    await paused;
    return performance.now() - t0;
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function (): Promise<void> {
  ensureBuilt();
  const hello = path.resolve(__dirname, '..', 'examples', 'hello', 'hello.cfg');

  const launches: number[] = [];
  for (let i = 0; i < 5; i++) {
    launches.push(
      await session(async (dc) => {
        const t0 = performance.now();
        await launchTo(dc, { domains: [hello], stopOnEntry: true });
        return performance.now() - t0;
      }),
    );
  }
  console.log(`launch → first stop (examples/hello, stopOnEntry): median ${median(launches).toFixed(1)} ms of 5`);

  const spin = guest('benchspin', SPIN);
  const steps = await session(async (dc) => {
    const entry = await launchTo(dc, { domains: [spin], stopOnEntry: true });
    const t = entry.body.threadId!;
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const stopped = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
      const t0 = performance.now();
      await dc.stepInRequest({ threadId: t, granularity: 'instruction' });
      await stopped;
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b);
  });
  console.log(`single step (stepIn, instruction): median ${steps[100].toFixed(2)} ms, p90 ${steps[180].toFixed(2)} ms over 200`);

  // `cli; jmp $` in an HVM (PVH-booted) guest: ring 0, interrupts really masked.
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-benchcli-'));
  fs.writeFileSync(path.join(cliDir, 'cli.asm'), 'bits 32\norg 0x100000\n_start:\n    cli\n    jmp $\n');
  fs.writeFileSync(path.join(cliDir, 'cli.cfg'), 'name = "cli"\ntype = "pvh"\nkernel = "cli.asm"\nmemory = 16\n');
  const cliCfg = path.join(cliDir, 'cli.cfg');
  const pauses: number[] = [];
  for (let i = 0; i < 5; i++) pauses.push(await pauseLatency(cliCfg));
  console.log(`pause of a guest spinning with interrupts masked (cli; jmp $): median ${median(pauses).toFixed(1)} ms, worst ${Math.max(...pauses).toFixed(1)} ms of 5 (aim: under 100 ms)`);

  const workloads = [
    workload('benchloop', '_start:\n    xor eax, eax\n.loop:\n    inc eax\n    jmp .loop', 'eax'),
    workload('benchhyper', '_start:\n    xor esi, esi\n.loop:\n    inc esi\n    HYPERCALL1 xen_version, 0\n    jmp .loop', 'esi'),
  ];
  for (const w of workloads) {
    // Interleaved rounds, best of each: the machine is shared and its speed drifts.
    const best = new Map<number, number>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const n of [0, 10, 1000]) best.set(n, Math.max(best.get(n) ?? 0, await speed(w, n)));
    }
    const base = best.get(0)!;
    const what = w.name === 'benchloop' ? 'guest loop (inc; jmp)' : 'hypercall loop (xen_version per pass)';
    console.log(`${what}: ${base.toFixed(0)} passes/ms with no breakpoints (best of ${ROUNDS})`);
    for (const n of [10, 1000]) {
      const m = best.get(n)!;
      console.log(`  with ${String(n).padStart(4)} breakpoints armed: ${m.toFixed(0)} passes/ms (${((m / base) * 100).toFixed(0)} % of none, cost ${(100 - (m / base) * 100).toFixed(0)} %)`);
    }
  }
}
