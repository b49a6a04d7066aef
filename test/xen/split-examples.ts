// Runs a split-driver example through the CLI and checks its README's expected lines.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';

export const root = path.resolve(__dirname, '..', '..');

/** The fenced block after "Expected output" in an example's README. */
export function expectedLines(dir: string): string[] {
  const m = /Expected output[^\n]*\n+```\n([\s\S]*?)```/.exec(fs.readFileSync(path.join(dir, 'README.md'), 'utf8'));
  assert.ok(m, `${dir}/README.md has an "Expected output" block`);
  return m[1].split('\n').filter((l) => l.trim());
}

/** `xensim run [args] cfgs...`: exit code and output. */
export async function runCli(args: string[], cwd = root): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['run', ...args], { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd });
  return { code, out };
}

/** The example's domains print exactly its README's lines (lines of other domains ignored). */
export async function checkExample(name: string, cfgs: string[], extra: string[]): Promise<string> {
  const dir = path.join(root, 'examples', name);
  const { code, out } = await runCli([...extra, ...cfgs.map((c) => path.join(dir, `${c}.cfg`))]);
  assert.strictEqual(code, 0, out);
  const own = new RegExp(`^\\((${cfgs.join('|')})\\)`);
  assert.deepStrictEqual(out.split('\n').filter((l) => own.test(l)), expectedLines(dir));
  return out;
}
