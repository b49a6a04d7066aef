// The real adapter process on examples/hello, through DebugClient: what a user of the debugger
// does, checked against what the guest source and Xen's ABI say must happen.
import * as assert from 'assert';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { launchTo, root, useAdapter } from './helpers';
import { CONSOLEIO, HYPERCALL } from '../../src/xen/abi';

const HELLO_CFG = path.join(root, 'examples', 'hello', 'hello.cfg');
const HELLO_ASM = path.join(root, 'examples', 'hello', 'hello.asm');
const MESSAGE = 'Hello from a PV guest on xensim!\n';


async function registers(dc: DebugClient, frameId: number): Promise<Record<string, DebugProtocol.Variable>> {
  const scopes = await dc.scopesRequest({ frameId });
  const reg = scopes.body.scopes.find((s) => s.name === 'Registers')!;
  const vars = await dc.variablesRequest({ variablesReference: reg.variablesReference });
  return Object.fromEntries(vars.body.variables.map((v) => [v.name, v]));
}

const num = (v: DebugProtocol.Variable) => parseInt(v.value, 16);

async function stepAndWait(dc: DebugClient, step: Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped', 15000) as Promise<DebugProtocol.StoppedEvent>;
  await step;
  return stopped;
}

describe('debug/session on examples/hello (adapter process)', function () {
  this.timeout(30000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  it('stops on hypercall:console_io with Xen\'s arguments in ebx, ecx, edx', async () => {
    // dom0 writes to its console too: the condition picks the guest's call
    const s = await launchTo(dc, { domains: [HELLO_CFG] }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:console_io', condition: 'domid == 1' }] }));
    assert.strictEqual(s.body.reason, 'function breakpoint');
    assert.strictEqual(s.body.allThreadsStopped, true);
    assert.match(s.body.description!, /^hypercall console_io\(CONSOLEIO_write, count=33, buffer=0x[0-9a-f]+\)$/);
    const threads = await dc.threadsRequest();
    assert.ok(threads.body.threads.some((t) => t.id === s.body.threadId && t.name === 'd1 hello vcpu0'), JSON.stringify(threads.body.threads));
    assert.ok(threads.body.threads.some((t) => t.name === 'd0 Domain-0 vcpu0'), 'dom0 is a thread too');
    const st = await dc.stackTraceRequest({ threadId: s.body.threadId! });
    const frames = st.body.stackFrames;
    assert.match(frames[0].name, /^xen: console_io\(CONSOLEIO_write, count=33/);
    // under Xen: the hypercall-page stub, then the HYPERCALL line of _start
    assert.strictEqual(frames[1].name, `hypercall_page[${HYPERCALL.console_io}]`);
    assert.strictEqual(frames[2].source?.path, HELLO_ASM);
    assert.strictEqual(frames[2].line, 14);
    const r = await registers(dc, frames[0].id);
    assert.strictEqual(num(r.eax), HYPERCALL.console_io);
    assert.strictEqual(num(r.ebx), CONSOLEIO.write);
    assert.strictEqual(num(r.ecx), MESSAGE.length);
    // edx points at the message: read it through the memory reference the register carries
    const mem = await dc.customRequest('readMemory', { memoryReference: r.edx.memoryReference, count: MESSAGE.length });
    assert.strictEqual(Buffer.from(mem.body.data, 'base64').toString('latin1'), MESSAGE);
    assert.strictEqual(r.CPL.value, '1');
  });

  it('stops on a hypercall only when its condition on the arguments holds', async () => {
    const output: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const s = await launchTo(dc, { domains: [HELLO_CFG] }, (c) =>
      c.setFunctionBreakpointsRequest({
        breakpoints: [
          { name: 'hypercall:console_io', condition: 'domid == 1 && count == 99' },
          { name: 'hypercall:sched_op', condition: 'cmd == SCHEDOP_shutdown && reason == SHUTDOWN_poweroff && ebx == 2' },
        ],
      }),
    );
    assert.match(s.body.description!, /^hypercall sched_op\(SCHEDOP_shutdown/);
    // console_io ran without stopping: its output is already out
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(output.join('').includes(`[hello] ${MESSAGE}`), output.join(''));
    const done = dc.waitForEvent('terminated', 15000);
    await dc.continueRequest({ threadId: s.body.threadId! });
    await done;
  });

  it('verifies a line breakpoint when its domain is built, moving it to code, and stops there', async () => {
    let bps: DebugProtocol.Breakpoint[] = [];
    const changed: DebugProtocol.Breakpoint[] = [];
    dc.on('breakpoint', (e: DebugProtocol.BreakpointEvent) => changed.push(e.body.breakpoint));
    const s = await launchTo(dc, { domains: [HELLO_CFG] }, async (c) => {
      bps = (await c.setBreakpointsRequest({ source: { path: HELLO_ASM }, breakpoints: [{ line: 15 }, { line: 2 }] })).body.breakpoints;
    });
    // dom0's toolstack builds the domU after launch: verified then, by a breakpoint event
    const final = (id: number | undefined) => changed.filter((b) => b.id === id).pop() ?? bps.find((b) => b.id === id)!;
    assert.deepStrictEqual(
      bps.map((b) => final(b.id)).map((b) => [b.verified, b.line]),
      [
        [true, 16],
        [true, 11],
      ],
      'lines without code move to the next line with code',
    );
    assert.strictEqual(s.body.reason, 'breakpoint');
    assert.deepStrictEqual(s.body.hitBreakpointIds, [bps[1].id]);
    const second = await stepAndWait(dc, dc.continueRequest({ threadId: s.body.threadId! }));
    assert.deepStrictEqual(second.body.hitBreakpointIds, [bps[0].id]);
    const st = await dc.stackTraceRequest({ threadId: s.body.threadId! });
    assert.strictEqual(st.body.stackFrames[0].line, 16);
    assert.strictEqual(st.body.stackFrames[0].name, '_start+0x14', 'after three 5-byte movs and the 5-byte call');
  });

  it('steps into a hypercall and out of it with the result in eax', async () => {
    const s = await launchTo(dc, { domains: [HELLO_CFG], stopOnEntry: true }, (c) => c.setBreakpointsRequest({ source: { path: HELLO_ASM }, breakpoints: [{ line: 14 }] }));
    assert.strictEqual(s.body.reason, 'entry');
    const t = s.body.threadId!;
    let st = await dc.stackTraceRequest({ threadId: t });
    assert.strictEqual(st.body.stackFrames[0].line, 11, 'entry is before the first instruction');
    const hit = await stepAndWait(dc, dc.continueRequest({ threadId: t }));
    assert.strictEqual(hit.body.reason, 'breakpoint');
    await stepAndWait(dc, dc.stepInRequest({ threadId: t }));
    st = await dc.stackTraceRequest({ threadId: t });
    assert.match(st.body.stackFrames[0].name, /^xen: console_io\(CONSOLEIO_write/);
    await stepAndWait(dc, dc.stepOutRequest({ threadId: t }));
    st = await dc.stackTraceRequest({ threadId: t });
    assert.doesNotMatch(st.body.stackFrames[0].name, /^xen:/);
    const r = await registers(dc, st.body.stackFrames[0].id);
    // Xen's console_io write returns 0 (xen/drivers/char/console.c)
    assert.strictEqual(num(r.eax), 0);
    // next by line from the stub's return finishes the stub; by line again reaches line 16
    await stepAndWait(dc, dc.nextRequest({ threadId: t, granularity: 'instruction' }));
    st = await dc.stackTraceRequest({ threadId: t });
    assert.strictEqual(st.body.stackFrames[0].line, 16);
  });

  it('shows the four scopes and changes a register', async () => {
    const s = await launchTo(dc, { domains: [HELLO_CFG], stopOnEntry: true });
    const t = s.body.threadId!;
    const frame = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0];
    const scopes = (await dc.scopesRequest({ frameId: frame.id })).body.scopes;
    assert.deepStrictEqual(
      scopes.map((x) => x.name),
      ['Registers', 'Segments', 'System', 'Xen'],
    );
    assert.strictEqual(scopes[0].presentationHint, 'registers');
    const get = async (i: number) => (await dc.variablesRequest({ variablesReference: scopes[i].variablesReference })).body.variables;
    const segs = await get(1);
    assert.match(segs.find((v) => v.name === 'cs')!.value, /^0xe019 code, readable.*DPL 1/);
    const sys = await get(2);
    assert.match(sys.find((v) => v.name === 'cr4')!.value, /\[.*PAE.*\]/);
    const xen = await get(3);
    assert.match(xen.find((v) => v.name === 'domain')!.value, /^d1 hello/);
    assert.ok(['runstate', 'event channels', 'credit'].every((n) => xen.some((v) => v.name === n)), JSON.stringify(xen.map((v) => v.name)));
    const reg = await get(0);
    const eflags = reg.find((v) => v.name === 'eflags')!;
    const flags = (await dc.variablesRequest({ variablesReference: eflags.variablesReference })).body.variables;
    assert.ok(['CF', 'ZF', 'IF', 'IOPL'].every((n) => flags.some((f) => f.name === n)));
    const set = await dc.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'eax', value: '0x1234' });
    assert.strictEqual(set.body.value, '0x00001234');
    const cf = await dc.setVariableRequest({ variablesReference: eflags.variablesReference, name: 'CF', value: '1' });
    assert.strictEqual(cf.body.value, '1');
    const r = await registers(dc, frame.id);
    assert.strictEqual(num(r.eax), 0x1234);
    assert.strictEqual(num(r.eflags) & 1, 1);
    await assert.rejects(dc.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'CPL', value: '0' }), /cannot be changed/);
  });

  it('evaluates registers, symbols and memory, and runs REPL commands', async () => {
    const s = await launchTo(dc, { domains: [HELLO_CFG] }, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall:console_io', condition: 'domid == 1' }] }));
    const frame = (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames[1];
    const ev = async (expression: string, context = 'watch') => (await dc.evaluateRequest({ expression, frameId: frame.id, context })).body.result;
    assert.match(await ev('ecx'), /^0x21 \(33\)/);
    assert.strictEqual(await ev('msg == edx'), '0x1 (1)');
    assert.strictEqual(await ev('byte [msg]'), `0x${'H'.charCodeAt(0).toString(16)} (72)`);
    assert.strictEqual(await ev('d1.vcpu0.ecx'), '0x21 (33)');
    assert.match(await ev('xl list', 'repl'), /hello\s+1\s/);
    const pt = await ev('info pt msg', 'repl');
    const m = /gva (0x[0-9a-f]+) -> gpa (0x[0-9a-f]+) -> ma (0x[0-9a-f]+)/.exec(pt);
    assert.ok(m, pt);
    // the same bytes through all three address spaces
    const read = async (memoryReference: string) => Buffer.from((await dc.customRequest('readMemory', { memoryReference, count: 64 })).body.data, 'base64').toString('hex');
    const viaGva = await read(`d1:gva:${m[1]}`);
    assert.strictEqual(await read(`d1:gpa:${m[2]}`), viaGva);
    assert.strictEqual(await read(`ma:${m[3]}`), viaGva);
    await assert.rejects(dc.evaluateRequest({ expression: 'eax +', frameId: frame.id, context: 'watch' }), /ends too soon/);
  });

  it('disassembles around the stop with symbols and lines', async () => {
    const s = await launchTo(dc, { domains: [HELLO_CFG], stopOnEntry: true });
    const frame = (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames[0];
    const d = await dc.customRequest('disassemble', { memoryReference: frame.instructionPointerReference, instructionOffset: 0, instructionCount: 6, resolveSymbols: true });
    const ins = d.body.instructions as DebugProtocol.DisassembledInstruction[];
    assert.strictEqual(ins.length, 6);
    assert.strictEqual(ins[0].symbol, '_start');
    assert.strictEqual(ins[0].line, 11);
    assert.match(ins[0].instruction, /^mov\s+ebx,0x0$/);
    assert.match(ins[3].instruction, /^call\s+0x[0-9a-f]+$/);
    assert.strictEqual(BigInt(ins[1].address) - BigInt(ins[0].address), 5n);
  });
});
