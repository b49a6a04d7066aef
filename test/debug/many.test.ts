// Many breakpoints armed at once, through the adapter process: the one that is hit still stops,
// before its instruction, on the right domain's thread; pause still reaches a guest that spins
// with interrupts masked. (Their cost is measured in bench/debug.bench.ts, not here.)
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { armMixed, launchTo, useAdapter } from './helpers';
import { CLI_SPIN, deadCodeGuest, pvhGuest } from './guests';

/** Counts to 1000, then `mov ebx, 0x1234` (the line a breakpoint is set on), then spins. */
const COUNT_THEN_MARK = `_start:
    xor eax, eax
.loop:
    inc eax
    cmp eax, 1000
    jne .loop
    mov ebx, 0x1234
    jmp $`;

async function value(dc: DebugClient, threadId: number, expression: string): Promise<number> {
  const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  return parseInt((await dc.evaluateRequest({ expression, frameId: frame.id, context: 'watch' })).body.result, 16);
}

describe('debug: many breakpoints armed (adapter process)', function () {
  this.timeout(60000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  it('with 1,000 breakpoints of mixed kinds armed, the one that is hit stops before its instruction', async () => {
    const g = deadCodeGuest('many', COUNT_THEN_MARK);
    const markLine = g.loopLine(7);
    let markId = -1;
    const first = await launchTo(dc, { domains: [g.cfg] }, async (c) => {
      await armMixed(c, g, 1000);
      // the line breakpoints of that file are replaced by these: 400 on dead code and the mark
      const lines = [...Array.from({ length: 400 }, (_, i) => g.fnLine(i % 200, 1 + Math.floor(i / 200))), markLine];
      const set = await c.setBreakpointsRequest({ source: { path: g.asm }, breakpoints: lines.map((line) => ({ line })) });
      markId = set.body.breakpoints[400].id!;
    });
    assert.strictEqual(first.body.reason, 'breakpoint', first.body.description);
    assert.deepStrictEqual(first.body.hitBreakpointIds, [markId]);
    const t = first.body.threadId!;
    const frame = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0];
    assert.strictEqual(frame.line, markLine);
    assert.strictEqual(await value(dc, t, 'eax'), 1000, 'the loop ran to the end');
    assert.notStrictEqual(await value(dc, t, 'ebx'), 0x1234, 'the marked instruction has not executed');
    // one step executes it
    const stepped = dc.waitForEvent('stopped', 10000);
    await dc.stepInRequest({ threadId: t, granularity: 'instruction' });
    await stepped;
    assert.strictEqual(await value(dc, t, 'ebx'), 0x1234);
  });

  it('a breakpoint at an address two domains both execute stops only the domain it was set in', async () => {
    // The same loop at the same addresses in both; the breakpoint is on b's source line.
    const loop = `_start:
    xor eax, eax
.loop:
    inc eax
    add ecx, 2
    jmp .loop`;
    const a = deadCodeGuest('twina', loop);
    const b = deadCodeGuest('twinb', loop);
    const line = b.loopLine(5); // add ecx, 2
    let entry = await launchTo(dc, { domains: [a.cfg, b.cfg], stopOnEntry: true });
    // the toolstack builds them one after the other: each stops on entry
    const thread = async (re: RegExp) => (await dc.threadsRequest()).body.threads.find((x) => re.test(x.name))?.id;
    for (let i = 0; i < 2 && (!(await thread(/twina vcpu0$/)) || !(await thread(/twinb vcpu0$/))); i++) {
      const next = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
      await dc.continueRequest({ threadId: entry.body.threadId! });
      entry = await next;
    }
    const ta = (await thread(/twina vcpu0$/))!;
    const tb = (await thread(/twinb vcpu0$/))!;
    // both run their loops for a while, then the breakpoint goes in
    await dc.continueRequest({ threadId: entry.body.threadId! });
    await new Promise((r) => setTimeout(r, 300));
    const paused = dc.waitForEvent('stopped', 10000);
    await dc.pauseRequest({ threadId: entry.body.threadId! });
    await paused;
    const passesA = await value(dc, ta, 'eax');
    const passesB = await value(dc, tb, 'eax');
    assert.ok(passesA > 100 && passesB > 100, `both ran the loop at that address (${passesA}, ${passesB} passes)`);
    await dc.setBreakpointsRequest({ source: { path: b.asm }, breakpoints: [{ line }] });
    for (let i = 0; i < 3; i++) {
      const next = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
      await dc.continueRequest({ threadId: tb });
      const stop = await next;
      assert.strictEqual(stop.body.reason, 'breakpoint');
      assert.strictEqual(stop.body.threadId, tb, `stop ${i} is b's`);
      const frame = (await dc.stackTraceRequest({ threadId: tb })).body.stackFrames[0];
      assert.strictEqual(frame.line, line);
    }
    assert.ok((await value(dc, tb, 'eax')) - passesB <= 3, 'b stopped on each pass');
  });

  it('pause stops an HVM guest spinning with interrupts masked (cli; jmp $)', async () => {
    const entry = await launchTo(dc, { domains: [pvhGuest('cli', CLI_SPIN)], stopOnEntry: true });
    const t = entry.body.threadId!;
    await dc.continueRequest({ threadId: t });
    await new Promise((r) => setTimeout(r, 200));
    const paused = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.pauseRequest({ threadId: t });
    assert.strictEqual((await paused).body.reason, 'pause');
    assert.strictEqual(await value(dc, t, 'eip'), 0x100001, 'at the jmp $');
    assert.strictEqual((await value(dc, t, 'eflags')) & 0x200, 0, 'interrupts masked');
  });
});
