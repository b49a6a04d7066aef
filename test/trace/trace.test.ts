import * as assert from 'assert';
import { EVTCHNOP, HYPERCALL, LAYOUTS, XEN_ERRNO } from '../../src/xen/abi';
import {
  CLASS_OF,
  TRACE_CLASSES,
  Trace,
  TraceBase,
  TraceBuffer,
  TraceClass,
  TraceRecord,
  TraceStats,
  formatRecord,
  formatTime,
  fromJsonLine,
  hypercallEntry,
  hypercallExit,
  jsonLinesWriter,
  parseTraceFilter,
  toJsonLine,
} from '../../src/trace';

const base = (time: number, domid = 1): TraceBase => ({ time, pcpu: 0, domid, vcpu: 0 });

/** One sample record per kind. */
function samples(): TraceRecord[] {
  const b = base(1_500_000);
  return [
    hypercallEntry(b, HYPERCALL.sched_op, [0, 0]),
    hypercallExit(b, { nr: HYPERCALL.sched_op, name: 'sched_op', subop: 'SCHEDOP_yield' }, 0),
    { ...b, kind: 'ring-transition', from: 3, to: 1, cause: 'syscall', toEip: 0x100200 },
    { ...b, kind: 'event-send', port: 3, remoteDomid: 0, remotePort: 7, channel: 'interdomain' },
    { ...b, kind: 'event-deliver', port: 1, virq: 'VIRQ_TIMER', upcall: true },
    { ...b, kind: 'trap-bounce', vector: 14, errorCode: 2, cr2: 0x1000, cs: 0xe019, eip: 0x100400 },
    { ...b, kind: 'fault', vector: 13, name: '#GP', errorCode: 0, eip: 0x100010, ring: 1, outcome: 'bounce' },
    { ...b, kind: 'schedule', prevDomid: 0x7fff, prevVcpu: 0, reason: 'wake', priority: 'boost', credit: 300 },
    { ...b, kind: 'vm-exit', reason: 30, reasonName: 'EXIT_REASON_IO_INSTRUCTION', qualification: 0x12, rip: 0x100000 },
    { ...b, kind: 'vm-entry', rip: 0x100002 },
    { ...b, kind: 'domain', event: 'shutdown', name: 'web', reason: 'SHUTDOWN_poweroff' },
    { ...b, kind: 'console', text: 'Hello World\n', source: 'console_io' },
  ];
}

/** A small seeded PRNG (mulberry32), so the stream test is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('trace', () => {
  it('covers every class with a sample kind', () => {
    assert.deepStrictEqual([...new Set(samples().map((r) => CLASS_OF[r.kind]))].sort(), [...TRACE_CLASSES].sort());
  });

  it('costs nothing without listeners and delivers by class with them', () => {
    const t = new Trace();
    assert.strictEqual(t.mask, 0);
    assert.strictEqual(t.wants('hypercall'), false);
    t.emit(samples()[0]); // no listener: dropped
    const got: string[] = [];
    const f = parseTraceFilter('hypercall,event');
    assert.ok(typeof f !== 'string');
    const off = t.subscribe((r) => got.push(r.kind), f);
    assert.ok(t.wants('hypercall') && t.wants('event') && !t.wants('console'));
    for (const r of samples()) t.emit(r);
    assert.deepStrictEqual(got, ['hypercall-entry', 'hypercall-exit', 'event-send', 'event-deliver']);
    off();
    assert.strictEqual(t.mask, 0);
    assert.strictEqual(t.listenerCount, 0);
  });

  it('gives each listener exactly its classes, in order, over a random stream', () => {
    const rnd = prng(0x5eed);
    const all = samples();
    const t = new Trace();
    const listeners = [0, 1, 2, 3].map(() => {
      const classes = TRACE_CLASSES.filter(() => rnd() < 0.5);
      const filter = parseTraceFilter(classes.length ? classes.join(',') : 'all');
      assert.ok(typeof filter !== 'string');
      const got: TraceRecord[] = [];
      t.subscribe((r) => got.push(r), filter);
      return { want: new Set<TraceClass>(filter.classes), got };
    });
    const sent: TraceRecord[] = [];
    for (let i = 0; i < 2000; i++) {
      const r = { ...all[Math.floor(rnd() * all.length)], time: i } as TraceRecord;
      sent.push(r);
      t.emit(r);
    }
    for (const l of listeners) assert.deepStrictEqual(l.got, sent.filter((r) => l.want.has(CLASS_OF[r.kind])));
  });

  it('parses --trace-filter and names bad classes', () => {
    const f = parseTraceFilter('all');
    assert.ok(typeof f !== 'string' && f.classes.length === TRACE_CLASSES.length);
    assert.match(parseTraceFilter('hypercalls') as string, /unknown trace class 'hypercalls' \(did you mean 'hypercall'\?\)/);
    assert.match(parseTraceFilter('') as string, /empty trace filter/);
  });

  it('decodes hypercalls into entry and exit records', () => {
    const port = LAYOUTS.evtchn_send.fields.port;
    const mem = new Uint8Array(LAYOUTS.evtchn_send.size);
    new DataView(mem.buffer).setUint32(port.offset, 3, true);
    const e = hypercallEntry(base(10), HYPERCALL.event_channel_op, [EVTCHNOP.send, 0x2000], (a) => (a === 0x2000 ? mem : undefined));
    assert.strictEqual(e.text, 'event_channel_op(EVTCHNOP_send, port=3)');
    const x = hypercallExit(base(20), e, -XEN_ERRNO.EINVAL >>> 0);
    assert.deepStrictEqual([x.result, x.resultText, x.subop], [-XEN_ERRNO.EINVAL, '-EINVAL', 'EVTCHNOP_send']);
  });

  it('writes JSON lines that read back, 64-bit values as strings', () => {
    const lines: string[] = [];
    const t = new Trace();
    t.subscribe(jsonLinesWriter((l) => lines.push(l)));
    const recs = samples();
    recs.push(hypercallEntry(base(5), HYPERCALL.update_va_mapping, [0x1000, 0x67, 0x80000000, 0]));
    for (const r of recs) t.emit(r);
    assert.strictEqual(lines.length, recs.length);
    assert.ok(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n')));
    const back = lines.map((l) => fromJsonLine(l));
    assert.deepStrictEqual(back.slice(0, -1), recs.slice(0, -1));
    const va = back[back.length - 1];
    assert.ok(va.kind === 'hypercall-entry' && (va.args[1].value as unknown) === (0x8000000000000067n).toString());
    assert.strictEqual(JSON.parse(lines[0]).class, 'hypercall');
    assert.throws(() => fromJsonLine('{"kind":"nope"}'), /not a trace record/);
    assert.strictEqual(toJsonLine(recs[11]).includes('"text":"Hello World\\n"'), true);
  });

  it('keeps the latest records in a ring buffer', () => {
    const b = new TraceBuffer(3);
    const t = new Trace();
    t.subscribe(b.listener);
    for (let i = 0; i < 5; i++) t.emit({ ...base(i), kind: 'console', text: String(i), source: 'console_io' });
    assert.deepStrictEqual(b.records().map((r) => r.time), [2, 3, 4]);
    assert.strictEqual(b.seen, 5);
    assert.throws(() => new TraceBuffer(0), RangeError);
  });

  it('formats one line per record with virtual time, pCPU, domain and vCPU', () => {
    assert.strictEqual(formatTime(1_500_000), '   0.001500000');
    assert.strictEqual(formatTime(12_000_000_001), '  12.000000001');
    const lines = samples().map((r) => formatRecord(r, { domainName: (d) => (d === 1 ? 'web' : `d${d}`) }));
    assert.strictEqual(lines[0], '[   0.001500000] p0 web v0 hypercall sched_op(SCHEDOP_yield)');
    assert.strictEqual(lines[1], '[   0.001500000] p0 web v0 hypercall sched_op(SCHEDOP_yield) = 0');
    assert.match(lines[5], /trap bounce vector 14 error 0x2 cr2 0x1000 -> 0xe019:0x100400$/);
    assert.match(lines[7], /schedule d32767v0 -> d1v0 \(wake, boost, credit 300\)$/);
    assert.match(lines[11], /console "Hello World\\n"$/);
    assert.ok(lines.every((l) => /^\[ *\d+\.\d{9}\] p\d+ \S+ v\d+ \S/.test(l)));
  });
});

describe('trace stats', () => {
  it('counts per domain what the stream says', () => {
    const t = new Trace();
    const stats = new TraceStats();
    t.subscribe(stats.listener);
    const rnd = prng(7);
    const all = samples();
    const sent: TraceRecord[] = [];
    for (let i = 0; i < 500; i++) {
      const r = { ...all[Math.floor(rnd() * all.length)], domid: Math.floor(rnd() * 3), time: i } as TraceRecord;
      if (r.kind === 'hypercall-exit' && rnd() < 0.5) (r as { result: number }).result = -XEN_ERRNO.EPERM;
      sent.push(r);
      t.emit(r);
    }
    for (const d of [0, 1, 2]) {
      const mine = sent.filter((r) => r.domid === d);
      const s = stats.of(d);
      assert.strictEqual(s.hypercalls, mine.filter((r) => r.kind === 'hypercall-entry').length);
      assert.strictEqual(s.hypercallErrors, mine.filter((r) => r.kind === 'hypercall-exit' && r.result < 0).length);
      assert.strictEqual(s.byHypercall.get('sched_op') ?? 0, s.hypercalls);
      assert.strictEqual(s.faults, mine.filter((r) => r.kind === 'fault').length);
      const lastDom = [...mine].reverse().find((r) => r.kind === 'domain');
      assert.strictEqual(s.lastEvent, lastDom?.kind === 'domain' ? lastDom.event : undefined);
    }
  });
});
