/**
 * The debugger's costs, through the real adapter process (dist/debugAdapter.js): launch → first
 * stop, median single-step latency, and a spinning guest's MIPS with 0, 10 and 1,000
 * breakpoints of mixed kinds armed (never hit), as ratios to none measured in the same run.
 */
import * as path from 'path';
import { performance } from 'perf_hooks';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ensureBuilt, launchTo, adapter } from '../test/debug/helpers';
import { guest, SPIN } from '../test/debug/guests';

const RUN_MS = 1500;

async function session<T>(f: (dc: DebugClient) => Promise<T>): Promise<T> {
  const dc = new DebugClient('node', adapter, 'xensim');
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

/** Breakpoints that cost something to check but never stop the spin guest. */
function armed(n: number): (dc: DebugClient) => Promise<unknown> {
  return async (dc) => {
    if (n === 0) return;
    const insn = Math.ceil(n / 2);
    const hyper = Math.floor(n / 4);
    const filters = n - insn - hyper;
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: Array.from({ length: insn }, (_, i) => ({ instructionReference: `d1:gva:0x${(0x200000 + 4 * i).toString(16)}` })) });
    await dc.setFunctionBreakpointsRequest({ breakpoints: Array.from({ length: hyper }, (_, i) => ({ name: 'hypercall:*', condition: `nr == ${1000 + i}` })) });
    await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: Array.from({ length: Math.max(1, filters) }, () => ({ filterId: 'fault', condition: 'vector == 99' })) });
  };
}

async function mips(cfg: string, n: number): Promise<number> {
  return session(async (dc) => {
    const entry = await launchTo(dc, { domains: [cfg], stopOnEntry: true }, armed(n));
    const t = entry.body.threadId!;
    await dc.continueRequest({ threadId: t });
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, RUN_MS));
    const paused = dc.waitForEvent('stopped', 10000);
    await dc.pauseRequest({ threadId: t });
    await paused;
    const ms = performance.now() - t0;
    // the loop is `inc eax; jmp .loop`: two instructions per count
    return (2 * (await evalNum(dc, t, 'eax'))) / (ms * 1000);
  });
}

export default async function (): Promise<void> {
  ensureBuilt();
  const cfg = guest('benchspin', SPIN);
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
  launches.sort((a, b) => a - b);
  console.log(`launch → first stop (examples/hello, stopOnEntry): median ${launches[2].toFixed(1)} ms of 5`);

  const steps = await session(async (dc) => {
    const entry = await launchTo(dc, { domains: [cfg], stopOnEntry: true });
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

  const base = await mips(cfg, 0);
  console.log(`guest MIPS under the debugger, no breakpoints: ${base.toFixed(1)}`);
  for (const n of [10, 1000]) {
    const m = await mips(cfg, n);
    console.log(`  with ${String(n).padStart(4)} breakpoints armed: ${m.toFixed(1)} MIPS (${((m / base) * 100).toFixed(0)} % of none)`);
  }
}
