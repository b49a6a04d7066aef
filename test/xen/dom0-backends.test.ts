// dom0's back-end work is dom0's activity: with dom0, a front end's kick on its ring makes
// dom0's port pending and dom0 scheduled; the back end serves the ring while dom0's vCPU is
// current, its time is charged to dom0 (the summary's running time, the Chrome trace's slices)
// and its notification is dom0's own EVTCHNOP_send. Without dom0 the same I/O costs dom0 nothing.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDomainConfigFile } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { summarize } from '../../src/trace/summary';
import { toChromeTrace } from '../../src/trace/chrome';
import type { TraceRecord } from '../../src/trace/records';
import { BACKEND_REQUEST_COST, connectionsOf } from '../../src/xen/dom0/backends';
import type { Blkback } from '../../src/xen/dom0/blkback';
import type { Netback } from '../../src/xen/dom0/netback';
import { blkbacksOf } from '../../src/xen/dom0/blkback-service';
import { boot } from './guest';
import { writerGuest } from './blk-writer';

const root = path.resolve(__dirname, '..', '..');
const RUN = { maxInstructions: 5e6, untilTimeNs: 5e9 };

interface Run {
  sys: XenSystem;
  records: TraceRecord[];
  /** every back end that connected during the run (their statistics outlive the connection) */
  devices: Set<Blkback | Netback>;
}

function run(dir: string, names: string[], dom0: boolean): Run {
  const cfgs = names.map((n) => loadDomainConfigFile(path.join(dir, `${n}.cfg`)).config!);
  const sys = new XenSystem(cfgs, { dom0, pcpus: 2, memoryMiB: 512, nsPerInstruction: 1 });
  const records: TraceRecord[] = [];
  const devices = new Set<Blkback | Netback>();
  sys.trace.subscribe((r) => {
    records.push(r);
    for (const c of connectionsOf(sys.hv).values()) devices.add(c.device);
  });
  assert.strictEqual(sys.run(RUN).reason, 'finished');
  return { sys, records, devices };
}

/** Requests the back ends served: blkif requests, frames sent (a frame's delivery is part of its forwarding). */
const served = (devices: Set<Blkback | Netback>): number => [...devices].reduce((n, d) => n + ('txFrames' in d.stats ? d.stats.txFrames : d.stats.requests), 0);

const dom0Running = (records: TraceRecord[]): number => summarize(records).domains.get(0)?.vcpus.get(0)?.runstateNs.running ?? 0;

/** The Chrome trace's run slices of d0's vCPU that start at or after `from`, in ns. */
function dom0Slices(records: TraceRecord[], from: number): number {
  const events = JSON.parse(toChromeTrace(records)) as { traceEvents?: { ph: string; name: string; ts: number; args?: { domid?: number; ns?: number } }[] } | { ph: string }[];
  const list = Array.isArray(events) ? events : events.traceEvents ?? [];
  return list
    .filter((e): e is { ph: string; name: string; ts: number; args: { domid: number; ns: number } } => e.ph === 'X' && (e as { args?: { domid?: number } }).args?.domid === 0)
    .filter((e) => e.ts * 1000 >= from)
    .reduce((n, e) => n + e.args.ns, 0);
}

/** A guest that connects blkfront, runs `body`, then powers off. */
const blkGuest = (body: string): string => `bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"
_start:
    call xs_init
    call gnt_init
    call blk_init
${body}
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason
    HYPERCALL sched_op
    ud2
reason: dd SHUTDOWN_poweroff
%include "xenstore.inc"
%include "grant.inc"
%include "blkfront.inc"
align 4096
hypercall_page: times 4096 db 0
`;

describe('xen: dom0 runs its block and network back ends', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-d0be-'));
    for (const f of ['block.asm', 'block.cfg']) fs.copyFileSync(path.join(root, 'examples', 'block', f), path.join(tmp, f));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const freshDisk = () => fs.writeFileSync(path.join(tmp, 'disk.img'), Buffer.alloc(1 << 20));

  it('block: the kick wakes dom0, which serves the ring as d0v0 and notifies with its own EVTCHNOP_send', () => {
    freshDisk();
    const { sys, records, devices } = run(tmp, ['block'], true);
    const bound = sys.hv.domains.get(0)!.evtchns.filter((c) => c.state === 'interdomain' || c.state === 'unbound');
    assert.deepStrictEqual(bound, [], "the domain's teardown closed dom0's end of the channel");
    // a kick that finds dom0 descheduled (the first may come while dom0 still runs from the connect)
    let dom0On = false;
    let kick = -1;
    records.forEach((r, i) => {
      if (r.kind === 'schedule' && (r.domid === 0 || r.prevDomid === 0)) dom0On = r.domid === 0;
      if (kick < 0 && !dom0On && r.kind === 'event-send' && r.domid === 1 && r.channel === 'interdomain' && r.remoteDomid === 0) kick = i;
    });
    assert.ok(kick >= 0, 'the front end kicks a blocked dom0 over an interdomain channel (dom0 bound its port)');
    const after = records.slice(kick + 1);
    const scheduled = after.findIndex((r) => r.kind === 'schedule' && r.domid === 0);
    const notify = after.findIndex((r) => r.kind === 'event-send' && r.domid === 0 && r.remoteDomid === 1);
    assert.ok(scheduled >= 0, 'dom0 is scheduled after the kick');
    assert.ok(notify > scheduled, "dom0's notification comes after it was scheduled");
    const entry = after.slice(0, notify).reverse().find((r) => r.kind === 'hypercall-entry');
    assert.ok(entry && entry.kind === 'hypercall-entry' && entry.domid === 0 && entry.vcpu === 0 && entry.subop === 'EVTCHNOP_send', 'the notification is d0v0 sending');
    // the pCPU dom0 was put on is the one its notification is traced on
    const sched = after[scheduled];
    assert.strictEqual(after[notify].pcpu, sched.pcpu);
    assert.strictEqual(served(devices), 3, 'a write, a flush and a read');
  });

  it("block: dom0's running time holds the requests it served, in the summary and in the Chrome trace", () => {
    freshDisk();
    const withDom0 = run(tmp, ['block'], true);
    const kick = withDom0.records.find((r) => r.kind === 'event-send' && r.domid === 1 && r.channel === 'interdomain')!;
    const work = served(withDom0.devices) * BACKEND_REQUEST_COST;
    assert.ok(dom0Running(withDom0.records) >= work, `dom0 ran ${dom0Running(withDom0.records)} ns, its back-end work is ${work} ns`);
    assert.ok(dom0Slices(withDom0.records, kick.time) >= work, `dom0's slices after the first kick add up to ${dom0Slices(withDom0.records, kick.time)} ns, less than ${work}`);
    // the same I/O without dom0 (back ends in the sender's hypercall) leaves no dom0 time at all
    freshDisk();
    const without = run(tmp, ['block'], false);
    assert.strictEqual(served(without.devices), served(withDom0.devices));
    assert.strictEqual(dom0Running(without.records), 0);
  });

  it('network: dom0 forwards the frames, notifying both front ends itself', () => {
    const { records, devices } = run(path.join(root, 'examples', 'network'), ['ping', 'pong'], true);
    const frames = served(devices);
    assert.ok(frames >= 6, `three ping/pong pairs send at least 6 frames through netback (saw ${frames})`);
    for (const fe of [1, 2]) {
      assert.ok(
        records.some((r) => r.kind === 'event-send' && r.domid === 0 && r.remoteDomid === fe && r.channel === 'interdomain'),
        `dom0 notifies d${fe}`,
      );
    }
    assert.ok(dom0Running(records) >= frames * BACKEND_REQUEST_COST, `dom0 ran ${dom0Running(records)} ns for ${frames} frames`);
    // no front end's hypercall ran a back end: every kick is an interdomain send to dom0
    const kicks = records.filter((r) => r.kind === 'event-send' && r.domid !== 0 && r.remoteDomid === 0 && r.channel === 'interdomain');
    assert.ok(kicks.length > 0);
  });

  it('a front end that forges its ring index and then floods dom0 with kicks loses only its own disk', () => {
    const evil = blkGuest(`
    mov dword [blk_ring + blkif_sring.req_prod], 0x7fff0000
    mov ecx, 3000
.kick:
    push ecx
    mov eax, [blk_port]
    mov [blk_send], eax
    mov ebx, EVTCHNOP_send
    mov ecx, blk_send
    HYPERCALL event_channel_op
    pop ecx
    loop .kick`);
    const disk = (name: string) => {
      const f = path.join(tmp, `${name}.img`);
      fs.writeFileSync(f, Buffer.alloc(64 * 512));
      return `disk = ['format=raw, vdev=xvda, access=rw, target=${f}']`;
    };
    const b = boot([{ name: 'evil', source: evil, extra: disk('evil') }, { name: 'writer', source: writerGuest(16), extra: disk('writer') }], { dom0: true });
    b.sys.run({ maxInstructions: 20_000_000, untilTimeNs: 2e9 });
    assert.strictEqual(b.sys.domain(2).state, 'shutdown', 'the honest writer finished');
    assert.deepStrictEqual(b.console(2).filter((l) => l.startsWith('acked')).length, 16);
    const broken = blkbacksOf(b.sys.hv).get('1/51712')?.broken;
    assert.match(broken ?? '', /claims \d+ requests in a 32-slot ring/, "the forger's vbd stopped");
    assert.strictEqual(b.sys.domain(0).state, 'running', 'dom0 is still there');
    assert.strictEqual(b.sys.domain(1).state, 'shutdown', 'the forger ran to its end');
    assert.ok(b.records.filter((r) => r.kind === 'event-send' && r.domid === 1 && r.remoteDomid === 0).length >= 3000, 'every kick reached dom0');
  });

  it("a front end that closes its end first still leaves dom0's port free after its teardown", () => {
    const closer = blkGuest(`
    mov eax, [blk_port]
    mov [blk_send], eax
    mov ebx, EVTCHNOP_close
    mov ecx, blk_send
    HYPERCALL event_channel_op`);
    const img = path.join(tmp, 'closer.img');
    fs.writeFileSync(img, Buffer.alloc(64 * 512));
    const b = boot([{ name: 'closer', source: closer, extra: `disk = ['format=raw, vdev=xvda, access=rw, target=${img}']\non_poweroff = "destroy"` }], { dom0: true });
    b.sys.run({ maxInstructions: 5_000_000, untilTimeNs: 2e9 });
    const close = b.records.find((r) => r.kind === 'hypercall-exit' && r.domid === 1 && r.subop === 'EVTCHNOP_close');
    assert.ok(close && close.kind === 'hypercall-exit' && close.result === 0, 'EVTCHNOP_close of the interdomain port succeeded');
    assert.strictEqual(b.sys.domain(1).state, 'destroyed');
    const left = b.sys.hv.domains.get(0)!.evtchns.filter((c) => c.state === 'interdomain' || c.state === 'unbound');
    assert.deepStrictEqual(left, [], "dom0's end was freed with the device");
  });
});
