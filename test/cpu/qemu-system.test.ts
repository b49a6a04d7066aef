/**
 * Ring-0 behaviour against qemu-system-i386: one test kernel (test/cpu/qemu-system/kernel.asm,
 * built with the real nasm and ld) runs as a multiboot kernel under QEMU and under
 * `xensim exec`; both print what the CPU did on port 0xE9, and the outputs must agree line by
 * line. qemu-i386 (the user-mode differential test) cannot see exceptions, gates, privilege
 * checks or paging; this one does.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const source = path.join(__dirname, 'qemu-system', 'kernel.asm');
const QEMU = 'qemu-system-i386';

function haveQemu(): boolean {
  return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
}

function build(dir: string): string {
  const obj = path.join(dir, 'k.o');
  const elf = path.join(dir, 'k.elf');
  execFileSync('nasm', ['-f', 'elf32', '-o', obj, source]);
  execFileSync('ld', ['-m', 'elf_i386', '-Ttext=0x100000', '-e', '_start', '-o', elf, obj]);
  return elf;
}

function runQemu(elf: string, dir: string): string {
  const out = path.join(dir, 'qemu.txt');
  // isa-debug-exit ends QEMU with status (value << 1) | 1; the kernel writes 0 there at the end
  const r = spawnSync(QEMU, ['-kernel', elf, '-display', 'none', '-nodefaults', '-no-reboot', '-m', '16',
    '-debugcon', `file:${out}`, '-device', 'isa-debug-exit,iobase=0xf4,iosize=1'], { timeout: 60_000 });
  assert.strictEqual(r.status, 1, `qemu ended with ${r.status ?? r.signal}: ${r.stderr}`);
  return fs.readFileSync(out, 'latin1');
}

function runOurs(elf: string): string {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'xensim'), 'exec', elf], { encoding: 'latin1', timeout: 60_000 });
  assert.strictEqual(r.status, 0, `xensim exec ended with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Where QEMU 7.2 is known to differ from the SDM, the comparison normalises that one field and
 * says why; everything else is compared as printed.
 */
function normaliseQemu(line: string): string {
  // SDM vol. 3A 4.7: "bit 3 of the error code can be set only if bit 0 is also set" (a reserved
  // bit is only checked in a present entry); QEMU 7.2 reports RSVD without P.
  return line.replace(/ v=0000000e err=([0-9a-f]{8})/, (all, e: string) => {
    const err = parseInt(e, 16);
    return err & 8 ? ` v=0000000e err=${(err | 1).toString(16).padStart(8, '0')}` : all;
  });
}

function normaliseOurs(line: string): string {
  // SDM vol. 3B 17.3.1.1: a fault-class exception (other than an instruction breakpoint) pushes
  // EFLAGS with RF set; QEMU's TCG pushes it clear. Checked on our side in the test below.
  return line.replace(/ efl=([0-9a-f]{8})/, (_all, e: string) => ` efl=${((parseInt(e, 16) & ~0x10000) >>> 0).toString(16).padStart(8, '0')}`);
}

describe('cpu at ring 0 against qemu-system-i386', function () {
  this.timeout(120_000);
  let qemu: string[] = [];
  let ours: string[] = [];

  before(function () {
    if (!haveQemu()) {
      if (process.env.CI) throw new Error(`${QEMU} is missing: .ci/deps installs qemu-system-x86`);
      this.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-qsys-'));
    try {
      const elf = build(dir);
      qemu = runQemu(elf, dir).split('\n');
      ours = runOurs(elf).split('\n');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('both ran every scenario to the end', () => {
    const steps = (lines: string[]) => lines.filter((l) => l.startsWith('== '));
    assert.ok(steps(qemu).length > 40, `QEMU ran only ${steps(qemu).length} steps`);
    assert.strictEqual(qemu.filter((l) => l === '== end').length, 1);
    assert.deepStrictEqual(steps(ours), steps(qemu));
  });

  it('every exception, error code, saved frame, CR2, DR6, gate, descriptor check and A/D bit agrees', () => {
    const q = qemu.map(normaliseQemu);
    const o = ours.map(normaliseOurs);
    let step = '';
    for (let i = 0; i < Math.max(q.length, o.length); i++) {
      if (q[i]?.startsWith('== ')) step = q[i];
      assert.strictEqual(o[i], q[i], `line ${i + 1}, in step ${step}`);
    }
  });

  it('faults push EFLAGS with RF set, traps and software interrupts without (SDM 17.3.1.1)', () => {
    const exc = ours.filter((l) => l.startsWith('exc '));
    assert.ok(exc.length > 30);
    for (const l of exc) {
      const v = parseInt(/ v=([0-9a-f]+)/.exec(l)![1], 16);
      const rf = (parseInt(/ efl=([0-9a-f]+)/.exec(l)![1], 16) >>> 16) & 1;
      // #DB (single-step and data breakpoints are traps; an instruction breakpoint is the one
      // fault the rule excepts), #BP (int3), #OF (into) and int n push RF clear; the rest are faults
      const trap = v === 1 || v === 3 || v === 4 || v >= 0x20;
      assert.strictEqual(rf, trap ? 0 : 1, l);
    }
  });
});
