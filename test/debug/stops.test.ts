import * as assert from 'assert';
import type { CpuState } from '../../src/cpu/state';
import { emptyCpuState } from '../../src/cpu/state';
import { parseFunctionTarget, functionTargetMatcher, recordEnv, StopContext, StopRule, parseHitCondition, filterOf, describeRecord } from '../../src/debug/stops';
import { hypercallEntry } from '../../src/trace/hypercall';
import type { TraceRecord } from '../../src/trace/records';
import { HYPERCALL, EVTCHNOP, CONSOLEIO } from '../../src/xen/abi';

const base = { time: 0, pcpu: 0, domid: 1, vcpu: 0 };

/** One vCPU at a hypercall: registers as Xen reads them and a little guest memory. */
function vcpuAt(regs: { eax: number; ebx: number; ecx: number; edx?: number }, mem: Map<number, number>): StopContext {
  const s: CpuState = emptyCpuState();
  s.r = [regs.eax, regs.ecx, regs.edx ?? 0, regs.ebx, 0x9000, 0x9100, 0, 0];
  return {
    cpu: () => s,
    readBytes: (_d, _v, a, n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const b = mem.get(a + i);
        if (b === undefined) return undefined;
        out[i] = b;
      }
      return out;
    },
    symbol: (_d, name) => (name === 'message' ? 0x5000 : undefined),
  };
}

function sendAt(port: number): { record: TraceRecord; ctx: StopContext } {
  const mem = new Map<number, number>([0, 1, 2, 3].map((i) => [0x4000 + i, (port >>> (8 * i)) & 0xff]));
  const ctx = vcpuAt({ eax: HYPERCALL.event_channel_op, ebx: EVTCHNOP.send, ecx: 0x4000 }, mem);
  const record = hypercallEntry(base, HYPERCALL.event_channel_op, [EVTCHNOP.send, 0x4000, 0, 0, 0], (gva, n) => ctx.readBytes(1, 0, gva, n));
  return { record, ctx };
}

describe('debug/stops', () => {
  it('reads function breakpoint names: hypercalls, VM exits, symbols', () => {
    assert.deepStrictEqual(parseFunctionTarget('hypercall:event_channel_op'), { kind: 'hypercall', nr: HYPERCALL.event_channel_op, name: 'event_channel_op' });
    assert.deepStrictEqual(parseFunctionTarget('hypercall: __HYPERVISOR_console_io'), { kind: 'hypercall', nr: HYPERCALL.console_io, name: 'console_io' });
    assert.deepStrictEqual(parseFunctionTarget('hypercall:*'), { kind: 'hypercall', name: '*' });
    assert.deepStrictEqual(parseFunctionTarget('vmexit:IO_INSTRUCTION'), { kind: 'vmexit', reason: 30, name: 'IO_INSTRUCTION' });
    assert.deepStrictEqual(parseFunctionTarget('vmexit:EXIT_REASON_CPUID'), { kind: 'vmexit', reason: 10, name: 'CPUID' });
    assert.deepStrictEqual(parseFunctionTarget('start_kernel'), { kind: 'symbol', name: 'start_kernel' });
    assert.throws(() => parseFunctionTarget('hypercall:event_chanel_op'), /not a Xen hypercall.*event_channel_op/);
    assert.throws(() => parseFunctionTarget('vmexit:IO_INSTR'), /not a VM exit reason.*IO_INSTRUCTION/);
    assert.throws(() => parseFunctionTarget('two words'), /not a symbol/);
  });

  it('matches hypercall entries by number, and any with *', () => {
    const { record } = sendAt(3);
    assert.ok(functionTargetMatcher({ kind: 'hypercall', nr: HYPERCALL.event_channel_op, name: 'event_channel_op' })(record));
    assert.ok(!functionTargetMatcher({ kind: 'hypercall', nr: HYPERCALL.console_io, name: 'console_io' })(record));
    assert.ok(functionTargetMatcher({ kind: 'hypercall', name: '*' })(record));
    assert.ok(!functionTargetMatcher({ kind: 'vmexit', name: '*' })(record));
    assert.strictEqual(filterOf(record), 'hypercall');
  });

  it('evaluates conditions over decoded arguments, structure members and registers', () => {
    const { record, ctx } = sendAt(3);
    const env = recordEnv(record, ctx);
    const stops = (cond: string) => new StopRule({ condition: cond }).decide(env).action === 'stop';
    assert.ok(stops('cmd == EVTCHNOP_send && port == 3'));
    assert.ok(!stops('cmd == EVTCHNOP_send && port == 4'));
    assert.ok(!stops('cmd == EVTCHNOP_close'));
    assert.ok(stops('ebx == 4 && eax == __HYPERVISOR_event_channel_op'));
    assert.ok(stops('nr == 32 && domid == 1 && vcpu == 0'));
    assert.ok(stops('[ecx] == 3'));
    // the same call with another port does not match
    const other = sendAt(5);
    assert.strictEqual(new StopRule({ condition: 'port == 3' }).decide(recordEnv(other.record, other.ctx)).action, 'skip');
  });

  it('decodes console_io arguments by name', () => {
    const ctx = vcpuAt({ eax: HYPERCALL.console_io, ebx: CONSOLEIO.write, ecx: 12, edx: 0x5000 }, new Map());
    const record = hypercallEntry(base, HYPERCALL.console_io, [CONSOLEIO.write, 12, 0x5000, 0, 0]);
    const env = recordEnv(record, ctx);
    assert.strictEqual(new StopRule({ condition: 'cmd == CONSOLEIO_write && count == 12 && buffer == message' }).decide(env).action, 'stop');
  });

  it('stops on a condition it cannot evaluate, saying why', () => {
    const { record, ctx } = sendAt(3);
    const d = new StopRule({ condition: 'nosuchname == 1' }).decide(recordEnv(record, ctx));
    assert.strictEqual(d.action, 'stop');
    assert.match(d.error!, /nosuchname/);
  });

  it('refuses a malformed condition when the breakpoint is set', () => {
    assert.throws(() => new StopRule({ condition: 'port ==' }), /condition: expression ends too soon/);
    assert.throws(() => new StopRule({ hitCondition: 'often' }), /hit count/);
    assert.throws(() => new StopRule({ logMessage: 'port {port' }), /not closed/);
  });

  it('counts hits and formats log messages', () => {
    const { record, ctx } = sendAt(3);
    const env = recordEnv(record, ctx);
    const third = new StopRule({ hitCondition: '3' });
    assert.deepStrictEqual([1, 2, 3, 4].map(() => third.decide(env).action), ['skip', 'skip', 'stop', 'stop']);
    const every2 = new StopRule({ hitCondition: '% 2' });
    assert.deepStrictEqual([1, 2, 3, 4].map(() => every2.decide(env).action), ['skip', 'stop', 'skip', 'stop']);
    const log = new StopRule({ logMessage: 'send on {port} ({{literal}})' }).decide(env);
    assert.deepStrictEqual(log, { action: 'log', text: 'send on 0x3 ({literal})' });
    assert.strictEqual(parseHitCondition('== 2')(2), true);
    assert.strictEqual(parseHitCondition('> 2')(2), false);
  });

  it('names VM exit, ring and fault fields', () => {
    const ctx = vcpuAt({ eax: 0, ebx: 0, ecx: 0 }, new Map());
    const exit: TraceRecord = { ...base, kind: 'vm-exit', reason: 30, reasonName: 'EXIT_REASON_IO_INSTRUCTION', qualification: (0x3f8 << 16) | 0x0, rip: 0x1000 };
    const rule = (c: string, r: TraceRecord) => new StopRule({ condition: c }).decide(recordEnv(r, ctx)).action;
    assert.strictEqual(rule('reason == IO_INSTRUCTION && port == 0x3f8 && size == 1 && in == 0', exit), 'stop');
    assert.match(describeRecord(exit), /VM exit IO_INSTRUCTION at 0x1000/);
    const ring: TraceRecord = { ...base, kind: 'ring-transition', from: 3, to: 1, cause: 'syscall', fromEip: 0x8000, toEip: 0xc0001000 };
    assert.strictEqual(rule('from == 3 && to == 1', ring), 'stop');
    assert.strictEqual(rule('from == 1', ring), 'skip');
    const fault: TraceRecord = { ...base, kind: 'fault', vector: 14, name: '#PF', errorCode: 2, cr2: 0xdead0000, eip: 0xc0001234, ring: 1, outcome: 'crash' };
    assert.strictEqual(rule('vector == 14 && cr2 == 0xdead0000 && errorCode & 2', fault), 'stop');
    assert.strictEqual(filterOf({ ...base, kind: 'domain', event: 'crashed', name: 'web' }), 'crash');
    assert.strictEqual(filterOf({ ...base, kind: 'domain', event: 'created', name: 'web' }), undefined);
  });
});
