import * as assert from 'assert';
import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { ChromeEvent, toChromeTrace } from '../../src/trace/chrome';
import type { TraceRecord } from '../../src/trace/records';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';

const repo = path.resolve(__dirname, '..', '..');

function boot(example: string, names: string[], untilNs: number): { sys: XenSystem; records: TraceRecord[] } {
  const cfgs = names.map((n) => loadDomainConfigFile(path.join(repo, 'examples', example, `${n}.cfg`)).config!);
  const sys = new XenSystem(cfgs, { pcpus: 2, memoryMiB: 512, dom0: true });
  const records: TraceRecord[] = [];
  sys.trace.subscribe((r) => records.push(r));
  sys.run({ maxInstructions: Number.MAX_SAFE_INTEGER, untilTimeNs: untilNs });
  return { sys, records };
}

/** The Trace Event format's required fields per phase (the JSON object form). */
function checkEvent(e: ChromeEvent, i: number): void {
  const at = `traceEvents[${i}] (${JSON.stringify(e).slice(0, 80)})`;
  assert.strictEqual(typeof e.name, 'string', `${at}: name`);
  assert.strictEqual(typeof e.pid, 'number', `${at}: pid`);
  switch (e.ph) {
    case 'M':
      assert.ok(['process_name', 'thread_name', 'thread_sort_index'].includes(e.name), at);
      assert.ok(e.args && ('name' in e.args || 'sort_index' in e.args), `${at}: metadata args`);
      break;
    case 'X':
      assert.ok(typeof e.ts === 'number' && typeof e.dur === 'number' && e.dur >= 0, `${at}: ts/dur`);
      assert.strictEqual(typeof e.tid, 'number', `${at}: tid`);
      break;
    case 'i':
      assert.strictEqual(typeof e.ts, 'number', `${at}: ts`);
      assert.ok(e.s === 't' || e.s === 'g' || e.s === 'p', `${at}: scope`);
      break;
    case 'C':
      assert.strictEqual(typeof e.ts, 'number', `${at}: ts`);
      assert.ok(e.args && Object.values(e.args).every((v) => typeof v === 'number'), `${at}: counter values are numbers`);
      break;
    default:
      assert.fail(`${at}: unknown phase ${String(e.ph)}`);
  }
}

describe('trace: Chrome Trace Event export', function () {
  this.timeout(30_000);
  const sched = boot('scheduler', ['w256', 'w512', 'w1024'], 40e6);
  const doc = JSON.parse(toChromeTrace(sched.records, sched.sys.now())) as { traceEvents: ChromeEvent[]; displayTimeUnit: string };

  it('is a Trace Event JSON object whose every event has its phase’s required fields', () => {
    assert.ok(Array.isArray(doc.traceEvents) && doc.traceEvents.length > 0);
    doc.traceEvents.forEach(checkEvent);
  });

  it('names one track per pCPU and slices by `d<id> <name> vcpu<N>`', () => {
    const threads = doc.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args!.name);
    assert.deepStrictEqual([...threads].sort(), ['pCPU 0', 'pCPU 1'].filter((n) => doc.traceEvents.some((e) => e.tid === Number(n.slice(5)))));
    const names = new Set(doc.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name));
    for (const d of sched.sys.domains()) if (!d.privileged) assert.ok(names.has(`d${d.id} ${d.name} vcpu0`), `slice for ${d.name}`);
  });

  it('slices on a pCPU never overlap, and add up to each vCPU’s running time', () => {
    const slices = doc.traceEvents.filter((e) => e.ph === 'X');
    for (const tid of new Set(slices.map((e) => e.tid))) {
      const mine = slices.filter((e) => e.tid === tid).sort((a, b) => a.ts! - b.ts!);
      for (let i = 1; i < mine.length; i++) assert.ok(mine[i].ts! >= mine[i - 1].ts! + mine[i - 1].dur! - 1e-9, `overlap on pCPU ${tid}`);
    }
    for (const d of sched.sys.domains()) {
      for (const v of sched.sys.vcpus(d.id)) {
        const ns = slices.filter((e) => e.args!.domid === d.id && e.args!.vcpu === v.vcpu).reduce((s, e) => s + (e.args!.ns as number), 0);
        assert.strictEqual(ns, v.runstateTime.running, `d${d.id} vcpu${v.vcpu} running time`);
      }
    }
  });

  it('counts runnable vCPUs per pCPU (never negative, never more than the vCPUs)', () => {
    const counters = doc.traceEvents.filter((e) => e.ph === 'C');
    assert.ok(counters.length > 2);
    const total = sched.sys.domains().reduce((s, d) => s + d.vcpus, 0);
    for (const c of counters) assert.ok((c.args!.runnable as number) >= 0 && (c.args!.runnable as number) <= total);
    assert.ok(counters.some((c) => (c.args!.runnable as number) > 0), 'three CPU-bound domains queue up');
  });

  it('gives hypercalls their decoded arguments and result, and domain lifecycle as global instants', () => {
    const hello = boot('hello', ['hello'], 5e9);
    const d = JSON.parse(toChromeTrace(hello.records, hello.sys.now())) as { traceEvents: ChromeEvent[] };
    const write = d.traceEvents.find((e) => e.ph === 'i' && e.name === 'hypercall console_io' && e.args!.domid === 1);
    assert.ok(write, 'console_io instant of the guest');
    assert.match(String(write.args!.call), /^console_io\(CONSOLEIO_write, count=\d+/);
    assert.strictEqual(write.args!.result, '0');
    assert.strictEqual((write.args!.args as Record<string, string>).cmd, 'CONSOLEIO_write');
    const entries = hello.records.filter((r) => r.kind === 'hypercall-entry').length;
    assert.strictEqual(d.traceEvents.filter((e) => e.cat === 'hypercall').length, entries);
    const life = d.traceEvents.filter((e) => e.cat === 'domain');
    assert.deepStrictEqual(
      life.map((e) => e.args!.event),
      hello.records.filter((r) => r.kind === 'domain').map((r) => (r as { event: string }).event),
    );
    assert.ok(life.every((e) => e.s === 'g'));
  });

  it('passes a JSON-schema check of the Trace Event format in Python (when jsonschema is installed)', function () {
    const probe = childProcess.spawnSync('python3', ['-c', 'import jsonschema'], { encoding: 'utf8' });
    if (probe.status !== 0) this.skip();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-chrome-')), 'trace.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    const schema = {
      type: 'object',
      required: ['traceEvents'],
      properties: {
        displayTimeUnit: { enum: ['ms', 'ns'] },
        traceEvents: {
          type: 'array',
          items: {
            type: 'object',
            required: ['name', 'ph', 'pid'],
            properties: { name: { type: 'string' }, ph: { type: 'string', minLength: 1 }, pid: { type: 'integer' }, tid: { type: 'integer' }, ts: { type: 'number' }, dur: { type: 'number', minimum: 0 }, s: { enum: ['t', 'p', 'g'] }, args: { type: 'object' } },
            allOf: [
              { if: { properties: { ph: { const: 'X' } } }, then: { required: ['ts', 'dur', 'tid'] } },
              { if: { properties: { ph: { const: 'i' } } }, then: { required: ['ts'] } },
              { if: { properties: { ph: { const: 'C' } } }, then: { required: ['ts', 'args'], properties: { args: { additionalProperties: { type: 'number' } } } } },
              { if: { properties: { ph: { const: 'M' } } }, then: { required: ['args'] } },
            ],
          },
        },
      },
    };
    const py = `import json, sys, jsonschema\njsonschema.validate(json.load(open(sys.argv[1])), json.loads(sys.argv[2]))\nprint('ok')`;
    const r = childProcess.spawnSync('python3', ['-c', py, file, JSON.stringify(schema)], { encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout.trim(), 'ok');
  });

  it('`xensim run --trace-format chrome` writes the file; a bad format is a usage error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-chrome-'));
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), cwd: dir };
    const cfg = path.join(repo, 'examples', 'hello', 'hello.cfg');
    assert.strictEqual(await main(['run', '-q', '--trace', 't.json', '--trace-format', 'chrome', cfg], io), 0, err.join(''));
    const d = JSON.parse(fs.readFileSync(path.join(dir, 't.json'), 'utf8')) as { traceEvents: ChromeEvent[] };
    d.traceEvents.forEach(checkEvent);
    assert.ok(d.traceEvents.some((e) => e.ph === 'X' && e.name === 'd1 hello vcpu0'));
    assert.strictEqual(await main(['run', '--trace', 't.json', '--trace-format', 'perfetto', cfg], io), 2);
    assert.match(err.join(''), /--trace-format must be one of json, chrome, got 'perfetto'/);
  });
});
