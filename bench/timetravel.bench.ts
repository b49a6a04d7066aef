// Time travel's costs, each beside a peer measured in the same run:
//  - memory per snapshot: frames held by the engine's copy-on-write snapshots against the
//    same snapshots as full copies (what snapshot.ts alone would keep), and as a ratio of the
//    guests' memory;
//  - MIPS with snapshots on (every 10^6 instructions) against the plain system;
//  - reverse-step latency: travelling to one instruction before the current point, at 10^6
//    and 10^7 instructions into a run (10^8 with XENSIM_BENCH_LONG=1).
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadDomainConfigFile } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';
import { TimeTravel } from '../src/xen/timetravel/engine';
import { distinctFrameBytes, fullCopyFrameBytes } from '../src/xen/timetravel/frames';

const repo = path.resolve(__dirname, '..');
const cfgs = () => ['w256', 'w512', 'w1024'].map((n) => loadDomainConfigFile(path.join(repo, 'examples', 'scheduler', `${n}.cfg`)).config!);

function mips(run: (n: number) => void, n: number): number {
  const t0 = performance.now();
  run(n);
  return n / ((performance.now() - t0) * 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function (): Promise<void> {
  const N = 10_000_000;
  const plain = new XenSystem(cfgs(), { pcpus: 2 });
  const plainMips = mips((n) => plain.run({ maxInstructions: n }), N);
  const sys = new XenSystem(cfgs(), { pcpus: 2 });
  const tt = new TimeTravel(sys, { interval: 1_000_000 });
  const ttMips = mips((n) => tt.run({ maxInstructions: n }), N);
  console.log(`MIPS: plain ${plainMips.toFixed(1)}, with snapshots every 10^6 ${ttMips.toFixed(1)} (cost ${((1 - ttMips / plainMips) * 100).toFixed(1)} %)`);

  const snaps = tt.snapshots().map((s) => s.snap);
  const cow = distinctFrameBytes(snaps);
  const full = fullCopyFrameBytes(snaps);
  const guestBytes = sys.domains().reduce((s, d) => s + d.pages * 4096, 0);
  console.log(
    `snapshots: ${snaps.length}; copy-on-write ${(cow / 2 ** 20).toFixed(2)} MiB vs full copies ${(full / 2 ** 20).toFixed(2)} MiB (ratio ${(full / cow).toFixed(1)}x); ` +
      `per snapshot ${(cow / snaps.length / 1024).toFixed(0)} KiB = ${((cow / snaps.length / guestBytes) * 100).toFixed(2)} % of guest memory (${(guestBytes / 2 ** 20).toFixed(0)} MiB)`,
  );

  const points = process.env.XENSIM_BENCH_LONG ? [1e6, 1e7, 1e8] : [1e6, 1e7];
  for (const at of points) {
    if (tt.instructionsRetired() < at) tt.run({ maxInstructions: at - tt.instructionsRetired() });
    const lat: number[] = [];
    for (let i = 0; i < 5; i++) {
      const here = tt.instructionsRetired();
      const t0 = performance.now();
      tt.travelTo(here - 1);
      lat.push(performance.now() - t0);
    }
    // peer: a forward single step at the same point
    const s0 = performance.now();
    tt.run({ maxInstructions: 1 });
    const fwd = performance.now() - s0;
    console.log(`reverse step at ${at.toExponential(0)} instructions: median ${median(lat).toFixed(1)} ms (forward step ${fwd.toFixed(2)} ms, ratio ${(median(lat) / Math.max(fwd, 0.001)).toFixed(0)}x)`);
  }
}
