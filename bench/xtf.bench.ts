// Wall time of each XTF kernel in ../shared/xtf under xensim (config load, dom0's toolstack
// building the domain, the run to shutdown; best of N), beside a peer measured in the same
// run: examples/hello booted the same way, so the ratio is what the XTF kernel costs above
// a minimal PV guest. MIPS is the machine's retired instructions per wall second; the kernels
// retire only thousands of instructions, so boot (machine, dom0, domain build) dominates.
import * as path from 'path';
import { best } from './timing';
import { loadDomainConfigFile } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';
import { runXtf, xtfConfigs, XTF_BUDGET } from '../test/xtf/run-xtf';

const N = 5;

export default async function (): Promise<void> {
  const hello = path.resolve(__dirname, '..', 'examples', 'hello', 'hello.cfg');
  let helloInsns = 0;
  const helloMs = best(N, () => {
    const sys = new XenSystem([loadDomainConfigFile(hello).config!]);
    sys.run(XTF_BUDGET);
    helloInsns = sys.instructionsRetired();
  });
  const rows: string[][] = [];
  for (const cfg of xtfConfigs()) {
    let run = runXtf(cfg);
    const ms = best(N, () => {
      run = runXtf(cfg);
    });
    rows.push([run.test, run.result, run.instructions.toLocaleString('en'), ms.toFixed(1), (run.instructions / ms / 1000).toFixed(2), (ms / helloMs).toFixed(1)]);
  }
  rows.push(['(peer) examples/hello', '-', helloInsns.toLocaleString('en'), helloMs.toFixed(1), (helloInsns / helloMs / 1000).toFixed(2), '1.0']);
  const head = ['kernel', 'result', 'instructions', `best of ${N} ms`, 'MIPS', '× hello'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => (i >= 2 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  '));
  if (!rows.length) console.log('no XTF configs found (../shared/xtf)');
}
