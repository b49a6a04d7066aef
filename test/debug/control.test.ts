// Run control and the exception filters, through the adapter process on guests made here.
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'path';
import { launchTo, root, useAdapter } from './helpers';
import { FAULT, guest, SPIN } from './guests';



describe('debug/control (adapter process)', function () {
  this.timeout(30000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  it('pauses a spinning guest and continues it', async () => {
    const cfg = guest('spin', SPIN);
    const entry = await launchTo(dc, { domains: [cfg], stopOnEntry: true });
    const t = entry.body.threadId!;
    await dc.continueRequest({ threadId: t });
    // let it run a few slices, then pause
    await new Promise((r) => setTimeout(r, 100));
    const paused = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.pauseRequest({ threadId: t });
    const p = await paused;
    assert.strictEqual(p.body.reason, 'pause');
    const frame = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0];
    assert.match(frame.name, /^_start/);
    const eax = (await dc.evaluateRequest({ expression: 'eax', frameId: frame.id, context: 'watch' })).body.result;
    assert.ok(parseInt(eax, 16) > 1000, `the loop ran: eax = ${eax}`);
    // a step while stopped is one instruction
    const before = parseInt((await dc.evaluateRequest({ expression: 'eip', frameId: frame.id, context: 'watch' })).body.result, 16);
    const stepped = dc.waitForEvent('stopped', 10000);
    await dc.stepInRequest({ threadId: t, granularity: 'instruction' });
    await stepped;
    const f2 = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0];
    const after = parseInt((await dc.evaluateRequest({ expression: 'eip', frameId: f2.id, context: 'watch' })).body.result, 16);
    assert.notStrictEqual(after, before);
    // busy while running
    await dc.continueRequest({ threadId: t });
    await assert.rejects(dc.stepInRequest({ threadId: t }), /running; pause it first/);
    const again = dc.waitForEvent('stopped', 10000);
    await dc.pauseRequest({ threadId: t });
    await again;
  });

  it('stops on a guest fault and on the crash it causes, with exceptionInfo', async () => {
    const cfg = guest('fault', FAULT);
    const s = await launchTo(dc, { domains: [cfg] }, (c) => c.setExceptionBreakpointsRequest({ filters: ['fault', 'crash'] }));
    assert.strictEqual(s.body.reason, 'exception');
    assert.match(s.body.description!, /guest fault #UD at 0x[0-9a-f]+ in ring 1/);
    const info = await dc.exceptionInfoRequest({ threadId: s.body.threadId! });
    assert.strictEqual(info.body.exceptionId, 'fault');
    const crash = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: s.body.threadId! });
    const c = await crash;
    assert.strictEqual(c.body.reason, 'exception');
    assert.match(c.body.description!, /domain fault crashed/);
    // on_crash=destroy: continuing ends the run, and the domain's thread with it
    const threads: DebugProtocol.ThreadEvent[] = [];
    dc.on('thread', (e: DebugProtocol.ThreadEvent) => threads.push(e));
    const done = dc.waitForEvent('terminated', 10000);
    await dc.continueRequest({ threadId: c.body.threadId! });
    await done;
    assert.ok(threads.some((e) => e.body.reason === 'exited' && e.body.threadId === c.body.threadId), JSON.stringify(threads.map((e) => e.body)));
  });

  it('honours a condition on an exception filter', async () => {
    const cfg = guest('fault2', FAULT);
    const s = await launchTo(dc, { domains: [cfg] }, (c) =>
      c.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'fault', condition: 'vector == 13' }, { filterId: 'hypercall', condition: 'domid == 1 && nr == 99' }, { filterId: 'crash', condition: 'domid == 1' }] }),
    );
    // #UD is vector 6, so the fault filter does not stop; the crash does
    assert.match(s.body.description!, /crashed/);
  });

  it('stops on event delivery with a condition on the port (examples/timer)', async () => {
    const timer = path.join(root, 'examples', 'timer', 'timer.cfg');
    const s = await launchTo(dc, { domains: [timer] }, (c) => c.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'event', condition: 'port == 3 && upcall' }] }));
    assert.match(s.body.description!, /event delivery on port 3 \(VIRQ_TIMER\)/);
    const frames = (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames;
    assert.strictEqual(frames[0].name, 'xen: event upcall');
    const evtchn = (await dc.evaluateRequest({ expression: 'info evtchn', frameId: frames[0].id, context: 'repl' })).body.result;
    assert.match(evtchn, /^d1 timer port 3: virq VIRQ_TIMER vcpu0 pending/m);
    const keyR = (await dc.evaluateRequest({ expression: 'xl debug-keys r', frameId: frames[0].id, context: 'repl' })).body.result;
    assert.match(keyR, /^\(XEN\) d1v0 credit -?\d+ \(\w+/m);
    await assert.rejects(dc.evaluateRequest({ expression: 'xl debug-keys z', frameId: frames[0].id, context: 'repl' }), /not one xensim answers/);
  });

  it('stops on a ring transition from the guest kernel into Xen (examples/hello)', async () => {
    const hello = path.join(root, 'examples', 'hello', 'hello.cfg');
    const s = await launchTo(dc, { domains: [hello] }, (c) => c.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'ring', condition: 'from == 1 && to == 0' }] }));
    assert.match(s.body.description!, /ring 1 → 0 \(hypercall\)/);
    const info = await dc.exceptionInfoRequest({ threadId: s.body.threadId! });
    assert.strictEqual(info.body.exceptionId, 'ring');
  });

  it('stops on the ring 3 → 1 transition of a system call and steps into the bounce (examples/syscalls)', async () => {
    const cfg = path.join(root, 'examples', 'syscalls', 'syscalls.cfg');
    const s = await launchTo(dc, { domains: [cfg] }, (c) => c.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'ring', condition: 'from == 3 && domid == 1' }] }));
    assert.strictEqual(s.body.reason, 'exception');
    assert.match(s.body.description!, /ring 3 → [01]/);
    const t = s.body.threadId!;
    // the application's frame is under Xen's while the int 0x80 is bounced to the kernel
    const cpl = async () => {
      const f = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames;
      const v = (await dc.evaluateRequest({ expression: 'cpl', frameId: f[f.length - 1].id, context: 'watch' })).body.result;
      return { top: f[0].name, cpl: parseInt(v, 16) };
    };
    const before = await cpl();
    // stepping out of Xen lands in the kernel's int 0x80 handler, in ring 1
    const stopped = dc.waitForEvent('stopped', 10000);
    await dc.stepOutRequest({ threadId: t });
    await stopped;
    const after = await cpl();
    assert.strictEqual(after.cpl, 1, JSON.stringify({ before, after }));
    assert.doesNotMatch(after.top, /^xen:/);
  });
});
