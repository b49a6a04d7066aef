// Drives the real adapter process (dist/debugAdapter.js, built by `npm run build`) with
// DebugClient, and `xensim dap --port` over TCP: the parts that need no running hypervisor.
import * as assert from 'assert';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import * as path from 'path';
import { adapter, cli, ensureBuilt, launchFixture, launchTo, root } from './helpers';

async function expectError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.match(e.message, pattern);
    return true;
  });
}

describe('debug/adapter (process)', function () {
  this.timeout(20000);
  let dc: DebugClient;
  const fx = launchFixture();

  before(ensureBuilt);
  beforeEach(async () => {
    dc = new DebugClient('node', adapter, 'xensim');
    await dc.start();
  });
  afterEach(() => dc.stop());

  it('answers initialize with its capabilities and filters', async () => {
    const r = await dc.initializeRequest();
    const caps = r.body!;
    assert.strictEqual(caps.supportsConfigurationDoneRequest, true);
    assert.strictEqual(caps.supportsInstructionBreakpoints, true);
    assert.strictEqual(caps.supportsReadMemoryRequest, true);
    assert.strictEqual(caps.supportsDisassembleRequest, true);
    assert.strictEqual(caps.supportsSteppingGranularity, true);
    assert.deepStrictEqual(
      caps.exceptionBreakpointFilters!.map((f) => f.filter),
      ['hypercall', 'ring', 'vmexit', 'event', 'fault', 'crash'],
    );
    assert.ok(caps.exceptionBreakpointFilters!.every((f) => f.supportsCondition));
  });

  it('refuses a launch without domains, naming the attribute', async () => {
    await dc.initializeRequest();
    await expectError(dc.launchRequest({} as DebugProtocol.LaunchRequestArguments), /launch attribute 'domains': missing/);
    await expectError(dc.launchRequest({ domains: [fx.good], pcpus: -1 } as DebugProtocol.LaunchRequestArguments), /launch attribute 'pcpus'/);
  });

  it('refuses a bad config with its file:line:col, and stays up', async () => {
    await dc.initializeRequest();
    await expectError(dc.launchRequest({ domains: [fx.bad] } as DebugProtocol.LaunchRequestArguments), /'domains\[0\]'.*bad\.cfg:3:10: error/s);
    // still answering
    const t = await dc.threadsRequest();
    assert.deepStrictEqual(t.body.threads, []);
  });

  it('answers requests that need a machine with an error, not a crash', async () => {
    await dc.initializeRequest();
    await expectError(dc.stackTraceRequest({ threadId: 1 }), /no simulation is running/);
    await expectError(dc.customRequest('readMemory', { memoryReference: 'd0:gva:0x1000', count: 4 }), /no simulation is running/);
    await expectError(dc.continueRequest({ threadId: 1 }), /no simulation is running/);
    await expectError(dc.customRequest('nonsense', { x: 1 }), /unrecognized request|nonsense/i);
    const bp = await dc.setFunctionBreakpointsRequest({
      breakpoints: [{ name: 'hypercall:event_channel_op', condition: 'cmd == EVTCHNOP_send && port == 3' }, { name: 'hypercall:nosuch' }, { name: 'hypercall:console_io', condition: 'ebx ==' }],
    });
    assert.deepStrictEqual(
      bp.body.breakpoints.map((b) => b.verified),
      [true, false, false],
    );
    assert.match(bp.body.breakpoints[1].message!, /not a Xen hypercall/);
    assert.match(bp.body.breakpoints[2].message!, /condition: expression ends too soon/);
    const comp = await dc.completionsRequest({ text: 'xl l', column: 5 });
    assert.deepStrictEqual(
      comp.body.targets.map((t) => t.label),
      ['xl list'],
    );
    const regs = await dc.completionsRequest({ text: '[es', column: 4 });
    assert.deepStrictEqual(
      regs.body.targets.map((t) => [t.label, t.start, t.length]),
      [
        ['esp', 1, 2],
        ['esi', 1, 2],
      ],
    );
    const ex = await dc.setExceptionBreakpointsRequest({ filters: ['fault'], filterOptions: [{ filterId: 'ring', condition: 'from == 3 && to == 1' }, { filterId: 'bogus' }] });
    assert.deepStrictEqual(
      ex.body!.breakpoints!.map((b) => b.verified),
      [true, true, false],
    );
  });
});

describe('debug/adapter over TCP (xensim dap --port)', function () {
  this.timeout(20000);
  let proc: ChildProcess;
  let port = 0;

  before(async () => {
    ensureBuilt();
    proc = spawn('node', [cli, 'dap', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`xensim dap exited with ${code}`)));
    });
  });
  after(() => proc.kill());

  it('serves sessions one per connection', async () => {
    for (let i = 0; i < 2; i++) {
      const dc = new DebugClient('node', adapter, 'xensim');
      await dc.start(port);
      const r = await dc.initializeRequest();
      assert.strictEqual(r.body!.supportsDisassembleRequest, true);
      await expectError(dc.launchRequest({} as DebugProtocol.LaunchRequestArguments), /'domains': missing/);
      await dc.disconnectRequest();
      await dc.stop();
    }
  });

  it('debugs a domain over TCP as over stdio', async () => {
    const dc = new DebugClient('node', adapter, 'xensim');
    await dc.start(port);
    try {
      const s = await launchTo(dc, { domains: [path.join(root, 'examples', 'hello', 'hello.cfg')], stopOnEntry: true });
      assert.strictEqual(s.body.reason, 'entry');
      const frames = (await dc.stackTraceRequest({ threadId: s.body.threadId! })).body.stackFrames;
      assert.strictEqual(frames[0].name, '_start');
      await dc.disconnectRequest();
    } finally {
      await dc.stop();
    }
  });

  it('refuses a bad --port', () => {
    const r = (() => {
      try {
        execFileSync('node', [cli, 'dap', '--port', 'x'], { encoding: 'utf8', stdio: 'pipe' });
        return { status: 0, stderr: '' };
      } catch (e) {
        const err = e as { status: number; stderr: string };
        return { status: err.status, stderr: err.stderr };
      }
    })();
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /--port needs a TCP port number/);
  });
});
