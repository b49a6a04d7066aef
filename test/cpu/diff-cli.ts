/**
 * `npm run test:diff -- [--count N] [--seed S] [--first K]`: the QEMU differential test at
 * any size (CI runs a fixed sample through diff.test.ts).
 */
import { describeFailure, runDiff } from './diff-run';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) {
    console.error(`test:diff: --${name} needs a non-negative integer, got '${process.argv[i + 1] ?? ''}'`);
    process.exit(2);
  }
  return v;
}

const count = arg('count', 20000);
const seed = arg('seed', 1);
const first = arg('first', 0);
const show = arg('show', 20);
const report = runDiff(seed, count, 1000, first);
for (const f of report.failures.slice(0, show)) console.log(describeFailure(f) + '\n');
console.log(`${report.count} sequences (seed ${seed}, from ${first}): ${report.count - report.failures.length} agree, ${report.failures.length} differ`);
process.exit(report.failures.length ? 1 : 0);
