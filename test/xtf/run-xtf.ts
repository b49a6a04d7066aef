// `npm run test:xtf`: runs every XTF kernel config in ../shared/xtf the way XTF's own runner
// (xtf-runner) does: one line per test with its result and a summary; exit 0 only when all pass.
// The result comes from the kernel's last `Test result:` console line and the domain's shutdown.
import * as fs from 'fs';
import * as path from 'path';
import { xtfDir } from '../loader/shared-dir';
import { formatDiagnostic, loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';

/** xtf-runner's result names, worst last. */
export const XTF_RESULTS = ['SUCCESS', 'SKIP', 'FAILURE', 'ERROR', 'CRASH', 'TIMEOUT'] as const;
export type XtfResult = (typeof XTF_RESULTS)[number];

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
 * last `Test result:` line decides; a domain still running with no result is TIMEOUT, one that
 * shut down without a result is ERROR.
 */
export function classify(lines: readonly string[], shutdownReason: string | undefined): XtfResult {
  if (shutdownReason === 'crash') return 'CRASH';
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^Test result: (\w+)/.exec(lines[i]);
    if (m) return (XTF_RESULTS as readonly string[]).includes(m[1]) ? (m[1] as XtfResult) : 'ERROR';
  }
  return shutdownReason === undefined ? 'TIMEOUT' : 'ERROR';
}

/** The configs in `dir` named as XTF names its tests (`test-<env>-<name>.cfg`), sorted. */
export function xtfConfigs(dir = xtfDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /^test-.*\.cfg$/.test(f)).sort().map((f) => path.join(dir, f));
}

/** Boots one XTF config on a fresh simulated machine (with dom0) and classifies the outcome. */
export function runXtf(cfgFile: string): XtfRun {
  const test = path.basename(cfgFile, '.cfg');
  const r = loadDomainConfigFile(cfgFile);
  if (!r.config) return { test, result: 'ERROR', detail: r.diagnostics.map(formatDiagnostic).join('; '), instructions: 0, lines: [] };
  const sys = new XenSystem([r.config]);
  const stop = sys.run(XTF_BUDGET);
  const d = sys.domains().find((x) => x.name === r.config!.name);
  if (!d) return { test, result: 'ERROR', detail: `domain ${r.config.name} was not built (${stop.reason})`, instructions: sys.instructionsRetired(), lines: [] };
  const lines = sys.domain(d.id).consoleLines;
  const result = classify(lines, d.shutdownReason);
  const detail = result === 'SUCCESS' ? '' : result === 'TIMEOUT' ? `no result (${stop.reason})` : (lines[lines.length - 1] ?? `shutdown ${d.shutdownReason}`);
  return { test, result, detail, instructions: sys.instructionsRetired(), lines };
}

function main(): number {
  const cfgs = xtfConfigs();
  if (!cfgs.length) {
    process.stderr.write(`no XTF configs in ${xtfDir}\n`);
    return 1;
  }
  const counts = new Map<XtfResult, number>();
  const width = Math.max(...cfgs.map((c) => path.basename(c, '.cfg').length));
  for (const cfg of cfgs) {
    let run: XtfRun;
    try {
      run = runXtf(cfg);
    } catch (e) {
      // a simulator bug must not hide the other tests' results
      run = { test: path.basename(cfg, '.cfg'), result: 'ERROR', detail: e instanceof Error ? e.message : String(e), instructions: 0, lines: [] };
    }
    counts.set(run.result, (counts.get(run.result) ?? 0) + 1);
    process.stdout.write(`${run.test.padEnd(width)}  ${run.result}${run.detail ? `  ${run.detail}` : ''}\n`);
  }
  const passed = counts.get('SUCCESS') ?? 0;
  const summary = XTF_RESULTS.filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k}`).join(', ');
  process.stdout.write(`\nCombined test results: ${summary} (${passed}/${cfgs.length} passed)\n`);
  return passed === cfgs.length ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
