// Time travel's costs, each beside a peer measured in the same run:
// Times are this process's CPU time (the machines are shared: wall time would count neighbours).
//  - MIPS with snapshots on (the engine's default policy: every 2·10^6 instructions, thinned
//    geometrically with age) against the plain system, over the same 2·10^7 instructions after
//    the boot (whose one-off cost is printed apart);
//  - snapshot memory: what the held snapshots' copy-on-write parts hold (distinct frame bytes,
//    page-information records, chunk tables) against the same snapshots as full copies, and as a
//    ratio of the guests' memory;
//  - reverse-step latency (median of 5 steps back by one instruction) at 10^6, 10^7 and 10^8
//    instructions into a run, beside a forward step; and at 10^8, a step back at 10^7 after
//    travelling there (the sparse part of history, made dense again by the travel).
// XENSIM_BENCH_SHORT=1 stops at 10^7.
import * as path from 'path';
import { loadDomainConfigFile } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';
import { TimeTravel } from '../src/xen/timetravel/engine';
import { DEFAULT_POLICY } from '../src/xen/timetravel/snapshots';
import { fullCopyFrameBytes, snapshotBytes } from '../src/xen/timetravel/frames';

const repo = path.resolve(__dirname, '..');
const cfgs = () => ['w256', 'w512', 'w1024'].map((n) => loadDomainConfigFile(path.join(repo, 'examples', 'scheduler', `${n}.cfg`)).config!);

/** CPU milliseconds of this process for `f` (neighbours on a shared machine do not count). */
function cpuMs(f: () => void): number {
  const t0 = process.cpuUsage();
  f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (b: number) => (b / 2 ** 20).toFixed(2);

/** Median of 5 reverse single steps from here, and one forward step as the peer. */
function reverseSteps(tt: TimeTravel): { back: number; fwd: number } {
  const lat: number[] = [];
  for (let i = 0; i < 5; i++) {
    const here = tt.instructionsRetired();
    lat.push(cpuMs(() => tt.travelTo(here - 1)));
  }
  return { back: median(lat), fwd: cpuMs(() => tt.run({ maxInstructions: 1 })) };
}

export default async function (): Promise<void> {
  const BOOT = 2_000_000;
  const CHUNK = DEFAULT_POLICY.interval;
  const N = 10 * CHUNK;
  const plain = new XenSystem(cfgs(), { pcpus: 2 });
  const sys = new XenSystem(cfgs(), { pcpus: 2 });
  let tt!: TimeTravel;
  // dom0's toolstack builds the domains in the first instructions: the first snapshots copy
  // their fresh memory once; reported apart from the steady state
  const bootPlain = cpuMs(() => plain.run({ maxInstructions: BOOT }));
  const bootTt = cpuMs(() => {
    tt = new TimeTravel(sys);
    tt.run({ maxInstructions: BOOT });
  });
  console.log(`boot (first ${BOOT.toExponential(0)} instructions, domains built): plain ${bootPlain.toFixed(0)} ms, with snapshots ${bootTt.toFixed(0)} ms`);
  // then the same instruction ranges in lockstep, one snapshot interval at a time
  let tPlain = 0;
  let tTt = 0;
  const ratios: number[] = [];
  for (let done = 0; done < N; done += CHUNK) {
    // alternate which side goes first (caches, the JIT's tiers)
    const runTt = () => cpuMs(() => tt.run({ maxInstructions: CHUNK }));
    const runPlain = () => cpuMs(() => plain.run({ maxInstructions: CHUNK }));
    let p: number;
    let t: number;
    if ((done / CHUNK) % 2 === 0) {
      t = runTt();
      p = runPlain();
    } else {
      p = runPlain();
      t = runTt();
    }
    tPlain += p;
    tTt += t;
    ratios.push(p / t);
  }
  const plainMips = N / tPlain / 1000;
  const ttMips = N / tTt / 1000;
  const r = median(ratios);
  console.log(
    `MIPS over the next ${N.toExponential(0)} (CPU time): plain ${plainMips.toFixed(1)}, with snapshots every ${CHUNK.toExponential(0)} ${ttMips.toFixed(1)} ` +
      `(ratio ${(ttMips / plainMips).toFixed(3)}; median per interval ${r.toFixed(3)}, cost ${((1 - r) * 100).toFixed(1)} %)`,
  );

  const guestBytes = sys.domains().reduce((s, d) => s + d.pages * 4096, 0);
  const memory = (label: string) => {
    const snaps = tt.snapshots().map((s) => s.snap);
    const held = snapshotBytes(snaps);
    const full = fullCopyFrameBytes(snaps);
    console.log(
      `${label}: ${snaps.length} snapshots hold ${mib(held.total)} MiB (frames ${mib(held.frames)}, page info ${mib(held.info)}, tables ${mib(held.tables)}) ` +
        `= ${((held.total / guestBytes) * 100).toFixed(2)} % of guest memory (${mib(guestBytes)} MiB); as full copies ${mib(full)} MiB of frames (ratio ${(full / held.total).toFixed(1)}x)`,
    );
  };

  const points = process.env.XENSIM_BENCH_SHORT ? [1e6, 1e7] : [1e6, 1e7, 1e8];
  for (const at of points) {
    if (tt.instructionsRetired() < at) tt.run({ maxInstructions: at - tt.instructionsRetired() });
    const { back, fwd } = reverseSteps(tt);
    console.log(`reverse step at ${at.toExponential(0)} instructions: median ${back.toFixed(1)} ms (forward step ${fwd.toFixed(2)} ms, ratio ${(back / Math.max(fwd, 0.001)).toFixed(0)}x)`);
    if (at >= 1e7) memory(`memory at ${at.toExponential(0)}`);
  }
  if (points.includes(1e8)) {
    const travel = cpuMs(() => tt.travelTo(1e7));
    const { back } = reverseSteps(tt);
    console.log(`travel from 1e+8 back to 1e+7: ${travel.toFixed(0)} ms; then reverse step there: median ${back.toFixed(1)} ms`);
  }
}
