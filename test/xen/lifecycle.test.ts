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
