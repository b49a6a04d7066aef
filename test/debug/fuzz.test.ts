// Malformed and out-of-order requests (a fixed seed): the adapter process answers every one and
// stays alive. DAP_FUZZ_COUNT sets how many (default 10,000).
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { adapter, root, useAdapter } from './helpers';

const COUNT = Number(process.env.DAP_FUZZ_COUNT ?? 10000);
const HELLO_CFG = path.join(root, 'examples', 'hello', 'hello.cfg');

// Every request the adapter knows or might be sent, except those that end the session.
const COMMANDS = [
  'initialize', 'launch', 'attach', 'restart', 'configurationDone', 'setBreakpoints', 'setFunctionBreakpoints', 'setExceptionBreakpoints',
  'setInstructionBreakpoints', 'setDataBreakpoints', 'dataBreakpointInfo', 'continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue',
  'pause', 'stackTrace', 'scopes', 'variables', 'setVariable', 'setExpression', 'source', 'threads', 'evaluate', 'completions', 'exceptionInfo',
  'readMemory', 'writeMemory', 'disassemble', 'loadedSources', 'modules', 'gotoTargets', 'stepInTargets', 'cancel', 'bogus',
];
const KEYS = ['threadId', 'frameId', 'variablesReference', 'memoryReference', 'count', 'offset', 'instructionCount', 'instructionOffset', 'expression', 'context',
  'name', 'value', 'breakpoints', 'source', 'filters', 'filterOptions', 'domains', 'stopOnEntry', 'granularity', 'data', 'text', 'column', 'sourceReference', 'levels', 'startFrame'];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

function value(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * 14);
  switch (pick) {
    case 0: return undefined;
    case 1: return null;
    case 2: return Math.floor(rnd() * 3000) - 5;
    case 3: return rnd() * 1e12;
    case 4: return -1;
    case 5: return ['', 'eax', '[esp+4]', 'd1:gva:0x100000', 'ma:0x1000', 'd9:gpa:0', 'xl list', 'x/4xw esp', 'hypercall:sched_op', 'info pt 0', '((', 'instruction', 'line'][Math.floor(rnd() * 13)];
    case 6: return rnd() < 0.5;
    case 7: return depth > 2 ? 0 : [value(rnd, depth + 1), value(rnd, depth + 1)];
    case 8: return depth > 2 ? {} : { name: value(rnd, depth + 1), line: value(rnd, depth + 1), condition: value(rnd, depth + 1), path: value(rnd, depth + 1), instructionReference: value(rnd, depth + 1) };
    case 9: return 1001;
    case 10: return 1000 + Math.floor(rnd() * 8);
    case 11: return [HELLO_CFG];
    case 12: return 'QUJD';
    default: return 'x'.repeat(Math.floor(rnd() * 50));
  }
}

function args(rnd: () => number): Record<string, unknown> | undefined {
  if (rnd() < 0.1) return undefined;
  const a: Record<string, unknown> = {};
  const n = Math.floor(rnd() * 5);
  for (let i = 0; i < n; i++) a[KEYS[Math.floor(rnd() * KEYS.length)]] = value(rnd);
  return a;
}

describe('debug/fuzz (adapter process)', function () {
  this.timeout(300000);
  const h = useAdapter();

  it(`answers ${COUNT} malformed and out-of-order requests and stays alive`, async () => {
    const dc: DebugClient = h.dc;
    const rnd = prng(0x5eed);
    let answered = 0;
    let launched = 0;
    // Requests go in batches sent back to back (out of order by construction); every one must be answered.
    const BATCH = 25;
    for (let i = 0; i < COUNT; i += BATCH) {
      const batch: Array<Promise<void>> = [];
      for (let j = i; j < Math.min(COUNT, i + BATCH); j++) {
        // now and then a real launch, so requests also meet a running and a stopped machine
        const real = rnd() < 0.002;
        const command = real ? 'launch' : COMMANDS[Math.floor(rnd() * COMMANDS.length)];
        const a = real ? { domains: [HELLO_CFG], stopOnEntry: rnd() < 0.5 } : args(rnd);
        batch.push(
          dc.send(command, a).then(
            () => {
              if (real) launched++;
              answered++;
            },
            (e: Error) => {
              // an error response is an answer; only a timeout (no answer) is a failure
              assert.doesNotMatch(e.message, /timeout/i, `${command} ${JSON.stringify(a)}`);
              answered++;
            },
          ),
        );
      }
      await Promise.all(batch);
    }
    assert.strictEqual(answered, COUNT);
    // still alive and sane
    const t = await dc.threadsRequest();
    assert.ok(Array.isArray(t.body.threads));
    assert.ok(launched > 0, 'some requests met a launched machine');
  });

  it('survives garbage on the wire and answers the next good request', async () => {
    const proc = spawn('node', [adapter], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    proc.stdin.write('not a header at all\r\n\r\n');
    proc.stdin.write(frame('{ this is not json'));
    proc.stdin.write(frame('[1,2,3]'));
    proc.stdin.write(frame('{"type":"request","seq":1}'));
    proc.stdin.write(frame('{"type":"request","seq":2,"command":"threads","arguments":"nope"}'));
    proc.stdin.write(frame('{"type":"request","seq":3,"command":"initialize","arguments":{"adapterID":"xensim","pathFormat":"path","linesStartAt1":true,"columnsStartAt1":true}}'));
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (/"request_seq":3/.test(out)) {
          clearInterval(t);
          resolve();
        }
      }, 20);
      proc.on('exit', (code) => reject(new Error(`adapter exited with ${code}: ${out}`)));
    });
    assert.match(out, /"command":"initialize","success":true/);
    proc.kill();
  });
});
