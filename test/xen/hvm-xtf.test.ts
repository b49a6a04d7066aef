// The XTF hvm32 and hvm32pae kernels in ../shared/xtf boot from their own configs (through
// dom0's toolstack) and end with "Test result: SUCCESS", as on Xen.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { xtfDir } from '../loader/shared-dir';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';

const cfgs = fs.existsSync(xtfDir) ? fs.readdirSync(xtfDir).filter((f) => /^test-hvm32(pae)?-.*\.cfg$/.test(f)).sort() : [];

describe('XTF HVM kernels', function () {
  this.timeout(60_000);
  before(function () {
    if (!cfgs.length) this.skip();
  });
  for (const f of cfgs) {
    it(f, () => {
      const r = loadDomainConfigFile(path.join(xtfDir, f));
      assert.ok(r.config, r.diagnostics.map((d) => d.message).join('\n'));
      const sys = new XenSystem([r.config]);
      const stop = sys.run({ maxInstructions: 50_000_000, untilTimeNs: 10e9 });
      assert.strictEqual(stop.reason, 'finished');
      const d = sys.domains().find((x) => x.name === r.config!.name)!;
      const lines = sys.domain(d.id).consoleLines;
      assert.strictEqual(lines[0], '--- Xen Test Framework ---');
      assert.strictEqual(lines[1], `Environment: HVM 32bit (${f.includes('pae') ? 'PAE 3 levels' : 'No paging'})`);
      assert.strictEqual(lines[lines.length - 1], 'Test result: SUCCESS');
      assert.strictEqual(sys.domain(d.id).shutdownReason, 'poweroff');
    });
  }
});
