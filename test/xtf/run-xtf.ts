// `npm run test:xtf`: runs every XTF kernel config in ../shared/xtf the way XTF's own runner
// (xtf-runner) does: one line per test as it finishes, then xtf-runner's "Combined test
// results:" table and exit code (the worst result). The result comes from the kernel's last
// `Test result:` console line and the domain's shutdown; a kernel still running when its budget
// of virtual time or instructions is spent is TIMEOUT, so a hung guest never hangs the runner.
import * as fs from 'fs';
import * as path from 'path';
import { xtfDir } from '../loader/shared-dir';
import { formatDiagnostic, loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { KernelError } from '../../src/xen/kernel';

/** xtf-runner's result names in its order (worst last), and TIMEOUT after them. */
export const XTF_RESULTS = ['SUCCESS', 'SKIP', 'ERROR', 'FAILURE', 'CRASH', 'TIMEOUT'] as const;
export type XtfResult = (typeof XTF_RESULTS)[number];

/** xtf-runner's exit code for the worst result (1 and 2 are the interpreter's); TIMEOUT is xensim's 7. */
export const XTF_EXIT: Record<XtfResult, number> = { SUCCESS: 0, SKIP: 3, ERROR: 4, FAILURE: 5, CRASH: 6, TIMEOUT: 7 };

/** Budget a kernel gets before it counts as TIMEOUT (virtual time and instructions). */
export const XTF_BUDGET = { untilTimeNs: 10e9, maxInstructions: 200_000_000 };

export interface XtfRun {
  test: string;
  result: XtfResult;
  /** why, when not SUCCESS: the console's last line or the stop */
  detail: string;
  instructions: number;
  lines: string[];
}

/**
 * A crash (SHUTDOWN_crash, which XTF's panic uses) is CRASH whatever was printed; otherwise the
 * last `Test result:` line decides (a word xtf-runner does not know is CRASH, as it says "CRASH
 * covers all cases where a valid result was not found"); a domain still running with no result
 * is TIMEOUT, one that shut down without a result is CRASH.
 */
export function classify(lines: readonly string[], shutdownReason: string | undefined): XtfResult {
  if (shutdownReason === 'crash') return 'CRASH';
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^Test result: (\w+)/.exec(lines[i]);
    if (m) return (XTF_RESULTS as readonly string[]).includes(m[1]) && m[1] !== 'TIMEOUT' ? (m[1] as XtfResult) : 'CRASH';
  }
  return shutdownReason === undefined ? 'TIMEOUT' : 'CRASH';
}

/** The configs in `dir` named as XTF names its tests (`test-<env>-<name>.cfg`), sorted. */
export function xtfConfigs(dir = xtfDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^test-.*\.cfg$/.test(f)).sort().map((f) => path.join(dir, f));
}

/**
 * Boots one XTF config on a fresh simulated machine (with dom0) and classifies the outcome. A
 * config or kernel that cannot be loaded is ERROR (xtf-runner stops there: "Failed to create VM").
 */
export function runXtf(cfgFile: string, budget = XTF_BUDGET): XtfRun {
  const test = path.basename(cfgFile, '.cfg');
  const r = loadDomainConfigFile(cfgFile);
  if (!r.config) return { test, result: 'ERROR', detail: r.diagnostics.map(formatDiagnostic).join('; '), instructions: 0, lines: [] };
  let sys: XenSystem;
  try {
    sys = new XenSystem([r.config]);
  } catch (e) {
    if (!(e instanceof KernelError)) throw e;
    return { test, result: 'ERROR', detail: e.message, instructions: 0, lines: [] };
  }
  const stop = sys.run(budget);
  const d = sys.domains().find((x) => x.name === r.config!.name);
  if (!d) return { test, result: 'ERROR', detail: `domain ${r.config.name} was not built (${stop.reason})`, instructions: sys.instructionsRetired(), lines: [] };
  const lines = sys.domain(d.id).consoleLines;
  const result = classify(lines, d.shutdownReason);
  const spent = `${sys.instructionsRetired()} instructions, ${(sys.now() / 1e9).toFixed(3)} s virtual`;
  const detail =
    result === 'SUCCESS' ? '' : result === 'TIMEOUT' ? `no result after ${spent} (${stop.reason === 'budget' ? 'instruction budget' : stop.reason === 'time-limit' ? 'time budget' : stop.reason === 'idle' ? 'blocked with nothing left to wake it' : stop.reason})` : (lines[lines.length - 1] ?? `shutdown ${d.shutdownReason}`);
  return { test, result, detail, instructions: sys.instructionsRetired(), lines };
}

/**
 * Runs `cfgs` one after another, writing a line per test as it finishes, then xtf-runner's
 * "Combined test results:" table and a count; returns xtf-runner's exit code for the worst result.
 */
export function runAll(cfgs: readonly string[], write: (text: string) => void, budget = XTF_BUDGET): number {
  const runs: XtfRun[] = [];
  const width = Math.max(...cfgs.map((c) => path.basename(c, '.cfg').length));
  for (const cfg of cfgs) {
    let run: XtfRun;
    try {
      run = runXtf(cfg, budget);
    } catch (e) {
      // a simulator bug must not hide the other tests' results
      run = { test: path.basename(cfg, '.cfg'), result: 'ERROR', detail: e instanceof Error ? e.message : String(e), instructions: 0, lines: [] };
    }
    runs.push(run);
    write(`${run.test.padEnd(width)}  ${run.result}${run.detail ? `  ${run.detail}` : ''}\n`);
  }
  write('\nCombined test results:\n');
  for (const r of runs) write(`${r.test.padEnd(40)} ${r.result}\n`);
  const counts = XTF_RESULTS.map((k) => [k, runs.filter((r) => r.result === k).length] as const).filter(([, n]) => n > 0);
  const passed = runs.filter((r) => r.result === 'SUCCESS').length;
  write(`${counts.map(([k, n]) => `${n} ${k}`).join(', ')} (${passed}/${runs.length} passed)\n`);
  const worst = Math.max(0, ...runs.map((r) => XTF_RESULTS.indexOf(r.result)));
  return XTF_EXIT[XTF_RESULTS[worst]];
}

function main(): number {
  const cfgs = xtfConfigs();
  if (!cfgs.length) {
    process.stderr.write(`no XTF configs in ${xtfDir}\n`);
    return 1;
  }
  return runAll(cfgs, (t) => process.stdout.write(t));
}

if (require.main === module) process.exitCode = main();
