// xenstored and xenconsoled are dom0's work too: with dom0, a domain's kick on its store or
// console ring is an interdomain send that wakes dom0, the ring is served while d0v0 is current
// (BACKEND_REQUEST_COST per xs_wire request answered or console ring drained) and dom0 answers
// with its own EVTCHNOP_send. Without dom0 the same traffic is served in the sender's hypercall.
import * as assert from 'assert';
import { XS } from '../../src/xen/abi';
import { summarize } from '../../src/trace/summary';
import { toJsonLine } from '../../src/trace/jsonl';
import type { TraceRecord } from '../../src/trace/records';
import { BACKEND_REQUEST_COST, ringServiceOf } from '../../src/xen/dom0/backends';
import { boot, runToEnd, type Booted } from './guest';
import { consoleRingGuest } from './console-guest';

/** Four xs_wire requests, each waiting for its reply (xs_request) before the next. */
const xsGuest = `
    call xs_init
    mov eax, XS_WRITE
    mov ebx, p_write
    mov ecx, p_write_len
    call xs_request
    RESULT 0
    mov eax, XS_READ
    mov ebx, p_read
    mov ecx, p_read_len
    call xs_request
    RESULT 1
    mov eax, [xs_reply]
    mov [results + 8], eax
    mov eax, XS_DIRECTORY
    mov ebx, p_dir
    mov ecx, p_dir_len
    call xs_request
    RESULT 3
    mov eax, XS_READ
    mov ebx, p_other
    mov ecx, p_other_len
    call xs_request
    RESULT 4
    jmp done
p_write: db "data/greeting", 0, "hi!"
p_write_len equ $ - p_write
p_read: db "data/greeting", 0
p_read_len equ $ - p_read
p_dir: db "data", 0
p_dir_len equ $ - p_dir
p_other: db "/local/domain/0/name", 0   ; refused (EACCES): still a request dom0 answers
p_other_len equ $ - p_other
%include "xenstore.inc"
done:
`;
const XS_REQUESTS = 4;

const LINE = "hello through dom0's console back end";
const consoleGuest = (wait: boolean): string => consoleRingGuest(LINE, wait);

const OPTS = { pcpus: 2, nsPerInstruction: 1 };
const sendsOn = (b: Booted, from: number, port: number): TraceRecord[] => b.records.filter((r) => r.kind === 'event-send' && r.domid === from && r.port === port);
const dom0Running = (b: Booted): number => summarize(b.records).domains.get(0)?.vcpus.get(0)?.runstateNs.running ?? 0;

describe('xen: dom0 serves xenstore and the console rings', function () {
  this.timeout(60000);

  it('xenstore: each request is a kick to dom0, served as d0v0 and answered by its own send', () => {
    const b = boot([{ name: 'client', body: xsGuest }], { dom0: true, ...OPTS });
    runToEnd(b);
    assert.deepStrictEqual([0, 1, 3, 4].map((i) => b.result(1, i)), [XS.WRITE, XS.READ, XS.DIRECTORY, XS.ERROR]);
    assert.strictEqual(Buffer.from(new Uint32Array([b.result(1, 2)]).buffer).toString('latin1', 0, 3), 'hi!');
    const d1 = b.sys.domain(1);
    const kicks = sendsOn(b, 1, d1.storePort);
    assert.ok(kicks.length >= XS_REQUESTS, 'the guest kicked at least once per request');
    assert.ok(
      kicks.every((r) => r.kind === 'event-send' && r.channel === 'interdomain' && r.remoteDomid === 0),
      'every kick of the store ring goes to dom0 over the channel dom0 bound',
    );
    // one reply per request, each notified by dom0 (the guest waits for a reply before asking again)
    const dom0Port = (kicks[0] as { remotePort: number }).remotePort;
    const answers = sendsOn(b, 0, dom0Port);
    assert.strictEqual(answers.length, XS_REQUESTS);
    for (const a of answers) {
      assert.ok(a.kind === 'event-send' && a.remoteDomid === 1 && a.remotePort === d1.storePort);
      const entry = b.records.slice(0, b.records.indexOf(a)).reverse().find((r) => r.kind === 'hypercall-entry');
      assert.ok(entry && entry.kind === 'hypercall-entry' && entry.domid === 0 && entry.subop === 'EVTCHNOP_send', "each answer is d0v0's EVTCHNOP_send");
    }
    // dom0 ran for them: the requests' cost is in its running time (with the toolstack's domctls)
    const withDom0 = dom0Running(b);
    assert.ok(withDom0 >= XS_REQUESTS * BACKEND_REQUEST_COST, `dom0 ran ${withDom0} ns`);
    const idle = boot([{ name: 'client', body: '' }], { dom0: true, ...OPTS });
    runToEnd(idle);
    assert.strictEqual(withDom0 - dom0Running(idle) >= XS_REQUESTS * BACKEND_REQUEST_COST, true, `the requests added ${withDom0 - dom0Running(idle)} ns to dom0's running time`);
  });

  it('xenstore without dom0: the same requests are served in the guest\'s send on its unbound port', () => {
    const b = boot([{ name: 'client', body: xsGuest }], { dom0: false, ...OPTS });
    runToEnd(b);
    assert.deepStrictEqual([0, 1, 3, 4].map((i) => b.result(1, i)), [XS.WRITE, XS.READ, XS.DIRECTORY, XS.ERROR]);
    const kicks = sendsOn(b, 1, b.sys.domain(1).storePort);
    assert.ok(kicks.length >= XS_REQUESTS && kicks.every((r) => r.kind === 'event-send' && r.channel === 'unbound'));
    assert.strictEqual(dom0Running(b), 0);
  });

  it("console: the kick wakes dom0, which drains the ring while it is current: the line is dom0's work", () => {
    const b = boot([{ name: 'talker', body: consoleGuest(true) }], { dom0: true, ...OPTS });
    runToEnd(b);
    const d1 = b.sys.domain(1);
    const kick = sendsOn(b, 1, d1.consolePort);
    assert.strictEqual(kick.length, 1);
    assert.ok(kick[0].kind === 'event-send' && kick[0].channel === 'interdomain' && kick[0].remoteDomid === 0);
    const at = b.records.indexOf(kick[0]);
    const line = b.records.findIndex((r) => r.kind === 'console' && r.source === 'pv-ring');
    assert.ok(line > at, 'the line comes after the kick');
    assert.strictEqual((b.records[line] as { text: string }).text, LINE);
    // when the line is recorded dom0 is on a pCPU: the last schedule record about it put it there
    const last = b.records.slice(0, line).reverse().find((r) => r.kind === 'schedule' && (r.domid === 0 || r.prevDomid === 0));
    assert.ok(last && last.kind === 'schedule' && last.domid === 0, 'dom0 is current while it drains the ring');
    assert.ok(b.records[line].time >= kick[0].time);
    // the drain is dom0's work: its running time is at least the toolstack's plus one request
    const quiet = boot([{ name: 'talker', body: '' }], { dom0: true, ...OPTS });
    runToEnd(quiet);
    assert.ok(dom0Running(b) - dom0Running(quiet) >= BACKEND_REQUEST_COST, `the drain added ${dom0Running(b) - dom0Running(quiet)} ns to dom0's running time`);
    // one drain: no notification back (xenconsoled sends only when it wrote the in ring)
    assert.strictEqual(b.records.filter((r) => r.kind === 'event-send' && r.domid === 0 && r.remoteDomid === 1 && r.remotePort === d1.consolePort).length, 0);
  });

  it('snapshot: stopped at the console kick, restore and continue repeats the run (dom0 drains the ring again)', () => {
    const b = boot([{ name: 'talker', body: consoleGuest(true) }], { dom0: true, ...OPTS });
    const lines: string[] = [];
    b.sys.trace.subscribe((r) => lines.push(toJsonLine(r)));
    const early = b.sys.snapshot();
    const kick = (r: TraceRecord): boolean => r.kind === 'event-send' && r.domid === 1 && r.channel === 'interdomain' && r.port === b.sys.domain(1).consolePort;
    assert.strictEqual(b.sys.run({ maxInstructions: 5e6, untilTimeNs: 2e9, stopOn: kick }).reason, 'trace');
    const snap = b.sys.snapshot();
    let mark = lines.length;
    b.sys.run({ maxInstructions: 5e6, untilTimeNs: 2e9 });
    const first = lines.slice(mark);
    assert.ok(first.some((l) => l.includes('"pv-ring"')), 'the line came after the stop');
    b.sys.restore(snap);
    mark = lines.length;
    b.sys.run({ maxInstructions: 5e6, untilTimeNs: 2e9 });
    assert.deepStrictEqual(lines.slice(mark), first);
    // back to before the domain existed: no service left over, and the whole run repeats
    b.sys.restore(early);
    assert.strictEqual(ringServiceOf(b.sys.hv, 'console', 1), undefined);
    mark = lines.length;
    b.sys.run({ maxInstructions: 5e6, untilTimeNs: 2e9 });
    assert.ok(lines.slice(mark).filter((l) => l.includes('"pv-ring"')).length === 1, 'the line shows once in the replay');
  });

  it('console: a line kicked just before the domain is destroyed is still shown; the teardown ends both services', () => {
    const b = boot([{ name: 'quick', body: consoleGuest(false), extra: 'on_poweroff = "destroy"' }], { dom0: true, ...OPTS });
    assert.ok(ringServiceOf(b.sys.hv, 'console', 1) === undefined, 'no service before the toolstack built the domain');
    runToEnd(b);
    assert.strictEqual(b.sys.domain(1).state, 'destroyed');
    const lines = b.records.filter((r) => r.kind === 'console' && r.source === 'pv-ring').map((r) => (r.kind === 'console' ? r.text : ''));
    assert.deepStrictEqual(lines, [LINE]);
    assert.strictEqual(ringServiceOf(b.sys.hv, 'xenstore', 1), undefined);
    assert.strictEqual(ringServiceOf(b.sys.hv, 'console', 1), undefined);
    assert.deepStrictEqual(b.sys.hv.domains.get(0)!.evtchns.filter((c) => c.state === 'interdomain' || c.state === 'unbound'), [], "dom0's ends are closed");
  });
});
