// reverseContinue against a forward recording: data breakpoints, conditions, hit counts and log
// points, each compared with the hits a forward run recorded (registers, the watched value).
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'path';
import { launchTo, root, useAdapter } from './helpers';
import { lineOf, stopAfter, timerAsm } from './hits';

const timer = path.join(root, 'examples', 'timer', 'timer.cfg');
const readLine = lineOf(timerAsm, 'mov eax, [ticks]');

interface Hit {
  threadId: number;
  reason: string;
  description: string;
  regs: Record<string, string>;
}

async function snapshot(dc: DebugClient, s: DebugProtocol.StoppedEvent): Promise<Hit> {
  const threadId = s.body.threadId!;
  const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  const regs: Record<string, string> = {};
  for (const r of ['eax', 'ebx', 'ecx', 'edx', 'esp', 'eip', 'eflags', 'dword [ticks]']) {
    // dom0 has no `ticks`
    regs[r] = await dc.evaluateRequest({ expression: r, frameId: frame.id, context: 'watch' }).then((x) => x.body.result, (e: Error) => e.message);
  }
  return { threadId, reason: s.body.reason, description: s.body.description ?? '', regs };
}

describe('debug/reverse with conditions, hit counts, log points and data breakpoints (adapter process)', function () {
  this.timeout(90000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  const cont = async (t: number) => snapshot(dc, await stopAfter(dc, () => dc.continueRequest({ threadId: t })));
  const back = async (t: number) => snapshot(dc, await stopAfter(dc, () => dc.customRequest('reverseContinue', { threadId: t })));
  const lineBp = (bp: Partial<DebugProtocol.SourceBreakpoint> = {}) => dc.setBreakpointsRequest({ source: { path: timerAsm }, breakpoints: [{ line: readLine, ...bp }] });

  /** Forward from entry, recording every hit of the breakpoints `setup` arms (until the run ends or `max`). */
  async function record(setup: () => Promise<unknown>, max: number): Promise<{ t: number; hits: Hit[] }> {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true }, setup);
    let t = entry.body.threadId!;
    const hits: Hit[] = [];
    for (let i = 0; i < max; i++) {
      const h = await cont(t);
      hits.push(h);
      t = h.threadId;
    }
    return { t, hits };
  }

  it('reverseContinue stops at each previous hit of a data breakpoint, as the forward run saw it', async () => {
    const dataId = async () => (await dc.send('dataBreakpointInfo', { name: 'ticks' })).body.dataId;
    const { t, hits } = await record(async () => undefined, 0);
    await dc.send('setDataBreakpoints', { breakpoints: [{ dataId: await dataId(), accessType: 'readWrite' }] });
    const forward: Hit[] = [];
    for (let i = 0; i < 7; i++) forward.push(await cont(t));
    assert.ok(forward.every((h) => h.reason === 'data breakpoint'));
    assert.strictEqual(hits.length, 0);
    for (let i = forward.length - 2; i >= 0; i--) {
      const h = await back(t);
      assert.strictEqual(h.reason, 'data breakpoint');
      assert.deepStrictEqual(h.regs, forward[i].regs, `registers at data hit ${i}`);
      assert.strictEqual(h.description, `reverse: ${forward[i].description}`);
    }
    const start = await stopAfter(dc, () => dc.customRequest('reverseContinue', { threadId: t }));
    assert.match(start.body.description ?? '', /start of the recorded history/);
    // and forward again replays the same hits
    assert.deepStrictEqual((await cont(t)).regs, forward[0].regs);
    assert.deepStrictEqual((await cont(t)).regs, forward[1].regs);
  });

  it('reverseContinue honours a data breakpoint’s hit count and condition', async () => {
    const { t } = await record(async () => undefined, 0);
    const dataId = (await dc.send('dataBreakpointInfo', { name: 'ticks' })).body.dataId;
    await dc.send('setDataBreakpoints', { breakpoints: [{ dataId, accessType: 'write', hitCondition: '% 2' }] });
    const second = await cont(t);
    const fourth = await cont(t);
    assert.match(second.description, /0x00000001 → 0x00000002/);
    assert.match(fourth.description, /0x00000003 → 0x00000004/);
    const h = await back(t);
    assert.deepStrictEqual(h.regs, second.regs);
    assert.strictEqual(h.description, `reverse: ${second.description}`);
    assert.deepStrictEqual((await cont(t)).regs, fourth.regs, 'forward counts on from the landing');
    // a condition on the old value: back from the fourth write to the one that wrote 2 over 1
    await dc.send('setDataBreakpoints', { breakpoints: [{ dataId, accessType: 'write', condition: 'old == 1' }] });
    assert.deepStrictEqual((await back(t)).regs, second.regs);
  });

  it('reverseContinue honours a condition: the previous hit where it holds', async () => {
    const { t, hits } = await record(() => lineBp(), 5);
    assert.deepStrictEqual(hits.map((h) => parseInt(h.regs['dword [ticks]'], 16)), [1, 2, 3, 4, 5]);
    await lineBp({ condition: 'dword [ticks] == 2 || dword [ticks] == 4' });
    assert.deepStrictEqual((await back(t)).regs, hits[3].regs);
    assert.deepStrictEqual((await back(t)).regs, hits[1].regs);
    const start = await stopAfter(dc, () => dc.customRequest('reverseContinue', { threadId: t }));
    assert.match(start.body.description ?? '', /start of the recorded history/);
    // forward from the start with the condition: the same two
    assert.deepStrictEqual((await cont(t)).regs, hits[1].regs);
    assert.deepStrictEqual((await cont(t)).regs, hits[3].regs);
  });

  it('reverseContinue honours a condition on a hypercall breakpoint', async () => {
    const fb = (condition?: string) => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:console_io', condition }] });
    const { t, hits } = await record(() => fb(), 5);
    await fb('domid == 1 && dword [ticks] == 2');
    // hits[0] is dom0's console_io ("dom0: ready"), then d1's tick 1, tick 2 …
    const h = await back(t);
    assert.strictEqual(h.reason, 'function breakpoint');
    assert.deepStrictEqual(h.regs, hits[2].regs);
    assert.strictEqual(parseInt(h.regs['dword [ticks]'], 16), 2);
    assert.match(h.description, /^reverse: hypercall console_io/);
  });

  it('reverseContinue honours a hit count (counted from the start), and forward counts on from the landing', async () => {
    const { t, hits } = await record(() => lineBp(), 5);
    await lineBp({ hitCondition: '% 2' });
    // from hit 5: the previous even hit is the 4th, then the 2nd
    assert.deepStrictEqual((await back(t)).regs, hits[3].regs);
    assert.deepStrictEqual((await back(t)).regs, hits[1].regs);
    // the count is back at 2 here: forward, hit 3 is skipped and hit 4 stops
    assert.deepStrictEqual((await cont(t)).regs, hits[3].regs);
  });

  it('reverseContinue does not stop at log points (nor at hits a condition rules out)', async () => {
    const { t, hits } = await record(() => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:set_timer_op' }] }), 3);
    await lineBp({ logMessage: 'ticks {dword [ticks]}' });
    const h = await back(t);
    assert.strictEqual(h.reason, 'function breakpoint');
    assert.deepStrictEqual(h.regs, hits[1].regs);
  });
});
