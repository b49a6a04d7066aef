// Data breakpoints through the adapter process: dataBreakpointInfo (variable, expression,
// address), setDataBreakpoints (write, read, readWrite, condition, hit count, the debug
// register limit), on PV examples, across two domains, and on an HVM guest.
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'path';
import { launchTo, root, useAdapter } from './helpers';
import { evaluate, line, lineOf, stopAfter, timerAsm } from './hits';

const timer = path.join(root, 'examples', 'timer', 'timer.cfg');
const ping = path.join(root, 'examples', 'pingpong', 'ping.cfg');
const pong = path.join(root, 'examples', 'pingpong', 'pong.cfg');
const hvmHello = path.join(root, 'examples', 'hvm-hello', 'hvm-hello.cfg');

describe('debug/data breakpoints (adapter process)', function () {
  this.timeout(90000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  const info = (args: DebugProtocol.DataBreakpointInfoArguments) => dc.send('dataBreakpointInfo', args).then((r: DebugProtocol.DataBreakpointInfoResponse) => r.body);
  const setData = (breakpoints: DebugProtocol.DataBreakpoint[]) => dc.send('setDataBreakpoints', { breakpoints }).then((r: DebugProtocol.SetDataBreakpointsResponse) => r.body.breakpoints);

  async function timerWith(bp: Omit<DebugProtocol.DataBreakpoint, 'dataId'>): Promise<{ t: number; id: number; ticks: number }> {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true });
    const t = entry.body.threadId!;
    const ticks = await evaluate(dc, 'ticks', t);
    const i = await info({ name: 'ticks' });
    assert.strictEqual(i.dataId, `d1:gva:0x${ticks.toString(16)}/4`);
    const [b] = await setData([{ dataId: i.dataId!, ...bp }]);
    assert.strictEqual(b.verified, true, b.message);
    return { t, id: b.id!, ticks };
  }

  it('says it supports data breakpoints and byte ranges', async () => {
    const r = await dc.initializeRequest();
    assert.strictEqual(r.body?.supportsDataBreakpoints, true);
    assert.strictEqual(r.body?.supportsDataBreakpointBytes, true);
  });

  it('dataBreakpointInfo: an expression, an address with bytes, a register variable, and what cannot be watched', async () => {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true });
    const t = entry.body.threadId!;
    const ticks = await evaluate(dc, 'ticks', t);
    const byName = await info({ name: 'ticks' });
    assert.strictEqual(byName.dataId, `d1:gva:0x${ticks.toString(16)}/4`);
    assert.deepStrictEqual(byName.accessTypes, ['read', 'write', 'readWrite']);
    assert.match(byName.description, /dword at 0x[0-9a-f]+ \(.*ticks.*\) in d1 timer/);
    const asAddress = await info({ name: `0x${ticks.toString(16)}`, asAddress: true, bytes: 4 });
    assert.strictEqual(asAddress.dataId, byName.dataId);
    const byRef = await info({ name: `d1:gva:0x${ticks.toString(16)}`, asAddress: true, bytes: 2 });
    assert.strictEqual(byRef.dataId, `d1:gva:0x${ticks.toString(16)}/2`);
    const operand = await info({ name: 'byte [ticks+1]' });
    assert.strictEqual(operand.dataId, `d1:gva:0x${(ticks + 1).toString(16)}/1`);
    // a register of the Registers scope: the memory it points at
    const frame = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0];
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
    const regs = scopes.find((s) => s.name === 'Registers')!;
    const esi = await evaluate(dc, 'esi', t);
    const reg = await info({ name: 'esi', variablesReference: regs.variablesReference });
    assert.strictEqual(reg.dataId, `d1:gva:0x${esi.toString(16)}/4`);
    assert.match(reg.description, /\[esi\]/);
    const flags = (await dc.variablesRequest({ variablesReference: regs.variablesReference })).body.variables.find((v) => v.name === 'eflags')!;
    const zf = await info({ name: 'ZF', variablesReference: flags.variablesReference });
    assert.strictEqual(zf.dataId, null);
    assert.match(zf.description, /holds no address/);
    const system = scopes.find((s) => s.name === 'System')!;
    const cr3 = await info({ name: 'cr3', variablesReference: system.variablesReference });
    assert.strictEqual(cr3.dataId, null);
    assert.match(cr3.description, /cr3: .*guest-virtual/);
    const tooLong = await info({ name: 'ticks', bytes: 40 });
    assert.strictEqual(tooLong.dataId, null);
    assert.match(tooLong.description, /1 to 32 bytes/);
    const tooMany = await info({ name: 'ticks+1', asAddress: true, bytes: 30 });
    assert.strictEqual(tooMany.dataId, null);
    assert.match(tooMany.description, /needs \d+ debug registers/);
    const gpa = await info({ name: 'd1:gpa:0x1000', asAddress: true });
    assert.strictEqual(gpa.dataId, null);
    assert.match(gpa.description, /guest-virtual/);
    await assert.rejects(info({ name: 'no_such_symbol' }), /no_such_symbol/);
  });

  it('write: stops after each write with old → new, the hit id and the domain', async () => {
    const { t, id } = await timerWith({ accessType: 'write' });
    for (let n = 1; n <= 3; n++) {
      const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
      assert.strictEqual(s.body.reason, 'data breakpoint');
      assert.deepStrictEqual(s.body.hitBreakpointIds, [id]);
      assert.strictEqual(s.body.threadId, t);
      assert.match(s.body.description!, new RegExp(`write of dword at 0x[0-9a-f]+ \\(ticks\\) in d1 timer by vcpu0: 0x0000000${n - 1} → 0x0000000${n}`));
      assert.strictEqual(await evaluate(dc, 'dword [ticks]', t), n);
      // stopped after the inc, in the event callback
      assert.strictEqual(await line(dc, t), lineOf(timerAsm, 'inc dword [ticks]') + 1);
    }
  });

  it('read: stops at the reads and not at the writes; readWrite at both', async () => {
    const { t } = await timerWith({ accessType: 'read' });
    const reads = [lineOf(timerAsm, 'mov eax, [ticks]') + 1, lineOf(timerAsm, 'cmp dword [ticks], TICKS') + 1];
    for (let n = 0; n < 4; n++) {
      const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
      assert.strictEqual(s.body.reason, 'data breakpoint');
      assert.match(s.body.description!, /^data breakpoint: read of dword/);
      assert.strictEqual(await line(dc, t), reads[n % 2]);
      assert.strictEqual(await evaluate(dc, 'dword [ticks]', t), 1 + Math.floor(n / 2));
    }
  });

  it('readWrite: the write in the callback, then the two reads', async () => {
    const { t } = await timerWith({ accessType: 'readWrite' });
    const expect = [
      [lineOf(timerAsm, 'inc dword [ticks]') + 1, /write .*0x00000000 → 0x00000001/],
      [lineOf(timerAsm, 'mov eax, [ticks]') + 1, /read .*value 0x00000001/],
      [lineOf(timerAsm, 'cmp dword [ticks], TICKS') + 1, /read /],
      [lineOf(timerAsm, 'inc dword [ticks]') + 1, /write .*0x00000001 → 0x00000002/],
    ] as const;
    for (const [l, text] of expect) {
      const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
      assert.match(s.body.description!, text);
      assert.strictEqual(await line(dc, t), l);
    }
  });

  it('a condition (on value and old) picks the hit', async () => {
    const { t } = await timerWith({ accessType: 'write', condition: 'value == 3 && old == 2' });
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
    assert.strictEqual(await evaluate(dc, 'dword [ticks]', t), 3);
    assert.match(s.body.description!, /0x00000002 → 0x00000003/);
  });

  it('a hit count picks the hit', async () => {
    const { t } = await timerWith({ accessType: 'readWrite', hitCondition: '== 4' });
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
    // hits: write 1, read, read, write 2 (the fourth)
    assert.match(s.body.description!, /write .*0x00000001 → 0x00000002/);
  });

  it('stops on the access of the instruction under a breakpoint, and of a single step; reverse finds both', async () => {
    const incLine = lineOf(timerAsm, 'inc dword [ticks]');
    const { t } = await timerWith({ accessType: 'write' });
    await dc.setBreakpointsRequest({ source: { path: timerAsm }, breakpoints: [{ line: incLine }] });
    const stop = async (req: () => Promise<unknown>) => (await stopAfter(dc, req)).body;
    let s = await stop(() => dc.continueRequest({ threadId: t }));
    assert.deepStrictEqual([s.reason, await line(dc, t)], ['breakpoint', incLine]);
    // resuming steps the inc off the breakpoint: its write is the next stop
    s = await stop(() => dc.continueRequest({ threadId: t }));
    assert.strictEqual(s.reason, 'data breakpoint');
    assert.match(s.description!, /0x00000000 → 0x00000001/);
    assert.strictEqual(await line(dc, t), incLine + 1);
    s = await stop(() => dc.continueRequest({ threadId: t }));
    assert.deepStrictEqual([s.reason, await line(dc, t)], ['breakpoint', incLine]);
    s = await stop(() => dc.stepInRequest({ threadId: t, granularity: 'instruction' }));
    assert.strictEqual(s.reason, 'data breakpoint');
    assert.match(s.description!, /0x00000001 → 0x00000002/);
    // back: the breakpoint before that step, then the write the first resume made
    s = await stop(() => dc.customRequest('reverseContinue', { threadId: t }));
    assert.deepStrictEqual([s.reason, await line(dc, t), await evaluate(dc, 'dword [ticks]', t)], ['breakpoint', incLine, 1]);
    s = await stop(() => dc.customRequest('reverseContinue', { threadId: t }));
    assert.strictEqual(s.reason, 'data breakpoint');
    assert.match(s.description!, /^reverse: data breakpoint: write .*0x00000000 → 0x00000001/);
    assert.strictEqual(await line(dc, t), incLine + 1);
  });

  it('refuses a fifth debug register in a domain, and a bad dataId or access type, with a message', async () => {
    const entry = await launchTo(dc, { domains: [timer], stopOnEntry: true });
    const ticks = await evaluate(dc, 'ticks', entry.body.threadId!);
    assert.strictEqual(ticks % 4, 2, 'ticks is 2-aligned, so a dword there takes two debug registers');
    const free = (ticks + 14) & ~7; // 8-aligned, past ticks
    const at = (a: number, n: number) => `d1:gva:0x${a.toString(16)}/${n}`;
    const bps = await setData([
      { dataId: at(ticks, 4) }, // two registers (2 + 2 bytes)
      { dataId: at(free, 8) }, // one
      { dataId: at(free + 8, 4) }, // one: all four taken
      { dataId: at(free + 16, 4) }, // none left
      { dataId: at(ticks, 1), accessType: 'read' }, // none left
      { dataId: 'ticks' },
      { dataId: at(ticks, 4), accessType: 'execute' as DebugProtocol.DataBreakpointAccessType },
      { dataId: 'd9:gva:0x1000/4' },
    ]);
    assert.deepStrictEqual(bps.map((b) => b.verified), [true, true, true, false, false, false, false, false]);
    assert.match(bps[3].message!, /no debug register left in d1 timer: this range needs 1, 4 of the domain's 4 \(DR0–DR3\)/);
    assert.match(bps[5].message!, /not d<domid>:gva:<addr>\/<bytes>/);
    assert.match(bps[6].message!, /accessType 'execute'/);
    assert.match(bps[7].message!, /d9 does not exist/);
    // the verified ones still stop
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: entry.body.threadId! }));
    assert.strictEqual(s.body.reason, 'data breakpoint');
    assert.deepStrictEqual(s.body.hitBreakpointIds, [bps[0].id]);
  });

  it('are per domain: four in each of two domains, each stop in its own domain', async () => {
    const entry = await launchTo(dc, { domains: [ping, pong], stopOnEntry: true });
    // the toolstack builds pong after ping: its entry stop comes next
    if (!(await dc.threadsRequest()).body.threads.some((x) => x.name.startsWith('d2 '))) await stopAfter(dc, () => dc.continueRequest({ threadId: entry.body.threadId! }));
    const threads = (await dc.threadsRequest()).body.threads;
    const d1 = threads.find((x) => x.name.startsWith('d1 '))!.id;
    const d2 = threads.find((x) => x.name.startsWith('d2 '))!.id;
    const frameOf = async (t: number) => (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0].id;
    const i1 = await info({ name: 'msg_n', bytes: 1, frameId: await frameOf(d1) });
    const i2 = await info({ name: 'msg_n', bytes: 1, frameId: await frameOf(d2) });
    assert.match(i1.dataId!, /^d1:gva:/);
    assert.match(i2.dataId!, /^d2:gva:/);
    assert.match(i2.description, /in d2 pong/);
    const filler = (d: number, k: number) => ({ dataId: `d${d}:gva:0x${(0x180000 + 8 * k).toString(16)}/4` });
    const bps = await setData([{ dataId: i1.dataId! }, filler(1, 1), filler(1, 2), filler(1, 3), { dataId: i2.dataId! }, filler(2, 1), filler(2, 2), filler(2, 3)]);
    assert.ok(bps.every((b) => b.verified), JSON.stringify(bps));
    const seen: string[] = [];
    let t = d1;
    for (let n = 0; n < 4; n++) {
      const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
      t = s.body.threadId!;
      assert.strictEqual(s.body.reason, 'data breakpoint');
      const dom = Math.floor((t - 1) / 1000);
      assert.deepStrictEqual(s.body.hitBreakpointIds, [dom === 1 ? bps[0].id : bps[4].id]);
      assert.match(s.body.description!, new RegExp(`write of byte at 0x[0-9a-f]+ \\(msg_n\\) in d${dom} ${dom === 1 ? 'ping' : 'pong'}`));
      seen.push(`d${dom}`);
    }
    assert.ok(seen.includes('d1') && seen.includes('d2'), seen.join());
  });

  it('watch an HVM guest through its own addressing: a read of its message', async () => {
    const entry = await launchTo(dc, { domains: [hvmHello], stopOnEntry: true });
    const t = entry.body.threadId!;
    const message = await evaluate(dc, 'message', t);
    const i = await info({ name: 'message+1', asAddress: true, bytes: 1 });
    assert.strictEqual(i.dataId, `d1:gva:0x${(message + 1).toString(16)}/1`);
    assert.match(i.description, /byte at .*\(message\+1\) in d1 hvm-hello/);
    const [b] = await setData([{ dataId: i.dataId!, accessType: 'read' }]);
    assert.strictEqual(b.verified, true, b.message);
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
    assert.strictEqual(s.body.reason, 'data breakpoint');
    assert.match(s.body.description!, /read of byte at .* in d1 hvm-hello by vcpu0: value 0x65/); // 'e' of "Hello"
    // lodsb read it: esi is past it
    assert.strictEqual(await evaluate(dc, 'esi', t), message + 2);
    // the guest goes on normally afterwards (its own #DB handling untouched)
    const out: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => out.push(e.body.output));
    await setData([]);
    const end = dc.waitForEvent('terminated', 30000);
    await dc.continueRequest({ threadId: t });
    await end;
    assert.match(out.join(''), /Hello from an HVM guest, through the UART/);
  });
});
