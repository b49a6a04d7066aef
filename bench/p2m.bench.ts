// The P2M's costs, each beside a peer measured in the same run:
//  - lookups (the EPT walk every guest memory access and code-page check makes): the sparse
//    P2M against a dense gfn-indexed array holding the same map;
//  - an HVM domain's snapshot: the time of one whole-machine snapshot and restore with an HVM
//    guest running (its P2M spans 4 GiB: the special pages sit just below it), and the bytes the
//    snapshots' copies of the P2M hold, against the same system's dom0 alone (a PV domain).
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadDomainConfigFile } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';
import type { MachineSnapshot } from '../src/xen/inspect';
import { P2m } from '../src/xen/p2m';

const repo = path.resolve(__dirname, '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One P2M as it sits in a domain: a dense array, or copy-on-write leaves under a directory. */
type AnyP2m = P2m | number[];

/** Bytes of P2M distinct across the snapshots (shared copies counted once). */
function p2mBytes(snaps: MachineSnapshot[]): number {
  const seen = new Set<object>();
  let bytes = 0;
  const add = (part: object, n: number) => {
    if (seen.has(part)) return;
    seen.add(part);
    bytes += n;
  };
  for (const s of snaps) {
    // the snapshot is opaque to front ends; the bench looks inside on purpose
    const domains = (s as unknown as { domains: { fields: { p2m: AnyP2m } }[] }).domains;
    for (const { fields: { p2m } } of domains) {
      // a JS array: 8 bytes an element (4 with pointer compression, for small integers)
      if (Array.isArray(p2m)) add(p2m, p2m.length * 8);
      else {
        add(p2m, p2m.directorySize * 8);
        for (const leaf of p2m.leaves()) add(leaf, leaf.byteLength);
      }
    }
  }
  return bytes;
}

/** Flip one gfn of domain 1 between a hole and a frame (the P2M changing between snapshots). */
function touch(sys: XenSystem, i: number): void {
  const p2m = sys.hv.domains.get(1)?.p2m as AnyP2m | undefined;
  if (!p2m) return;
  const gfn = 0x80000; // far from the example's RAM and special pages: the guest never sees it
  const mfn = i % 2 ? -1 : Array.isArray(p2m) ? p2m[0] : p2m.get(0);
  if (Array.isArray(p2m)) p2m[gfn] = mfn;
  else p2m.set(gfn, mfn);
}

interface Cost {
  snapMs: number;
  restoreMs: number;
  firstBytes: number;
  perSnapBytes: number;
}

function measure(sys: XenSystem, rounds: number, change: boolean): Cost {
  const snaps: MachineSnapshot[] = [];
  const snapMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    sys.run({ maxInstructions: 1000 });
    if (change) touch(sys, i);
    const t0 = performance.now();
    snaps.push(sys.snapshot());
    snapMs.push(performance.now() - t0);
  }
  const restoreMs: number[] = [];
  for (const s of snaps.slice(-5)) {
    const t0 = performance.now();
    sys.restore(s);
    restoreMs.push(performance.now() - t0);
  }
  const first = p2mBytes(snaps.slice(0, 1));
  return { snapMs: median(snapMs), restoreMs: median(restoreMs), firstBytes: first, perSnapBytes: (p2mBytes(snaps) - first) / (snaps.length - 1) };
}

/** Lookups per microsecond of `get` over `gfns`, `rounds` times. */
function lookups(get: (gfn: number) => number, gfns: Int32Array, rounds: number): { rate: number; sum: number } {
  let sum = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < gfns.length; i++) sum += get(gfns[i]);
  return { rate: (gfns.length * rounds) / ((performance.now() - t0) * 1000), sum };
}

function lookupBench(): void {
  // an HVM domain's map: 16 MiB of RAM around the VGA hole, four special pages below 4 GiB
  const dense = new Array<number>(0x100000).fill(-1);
  const sparse = new P2m();
  const map = (g: number, m: number) => {
    dense[g] = m;
    sparse.set(g, m);
  };
  for (let g = 0; g < 4096; g++) if (g < 0xa0 || g >= 0x100) map(g, 300 + g);
  for (let x = 0; x < 4; x++) map(0xfeffb + x, 8000 + x);
  // mostly RAM, now and then a special page or a hole (a fixed pattern, no randomness)
  const gfns = new Int32Array(1 << 16).map((_, i) => (i % 97 === 0 ? 0xfeffb + (i & 3) : i % 89 === 0 ? 0x80000 : (i * 2654435761) >>> 20));
  const rounds = 200;
  // warm both up, then measure each twice, interleaved, and keep the better
  const s = [lookups((g) => sparse.get(g), gfns, 20), lookups((g) => dense[g] ?? -1, gfns, 20)];
  if (s[0].sum !== s[1].sum) throw new Error('the sparse and the dense P2M disagree');
  let sr = 0;
  let dr = 0;
  for (let k = 0; k < 2; k++) {
    sr = Math.max(sr, lookups((g) => sparse.get(g), gfns, rounds).rate);
    dr = Math.max(dr, lookups((g) => dense[g] ?? -1, gfns, rounds).rate);
  }
  console.log(`P2M lookups: sparse ${sr.toFixed(0)} M/s, dense array ${dr.toFixed(0)} M/s (sparse/dense ${(sr / dr).toFixed(2)})`);
}

export default async function (): Promise<void> {
  lookupBench();
  const cfg = loadDomainConfigFile(path.join(repo, 'examples', 'hvm-timer', 'hvm-timer.cfg')).config!;
  // hvm-timer powers off after some 21 000 instructions: 15 snapshots 1000 apart are all of it running
  const hvm = measure(new XenSystem([cfg], { dom0: true, pcpus: 2 }), 15, false);
  const changing = measure(new XenSystem([cfg], { dom0: true, pcpus: 2 }), 15, true);
  const pv = measure(new XenSystem([], { dom0: true, pcpus: 2 }), 15, false);
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const line = (name: string, c: Cost) =>
    `${name}: snapshot ${c.snapMs.toFixed(2)} ms, restore ${c.restoreMs.toFixed(2)} ms; P2M bytes held: first snapshot ${kib(c.firstBytes)}, each later one ${kib(c.perSnapBytes)}`;
  console.log(line('HVM domain (+ dom0)', hvm));
  console.log(line('HVM domain, one P2M entry changed between snapshots', changing));
  console.log(`${line('peer: dom0 alone (PV)', pv)}; HVM/peer snapshot time ${(hvm.snapMs / pv.snapMs).toFixed(1)}x`);
}
