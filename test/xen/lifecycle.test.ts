// Domain lifecycle through the toolstack (on_reboot restart), scheduler caps, and the CLI's
// --trace/--trace-filter output.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { boot, configFor, guestSource } from './guest';
import { main } from '../../src/cli/main';
import { fromJsonLine } from '../../src/trace/jsonl';

describe('xen: lifecycle, caps and traces', () => {
  it('on_reboot = "restart" rebuilds the domain, at most 16 times, through dom0', () => {
    const b = boot([{ name: 'rb', extra: 'on_reboot = "restart"', source: guestSource(`
    mov ebx, CONSOLEIO_write
    mov ecx, 5
    mov edx, hi
    HYPERCALL console_io
    mov ebx, SCHEDOP_shutdown
    mov ecx, reboot
    HYPERCALL sched_op
reboot: dd SHUTDOWN_reboot
hi: db "boot", 10`) }], { dom0: true });
    const s = b.sys.run({ maxInstructions: 1e8 });
    assert.strictEqual(s.reason, 'finished');
    const created = b.records.filter((r) => r.kind === 'domain' && r.event === 'created' && r.domid !== 0);
    assert.strictEqual(created.length, 17);
    const doms = b.sys.domains().filter((d) => !d.privileged);
    assert.strictEqual(doms.filter((d) => d.state === 'destroyed').length, 16);
    const last = doms[doms.length - 1];
    assert.strictEqual(last.name, 'rb');
    assert.strictEqual(last.state, 'shutdown');
    assert.strictEqual(last.shutdownReason, 'reboot');
    assert.ok(b.records.some((r) => r.kind === 'hypercall-entry' && r.domid === 0 && r.subop === 'XEN_DOMCTL_destroydomain'));
  });

  it('a cap of 25 % holds a spinner to about a quarter of its pCPU even with nothing else to run', function () {
    this.timeout(60000);
    const b = boot([{ name: 'capped', extra: 'cap = 25\ncpus = "0"', body: 'spin: jmp spin' }], { nsPerInstruction: 20, pcpus: 1 });
    b.sys.run({ maxInstructions: 1e9, untilTimeNs: 600e6 });
    const used = b.sys.domain(1).cpuTimeNs / 600e6;
    // the 10 ms tick is the granularity: over 600 ms a 25 % cap lands within 2.5 points
    assert.ok(Math.abs(used - 0.25) <= 0.025, `share ${used}`);
  });

  it('xensim run --trace FILE --trace-filter hypercall,domain writes JSON lines of those classes only', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-trace-'));
    const file = path.join(dir, 't.jsonl');
    const cfg = configFor('tr', guestSource('nop'));
    let out = '';
    const code = await main(['run', '--trace', file, '--trace-filter', 'hypercall,domain', cfg], { stdout: (t) => (out += t), stderr: (t) => (out += t), cwd: dir });
    assert.strictEqual(code, 0, out);
    const recs = fs.readFileSync(file, 'utf8').trim().split('\n').map(fromJsonLine);
    assert.ok(recs.length > 5);
    assert.ok(recs.every((r) => r.kind.startsWith('hypercall') || r.kind === 'domain'), 'only the filtered classes');
    assert.ok(recs.some((r) => r.kind === 'hypercall-entry' && r.name === 'sched_op' && r.domid === 1));
    const bad = await main(['run', '--trace-filter', 'hypercal', cfg], { stdout: () => undefined, stderr: (t) => (out = t), cwd: dir });
    assert.strictEqual(bad, 2);
    assert.match(out, /unknown trace class 'hypercal'.*did you mean 'hypercall'/);
  });
});

describe('xen: credit scheduler BOOST', () => {
  it('a vCPU woken by its timer preempts a CPU-bound neighbour at once', function () {
    this.timeout(60000);
    const timerAsm = path.resolve(__dirname, '../../examples/timer/timer.asm');
    const b = boot([
      { name: 'spin', extra: 'cpus = "0"', body: 'spin: jmp spin' },
      { name: 'ticker', extra: 'cpus = "0"', source: fs.readFileSync(timerAsm, 'utf8') },
    ], { nsPerInstruction: 20, pcpus: 1 });
    b.sys.run({ maxInstructions: 1e9, untilTimeNs: 200e6 });
    const ticks = b.records.filter((r) => r.kind === 'console' && r.domid === 2).map((r) => r.time);
    assert.strictEqual(ticks.length, 5);
    // the ticker first runs at the spinner's first 10 ms tick (both UNDER, no BOOST yet); from
    // then on each tick is printed right at its 10 ms deadline, not after the spinner's 30 ms slice
    assert.ok(ticks[0] < 21e6, `tick 1 at ${ticks[0] / 1e6} ms`);
    for (let i = 1; i < 5; i++) assert.ok(Math.abs(ticks[i] - ticks[i - 1] - 10e6) < 0.5e6, `tick ${i + 1} at ${ticks[i] / 1e6} ms`);
    assert.ok(b.records.some((r) => r.kind === 'schedule' && r.domid === 2 && r.priority === 'boost'));
  });
});
