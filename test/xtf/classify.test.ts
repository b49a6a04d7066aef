// xtf-runner's verdicts from a kernel's console and its domain's shutdown, and the runner on
// real kernels: hung PV and HVM guests (spinning, or blocked with nothing to wake them) end as
// TIMEOUT within the budget; crashing ones as CRASH; a kernel's own ERROR and an unloadable
// config as ERROR; the report and exit code as xtf-runner gives them.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { XTF_BUDGET, XTF_EXIT, classify, runAll, runXtf } from './run-xtf';
import { guestSource } from '../xen/guest';
import { HYPERCALL_PAGE, hvmSource } from '../xen/hvm-guests';

describe('XTF result classification', () => {
  const head = ['--- Xen Test Framework ---', 'Environment: PV 32bit (PAE 3 levels)', 'XTF Selftests'];
  it('takes the last Test result line', () => {
    assert.strictEqual(classify([...head, 'Test result: SUCCESS'], 'poweroff'), 'SUCCESS');
    assert.strictEqual(classify([...head, 'Test result: SUCCESS', 'Test result: FAILURE'], 'poweroff'), 'FAILURE');
    assert.strictEqual(classify([...head, 'Test result: SKIP'], 'poweroff'), 'SKIP');
    assert.strictEqual(classify([...head, 'Test result: ERROR'], 'poweroff'), 'ERROR');
  });
  it('a crash shutdown is CRASH even after a result', () => {
    assert.strictEqual(classify([...head, 'PANIC: no xenstore'], 'crash'), 'CRASH');
    assert.strictEqual(classify([...head, 'Test result: SUCCESS'], 'crash'), 'CRASH');
  });
  it('no valid result: TIMEOUT while running, CRASH once shut down or for a word xtf-runner does not know', () => {
    assert.strictEqual(classify(head, undefined), 'TIMEOUT');
    assert.strictEqual(classify(head, 'poweroff'), 'CRASH');
    assert.strictEqual(classify([...head, 'Test result: MAYBE'], 'poweroff'), 'CRASH');
    assert.strictEqual(classify([...head, 'Test result: TIMEOUT'], 'poweroff'), 'CRASH');
  });
});

const PRINT = (text: string, label: string) => `
    mov ebx, CONSOLEIO_write
    mov ecx, ${label}_end - ${label}
    mov edx, ${label}
    HYPERCALL console_io
    jmp ${label}_end
${label}: db "${text}", 10
${label}_end:`;

const HEADER = PRINT('--- Xen Test Framework ---', 'hdr');

/** XTF-style kernels (named as XTF names its configs), each assembled by xensim when loaded. */
const KERNELS: Record<string, { type: 'pv' | 'hvm'; source: string }> = {
  // spins forever: only the instruction budget stops it
  'test-pv32pae-hung-spin': { type: 'pv', source: guestSource(`${HEADER}\n.spin:\n    jmp .spin`) },
  // blocks with events enabled but no channel bound: nothing ever wakes it
  'test-pv32pae-hung-block': { type: 'pv', source: guestSource(`${HEADER}\n.block:\n    mov ebx, SCHEDOP_block\n    HYPERCALL sched_op\n    jmp .block`) },
  'test-hvm32-hung-spin': { type: 'hvm', source: hvmSource(`${HYPERCALL_PAGE}\n${HEADER}\n.spin:\n    jmp .spin`) },
  // halts with interrupts on and no interrupt source: blocked for good
  'test-hvm32-hung-hlt': { type: 'hvm', source: hvmSource(`${HYPERCALL_PAGE}\n${HEADER}\n.idle:\n    sti\n    hlt\n    jmp .idle`) },
  // no trap table: the #UD crashes the domain
  'test-pv32pae-crash': { type: 'pv', source: guestSource(`${HEADER}\n    ud2`) },
  // the kernel's own verdict
  'test-pv32pae-error': { type: 'pv', source: guestSource(`${HEADER}\n${PRINT('Test result: ERROR', 'res')}`) },
  'test-hvm32-skip': { type: 'hvm', source: hvmSource(`${HYPERCALL_PAGE}\n${HEADER}\n${PRINT('Test result: SKIP', 'res')}\n    mov ebx, SCHEDOP_shutdown\n    mov ecx, off\n    HYPERCALL sched_op`, 'off: dd SHUTDOWN_poweroff') },
  // shuts down cleanly without a result line
  'test-pv32pae-silent': { type: 'pv', source: guestSource(HEADER) },
};

describe('XTF runner on hung, crashing and erring kernels', function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-xtf-'));
  const cfg = (name: string) => path.join(dir, `${name}.cfg`);
  before(() => {
    for (const [name, k] of Object.entries(KERNELS)) {
      fs.writeFileSync(path.join(dir, `${name}.asm`), k.source);
      const image = k.type === 'hvm' ? `firmware_override = "${name}.asm"` : `kernel = "${name}.asm"`;
      fs.writeFileSync(cfg(name), `name = "${name}"\ntype = "${k.type}"\n${image}\nmemory = 16\n`);
    }
    fs.writeFileSync(cfg('test-pv32pae-badcfg'), 'name = "test-pv32pae-badcfg"\nkernel = "missing.asm"\nmemory = 16\n');
    fs.writeFileSync(cfg('test-pv32pae-badasm'), 'name = "test-pv32pae-badasm"\nkernel = "bad.asm"\nmemory = 16\n');
    fs.writeFileSync(path.join(dir, 'bad.asm'), 'bits 32\n    mov eax, [nowhere\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of ['test-pv32pae-hung-spin', 'test-hvm32-hung-spin']) {
    it(`${name}: a spinning kernel is TIMEOUT at the instruction budget, its output kept`, () => {
      const r = runXtf(cfg(name));
      assert.strictEqual(r.result, 'TIMEOUT', r.detail);
      assert.ok(r.instructions >= XTF_BUDGET.maxInstructions, `${r.instructions}`);
      assert.match(r.detail, /^no result after \d+ instructions, [\d.]+ s virtual \(instruction budget\)$/);
      assert.deepStrictEqual(r.lines, ['--- Xen Test Framework ---']);
    });
  }

  for (const name of ['test-pv32pae-hung-block', 'test-hvm32-hung-hlt']) {
    it(`${name}: a kernel blocked for good is TIMEOUT as soon as nothing can wake it, having run almost nothing`, () => {
      const r = runXtf(cfg(name));
      assert.strictEqual(r.result, 'TIMEOUT', r.detail);
      // xtf-runner would wait out its timeout; the simulator knows no timer or event is left
      assert.match(r.detail, /, 0\.000 s virtual \(blocked with nothing left to wake it\)$/);
      assert.ok(r.instructions < 1_000_000, `${r.instructions}`);
      assert.deepStrictEqual(r.lines, ['--- Xen Test Framework ---']);
    });
  }

  it('a crashing kernel is CRASH, a clean shutdown without a result is CRASH, a kernel saying ERROR or SKIP is that', () => {
    const verdict = (n: string) => runXtf(cfg(n)).result;
    assert.strictEqual(verdict('test-pv32pae-crash'), 'CRASH');
    assert.strictEqual(verdict('test-pv32pae-silent'), 'CRASH');
    assert.strictEqual(verdict('test-pv32pae-error'), 'ERROR');
    assert.strictEqual(verdict('test-hvm32-skip'), 'SKIP');
  });

  it('a config or kernel that cannot be loaded is ERROR with the reason', () => {
    const bad = runXtf(cfg('test-pv32pae-badcfg'));
    assert.strictEqual(bad.result, 'ERROR');
    assert.match(bad.detail, /missing\.asm/);
    const asm = runXtf(cfg('test-pv32pae-badasm'));
    assert.strictEqual(asm.result, 'ERROR');
    assert.match(asm.detail, /bad\.asm:2:\d+/);
  });

  it('reports like xtf-runner: a line per test, "Combined test results:", exit code of the worst result', () => {
    let out = '';
    // a small budget keeps this quick; the verdicts above ran with the real one
    const budget = { untilTimeNs: 1e9, maxInstructions: 2_000_000 };
    const rc = runAll([cfg('test-hvm32-skip'), cfg('test-pv32pae-error'), cfg('test-pv32pae-hung-spin')], (t) => (out += t), budget);
    assert.strictEqual(rc, XTF_EXIT.TIMEOUT);
    const [perTest, combined] = out.split('\nCombined test results:\n');
    assert.deepStrictEqual(perTest.split('\n').map((l) => l.split(/\s+/)[1]), ['SKIP', 'ERROR', 'TIMEOUT', undefined]);
    assert.deepStrictEqual(combined.trimEnd().split('\n'), [
      `${'test-hvm32-skip'.padEnd(40)} SKIP`,
      `${'test-pv32pae-error'.padEnd(40)} ERROR`,
      `${'test-pv32pae-hung-spin'.padEnd(40)} TIMEOUT`,
      '1 SKIP, 1 ERROR, 1 TIMEOUT (0/3 passed)',
    ]);
    assert.strictEqual(runAll([cfg('test-hvm32-skip')], () => undefined, budget), XTF_EXIT.SKIP);
    assert.strictEqual(runAll([cfg('test-pv32pae-error'), cfg('test-pv32pae-crash')], () => undefined, budget), XTF_EXIT.CRASH);
  });
});

describe('XTF runner on non-XTF guests', function () {
  this.timeout(30_000);
  it('a guest that crashes is CRASH; one that powers off without a result line is CRASH too', () => {
    const root = path.resolve(__dirname, '..', '..');
    const crash = runXtf(path.join(root, 'examples', 'crash', 'crash-destroy.cfg'));
    assert.strictEqual(crash.result, 'CRASH', crash.lines.join('\n'));
    const hello = runXtf(path.join(root, 'examples', 'hello', 'hello.cfg'));
    assert.strictEqual(hello.result, 'CRASH', hello.lines.join('\n'));
    assert.ok(hello.lines.length > 0 && hello.detail === hello.lines[hello.lines.length - 1]);
  });
});
