// The Xen scope's `last VM exit` and `VM exits` rows: the recorder on a seeded synthetic stream
// with travel and a forgotten future, then through the adapter process on examples/hvm-timer and
// examples/hvm-vga, each row checked against the trace file the session writes (record index =
// line number), before and after travelling back.
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { decodeQualification, VmExitRecorder } from '../../src/debug/lastexit';
import type { TimelineBody } from '../../src/debug/timeline';
import type { TraceRecord, VmExitRecord } from '../../src/trace/records';
import { crAccessQualification, EXIT_REASON, exitReasonName, ioQualification } from '../../src/xen/abi/vmx';
import { launchTo, root, useAdapter } from './helpers';
import { FakeHistory, feed, prng } from './history';

const REASONS = ['IO_INSTRUCTION', 'HLT', 'CPUID', 'EPT_VIOLATION'] as const;

/** Two HVM vCPUs exiting for random reasons among other records. */
function stream(seed: number, n: number): TraceRecord[] {
  const rnd = prng(seed);
  const out: TraceRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = { time: i * 10, pcpu: 0, domid: 1, vcpu: rnd() < 0.5 ? 0 : 1 };
    if (rnd() < 0.5) {
      out.push({ ...at, kind: 'console', text: 'x', source: 'hvm-port' });
      continue;
    }
    const name = REASONS[Math.floor(rnd() * REASONS.length)];
    out.push({ ...at, kind: 'vm-exit', reason: EXIT_REASON[name], reasonName: exitReasonName(EXIT_REASON[name]), qualification: Math.floor(rnd() * 0x10000), rip: 0x100000 + i, handler: 'xen:test', cycles: i });
  }
  return out;
}

/** The expectation from the list itself: the last exit of d<domid> vcpu<vcpu> among the first `upTo` records, and its counts. */
function expected(records: TraceRecord[], upTo: number, vcpu: number, domid = 1) {
  let last: { record: number; r: VmExitRecord } | undefined;
  const counts = new Map<string, number>();
  records.slice(0, upTo).forEach((r, i) => {
    if (r.kind !== 'vm-exit' || r.vcpu !== vcpu || r.domid !== domid) return;
    last = { record: i + 1, r };
    const k = r.reasonName.replace('EXIT_REASON_', '');
    counts.set(k, (counts.get(k) ?? 0) + 1);
  });
  return { last, counts };
}

describe('debug: last VM exit recorder', () => {
  it('answers the last exit and counts at or before the position, across travel back, replay and a forgotten future', () => {
    const h = new FakeHistory();
    const rec = new VmExitRecorder(h);
    const records = stream(7, 400);
    feed(rec, h, records, 0);
    const rnd = prng(99);
    const check = (at: number) => {
      for (const vcpu of [0, 1]) {
        const want = expected(records, at, vcpu);
        const got = rec.last(1, vcpu, 0);
        assert.strictEqual(got?.record, want.last?.record, `at ${at} vcpu ${vcpu}`);
        if (got) {
          assert.strictEqual(got.r, want.last!.r);
          assert.strictEqual(got.recordsAgo, at - got.record);
        }
        assert.deepStrictEqual(new Map(rec.counts(1, vcpu)), want.counts);
      }
    };
    check(400);
    for (let i = 0; i < 20; i++) {
      // travel back: the engine replays from a snapshot to the target, the records heard again
      const target = Math.floor(rnd() * 400);
      const snapshot = Math.floor(target * rnd());
      feed(rec, h, records.slice(snapshot, target), snapshot);
      check(target);
    }
    // an input at 100 forgets the future: the new records after it replace the old ones
    const fresh = stream(8, 50);
    h.furthest = 100;
    feed(rec, h, records.slice(90, 100), 90);
    feed(rec, h, fresh, 100);
    const now = [...records.slice(0, 100), ...fresh];
    for (const vcpu of [0, 1]) {
      assert.strictEqual(rec.last(1, vcpu, 0)?.record, expected(now, 150, vcpu).last?.record);
      assert.deepStrictEqual(new Map(rec.counts(1, vcpu)), expected(now, 150, vcpu).counts);
    }
  });

  it('decodes I/O, EPT and CR access qualifications by the SDM tables', () => {
    const exit = (name: keyof typeof EXIT_REASON, qualification: number): VmExitRecord => ({ kind: 'vm-exit', time: 0, pcpu: 0, domid: 1, vcpu: 0, reason: EXIT_REASON[name], reasonName: exitReasonName(EXIT_REASON[name]), qualification, rip: 0 });
    assert.strictEqual(decodeQualification(exit('IO_INSTRUCTION', ioQualification(0x3f8, 1, false))), 'out port 0x3f8 size 1');
    assert.strictEqual(decodeQualification(exit('IO_INSTRUCTION', ioQualification(0x40, 2, true))), 'in port 0x40 size 2');
    assert.strictEqual(decodeQualification(exit('EPT_VIOLATION', 2), 0xb8012), 'write gpa 0xb8012');
    assert.strictEqual(decodeQualification(exit('CR_ACCESS', crAccessQualification({ type: 'mov-to', cr: 3, gpr: 0 }))), 'mov eax -> cr3');
    assert.strictEqual(decodeQualification(exit('CR_ACCESS', crAccessQualification({ type: 'mov-from', cr: 0, gpr: 3 }))), 'mov cr0 -> ebx');
    assert.strictEqual(decodeQualification(exit('HLT', 0)), undefined);
  });
});

describe('debug: last VM exit in the Xen scope (adapter process)', function () {
  this.timeout(90000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));
  const ex = path.join(root, 'examples');
  const hvmThread = 1001;

  async function stopAfter(request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
    const stopped = dc.waitForEvent('stopped', 30000) as Promise<DebugProtocol.StoppedEvent>;
    await request();
    return stopped;
  }

  async function xenRow(name: string): Promise<{ value: string; children: Record<string, string> } | undefined> {
    const frame = (await dc.stackTraceRequest({ threadId: hvmThread })).body.stackFrames[0];
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
    const xen = scopes.find((s) => s.name === 'Xen')!;
    const rows = (await dc.variablesRequest({ variablesReference: xen.variablesReference })).body.variables;
    const row = rows.find((v) => v.name === name);
    if (!row) return undefined;
    const kids = row.variablesReference ? (await dc.variablesRequest({ variablesReference: row.variablesReference })).body.variables : [];
    return { value: row.value, children: Object.fromEntries(kids.map((k) => [k.name, k.value])) };
  }

  const nowRecord = async () => ((await dc.customRequest('xensim/timeline', { maxItems: 1 })).body as TimelineBody).nowRecord;

  /** The row against the trace file: the last exit of d1 vcpu0 among the first `upTo` lines. */
  async function checkRow(lines: TraceRecord[], upTo: number): Promise<number> {
    const want = expected(lines, upTo, 0);
    assert.ok(want.last, 'the guest has exited by now');
    const record = want.last.record;
    const r = lines[record - 1] as VmExitRecord;
    const row = await xenRow('last VM exit');
    assert.ok(row, 'the Xen scope has a last VM exit row');
    assert.strictEqual(row.children.record, String(record));
    assert.strictEqual(row.children.reason, `${r.reasonName.replace('EXIT_REASON_', '')} (${r.reason})`);
    assert.strictEqual(row.children.rip, `0x${r.rip.toString(16).padStart(8, '0')}`);
    assert.strictEqual(row.children.handler, r.handler);
    assert.strictEqual(row.children.time, `${r.time} ns`);
    assert.strictEqual(row.children.cycles, String(r.cycles));
    assert.match(row.children.ago, new RegExp(`^${upTo - record} records, \\d+ ns$`));
    assert.match(row.children.qualification, new RegExp(`^0x${r.qualification!.toString(16)}\\b`));
    if (r.reason === EXIT_REASON.EPT_VIOLATION && r.handler?.startsWith('dm:')) {
      const ioreq = lines.slice(record).find((x) => x.kind === 'ioreq' && x.phase === 'send' && x.domid === 1);
      assert.strictEqual(row.children.gpa, `0x${(ioreq as { addr: number }).addr.toString(16).padStart(8, '0')}`, 'the gpa is the ioreq the exit posted');
    }
    const counts = await xenRow('VM exits');
    const total = [...want.counts.values()].reduce((a, b) => a + b, 0);
    assert.ok(counts);
    assert.strictEqual(counts.value.split(' ')[0], String(total));
    assert.deepStrictEqual(Object.fromEntries(Object.entries(counts.children).map(([k, v]) => [k, Number(v)])), Object.fromEntries(want.counts));
    return record;
  }

  /** Launches examples/<name> with a breakpoint on the line holding `text`, writing a trace file; its first stop. */
  async function launchAtLine(name: string, text: string): Promise<{ s: DebugProtocol.StoppedEvent; trace: string; done: () => void }> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-lastexit-'));
    const trace = path.join(tmp, 'trace.jsonl');
    const asm = path.join(ex, name, `${name}.asm`);
    const line = fs.readFileSync(asm, 'utf8').split('\n').findIndex((l) => l.includes(text)) + 1;
    const s = await launchTo(dc, { domains: [path.join(ex, name, `${name}.cfg`)], trace }, (c) => c.setBreakpointsRequest({ source: { path: asm }, breakpoints: [{ line }] }));
    return { s, trace, done: () => fs.rmSync(tmp, { recursive: true, force: true }) };
  }

  /** The trace file so far: record n is line n. */
  function readTrace(file: string): TraceRecord[] {
    return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TraceRecord);
  }

  it('hvm-timer: at the third tick the row is the trace file\'s last exit; travelling to an earlier exit shows that one', async () => {
    const run = await launchAtLine('hvm-timer', 'inc dword [ticks]');
    const trace = run.trace;
    let s = run.s;
    for (let i = 0; i < 2; i++) s = await stopAfter(() => dc.continueRequest({ threadId: s.body.threadId! }));
    assert.strictEqual(s.body.threadId, hvmThread);
    assert.strictEqual(s.body.reason, 'breakpoint');
    const lines = readTrace(trace);
    assert.strictEqual(await nowRecord(), lines.length);
    const last = await checkRow(lines, lines.length);
    // the stop was a line, not the exit: the old `VM exit` row (a stop on an exit) is absent
    assert.strictEqual(await xenRow('VM exit'), undefined);
    const list = await dc.evaluateRequest({ expression: 'xl vcpu-list', context: 'repl' });
    const reason = (lines[last - 1] as VmExitRecord).reasonName.replace('EXIT_REASON_', '');
    assert.match(list.body.result.split('\n')[0], /Time\(ns\)\s+Last exit$/);
    assert.match(list.body.result, /^Domain-0\s+0\s+0\s+\d+\s+\S+\s+\d+\s+-$/m, 'a PV vCPU has no exits');
    assert.match(list.body.result, new RegExp(`hvm-timer\\s+1\\s+0\\s+\\d+\\s+\\S+\\s+\\d+\\s+${reason}$`, 'm'));

    // travel to an earlier exit of the guest: the row shows that one, zero records ago
    const exits = lines.map((r, i) => ({ r, record: i + 1 })).filter((x) => x.r.kind === 'vm-exit' && x.r.domid === 1);
    const earlier = exits[Math.floor(exits.length / 2)];
    await stopAfter(() => dc.customRequest('xensim/travelTo', { record: earlier.record }));
    // the machine stops at the first point it can after the record (the exit's handling may trace more)
    const at = await nowRecord();
    assert.ok(at >= earlier.record && at < last, `${earlier.record} <= ${at} < ${last}`);
    const back = await checkRow(lines, at);
    assert.ok(back >= earlier.record && back < last);
    assert.match((await xenRow('last VM exit'))!.value, new RegExp(` ${at - back} records \\/ \\d+ ns ago$`));
    run.done();
  });

  it('hvm-vga: after the read of the title cell the row is that EPT violation with its gpa; stepping back shows the store before it', async () => {
    const { s, trace, done } = await launchAtLine('hvm-vga', 'mov [VGA + COLUMNS * 2], eax');
    assert.strictEqual(s.body.threadId, hvmThread);
    const lines = readTrace(trace);
    assert.strictEqual(await nowRecord(), lines.length);
    const record = await checkRow(lines, lines.length);
    const row = (await xenRow('last VM exit'))!;
    assert.strictEqual(row.children.gpa, '0x000b8000', 'mov eax, [VGA] read the first cell');
    assert.match(row.children.qualification, /\(read gpa 0xb8000\)$/);
    assert.strictEqual(row.children.handler, (lines[record - 1] as VmExitRecord).handler);

    // step back over the read: first into its ioreq's completion (the same exit still the last),
    // then before the instruction, where the last exit is the title's last store
    let at = lines.length;
    for (let i = 0; i < 4 && at >= record; i++) {
      await stopAfter(() => dc.stepBackRequest({ threadId: hvmThread }));
      at = await nowRecord();
      const got = await checkRow(lines, at);
      if (at >= record) assert.strictEqual(got, record, 'still inside the read: its exit is the last');
    }
    assert.ok(at < record, `back before the read's exit (${at} < ${record})`);
    const before = await checkRow(lines, at);
    assert.ok(before < record);
    done();
  });
});
