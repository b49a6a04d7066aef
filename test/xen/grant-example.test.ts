// examples/shared-page through the CLI: a grant mapped by another domU, both see the writes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkExample } from './split-examples';

describe('examples/shared-page', () => {
  for (const extra of [[], ['--no-dom0']]) {
    it(`d1 grants, d2 maps, reads and replies, unmaps; d1 revokes (${extra.length ? 'no dom0' : 'with dom0'})`, async () => {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-sp-'));
      const trace = path.join(tmp, 't.jsonl');
      try {
        await checkExample('shared-page', ['granter', 'mapper'], [...extra, '--trace', trace, '--trace-filter', 'hypercall']);
        const recs = fs.readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        const gnt = recs.filter((r) => r.kind === 'hypercall-exit' && r.name === 'grant_table_op').map((r) => `d${r.domid} ${r.subop} ${r.result}`);
        assert.deepStrictEqual(gnt, ['d1 GNTTABOP_setup_table 0', 'd2 GNTTABOP_map_grant_ref 0', 'd2 GNTTABOP_unmap_grant_ref 0']);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
