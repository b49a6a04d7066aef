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

  describe('watchpoints', () => {
    const body = `
    mov eax, [cell]
reader:
    nop
    mov dword [cell], 7
writer:
    nop
    mov dword [cell + 8], 9
far:
    nop
    jmp done
align 8
cell: dd 5, 0, 0
done:`;
    const stopAt = (access: 'read' | 'write' | 'readWrite', length = 4) => {
      const b = boot([{ name: 'watch', body }]);
      const img = b.sys.image(1)!;
      const w = { domid: 1, gva: img.symbolAddress('cell')!, length, access };
      const s = b.sys.run({ maxInstructions: 1e6, watchpoints: [w] });
      return { b, img, s, w };
    };

    it('a write watchpoint stops after the writing instruction, not at the read', () => {
      const { b, img, s, w } = stopAt('write');
      assert.strictEqual(s.reason, 'watchpoint');
      assert.deepStrictEqual(s.watchpoint, w);
      assert.strictEqual(b.sys.cpuState(1, 0).eip >>> 0, img.symbolAddress('writer'));
      assert.deepStrictEqual(b.sys.readMemory(1, 'gva', w.gva, 4), [7, 0, 0, 0]);
      assert.strictEqual(b.sys.run({ maxInstructions: 1e6, watchpoints: [w] }).reason, 'finished', 'cell+8 is outside the range');
      assert.ok(!b.records.some((r) => r.kind === 'trap-bounce' && r.vector === 1), 'the guest never sees the #DB');
    });

    it('a read watchpoint stops at the read and not at the write; readWrite at both', () => {
      const r = stopAt('read');
      assert.strictEqual(r.s.reason, 'watchpoint');
      assert.strictEqual(r.b.sys.cpuState(1, 0).eip >>> 0, r.img.symbolAddress('reader'));
      assert.strictEqual(r.b.sys.run({ maxInstructions: 1e6, watchpoints: [r.w] }).reason, 'finished');
      const rw = stopAt('readWrite');
      assert.strictEqual(rw.b.sys.cpuState(1, 0).eip >>> 0, rw.img.symbolAddress('reader'));
      assert.strictEqual(rw.b.sys.run({ maxInstructions: 1e6, watchpoints: [rw.w] }).reason, 'watchpoint');
      assert.strictEqual(rw.b.sys.cpuState(1, 0).eip >>> 0, rw.img.symbolAddress('writer'));
    });

    it('a 12-byte range takes aligned pieces and catches the write at its end; too many pieces is an error', () => {
      const { b, img, s } = stopAt('write', 12);
      assert.strictEqual(s.reason, 'watchpoint');
      assert.strictEqual(b.sys.cpuState(1, 0).eip >>> 0, img.symbolAddress('writer'));
      assert.strictEqual(b.sys.run({ maxInstructions: 1e6, watchpoints: [s.watchpoint!] }).reason, 'watchpoint');
      assert.strictEqual(b.sys.cpuState(1, 0).eip >>> 0, img.symbolAddress('far'));
      assert.throws(() => b.sys.run({ maxInstructions: 10, watchpoints: [{ domid: 1, gva: 0x100001, length: 16, access: 'write' }] }), /at most 4/);
    });
  });
});
