// examples/shared-page through the CLI: a grant mapped by another domU, both see the writes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '..', '..');
const dir = path.join(root, 'examples', 'shared-page');

describe('examples/shared-page', () => {
  for (const extra of [[], ['--no-dom0']]) {
    it(`d1 grants, d2 maps, reads and replies, unmaps; d1 revokes (${extra.length ? 'no dom0' : 'with dom0'})`, async () => {
      let out = '';
      const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-sp-')), 't.jsonl');
      const code = await main(['run', ...extra, '--trace', trace, '--trace-filter', 'hypercall', path.join(dir, 'granter.cfg'), path.join(dir, 'mapper.cfg')], { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd: root });
      assert.strictEqual(code, 0, out);
      const m = /Expected output[^\n]*\n+```\n([\s\S]*?)```/.exec(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'))!;
      const want = m[1].split('\n').filter((l) => l.trim());
      assert.deepStrictEqual(out.split('\n').filter((l) => /^\((granter|mapper)\)/.test(l)), want);
      const recs = fs.readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const gnt = recs.filter((r) => r.kind === 'hypercall-exit' && r.name === 'grant_table_op').map((r) => `d${r.domid} ${r.subop} ${r.result}`);
      assert.deepStrictEqual(gnt, ['d1 GNTTABOP_setup_table 0', 'd2 GNTTABOP_map_grant_ref 0', 'd2 GNTTABOP_unmap_grant_ref 0']);
      fs.rmSync(path.dirname(trace), { recursive: true, force: true });
    });
  }
});
