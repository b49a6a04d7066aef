// The ioreq round trip as Xen does it: the slot's states (READY → INPROCESS → IORESP_READY →
// NONE) seen from the guest's ioreq page, the vCPU blocked while dom0's device model works,
// the device model in dom0's context, string I/O one element per round trip, a device model
// that never answers, and a domain destroyed with a request in flight.
import * as assert from 'assert';
import { bootHvm, HvmBooted } from './hvm-guests';
import { hvmState } from '../../src/xen/hvm';
import { HVM_PARAM, IOREQ_STATE } from '../../src/xen/abi';
import type { IoreqRecord, TraceRecord } from '../../src/trace/records';
import { formatSummary, summarize } from '../../src/trace/summary';
import { toChromeTrace } from '../../src/trace/chrome';

/** vCPU 0's ioreq_t as the device model sees it in the shared page (hvm/ioreq.h offsets). */
function slot(b: HvmBooted, domid: number) {
  const d = b.sys.domain(domid);
  const gfn = Number(hvmState(d).params.get(HVM_PARAM.IOREQ_PFN));
  const s = Uint8Array.from(b.sys.readMemory(domid, 'gpa', gfn * 4096, 32).map((x) => x ?? 0));
  const dv = new DataView(s.buffer);
  return { addr: Number(dv.getBigUint64(0, true)), data: Number(dv.getBigUint64(8, true)), size: dv.getUint32(20, true), vpEport: dv.getUint32(24, true), state: s[30] & 0xf, dir: (s[30] >> 5) & 1, type: s[31] };
}

const ioreqAt = (phase: IoreqRecord['phase'], dir: IoreqRecord['dir']) => (r: TraceRecord) => r.kind === 'ioreq' && r.phase === phase && r.dir === dir && r.targetDomid === 1;

/** RTC register D (0x80: valid) read into al, with eax's upper bytes set beforehand */
const RTC_READ = `
    mov al, 0x0d
    out 0x70, al
    mov eax, 0x12345600
    in al, 0x71
    mov [results], eax`;

describe('HVM ioreqs: the round trip to the device model in dom0', function () {
  this.timeout(30_000);

  it('walks the slot through READY, IORESP_READY and NONE while the vCPU waits blocked and dom0 serves it', () => {
    const b = bootHvm([{ name: 'rtc', body: RTC_READ }], { dom0: true });
    let stop = b.sys.run({ maxInstructions: 2e6, stopOn: ioreqAt('send', 'read') });
    assert.strictEqual(stop.reason, 'trace');
    // posted: READY, the read of port 0x71, its vp_eport an interdomain channel to dom0
    const posted = slot(b, 1);
    assert.deepStrictEqual({ addr: posted.addr, size: posted.size, state: posted.state, dir: posted.dir, type: posted.type }, { addr: 0x71, size: 1, state: IOREQ_STATE.READY, dir: 1, type: 0 });
    const ch = b.sys.domain(1).evtchns[posted.vpEport];
    assert.ok(ch && ch.state === 'interdomain' && ch.remoteDom === 0, `vp_eport ${posted.vpEport} is bound to dom0`);
    assert.strictEqual(b.sys.vcpus(1)[0].runstate, 'blocked', 'the vCPU waits for the device model');
    assert.match(b.sys.vcpus(1)[0].activity?.description ?? '', /waiting for the device model: port read 0x71\/1 \(rtc\)/);
    // the guest's al is untouched until the answer comes
    assert.strictEqual(b.sys.cpuState(1, 0).r[0] >>> 0, 0x12345600);

    stop = b.sys.run({ maxInstructions: 2e6, stopOn: ioreqAt('dm', 'read') });
    assert.strictEqual(stop.reason, 'trace');
    const dm = stop.reason === 'trace' ? stop.record : undefined;
    assert.ok(dm && dm.kind === 'ioreq' && dm.domid === 0 && dm.vcpu === 0, 'the device model runs as d0v0');
    const answered = slot(b, 1);
    assert.deepStrictEqual({ state: answered.state, data: answered.data }, { state: IOREQ_STATE.IORESP_READY, data: 0x80 });

    stop = b.sys.run({ maxInstructions: 2e6, stopOn: ioreqAt('complete', 'read') });
    assert.strictEqual(stop.reason, 'trace');
    assert.strictEqual(slot(b, 1).state, IOREQ_STATE.NONE);
    assert.strictEqual(b.sys.cpuState(1, 0).r[0] >>> 0, 0x12345680, 'IN wrote al only');

    b.sys.run({ maxInstructions: 2e6 });
    assert.strictEqual(b.result(1, 0), 0x12345680);
    // the trip in order: exit, send, dom0 notified, dom0 serves and notifies back, completion, entry
    const trip = b.records.filter((r) => (r.kind === 'ioreq' && r.dir === 'read') || (r.kind === 'event-send' && (r.domid === 0 || r.domid === 1)) || (r.kind === 'vm-entry' && r.domid === 1));
    const i = trip.findIndex(ioreqAt('send', 'read'));
    assert.deepStrictEqual(
      trip.slice(i - 0, i + 5).map((r) => `${r.kind}${r.kind === 'ioreq' ? `:${r.phase}` : ''} d${r.domid}`),
      ['ioreq:send d1', 'event-send d1', 'ioreq:dm d0', 'event-send d0', 'ioreq:complete d1'],
    );
    const entry = b.records.slice(b.records.findIndex(ioreqAt('complete', 'read'))).find((r) => r.kind === 'vm-entry' && r.domid === 1);
    assert.ok(entry && entry.kind === 'vm-entry' && entry.exitCycles! > 0, 'the entry after the completion counts the cycles the exit took');
  });

  it('charges the device model to dom0: the HVM vCPU does not run while it waits', () => {
    const b = bootHvm([{ name: 'rtc', body: RTC_READ }], { dom0: true });
    b.sys.run({ maxInstructions: 2e6 });
    const dms = b.records.filter((r): r is IoreqRecord => r.kind === 'ioreq' && r.phase === 'dm');
    assert.strictEqual(dms.length, hvmState(b.sys.domain(1)).ioreqs);
    assert.ok(dms.every((r) => r.domid === 0));
    assert.ok(b.sys.vcpus(0)[0].runstateTime.running > 0);
    // the Chrome export shows the device model's step on dom0's row
    const chrome = JSON.parse(toChromeTrace(b.records, b.sys.now())) as { traceEvents: { name: string; args?: { domid?: number; target?: string } }[] };
    const dmEvents = chrome.traceEvents.filter((e) => e.name === 'ioreq dm rtc');
    assert.strictEqual(dmEvents.length, dms.length);
    assert.ok(dmEvents.every((e) => e.args?.domid === 0 && e.args.target === 'd1v0'));
  });

  it('moves rep insb/outsb one element per round trip, the device model writing guest memory for INS', () => {
    const b = bootHvm(
      [
        {
          name: 'str',
          body: `
    mov al, 0x0d
    out 0x70, al
    mov dx, 0x71
    mov edi, buf
    mov ecx, 4
    cld
    rep insb
    mov [results], ecx
    mov eax, [buf]
    mov [results + 4], eax
    mov dx, 0x3f8
    mov esi, text
    mov ecx, 3
    rep outsb`,
          tail: `buf: dd 0\ntext: db "hi", 10`,
        },
      ],
      { dom0: true },
    );
    b.sys.run({ maxInstructions: 2e6 });
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1), 0x80808080);
    assert.deepStrictEqual(b.console(1), ['hi']);
    const str = b.records.filter((r) => r.kind === 'vm-exit' && r.domid === 1 && ((r.qualification ?? 0) & 0x30) === 0x30);
    assert.strictEqual(str.length, 4 + 3, 'a string I/O exit (rep, string bits) per element');
    const ins = b.records.filter((r): r is IoreqRecord => r.kind === 'ioreq' && r.phase === 'send' && r.addr === 0x71 && r.dataIsPtr);
    assert.strictEqual(ins.length, 4, 'INS elements go by data_is_ptr');
  });

  it('keeps the vCPU blocked while the device model never answers; the other domains run on', () => {
    const b = bootHvm(
      [
        { name: 'stuck', body: RTC_READ },
        { name: 'free', body: `    mov al, 'o'\n    out 0xe9, al\n    mov al, 'k'\n    out 0xe9, al\n    mov al, 10\n    out 0xe9, al` },
      ],
      { dom0: true },
    );
    let stop = b.sys.run({ maxInstructions: 2e6, stopOn: ioreqAt('send', 'write') });
    assert.strictEqual(stop.reason, 'trace');
    hvmState(b.sys.domain(1)).ioreq!.state.stalled = true;
    stop = b.sys.run({ maxInstructions: 3e6, untilTimeNs: 50e6 });
    assert.deepStrictEqual(b.console(2), ['ok']);
    assert.strictEqual(b.sys.domain(2).shutdownReason, 'poweroff');
    assert.strictEqual(b.sys.domain(1).state, 'running');
    assert.strictEqual(b.sys.vcpus(1)[0].runstate, 'blocked');
    assert.strictEqual(slot(b, 1).state, IOREQ_STATE.READY);
    assert.strictEqual(b.sys.vcpus(0)[0].runstate, 'blocked', 'dom0 does not spin on a request it will not serve');
    assert.ok(!b.records.some((r) => r.kind === 'ioreq' && r.phase === 'dm' && r.targetDomid === 1 && r.addr === 0x70));
  });

  it('tears the ioreq server down when the domain is destroyed with a request in flight', () => {
    const b = bootHvm([{ name: 'doomed', body: RTC_READ }, { name: 'other', body: `    mov dx, 0x3f8\n    mov al, 'k'\n    out dx, al\n    mov al, 10\n    out dx, al` }], { dom0: true });
    const stop = b.sys.run({ maxInstructions: 2e6, stopOn: ioreqAt('send', 'write') });
    assert.strictEqual(stop.reason, 'trace');
    const d = b.sys.domain(1);
    const server = hvmState(d).ioreq!;
    const remote = server.state.ports[0].remote;
    b.sys.hv.destroyDomain(d);
    const next = b.sys.run({ maxInstructions: 3e6, untilTimeNs: 50e6 });
    assert.notStrictEqual(next.reason, 'budget');
    assert.strictEqual(d.state, 'destroyed');
    assert.deepStrictEqual(b.console(2), ['k'], 'the other domain still has its device model');
    assert.ok(!b.records.some((r) => r.kind === 'ioreq' && r.phase !== 'send' && r.targetDomid === 1 && r.addr === 0x70), 'nobody serves or completes the dead request');
    assert.ok(!b.sys.hv.dom0Services.some((s) => s.hasWork()), 'dom0 has nothing left to serve');
    const d0 = b.sys.domain(0);
    assert.ok(d0.evtchns[remote].state !== 'interdomain', "dom0's end is no longer bound");
    assert.ok(!b.sys.hv.xenConsumers.has(`1:${server.state.ports[0].eport}`));
  });

  it('traces exit → entry times: the summary’s exit time by reason is the entries’ exitCycles, a device model trip costing more than an exit Xen handles', () => {
    const b = bootHvm([{ name: 'mix', body: `    xor eax, eax\n    cpuid\n    xor eax, eax\n    cpuid\n${RTC_READ}\n    mov dx, 0x3f8\n    mov al, 10\n    out dx, al` }], { dom0: true, nsPerInstruction: 1 });
    b.sys.run({ maxInstructions: 2e6 });
    const s = summarize(b.records, b.sys.now());
    const exits = s.domains.get(1)!.vcpus.get(0)!.vmExits;
    // each exit's entry says how long it took; per reason they add up to the summary's time
    const byReason = new Map<string, number>();
    let open: string | null = null;
    for (const r of b.records) {
      if (r.domid !== 1) continue;
      if (r.kind === 'vm-exit') open = r.reasonName;
      else if (r.kind === 'vm-entry' && open) {
        byReason.set(open, (byReason.get(open) ?? 0) + r.exitCycles!);
        open = null;
      }
    }
    const cpuid = exits.get('EXIT_REASON_CPUID')!;
    const io = exits.get('EXIT_REASON_IO_INSTRUCTION')!;
    assert.deepStrictEqual([cpuid.count, io.count], [2, 3]);
    assert.strictEqual(cpuid.ns, byReason.get('EXIT_REASON_CPUID'));
    assert.strictEqual(io.ns, byReason.get('EXIT_REASON_IO_INSTRUCTION'));
    assert.ok(io.ns / io.count > cpuid.ns / cpuid.count, `a round trip (${io.ns / io.count} ns) outlasts a CPUID exit (${cpuid.ns / cpuid.count} ns)`);
    const text = formatSummary(s);
    assert.match(text, /EXIT_REASON_IO_INSTRUCTION\s+3\s/);
    assert.match(text, /ioreqs: sent 3, served as device model 0/);
    assert.match(text, /ioreqs: sent 0, served as device model 3/);
  });

  it('crashes a guest that scribbles on its own ioreq slot, and only that guest', () => {
    const b = bootHvm(
      [
        // the ioreq page is special pfn 5 below 0xff000 (xc_dom's layout), mapped in the guest
        { name: 'scribbler', body: `    mov byte [0xfeffd000 + 30], 3\n    mov dx, 0x3f8\n    mov al, 'x'\n    out dx, al` },
        { name: 'fine', body: `    mov dx, 0x3f8\n    mov al, 'y'\n    out dx, al\n    mov al, 10\n    out dx, al` },
      ],
      { dom0: true },
    );
    b.sys.run({ maxInstructions: 3e6, untilTimeNs: 50e6 });
    assert.strictEqual(Number(hvmState(b.sys.domain(1)).params.get(HVM_PARAM.IOREQ_PFN)), 0xfeffd);
    assert.strictEqual(b.sys.domain(1).state, 'crashed');
    assert.ok(b.console(1).some((l) => /ioreq slot of vCPU 0 is busy/.test(l)), b.console(1).join('\n'));
    assert.deepStrictEqual(b.console(2), ['y']);
    assert.ok(!b.sys.hv.dom0Services.some((s) => s.hasWork()));
  });
});
