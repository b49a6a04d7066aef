// The HVM examples print what their READMEs promise, and take the exits derived by hand.
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

function expected(readme: string): string[] {
  const m = /Expected output[^\n]*\n+```\n([\s\S]*?)```/.exec(fs.readFileSync(readme, 'utf8'));
  assert.ok(m, `${readme} has an "Expected output" block`);
  return m[1].split('\n').filter((l) => l.trim() !== '');
}

/** vm-exit counts by reason name in a JSON-lines trace */
function exits(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const r = JSON.parse(line) as { kind: string; reasonName?: string; domid: number };
    if (r.kind === 'vm-exit' && r.domid === 1) out[r.reasonName!] = (out[r.reasonName!] ?? 0) + 1;
  }
  return out;
}

describe('HVM examples', function () {
  this.timeout(30_000);
  const tmp = fs.mkdtempSync(path.join(require('os').tmpdir(), 'xensim-hvm-ex-'));

  for (const name of ['hvm-hello', 'hvm-timer', 'hvm-hypercall', 'hvm-vga']) {
    it(`${name} prints its README's expected output and powers off`, async () => {
      const trace = path.join(tmp, `${name}.jsonl`);
      const r = await run(['--trace', trace, '--trace-filter', 'vmexit', `examples/${name}/${name}.cfg`]);
      assert.strictEqual(r.code, 0, r.err + r.out);
      // the console's lines, and for hvm-vga the screen rows `xensim run` prints as `(name vga)`
      const got = r.out.split('\n').filter((l) => l.startsWith(`(${name})`) || l.startsWith(`(${name} vga)`));
      assert.deepStrictEqual(got, expected(path.join(root, 'examples', name, 'README.md')));
      assert.match(r.out, new RegExp(`${name}\\s+\\S+\\s+poweroff`));
      const e = exits(trace);
      if (name === 'hvm-hello') {
        // 42 characters: an LSR read and a THR write each, and the exit port write
        assert.deepStrictEqual(e, { EXIT_REASON_IO_INSTRUCTION: 42 * 2 + 1 });
      } else if (name === 'hvm-timer') {
        // setup: 5 PIC writes and 3 PIT writes; per tick: "tick N\n" is 7 UART writes and an EOI;
        // the exit port; a hlt per tick (the last check finds 5 ticks without halting)
        assert.deepStrictEqual(e, { EXIT_REASON_IO_INSTRUCTION: 5 + 3 + 5 * 8 + 1, EXIT_REASON_HLT: 5 });
        assert.match(r.out, /virtual time 0\.050\d+ s/);
      } else if (name === 'hvm-vga') {
        // 10 title cells (stosw), the dword read and the dword write of row 1, the marker word;
        // the exit port
        assert.deepStrictEqual(e, { EXIT_REASON_EPT_VIOLATION: 10 + 1 + 1 + 1, EXIT_REASON_IO_INSTRUCTION: 1 });
      } else {
        // one CPUID for the signature, one for base+2; the MSR; 8 vmcalls: console_io,
        // add_to_physmap, set_param, alloc_unbound, bind_interdomain, send, console_io, shutdown;
        // one hlt waiting for the upcall
        assert.deepStrictEqual(e, { EXIT_REASON_CPUID: 2, EXIT_REASON_MSR_WRITE: 1, EXIT_REASON_VMCALL: 8, EXIT_REASON_HLT: 1 });
      }
    });
  }
});
