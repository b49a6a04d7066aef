// More of the debugger through the adapter process on examples/hello: instruction breakpoints,
// logpoints and hit counts, memory writes, sources, thread events, the trace file, restart.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchTo, root, useAdapter } from './helpers';
import { fromJsonLine } from '../../src/trace/jsonl';
import { xtfDir } from '../loader/shared-dir';

const HELLO_CFG = path.join(root, 'examples', 'hello', 'hello.cfg');
const HELLO_ASM = path.join(root, 'examples', 'hello', 'hello.asm');

describe('debug/features on examples/hello (adapter process)', function () {
  this.timeout(30000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  it('stops on an instruction breakpoint set from a frame\'s instruction reference', async () => {
    const entry = await launchTo(dc, { domains: [HELLO_CFG], stopOnEntry: true });
    const t = entry.body.threadId!;
    const ref = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0].instructionPointerReference!;
    // the third instruction: two 5-byte movs on
    const r = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: ref, offset: 10 }, { instructionReference: 'nonsense' }] });
    assert.deepStrictEqual(
      r.body.breakpoints.map((b: DebugProtocol.Breakpoint) => b.verified),
      [true, false],
    );
    const hit = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: t });
    const s = await hit;
    assert.strictEqual(s.body.reason, 'instruction breakpoint');
    const frame = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0];
    assert.strictEqual(frame.line, 13);
    assert.strictEqual(frame.instructionPointerReference, ref.replace(/0x([0-9a-f]+)$/, (_m, h: string) => `0x${(parseInt(h, 16) + 10).toString(16)}`));
  });

  it('logs instead of stopping for a logpoint, and counts hits', async () => {
    const out: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => out.push(e.body.output));
    const s = await launchTo(dc, { domains: [HELLO_CFG] }, (c) =>
      c.setFunctionBreakpointsRequest({
        breakpoints: [
          { name: 'hypercall:*', condition: 'domid == 1', logMessage: 'hypercall {nr} from d{domid}' } as DebugProtocol.FunctionBreakpoint,
          { name: 'hypercall:*', condition: 'domid == 1', hitCondition: '2' },
        ],
      }),
    );
    assert.match(s.body.description!, /^hypercall sched_op/, 'the second hypercall is the one that stops');
    assert.ok(out.includes('hypercall 0x12 from d0x1\n'), out.join(''));
  });

  it('writes memory, says so, and reads it back', async () => {
    const entry = await launchTo(dc, { domains: [HELLO_CFG], stopOnEntry: true });
    const frame = (await dc.stackTraceRequest({ threadId: entry.body.threadId! })).body.stackFrames[0];
    const msg = (await dc.evaluateRequest({ expression: 'msg', frameId: frame.id, context: 'watch' })).body;
    const memEvent = dc.waitForEvent('memory', 5000);
    const w = await dc.customRequest('writeMemory', { memoryReference: msg.memoryReference, data: Buffer.from('Jello').toString('base64') });
    assert.strictEqual(w.body.bytesWritten, 5);
    await memEvent;
    const r = await dc.customRequest('readMemory', { memoryReference: msg.memoryReference, count: 5 });
    assert.strictEqual(Buffer.from(r.body.data, 'base64').toString(), 'Jello');
    // and the guest prints what is now there
    const out: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => out.push(e.body.output));
    const done = dc.waitForEvent('terminated', 10000);
    await dc.continueRequest({ threadId: entry.body.threadId! });
    await done;
    assert.ok(out.join('').includes('[hello] Jello from a PV guest'), out.join(''));
    // a bad reference is refused, naming the syntax; unmapped bytes are counted, not invented
    await assert.rejects(dc.customRequest('readMemory', { memoryReference: 'bogus', count: 1 }), /not a memory reference/);
    const hole = await dc.customRequest('readMemory', { memoryReference: 'd1:gva:0xfff00000', count: 16 });
    assert.deepStrictEqual([hole.body.address, hole.body.data, hole.body.unreadableBytes], ['0xfff00000', undefined, 16]);
  });

  it('lists loaded sources, announces threads as domains come and go, writes the trace', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-trace-'));
    const traceFile = path.join(dir, 'run.jsonl');
    const threads: DebugProtocol.ThreadEvent[] = [];
    const loaded: DebugProtocol.LoadedSourceEvent[] = [];
    dc.on('loadedSource', (e: DebugProtocol.LoadedSourceEvent) => loaded.push(e));
    dc.on('thread', (e: DebugProtocol.ThreadEvent) => threads.push(e));
    const entry = await launchTo(dc, { domains: ['hello.cfg'], cwd: path.dirname(HELLO_CFG), stopOnEntry: true, trace: traceFile });
    const sources = (await dc.customRequest('loadedSources', {})).body.sources as DebugProtocol.Source[];
    assert.ok(sources.some((s) => s.path === HELLO_ASM), JSON.stringify(sources));
    assert.ok(loaded.some((e) => e.body.reason === 'new' && e.body.source.path === HELLO_ASM), 'announced as the domain came');
    const done = dc.waitForEvent('terminated', 10000);
    await dc.continueRequest({ threadId: entry.body.threadId! });
    await done;
    assert.ok(threads.some((e) => e.body.reason === 'started' && e.body.threadId === 1001));
    assert.ok(threads.some((e) => e.body.reason === 'exited' && e.body.threadId === 1001), JSON.stringify(threads.map((e) => e.body)));
    const records = fs.readFileSync(traceFile, 'utf8').trim().split('\n').map(fromJsonLine);
    assert.ok(records.some((r) => r.kind === 'hypercall-entry' && r.name === 'console_io'));
    assert.ok(records.some((r) => r.kind === 'domain' && r.event === 'shutdown'));
  });

  it('restarts from the beginning with the same breakpoints', async () => {
    const first = await launchTo(dc, { domains: [HELLO_CFG] }, (c) => c.setBreakpointsRequest({ source: { path: HELLO_ASM }, breakpoints: [{ line: 16 }] }));
    assert.strictEqual(first.body.reason, 'breakpoint');
    const again = dc.waitForEvent('stopped', 10000) as Promise<DebugProtocol.StoppedEvent>;
    await dc.restartRequest({});
    const s = await again;
    assert.strictEqual(s.body.reason, 'breakpoint');
    const frame = (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames[0];
    assert.strictEqual(frame.line, 16);
  });

  it('debugs an unmodified XTF kernel: symbol breakpoint, DWARF line, console once per line', async function () {
    const cfg = path.join(xtfDir, 'test-pv32pae-example.cfg');
    if (!fs.existsSync(cfg)) this.skip();
    const out: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => out.push(e.body.output));
    const s = await launchTo(dc, { domains: [cfg] }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'test_main' }] }));
    assert.strictEqual(s.body.reason, 'function breakpoint');
    const frame = (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames[0];
    assert.strictEqual(frame.name, 'test_main');
    assert.ok(frame.line! > 0 && frame.source?.name === 'main.c', JSON.stringify(frame));
    // the file is not on this machine: its text comes by reference
    const text = await dc.sourceRequest({ sourceReference: frame.source!.sourceReference!, source: frame.source });
    assert.ok(text.body.content.length > 0);
    const lines = out.join('').split('\n').filter((l) => l.startsWith('[test-pv32pae-example]'));
    assert.strictEqual(lines.filter((l) => l.includes('--- Xen Test Framework ---')).length, 1, lines.join('\n'));
  });

  it('stops on a VM exit by reason with a condition on the guest\'s registers (XTF hvm32 example)', async function () {
    const cfg = path.join(xtfDir, 'test-hvm32-example.cfg');
    if (!fs.existsSync(cfg)) this.skip();
    const s = await launchTo(dc, { domains: [cfg] }, (c) =>
      c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'vmexit:VMCALL', condition: 'domid == 1 && eax == __HYPERVISOR_console_io' }] }),
    );
    assert.strictEqual(s.body.reason, 'function breakpoint');
    assert.match(s.body.description!, /VM exit VMCALL at 0x[0-9a-f]+/);
    const frame = (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames.find((f) => !f.name.startsWith('xen:'))!;
    const eax = (await dc.evaluateRequest({ expression: 'eax', frameId: frame.id, context: 'watch' })).body.result;
    assert.strictEqual(parseInt(eax, 16), 18);
  });
});
