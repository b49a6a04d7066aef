// Each example's README states its expected output; the CLI must print it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '..', '..');

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['run', ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t), cwd: root });
  return { code, out, err };
}

/** The fenced block after "Expected output" in a README. */
function expected(readme: string): string[] {
  const text = fs.readFileSync(readme, 'utf8');
  const m = /Expected output[^\n]*\n+```\n([\s\S]*?)```/.exec(text);
  assert.ok(m, `${readme} has an "Expected output" block`);
  return m[1].split('\n').filter((l) => l.trim() !== '');
}

describe('examples', () => {
  it('hello prints its line and powers off (exit 0)', async () => {
    const r = await run(['examples/hello/hello.cfg']);
    assert.strictEqual(r.code, 0, r.err + r.out);
    for (const line of expected(path.join(root, 'examples/hello/README.md'))) assert.ok(r.out.includes(line), `missing: ${line}\n${r.out}`);
    assert.match(r.out, /hello\s+\S+\s+poweroff/);
  });

  it('timer ticks five times, 10 ms apart, then powers off', async () => {
    const r = await run(['examples/timer/timer.cfg']);
    assert.strictEqual(r.code, 0, r.err + r.out);
    const want = expected(path.join(root, 'examples/timer/README.md'));
    const got = r.out.split('\n').filter((l) => l.startsWith('(timer)'));
    assert.deepStrictEqual(got, want);
    assert.match(r.out, /virtual time 0\.05\d+ s/);
  });

  it('scheduler: three spinners get CPU in proportion to their weights (within 5 %)', async function () {
    this.timeout(120000);
    const r = await run(['--mips', '50', '--max-time', '1s', ...['w256', 'w512', 'w1024'].map((w) => `examples/scheduler/${w}.cfg`)]);
    assert.strictEqual(r.code, 1, 'the spinners never shut down');
    for (const line of expected(path.join(root, 'examples/scheduler/README.md'))) assert.ok(r.out.includes(line), `missing: ${line}\n${r.out}`);
    const share = (w: number) => Number(new RegExp(`w${w}\\s+running\\s+-\\s+([0-9.]+) s`).exec(r.out)![1]);
    const total = share(256) + share(512) + share(1024);
    for (const [w, ideal] of [[256, 1 / 7], [512, 2 / 7], [1024, 4 / 7]]) {
      assert.ok(Math.abs(share(w) / total - ideal) <= 0.05 * ideal + 1e-6, `w${w}: ${share(w) / total} vs ${ideal}`);
    }
  });

  it('crash: an unhandled #PF crashes only that domain; on_crash destroys or preserves it', async () => {
    const r = await run(['examples/crash/crash-destroy.cfg', 'examples/crash/crash-preserve.cfg']);
    assert.strictEqual(r.code, 1);
    for (const line of expected(path.join(root, 'examples/crash/README.md'))) assert.ok(r.out.includes(line), `missing: ${line}\n${r.out}`);
  });

  it('syscalls: own page tables via mmu_update, ring 3 app, int 0x80 bounced to the kernel', async () => {
    const r = await run(['examples/syscalls/syscalls.cfg']);
    assert.strictEqual(r.code, 0, r.err + r.out);
    const want = expected(path.join(root, 'examples/syscalls/README.md'));
    assert.deepStrictEqual(r.out.split('\n').filter((l) => l.startsWith('(syscalls)')), want);
  });

  const xtf = path.resolve(root, '..', 'shared', 'xtf');
  const xtfDir = fs.existsSync(xtf) ? xtf : '/work/shared/xtf';
  for (const t of ['example', 'selftest', 'xsa-317']) {
    it(`XTF test-pv32pae-${t} passes unmodified`, async function () {
      const cfg = path.join(xtfDir, `test-pv32pae-${t}.cfg`);
      if (!fs.existsSync(cfg)) this.skip();
      const r = await run([cfg]);
      assert.strictEqual(r.code, 0, r.err + r.out);
      assert.match(r.out, /Test result: SUCCESS/);
    });
  }

  it('a bad config is reported as file:line:col and nothing starts', async () => {
    const r = await run(['test/xen/fixtures/bad.cfg']);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /bad\.cfg:\d+:\d+: error/);
    assert.strictEqual(r.out, '');
  });
});
