// Shared by the benches: wall-clock best of n runs (these machines are shared and noisy).
import { performance } from 'perf_hooks';

export function best(n: number, f: () => void): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}
