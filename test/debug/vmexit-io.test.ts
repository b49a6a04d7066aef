// A VM exit IO_INSTRUCTION at port 0x3F8 in examples/hvm-hello, through the adapter process:
// the `vmexit` exception filter with a condition on the port, and the `vmexit:IO_INSTRUCTION`
// function breakpoint; exceptionInfo and the Xen scope say what the exit was.
import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'path';
import { launchTo, root, useAdapter } from './helpers';
import { stopAfter } from './hits';

const hvmHello = path.join(root, 'examples', 'hvm-hello', 'hvm-hello.cfg');
/** what the guest writes to the UART */
const MESSAGE = 'Hello from an HVM guest, through the UART\n';

/** The Xen scope's `VM exit` row of the stopped thread's top frame, as name → value. */
async function exitRows(dc: DebugClient, threadId: number): Promise<{ summary: string; rows: Record<string, string> }> {
  const frame = (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  const xen = (await dc.scopesRequest({ frameId: frame.id })).body.scopes.find((s) => s.name === 'Xen')!;
  const row = (await dc.variablesRequest({ variablesReference: xen.variablesReference })).body.variables.find((v) => v.name === 'VM exit');
  assert.ok(row, 'the Xen scope has a VM exit row');
  const rows: Record<string, string> = {};
  for (const v of (await dc.variablesRequest({ variablesReference: row.variablesReference })).body.variables) rows[v.name] = v.value;
  return { summary: row.value, rows };
}

describe('debug/VM exit IO_INSTRUCTION on the UART (adapter process)', function () {
  this.timeout(60000);
  let dc: DebugClient;
  const adapterProcess = useAdapter();
  beforeEach(() => (dc = adapterProcess.dc));

  it('the vmexit filter with a condition on the port stops at each out to 0x3f8, with exceptionInfo and the Xen scope', async () => {
    const entry = await launchTo(dc, { domains: [hvmHello], stopOnEntry: true }, (c) =>
      c.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'vmexit', condition: 'reason == IO_INSTRUCTION && port == 0x3f8' }] }),
    );
    const t = entry.body.threadId!;
    for (let i = 0; i < 3; i++) {
      const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
      assert.strictEqual(s.body.reason, 'exception');
      assert.strictEqual(s.body.threadId, t);
      const byte = MESSAGE.charCodeAt(i);
      const hex = `0x${byte.toString(16).padStart(2, '0')}`;
      const info = (await dc.exceptionInfoRequest({ threadId: t })).body;
      assert.strictEqual(info.exceptionId, 'vmexit');
      assert.match(info.description!, /VM exit IO_INSTRUCTION/);
      assert.strictEqual(info.details?.typeName, 'vm-exit');
      assert.strictEqual(info.details?.message?.replace(/ at rip .*/, ''), `IO_INSTRUCTION out port 0x3f8 size 1 value ${hex} '${MESSAGE[i]}'`);
      const { rows, summary } = await exitRows(dc, t);
      assert.strictEqual(summary, info.details?.message);
      assert.strictEqual(rows.reason, 'IO_INSTRUCTION (30)');
      assert.strictEqual(rows.port, '0x3f8');
      assert.strictEqual(rows.direction, 'out');
      assert.strictEqual(rows.size, '1');
      assert.strictEqual(rows.value, `${hex} '${MESSAGE[i]}'`);
      // the qualification as the SDM lays it out: port in bits 31:16, out (bit 3 clear), size-1 in 2:0
      assert.strictEqual(parseInt(rows.qualification, 16), 0x3f8 << 16);
    }
  });

  it('the vmexit:IO_INSTRUCTION function breakpoint with a condition on the port stops there too', async () => {
    let bp: DebugProtocol.Breakpoint | undefined;
    const entry = await launchTo(dc, { domains: [hvmHello], stopOnEntry: true }, async (c) => {
      bp = (await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'vmexit:IO_INSTRUCTION', condition: 'port == 0x3f8 && in == 0' }] })).body.breakpoints[0];
    });
    assert.strictEqual(bp?.verified, true);
    const t = entry.body.threadId!;
    const s = await stopAfter(dc, () => dc.continueRequest({ threadId: t }));
    assert.strictEqual(s.body.reason, 'function breakpoint');
    assert.deepStrictEqual(s.body.hitBreakpointIds, [bp!.id]);
    assert.match(s.body.description!, /vmexit:IO_INSTRUCTION: VM exit IO_INSTRUCTION at 0x[0-9a-f]+ \(qualification 0x3f80000\)/);
    const { rows } = await exitRows(dc, t);
    assert.deepStrictEqual([rows.reason, rows.port, rows.direction, rows.value], ['IO_INSTRUCTION (30)', '0x3f8', 'out', "0x48 'H'"]);
    // the guest's al holds the byte it wrote
    const frame = (await dc.stackTraceRequest({ threadId: t })).body.stackFrames[0];
    assert.strictEqual((await dc.evaluateRequest({ expression: 'al', frameId: frame.id, context: 'watch' })).body.result, '0x48 (72)');
    // exceptionInfo is for exception filters only
    await assert.rejects(dc.exceptionInfoRequest({ threadId: t }), /did not stop on an exception filter/);
  });
});
