import * as assert from 'assert';
import { main } from '../../src/cli/main';
import { CliIO } from '../../src/cli/command';

function capture(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: process.cwd() }, out, err };
}

describe('cli', () => {
  it('prints usage and exits 2 without a command', async () => {
    const c = capture();
    assert.strictEqual(await main([], c.io), 2);
    assert.match(c.out.join(''), /^usage: xensim <command>/);
  });
  it('names an unknown command and exits 2', async () => {
    const c = capture();
    assert.strictEqual(await main(['frobnicate'], c.io), 2);
    assert.match(c.err.join(''), /unknown command 'frobnicate'/);
  });
});
