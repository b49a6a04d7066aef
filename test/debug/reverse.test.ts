// Reverse execution through the adapter process: stepBack, reverseContinue, xensim/travelTo.
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'path';
import { launchTo, root, useAdapter } from './helpers';

const timer = path.join(root, 'examples', 'timer', 'timer.cfg');

async function regs(dc: DebugClient, threadId: number): Promise<Record<string, string>> {
  const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  const out: Record<string, string> = {};
  for (const r of ['eax', 'ebx', 'ecx', 'esp', 'eip']) out[r] = (await dc.evaluateRequest({ expression: r, frameId: frame.id, context: 'watch' })).body.result;
  return out;
}

async function stopAfter(dc: DebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 20000) as Promise<DebugProtocol.StoppedEvent>;
  await request();
  return stopped;
}

describe('debug/reverse (adapter process)', function () {
  this.timeout(60000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  it('says it supports stepBack', async () => {
    const r = await dc.initializeRequest();
    assert.strictEqual(r.body?.supportsStepBack, true);
  });

  it('reverseContinue stops at exactly the previous hypercall hit, with its registers', async () => {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:sched_op' }] }));
    const hits: { threadId: number; regs: Record<string, string>; description?: string }[] = [];
    let t = entry.body.threadId!;
    for (let i = 0; i < 3; i++) {
      const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
      t = s.body.threadId!;
      hits.push({ threadId: t, regs: await regs(dc, t), description: s.body.description });
    }
    for (let i = hits.length - 2; i >= 0; i--) {
      const s = await stopAfter(dc, () => dc.customRequest('reverseContinue', { threadId: t }));
      assert.strictEqual(s.body.threadId, hits[i].threadId);
      assert.deepStrictEqual(await regs(dc, hits[i].threadId), hits[i].regs, `registers at hit ${i}`);
      t = s.body.threadId!;
    }
    // and forward again reaches the same next hit
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
    assert.deepStrictEqual(await regs(dc, s.body.threadId!), hits[1].regs);
  });

  it('stepBack (instruction) then stepIn returns to the same registers', async () => {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true });
    const t = entry.body.threadId!;
    for (let i = 0; i < 5; i++) await stopAfter(dc, () => dc.stepInRequest({ threadId: t, granularity: 'instruction' }));
    const here = await regs(dc, t);
    await stopAfter(dc, () => dc.stepInRequest({ threadId: t, granularity: 'instruction' }));
    const next = await regs(dc, t);
    assert.notDeepStrictEqual(next, here);
    const back = await stopAfter(dc, () => dc.customRequest('stepBack', { threadId: t, granularity: 'instruction' }));
    assert.strictEqual(back.body.reason, 'step');
    assert.deepStrictEqual(await regs(dc, t), here);
    await stopAfter(dc, () => dc.stepInRequest({ threadId: t, granularity: 'instruction' }));
    assert.deepStrictEqual(await regs(dc, t), next);
  });

  it('stepBack by line returns to where the previous line began', async () => {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true });
    const t = entry.body.threadId!;
    const seen: { line: number; regs: Record<string, string> }[] = [];
    const where = async () => (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0].line;
    for (let i = 0; i < 4; i++) {
      seen.push({ line: await where(), regs: await regs(dc, t) });
      await stopAfter(dc, () => dc.stepInRequest({ threadId: t }));
    }
    for (let i = seen.length - 1; i >= 1; i--) {
      await stopAfter(dc, () => dc.customRequest('stepBack', { threadId: t }));
      assert.strictEqual(await where(), seen[i].line, `line after stepping back to step ${i}`);
      assert.deepStrictEqual(await regs(dc, t), seen[i].regs);
    }
  });

  it('xensim/travelTo goes to an instruction count and refuses the future and bad arguments', async () => {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:sched_op' }] }));
    const t = entry.body.threadId!;
    const atEntry = await regs(dc, t);
    await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
    const ev = await stopAfter(dc, () => dc.customRequest('xensim/travelTo', { instructions: 0 }));
    assert.match(ev.body.description ?? '', /travelled to instruction 0/);
    await assert.rejects(dc.customRequest('xensim/travelTo', { instructions: 1e15 }), /has not happened yet/);
    await assert.rejects(dc.customRequest('xensim/travelTo', { record: 1, instructions: 1 }), /exactly one of/);
    assert.ok(atEntry.eip);
  });
});
