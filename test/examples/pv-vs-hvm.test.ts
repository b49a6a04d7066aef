// examples/pv-vs-hvm: the same work as a PV and an HVM guest; the CLI prints each guest's lines
// as its README promises and a summary whose hypercall and VM-exit counts match a hand count.
//
// Hand count from examples/pv-vs-hvm/work.inc (shared word for word):
//   console_io greeting                           1
//   console_io in the .write loop, WRITES = 4     4
//   console_io copy report                        1
//   sched_op SCHEDOP_shutdown                     1   → 7 hypercalls per guest
// hvm.asm before `jmp work`: cpuid 0x40000000, cpuid 0x40000002, wrmsr → CPUID 2, MSR_WRITE 1;
// each hypercall is a vmcall → VMCALL 7; rep movsd / repe cmpsd on RAM with HAP exit nothing;
// the shutdown hypercall ends the domain, so no HLT → 10 VM exits. pv.asm: no VM exits.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '..', '..');
const dir = path.join(root, 'examples', 'pv-vs-hvm');

function expected(readme: string): string[] {
  const m = /Expected output[^\n]*\n+```\n([\s\S]*?)```/.exec(fs.readFileSync(readme, 'utf8'));
  assert.ok(m, `${readme} has an "Expected output" block`);
  return m[1].split('\n').filter((l) => l.trim() !== '');
}

describe('examples/pv-vs-hvm', function () {
  this.timeout(60_000);

  it('prints each guest\'s lines in order and a summary with the hand-derived hypercalls and exits', async () => {
    let out = '';
    let err = '';
    const code = await main(['run', 'examples/pv-vs-hvm/pv.cfg', 'examples/pv-vs-hvm/hvm.cfg'], { stdout: (t) => (out += t), stderr: (t) => (err += t), cwd: root });
    assert.strictEqual(code, 0, err + out);
    const want = expected(path.join(dir, 'README.md'));
    const lines = out.split('\n');
    for (const who of ['(pv)', '(hvm)']) {
      // the domains interleave; each one's own lines come in the README's order
      assert.deepStrictEqual(lines.filter((l) => l.startsWith(who)), want.filter((l) => l.startsWith(who)));
    }
    const row = (name: string) => {
      const m = new RegExp(`^\\d+\\s+${name}\\s+destroyed\\s+poweroff\\s+\\S+ s\\s+(\\d+)\\s+(\\S+)$`, 'm').exec(out);
      assert.ok(m, `summary row of ${name}:\n${out}`);
      return { hypercalls: Number(m[1]), exits: m[2] };
    };
    const hypercalls = 1 + 4 + 1 + 1;
    assert.deepStrictEqual(row('pv'), { hypercalls, exits: '-' });
    assert.deepStrictEqual(row('hvm'), { hypercalls, exits: String(2 + 1 + hypercalls) });
    assert.match(out, new RegExp(`^VM exits of hvm: VMCALL ${hypercalls}, CPUID 2, MSR_WRITE 1$`, 'm'));
    assert.doesNotMatch(out, /^VM exits of pv/m);
    // the README shows the same summary lines (CPU time elided)
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    assert.ok(readme.includes(`VM exits of hvm: VMCALL ${hypercalls}, CPUID 2, MSR_WRITE 1`));
  });
});
