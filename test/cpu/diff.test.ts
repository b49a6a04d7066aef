/**
 * The QEMU differential test (CI sample). `npm run test:diff -- --count N` runs more;
 * DIFF_COUNT overrides the sample size here.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareCase, describeFailure, runDiff, runOurs, runQemu } from './diff-run';
import { generateCase } from './diff-gen';

const COUNT = Number(process.env.DIFF_COUNT ?? 2000);

describe('cpu differential test against qemu-i386', function () {
  this.timeout(120000);
  it(`${COUNT} generated sequences agree with qemu-i386 (seed 1)`, () => {
    const report = runDiff(1, COUNT);
    assert.strictEqual(report.count, COUNT);
    const shown = report.failures.slice(0, 5).map(describeFailure).join('\n\n');
    assert.strictEqual(report.failures.length, 0, `${report.failures.length} of ${COUNT} differ:\n${shown}`);
  });
  it('the comparison is live: a tampered register, flag or byte is reported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-diff-'));
    try {
      const cases = [generateCase(7, 0)];
      const q = runQemu(cases, dir)[0];
      const o = runOurs(cases, dir)[0];
      assert.ok(typeof o !== 'string');
      assert.deepStrictEqual(compareCase(cases[0], q, o), []);
      const regs = o.regs.slice();
      regs[3] ^= 1;
      assert.match(compareCase(cases[0], q, { ...o, regs }).join(), /ebx/);
      const mem = o.mem.slice();
      mem[100] ^= 0x80;
      assert.match(compareCase(cases[0], q, { ...o, mem }).join(), /mem\[/);
      assert.match(compareCase(cases[0], q, { ...o, eflags: o.eflags ^ 0x400 }).join(), /eflags/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
