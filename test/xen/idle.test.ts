// A run without a time limit on a machine where nothing can run again must come back: the
// scheduler's tick wakes no blocked vCPU, so ticking on would spin forever (the debugger's
// continue and the time-travel engine run without a time limit).
import * as assert from 'assert';
import { bootHvm } from './hvm-guests';

describe('hypervisor: an idle machine ends the run', function () {
  this.timeout(60_000);

  it('an HVM guest halted with interrupts on and nothing armed stops the run as idle', () => {
    const b = bootHvm([{ name: 'sleeper', body: 'sti\n.again: hlt\n jmp .again' }]);
    const stop = b.sys.run({ maxInstructions: 1e6 });
    assert.strictEqual(stop.reason, 'idle');
    assert.strictEqual(b.sys.domain(1).vcpus[0].blocked, true);
    const before = b.sys.now();
    assert.strictEqual(b.sys.run({ maxInstructions: 1e6 }).reason, 'idle', 'running again stays idle');
    assert.strictEqual(b.sys.now(), before, 'and no virtual time passes for nothing');
  });

  it('a PV guest blocked in sched_op with no event to wake it stops the run as idle', () => {
    const b = bootHvm([{ name: 'blocked', type: 'pv', body: 'mov ebx, SCHEDOP_block\n HYPERCALL sched_op\n.spin: jmp .spin' }]);
    assert.strictEqual(b.sys.run({ maxInstructions: 1e6 }).reason, 'idle');
  });

  it('a timer still armed keeps time going to it: idle is only for a machine nothing can wake', () => {
    // the PIT keeps firing, so the HLT loop is woken again and again until the budget is spent
    const b = bootHvm([{ name: 'ticker', body: 'mov al, 0x34\n out 0x43, al\n mov al, 0xff\n out 0x40, al\n out 0x40, al\n mov al, 0xfe\n out 0x21, al\n sti\n.again: hlt\n jmp .again' }]);
    const stop = b.sys.run({ maxInstructions: 20_000, untilTimeNs: 50e6 });
    assert.notStrictEqual(stop.reason, 'idle');
  });
});
