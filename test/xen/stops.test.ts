// Hypervisor stop points: a run stops at a hypercall's entry before Xen acts, steps through it
// and stops at its exit; the vCPU shows the hypercall as its activity meanwhile.
import * as assert from 'assert';
import { boot } from './guest';

describe('xen: stop points inside the hypervisor', () => {
  it('stops at console_io entry before the line exists, then at its exit, then back in the guest', () => {
    const b = boot([{ name: 'stop', body: `
    mov ebx, CONSOLEIO_write
    mov ecx, 3
    mov edx, msg
    HYPERCALL console_io
    jmp over
msg: db "hi", 10
over:` }]);
    const s1 = b.sys.run({ maxInstructions: 1e6, stopOn: (r) => r.kind === 'hypercall-entry' && r.name === 'console_io' });
    assert.strictEqual(s1.reason, 'trace');
    assert.strictEqual(s1.domid, 1);
    assert.deepStrictEqual(b.console(1), [], 'Xen has not acted yet');
    const act = b.sys.vcpus(1)[0].activity;
    assert.ok(act && act.kind === 'hypercall' && act.hypercall?.name === 'console_io', JSON.stringify(act));
    const regs = b.sys.cpuState(1, 0);
    assert.strictEqual(regs.r[3], 0, 'ebx = CONSOLEIO_write');
    assert.strictEqual(regs.r[1], 3, 'ecx = count');
    const s2 = b.sys.step(1, 0);
    assert.strictEqual(s2.reason, 'step');
    assert.deepStrictEqual(b.console(1), ['hi'], 'acted after one step');
    assert.ok(b.records.some((r) => r.kind === 'hypercall-exit' && r.name === 'console_io' && r.result === 0));
    assert.ok(b.sys.vcpus(1)[0].activity, 'still inside Xen before the return');
    b.sys.step(1, 0);
    assert.strictEqual(b.sys.vcpus(1)[0].activity, undefined);
    assert.strictEqual(b.sys.cpuState(1, 0).r[0], 0, 'eax = result');
    const s3 = b.sys.run({ maxInstructions: 1e6 });
    assert.strictEqual(s3.reason, 'finished');
  });

  it('instruction breakpoints stop before the instruction', () => {
    const b = boot([{ name: 'bp', body: 'nop\nmarker: nop' }]);
    const at = b.sys.image(1)!.symbolAddress('marker')!;
    const s = b.sys.run({ maxInstructions: 1e6, breakpoints: [{ domid: 1, eip: at }] });
    assert.strictEqual(s.reason, 'breakpoint');
    assert.strictEqual(b.sys.cpuState(1, 0).eip, at);
    assert.strictEqual(b.sys.run({ maxInstructions: 1e6, breakpoints: [{ domid: 1, eip: at }] }).reason, 'finished');
  });
});
