// examples/network through the CLI: frames between two domUs over netfront/netback and a bridge.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '..', '..');
const dir = path.join(root, 'examples', 'network');

describe('examples/network', () => {
  for (const extra of [[], ['--no-dom0']]) {
    it(`ping and pong exchange three frame pairs over xenbr0 (${extra.length ? 'no dom0' : 'with dom0'})`, async () => {
      let out = '';
      const code = await main(['run', ...extra, path.join(dir, 'ping.cfg'), path.join(dir, 'pong.cfg')], { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd: root });
      assert.strictEqual(code, 0, out);
      const m = /Expected output[^\n]*\n+```\n([\s\S]*?)```/.exec(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'))!;
      const want = m[1].split('\n').filter((l) => l.trim());
      assert.deepStrictEqual(out.split('\n').filter((l) => /^\((ping|pong)\)/.test(l)), want);
    });
  }
});
