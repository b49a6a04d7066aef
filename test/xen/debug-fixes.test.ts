// Regressions found by the debugger: stepping over int 0x82, breakpoints for domains created
// during a run, activity at HVM VM exits, data breakpoints.
import * as assert from 'assert';
import * as fs from 'fs';
import { boot, configFor, guestSource } from './guest';
import { loadDomainConfigText } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';

describe('xen: debugger regressions', () => {
  it('step onto int 0x82 stops at the hypercall entry inside Xen, the next step performs it', () => {
    const b = boot([{ name: 'stepint', body: `
    mov ebx, CONSOLEIO_write
    mov ecx, 3
    mov edx, msg
    mov eax, __HYPERVISOR_console_io
callsite:
    int 0x82
after:
    jmp over
msg: db "hi", 10
over:` }]);
    const img = b.sys.image(1)!;
    const at = img.symbolAddress('callsite')!;
    const after = img.symbolAddress('after')!;
    assert.strictEqual(b.sys.run({ maxInstructions: 1e6, breakpoints: [{ domid: 1, eip: at }] }).reason, 'breakpoint');
    const n = b.records.length;
    const s1 = b.sys.step(1, 0);
    assert.ok(s1.reason === 'step' || s1.reason === 'trace', s1.reason);
    const act = b.sys.vcpus(1)[0].activity;
    assert.ok(act && act.kind === 'hypercall' && act.hypercall?.name === 'console_io', `activity ${JSON.stringify(act)}`);
    assert.ok(b.records.slice(n).some((r) => r.kind === 'hypercall-entry' && r.name === 'console_io'), 'hypercall-entry record');
    assert.deepStrictEqual(b.console(1), [], 'Xen has not acted yet');
    b.sys.step(1, 0);
    assert.deepStrictEqual(b.console(1), ['hi']);
    assert.ok(b.records.some((r) => r.kind === 'hypercall-exit' && r.name === 'console_io' && r.result === 0));
    b.sys.step(1, 0);
    assert.strictEqual(b.sys.vcpus(1)[0].activity, undefined);
    assert.strictEqual(b.sys.cpuState(1, 0).eip >>> 0, after);
    assert.strictEqual(b.sys.cpuState(1, 0).r[0], 0, 'eax = result');
  });

  it("run's breakpoints arm a domain dom0's toolstack creates during the run", () => {
    const file = configFor('bplate', guestSource('nop\nmarker: nop'));
    const cfg = loadDomainConfigText(fs.readFileSync(file, 'utf8'), file).config!;
    const marker = new XenSystem([cfg], { dom0: false }).image(1)!.symbolAddress('marker')!;
    const sys = new XenSystem([cfg]);
    assert.deepStrictEqual(sys.domains().map((d) => d.id), [0], 'domain 1 does not exist yet');
    const s = sys.run({ maxInstructions: 1e7, breakpoints: [{ domid: 1, eip: marker }] });
    assert.strictEqual(s.reason, 'breakpoint');
    assert.strictEqual(s.domid, 1);
    assert.strictEqual(sys.cpuState(1, 0).eip >>> 0, marker);
  });

  it('an HVM vCPU stopped at a VM exit shows it as its activity until the next VM entry', () => {
    const file = configFor('exitact', `bits 32
org 0x100000
_start:
    mov dx, 0xe9
    mov al, 'A'
    out dx, al
    mov al, 10
    out dx, al
    cli
    hlt
`, 'type = "hvm"');
    const text = fs.readFileSync(file, 'utf8').replace(/type = "pv"\n/, '');
    const r = loadDomainConfigText(text, file);
    assert.ok(r.config, r.diagnostics.map((d) => d.message).join('\n'));
    const sys = new XenSystem([r.config!], { dom0: false });
    const s = sys.run({ maxInstructions: 1e6, stopOn: (rec) => rec.kind === 'vm-exit' });
    assert.strictEqual(s.reason, 'trace');
    assert.strictEqual(s.record?.kind, 'vm-exit');
    const act = sys.vcpus(1)[0].activity;
    assert.ok(act && act.kind === 'vm-exit' && /IO_INSTRUCTION/.test(act.description), JSON.stringify(act));
    sys.step(1, 0);
    assert.strictEqual(sys.vcpus(1)[0].activity, undefined, 'back in the guest after the entry');
  });
});
