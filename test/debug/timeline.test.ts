// The xensim/timeline request: the recorder on seeded synthetic streams (travel, forgotten
// futures, decimation bounds), then through the adapter process on examples/scheduler, checked
// against the trace file the same session writes (record index = line number).
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TimelineBody, TimelineRecorder, TIMELINE_REQUEST } from '../../src/debug/timeline';
import type { TraceRecord } from '../../src/trace/records';
import { launchTo, root, useAdapter } from './helpers';
import { FakeHistory, feed, prng } from './history';

/** A stream like the hypervisor's: two pCPUs, four vCPUs switching, hypercalls and events between. */
function syntheticStream(seed: number, switches: number): TraceRecord[] {
  const rnd = prng(seed);
  const out: TraceRecord[] = [];
  const running = [
    { domid: 0, vcpu: 0 },
    { domid: 1, vcpu: 0 },
  ];
  const time = [0, 0];
  for (let i = 0; i < switches; i++) {
    const p = rnd() < 0.5 ? 0 : 1;
    const cur = running[p];
    time[p] += 1 + Math.floor(rnd() * 1000);
    const at = { time: time[p], pcpu: p, domid: cur.domid, vcpu: cur.vcpu };
    if (rnd() < 0.6) {
      out.push({ ...at, kind: 'hypercall-entry', nr: 29, name: 'sched_op', args: [], text: 'sched_op(SCHEDOP_yield)' });
      out.push({ ...at, kind: 'ring-transition', from: 1, to: 0, cause: 'hypercall' });
      out.push({ ...at, kind: 'hypercall-exit', nr: 29, name: 'sched_op', result: 0, resultText: '0' });
    }
    if (rnd() < 0.3) out.push({ ...at, kind: 'event-send', port: 3, remoteDomid: 2, remotePort: 4, channel: 'interdomain' });
    const next = { domid: 1 + Math.floor(rnd() * 3), vcpu: p };
    time[p] += 1 + Math.floor(rnd() * 100);
    out.push({ time: time[p], pcpu: p, domid: next.domid, vcpu: next.vcpu, kind: 'schedule', prevDomid: cur.domid, prevVcpu: cur.vcpu, reason: 'preempt' });
    running[p] = next;
  }
  return out;
}

const machineAt = (nowNs: number) => ({ now: () => nowNs, domains: () => [], pcpuCount: () => 2 });
const items = (b: TimelineBody) => b.lanes.reduce((n, l) => n + l.periods.length, 0) + b.markers.length;

/** Running time per vCPU from the schedule records alone (the chosen one runs until the next switch on that pCPU). */
function runningTime(records: TraceRecord[], end: number): Map<string, number> {
  const cur = new Map<number, { k: string; start: number }>();
  const out = new Map<string, number>();
  const close = (p: number, t: number) => {
    const c = cur.get(p);
    if (c) out.set(c.k, (out.get(c.k) ?? 0) + t - c.start);
  };
  for (const r of records) {
    if (r.kind !== 'schedule') continue;
    close(r.pcpu, r.time);
    cur.set(r.pcpu, { k: `${r.domid}.${r.vcpu}`, start: r.time });
  }
  // before its first switch a pCPU ran the vCPU its first record names, from 0
  for (const p of [0, 1]) {
    const first = records.find((r) => r.pcpu === p);
    const sched = records.find((r) => r.pcpu === p && r.kind === 'schedule');
    if (first && sched && first.kind !== 'schedule') out.set(`${first.domid}.${first.vcpu}`, (out.get(`${first.domid}.${first.vcpu}`) ?? 0) + sched.time);
  }
  for (const p of cur.keys()) close(p, end);
  return out;
}

describe('debug/timeline recorder', () => {
  for (const seed of [1, 7, 42]) {
    it(`seed ${seed}: run periods add up to each vCPU's running time; markers carry their record index`, () => {
      const stream = syntheticStream(seed, 300);
      const h = new FakeHistory();
      const rec = new TimelineRecorder(h);
      feed(rec, h, stream, 0);
      const end = Math.max(...stream.map((r) => r.time));
      const body = rec.body(machineAt(0), { maxItems: 100000 });
      assert.strictEqual(body.decimated, undefined);
      const sums = new Map<string, number>();
      for (const l of body.lanes) for (const p of l.periods) sums.set(`${p.domid}.${p.vcpu}`, (sums.get(`${p.domid}.${p.vcpu}`) ?? 0) + p.end - p.start);
      assert.deepStrictEqual([...sums.entries()].sort(), [...runningTime(stream, end).entries()].filter(([, v]) => v > 0).sort());
      const sends = stream.map((r, i) => ({ r, i: i + 1 })).filter((x) => x.r.kind === 'event-send');
      assert.deepStrictEqual(body.markers.filter((m) => m.kind === 'event-send').map((m) => m.record), sends.map((x) => x.i));
      for (const m of body.markers.filter((x) => x.kind === 'hypercall')) {
        assert.strictEqual(stream[m.record - 1].kind, 'hypercall-entry');
        assert.strictEqual(m.result, '0');
        assert.strictEqual(m.detail, 'sched_op(SCHEDOP_yield) = 0');
      }
    });

    it(`seed ${seed}: beyond maxItems the answer fits, and what it merged still accounts for everything`, () => {
      const stream = syntheticStream(seed, 2000);
      const h = new FakeHistory();
      const rec = new TimelineRecorder(h);
      feed(rec, h, stream, 0);
      const full = rec.body(machineAt(0), { maxItems: 100000 });
      for (const maxItems of [1, 10, 100, 1000]) {
        const b = rec.body(machineAt(0), { maxItems });
        assert.ok(items(b) <= maxItems, `${items(b)} items for maxItems ${maxItems}`);
        assert.ok(b.decimated, 'says it decimated');
        assert.strictEqual(b.decimated.markers.total, full.markers.length);
        if (maxItems < 100) continue;
        // every marker is counted once; every period lies inside a shown one of its lane
        assert.strictEqual(b.markers.reduce((n, m) => n + (m.count ?? 1), 0), full.markers.length);
        assert.strictEqual(b.lanes.reduce((n, l) => n + l.periods.reduce((k, p) => k + (p.merged ?? 1), 0), 0), b.decimated.periods.total);
        for (const l of full.lanes) {
          const shown = b.lanes.find((x) => x.pcpu === l.pcpu)!.periods;
          for (const p of l.periods) assert.ok(shown.some((s) => s.start <= p.start && p.end <= s.end), `period ${p.start}-${p.end} on pCPU ${l.pcpu} is covered`);
        }
      }
    });
  }

  it('past its limit the recorder keeps run periods and counts the markers it dropped', () => {
    const stream = syntheticStream(9, 300);
    const h = new FakeHistory();
    const all = new TimelineRecorder(h);
    feed(all, h, stream, 0);
    const h2 = new FakeHistory();
    const capped = new TimelineRecorder(h2, 10);
    feed(capped, h2, stream, 0);
    const full = all.body(machineAt(0), { maxItems: 100000 });
    const b = capped.body(machineAt(0), { maxItems: 100000 });
    assert.strictEqual(b.markers.length, 10);
    assert.strictEqual(b.unrecorded, full.markers.length - 10);
    assert.deepStrictEqual(b.lanes, full.lanes);
  });

  it('a window shows only what overlaps it', () => {
    const stream = syntheticStream(3, 500);
    const h = new FakeHistory();
    const rec = new TimelineRecorder(h);
    feed(rec, h, stream, 0);
    const b = rec.body(machineAt(0), { from: 20000, to: 40000 });
    assert.ok(b.markers.length > 0 && b.markers.every((m) => m.time >= 20000 && m.time <= 40000));
    for (const l of b.lanes) assert.ok(l.periods.every((p) => p.end >= 20000 && p.start <= 40000));
    assert.throws(() => rec.body(machineAt(0), { from: 5, to: 4 }), /to \(4\) is before from \(5\)/);
    assert.throws(() => rec.body(machineAt(0), { maxItems: 0 }), /maxItems must be between 1/);
    assert.throws(() => rec.body(machineAt(0), { from: -1 }), /from must be a non-negative number/);
  });

  it('records heard again after a travel back are not doubled; a forgotten future is dropped', () => {
    const stream = syntheticStream(5, 200);
    const h = new FakeHistory();
    const rec = new TimelineRecorder(h);
    feed(rec, h, stream, 0);
    const before = rec.body(machineAt(0));
    // travel back to record 100 (quietly), then run forward again: the same records are heard
    feed(rec, h, stream.slice(100), 100);
    assert.deepStrictEqual(rec.body(machineAt(0)), before);
    // travel back to 100 and change something: the engine forgets its future, a new one follows
    h.furthest = 100;
    const other = syntheticStream(6, 50).map((r) => ({ ...r, time: r.time + 1e6 }));
    feed(rec, h, other, 100);
    const after = rec.body(machineAt(0));
    const kept = before.markers.filter((m) => m.record <= 100);
    assert.deepStrictEqual(after.markers.filter((m) => m.record <= 100), kept);
    for (const m of after.markers.filter((x) => x.record > 100)) assert.deepStrictEqual(other[m.record - 101].time, m.time);
  });
});

describe('debug/timeline request (adapter process, examples/scheduler)', function () {
  this.timeout(90000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));
  const dir = path.join(root, 'examples', 'scheduler');
  const configs = ['w256', 'w512', 'w1024'].map((n) => path.join(dir, `${n}.cfg`));

  async function stopAfter(request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
    const stopped = dc.waitForEvent('stopped', 30000) as Promise<DebugProtocol.StoppedEvent>;
    await request();
    return stopped;
  }
  const timeline = async (args: object = {}) => (await dc.customRequest(TIMELINE_REQUEST, args)).body as TimelineBody;

  it('lanes and markers agree with the session trace file; travelling to a marker moves the machine there', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-timeline-'));
    const trace = path.join(tmp, 'trace.jsonl');
    // console_io: dom0's "ready", then each spinner's first line as the scheduler first runs it
    let s = await launchTo(dc, { domains: configs, trace }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:console_io' }] }));
    const threads = [s.body.threadId];
    for (let i = 0; i < 3; i++) {
      s = await stopAfter(() => dc.continueRequest({ threadId: s.body.threadId! }));
      threads.push(s.body.threadId);
    }
    assert.deepStrictEqual(threads, [1, 1001, 2001, 3001]);
    const body = await timeline();
    const lines = fs.readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    assert.strictEqual(body.records, lines.length, 'the history is the trace file');
    assert.strictEqual(body.nowRecord, lines.length);
    assert.strictEqual(body.nowNs, lines[lines.length - 1].time);
    assert.strictEqual(body.pcpus, 2);
    assert.deepStrictEqual(body.lanes.map((l) => l.pcpu), [0, 1]);
    // pCPU 0 runs dom0 until it blocks, then the spinners in turn, as the schedule records say
    const scheds = lines.filter((r) => r.kind === 'schedule');
    const lane0 = body.lanes[0].periods;
    assert.deepStrictEqual(lane0.map((p) => p.name), ['d0 Domain-0 vcpu0', 'd1 w256 vcpu0', 'd2 w512 vcpu0', 'd3 w1024 vcpu0']);
    assert.deepStrictEqual(lane0.map((p) => p.start), [0, ...scheds.map((r) => r.time)]);
    assert.deepStrictEqual(lane0.map((p) => p.end), [...scheds.map((r) => r.time), body.nowNs]);
    assert.deepStrictEqual(body.lanes[1].periods, [], 'pCPU 1 idles: every spinner is pinned to pCPU 0');
    // every marker is its record in the file; every hypercall, domain event is a marker
    for (const m of body.markers) {
      const r = lines[m.record - 1];
      assert.strictEqual(r.time, m.time);
      assert.strictEqual(r.domid, m.domid);
      assert.strictEqual(r.kind, m.kind === 'hypercall' ? 'hypercall-entry' : m.kind);
    }
    assert.strictEqual(body.markers.filter((m) => m.kind === 'hypercall').length, lines.filter((r) => r.kind === 'hypercall-entry').length);
    assert.deepStrictEqual(
      body.markers.filter((m) => m.kind === 'domain').map((m) => `d${m.domid} ${m.label}`),
      lines.filter((r) => r.kind === 'domain').map((r) => `d${r.domid} ${r.kind === 'domain' ? r.event : ''}`),
    );
    const consoles = body.markers.filter((m) => m.detail.startsWith('console_io('));
    assert.deepStrictEqual(consoles.map((m) => m.domid), [0, 1, 2, 3]);
    assert.deepStrictEqual(consoles.map((m) => m.result), ['0', '0', '0', undefined], 'the last is still inside Xen');
    assert.match(consoles[2].detail, /^console_io\(CONSOLEIO_write, count=9, buffer=0x[0-9a-f]+\) = 0$/);

    // click w512's console_io: the machine goes back there, the thread is inside that hypercall
    const target = consoles[2];
    const back = await stopAfter(() => dc.customRequest('xensim/travelTo', { record: target.record }));
    assert.strictEqual(back.body.reason, 'step');
    assert.strictEqual(back.body.threadId, 2001, 'the stop is on the vCPU of the record');
    const frames = (await dc.stackTraceRequest({ threadId: 2001 })).body.stackFrames;
    assert.match(frames[0].name, /^xen: console_io/);
    const there = await timeline();
    assert.strictEqual(there.nowRecord, target.record);
    assert.strictEqual(there.nowNs, target.time);
    assert.strictEqual(there.records, body.records, 'the future stays on the timeline');
    assert.deepStrictEqual(there.markers, body.markers);
    // forward again: the same next stop, and the timeline is the same
    const again = await stopAfter(() => dc.continueRequest({ threadId: 2001 }));
    assert.strictEqual(again.body.threadId, 3001);
    assert.deepStrictEqual(await timeline(), body);

    // bounded: a handful of items, saying what was merged
    const small = await timeline({ maxItems: 6 });
    assert.ok(items(small) <= 6, `${items(small)} items`);
    assert.strictEqual(small.decimated?.markers.total, body.markers.length);
    // a window of one period's time
    const w = await timeline({ from: lane0[2].start + 1, to: lane0[2].end - 1 });
    assert.deepStrictEqual(w.lanes[0].periods.map((p) => p.name), ['d2 w512 vcpu0']);
    await assert.rejects(dc.customRequest(TIMELINE_REQUEST, { maxItems: 'lots' }), /maxItems must be a non-negative integer, got "lots"/);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('HVM exits, event sends and deliveries (hvm-hello beside pingpong) are markers, each its record in the trace file', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-timeline-'));
    const trace = path.join(tmp, 'trace.jsonl');
    const ex = path.join(root, 'examples');
    let s = await launchTo(dc, { domains: [path.join(ex, 'hvm-hello', 'hvm-hello.cfg'), path.join(ex, 'pingpong', 'ping.cfg'), path.join(ex, 'pingpong', 'pong.cfg')], trace }, (c) =>
      c.setExceptionBreakpointsRequest({ filters: ['event'] }),
    );
    // a few event stops, and on until the HVM domain has exited (dom0's xenstore answers are
    // events too, so the first stops may all come before it)
    for (let i = 0; i < 4 || (i < 100 && !(await timeline()).markers.some((m) => m.kind === 'vmexit')); i++) s = await stopAfter(() => dc.continueRequest({ threadId: s.body.threadId! }));
    const body = await timeline();
    const lines = fs.readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    const recordKind = { hypercall: 'hypercall-entry', vmexit: 'vm-exit', 'event-send': 'event-send', 'event-deliver': 'event-deliver', fault: 'fault', domain: 'domain' } as const;
    for (const kind of ['vmexit', 'event-send', 'event-deliver', 'domain', 'hypercall'] as const) {
      const want = lines.map((r, i) => ({ r, record: i + 1 })).filter((x) => x.r.kind === recordKind[kind]);
      const got = body.markers.filter((m) => m.kind === kind);
      assert.ok(want.length > 0, `the run has ${kind} records`);
      assert.deepStrictEqual(got.map((m) => m.record), want.map((x) => x.record), `${kind} markers are the file's ${kind} records`);
      for (const m of got) assert.strictEqual(m.time, lines[m.record - 1].time);
    }
    for (const m of body.markers.filter((x) => x.kind === 'vmexit')) {
      const r = lines[m.record - 1];
      assert.ok(r.kind === 'vm-exit' && `EXIT_REASON_${m.label}` === r.reasonName && m.detail.includes(r.reasonName), m.detail);
    }
    for (const m of body.markers.filter((x) => x.kind === 'event-send')) {
      const r = lines[m.record - 1];
      assert.ok(r.kind === 'event-send' && m.detail.startsWith(`event send port ${r.port} → d${r.remoteDomid} port ${r.remotePort}`), m.detail);
    }
    assert.deepStrictEqual(
      body.domains.map((d) => d.name),
      ['Domain-0', 'hvm-hello', 'ping', 'pong'],
    );
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('says when nothing runs', async () => {
    await dc.initializeRequest();
    await assert.rejects(dc.customRequest(TIMELINE_REQUEST), /no simulation is running/);
  });
});
