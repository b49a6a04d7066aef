// Stacks, function breakpoints on symbols, next and stepOut in guest code with real frames.
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchTo, useAdapter } from './helpers';
import { CALLS, guest } from './guests';

/** Line numbers in the guest file: the prelude is 3 lines, then CALLS. */
const line = (text: string) => 3 + CALLS.split('\n').findIndex((l) => l.trim() === text) + 1;

describe('debug/stepping in guest code (adapter process)', function () {
  this.timeout(30000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  async function stepped(req: Promise<unknown>): Promise<DebugProtocol.StackFrame[]> {
    const stopped = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
    await req;
    const s = await stopped;
    return (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames;
  }

  it('stops on a guest symbol, shows the EBP chain, steps out and over', async () => {
    const cfg = guest('calls', CALLS);
    const s = await launchTo(dc, { domains: [cfg] }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'inner' }, { name: 'no_such_symbol' }] }));
    assert.strictEqual(s.body.reason, 'function breakpoint');
    const t = s.body.threadId!;
    let frames = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames;
    // at inner's first instruction its frame is not built yet: step two instructions in
    frames = await stepped(dc.stepInRequest({ threadId: t, granularity: 'instruction' }));
    frames = await stepped(dc.stepInRequest({ threadId: t, granularity: 'instruction' }));
    assert.deepStrictEqual(
      frames.map((f) => [f.name.replace(/\+0x[0-9a-f]+$/, ''), f.line]),
      [
        ['inner', line('mov eax, 41')],
        ['outer', line('call inner')],
        ['_start', line('call outer')],
      ],
    );
    // a caller's frame shows its own eip and unwound esp/ebp, read-only
    const scopes = (await dc.scopesRequest({ frameId: frames[1].id })).body.scopes;
    const regs = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    const innerEbp = parseInt((await dc.evaluateRequest({ expression: 'ebp', frameId: frames[0].id, context: 'watch' })).body.result, 16);
    assert.strictEqual(parseInt(regs.find((v) => v.name === 'eip')!.value, 16), parseInt(frames[1].instructionPointerReference!.split(':').pop()!, 16));
    assert.strictEqual(parseInt(regs.find((v) => v.name === 'esp')!.value, 16), innerEbp + 8);
    assert.ok(regs.every((v) => v.presentationHint?.attributes?.includes('readOnly')));
    const outerEbp = (await dc.evaluateRequest({ expression: 'ebp == [d1.vcpu0.ebp]', frameId: frames[1].id, context: 'watch' })).body.result;
    assert.strictEqual(outerEbp, '0x1 (1)', "the caller's ebp is the one inner saved");
    // out of inner: back in outer just after the call, eax = 41
    frames = await stepped(dc.stepOutRequest({ threadId: t }));
    assert.strictEqual(frames[0].line, line('add eax, 1'));
    const eax = (await dc.evaluateRequest({ expression: 'eax', frameId: frames[0].id, context: 'watch' })).body.result;
    assert.strictEqual(eax, '0x29 (41)');
    // next by line walks outer's lines
    frames = await stepped(dc.nextRequest({ threadId: t }));
    assert.strictEqual(frames[0].line, line('pop ebp'));
    // step out of outer lands after `call outer` in _start
    frames = await stepped(dc.stepOutRequest({ threadId: t }));
    assert.strictEqual(frames[0].line, line('mov ebx, SCHEDOP_shutdown'));
    assert.strictEqual(frames.length, 1);
  });

  it('steps over a call by line without stopping inside it, sharing one pCPU with dom0', async () => {
    const cfg = guest('calls2', CALLS);
    const s = await launchTo(dc, { domains: [cfg], pcpus: 1 }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'outer' }] }));
    const t = s.body.threadId!;
    await stepped(dc.nextRequest({ threadId: t }));
    let frames = await stepped(dc.nextRequest({ threadId: t }));
    assert.strictEqual(frames[0].line, line('call inner'));
    // dom0 holds still while this vCPU runs the call alone
    const dom0Before = (await dc.evaluateRequest({ expression: 'd0.vcpu0.eip', frameId: frames[0].id, context: 'watch' })).body.result;
    frames = await stepped(dc.nextRequest({ threadId: t, singleThread: true }));
    assert.strictEqual(frames[0].line, line('add eax, 1'));
    assert.match(frames[0].name, /^outer/);
    assert.strictEqual((await dc.evaluateRequest({ expression: 'd0.vcpu0.eip', frameId: frames[0].id, context: 'watch' })).body.result, dom0Before);
  });
});
