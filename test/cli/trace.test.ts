import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { summarize } from '../../src/trace/summary';
import { TraceStats } from '../../src/trace/stats';
import { fromJsonLine } from '../../src/trace/jsonl';
import type { TraceRecord } from '../../src/trace/records';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';

const repo = path.resolve(__dirname, '..', '..');

function io(cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), cwd }, out, err };
}

describe('cli: xensim trace summary', function () {
  this.timeout(30_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-trace-'));

  it('agrees with the hypervisor’s own runstate accounting and the trace’s counts', () => {
    const cfgs = ['w256', 'w512', 'w1024'].map((n) => loadDomainConfigFile(path.join(repo, 'examples', 'scheduler', `${n}.cfg`)).config!);
    const sys = new XenSystem(cfgs, { pcpus: 2, memoryMiB: 512 });
    const records: TraceRecord[] = [];
    sys.trace.subscribe((r) => records.push(r));
    sys.run({ maxInstructions: Number.MAX_SAFE_INTEGER, untilTimeNs: 40e6 });
    const s = summarize(records, sys.now());
    const stats = new TraceStats();
    records.forEach((r) => stats.add(r));
    for (const d of sys.domains()) {
      const ds = s.domains.get(d.id)!;
      assert.strictEqual(ds.name, d.name);
      for (const v of sys.vcpus(d.id)) {
        const vs = ds.vcpus.get(v.vcpu)!;
        assert.strictEqual(vs.runstateNs.running, v.runstateTime.running, `d${d.id}v${v.vcpu} running`);
        // every ns from the vCPU's first appearance to the end is in exactly one state
        const total = Object.values(vs.runstateNs).reduce((a, b) => a + b, 0);
        assert.ok(total <= sys.now() && total > 0);
      }
      const byName = new Map<string, number>();
      for (const v of ds.vcpus.values()) for (const [n, c] of v.hypercalls) byName.set(n, (byName.get(n) ?? 0) + c.count);
      assert.deepStrictEqual(byName, stats.of(d.id).byHypercall);
      const sent = [...ds.vcpus.values()].reduce((a, v) => a + v.eventsSent, 0);
      assert.strictEqual(sent, stats.of(d.id).eventsSent);
    }
  });

  it('prints per domain and vCPU runstates, hypercalls and events from a `run --trace` file', async () => {
    const c = io(dir);
    const cfg = path.join(repo, 'examples', 'timer', fs.readdirSync(path.join(repo, 'examples', 'timer')).find((f) => f.endsWith('.cfg'))!);
    await main(['run', '-q', '--trace', 'timer.jsonl', cfg], c.io);
    const records = fs.readFileSync(path.join(dir, 'timer.jsonl'), 'utf8').trim().split('\n').map(fromJsonLine);
    const t = io(dir);
    assert.strictEqual(await main(['trace', 'summary', 'timer.jsonl'], t.io), 0, t.err.join(''));
    const text = t.out.join('');
    assert.match(text, new RegExp(`^${records.length} records, virtual time`));
    assert.match(text, /^d0 Domain-0$/m);
    assert.match(text, /^ {2}vcpu0$/m);
    assert.match(text, /^ {4}runstates: running \d+\.\d{9} s {2}runnable /m);
    const delivered = records.filter((r) => r.kind === 'event-deliver' && r.domid === 1).length;
    assert.ok(delivered > 0, 'the timer example delivers VIRQ_TIMER');
    const d1 = text.slice(text.indexOf('\nd1 '));
    assert.match(d1, new RegExp(`events: sent \\d+, delivered ${delivered}\\n`));
    const blocks = records.filter((r) => r.kind === 'hypercall-entry' && r.domid === 1 && r.name === 'sched_op').length;
    assert.match(d1, new RegExp(`sched_op +${blocks} +\\d`));
  });

  it('names the file and line of a bad record, and refuses a Chrome trace', async () => {
    fs.writeFileSync(path.join(dir, 'bad.jsonl'), '{"kind":"console","time":0,"pcpu":0,"domid":0,"vcpu":0,"text":"x","source":"console_io"}\n{"kind":"nope"}\n');
    const c = io(dir);
    assert.strictEqual(await main(['trace', 'summary', 'bad.jsonl'], c.io), 1);
    assert.match(c.err.join(''), /^bad\.jsonl:2:1: not a trace record/);
    fs.writeFileSync(path.join(dir, 'c.json'), '{"displayTimeUnit":"ns","traceEvents":[]}');
    const d = io(dir);
    assert.strictEqual(await main(['trace', 'summary', 'c.json'], d.io), 1);
    assert.match(d.err.join(''), /Chrome trace/);
    const e = io(dir);
    assert.strictEqual(await main(['trace', 'frob'], e.io), 2);
    assert.match(e.err.join(''), /unknown trace subcommand 'frob'/);
    const f = io(dir);
    assert.strictEqual(await main(['trace', 'summary', 'missing.jsonl'], f.io), 1);
    assert.match(f.err.join(''), /missing\.jsonl: no such file/);
  });
});
