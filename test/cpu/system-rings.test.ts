/**
 * Ring transitions (SDM vol. 3 §5.8, §6.12): iret to outer rings, interrupt and trap gates with
 * the TSS stack switch, gate DPL checks, data-segment nulling, double and triple faults.
 */
import * as assert from 'assert';
import type { Platform } from '../../src/cpu/platform';
import { guest, SEL, STACK0, STACK1, STACK3 } from './system-kit';

describe('cpu system: ring transitions', () => {
  it('ring 0 → 3 by iret, back to 0 through a DPL-3 interrupt gate on the TSS ring-0 stack (§6.12.1, fig. 6-4)', () => {
    const g = guest(`
      mov dword [RING0_CONT], back
      mov dword [RESULT], 0x12345678
      TO_RING 3, 0x2b, user
    user:
      mov eax, cs
      mov [ss:RESULT+0], eax
      mov eax, ds                 ; the DPL-0 DS was nulled by iret (SDM IRET: return to outer level)
      mov [ss:RESULT+4], eax
      mov eax, ss
      mov [ss:RESULT+8], eax
      mov ax, 0x33
      mov ds, ax
      mov esp, STACK3 - 64
      int 0x81
    after_int:
    back:
      mov [RESULT+12], esp
      mov eax, [esp]
      mov [RESULT+16], eax
      mov eax, [esp+4]
      mov [RESULT+20], eax
      mov eax, [esp+12]
      mov [RESULT+24], eax
      mov eax, [esp+16]
      mov [RESULT+28], eax
      mov dword [RESULT+32], after_int
      hlt`);
    assert.strictEqual(g.run().stop, 'hlt');
    assert.strictEqual(g.out(0), SEL.code3);
    assert.strictEqual(g.out(1), 0, 'DS nulled on return to ring 3');
    assert.strictEqual(g.out(2), SEL.data3);
    assert.strictEqual(g.out(3), STACK0 - 20, 'five dwords on the ring-0 stack from tss.esp0');
    assert.strictEqual(g.out(4), g.out(8), 'saved EIP is the instruction after int');
    assert.strictEqual(g.out(5), SEL.code3);
    assert.strictEqual(g.out(6), STACK3 - 64, 'saved ESP');
    assert.strictEqual(g.out(7), SEL.data3, 'saved SS');
    assert.strictEqual(g.cpu.cpl, 0);
  });

  it('ring 0 → 1 → 3 → 0: a ring-1 kernel irets to ring 3, which faults into ring 0 (Xen PV layout)', () => {
    const g = guest(`
      pushfd
      or dword [esp], 0x1000       ; IOPL 1: the ring-1 kernel may change IF
      popfd
      TO_RING 1, 0x19, kernel
    kernel:
      mov ax, 0x21
      mov ds, ax
      mov es, ax
      mov eax, cs
      mov [RESULT], eax
      push dword 0x33
      push dword STACK3
      push dword 0x0202            ; IF=1, IOPL 0: CPL 1 may set IF (CPL <= IOPL), not IOPL
      push dword 0x2b
      push dword user
      iret
    user:
      mov eax, es
      mov [ss:RESULT+4], eax
      cli                          ; CPL 3 > IOPL 0: #GP(0)
      hlt`);
    assert.strictEqual(g.run().stop, 'hlt');
    const log = g.log();
    assert.strictEqual(g.out(0), SEL.code1);
    assert.strictEqual(g.out(1), 0, 'ES (DPL 1) nulled going to ring 3');
    assert.strictEqual(log.vec, 13);
    assert.strictEqual(log.err, 0);
    assert.strictEqual(log.cs, SEL.code3);
    assert.strictEqual(log.oss, SEL.data3);
    assert.strictEqual(log.oesp, STACK3);
    assert.strictEqual(log.eflags & 0x200, 0x200, 'saved IF');
    assert.strictEqual(log.eflags & 0x3000, 0x1000, 'IOPL unchanged by an iret at CPL 1');
    assert.strictEqual(log.hesp, STACK0 - 20 - 8 - 8, 'handler stack: frame + stub pushes + ds/eax');
    assert.strictEqual(log.hcs, SEL.code0);
    // The interrupt gate cleared IF in the handler.
    assert.strictEqual(g.cpu.getEflags() & 0x200, 0);
  });

  it('ring 1 → 0 uses ss0/esp0; a ring-3 int to a ring-1 handler uses ss1/esp1', () => {
    const g = guest(`
      SETGATE 0x42, 0xee, 0x19     ; DPL-3 interrupt gate to ring-1 code
      mov dword [RING0_CONT], back
      TO_RING 3, 0x2b, user
    user:
      int 0x42                     ; → ring 1 at stub 0x42 … common needs ring 0: record ESP first
    back:
      hlt`);
    // Vector 0x42's stub runs at ring 1 (CS 0x19): its push of vector/error code lands on the
    // ring-1 stack, then common's "mov ds, 0x10" (DPL 0 at CPL 1) raises #GP to ring 0.
    assert.strictEqual(g.run().stop, 'hlt');
    const log = g.log();
    assert.strictEqual(log.vec, 13);
    assert.strictEqual(log.err, 0x10, '#GP(selector) for a DPL-0 data segment at CPL 1');
    assert.strictEqual(log.cs, SEL.code1);
    assert.strictEqual(log.oss, SEL.data1);
    // ring-1 stack: 5-dword frame from ring 3, 2 stub pushes, ds, eax.
    assert.strictEqual(log.oesp, STACK1 - 20 - 8 - 8);
  });

  it('int n checks the gate DPL against CPL: #GP(vector·8+2) (§6.12.1.1)', () => {
    const g = guest(`
      mov dword [RESUME], next
      mov dword [RESULT], user
      TO_RING 3, 0x2b, user
    user:
      int 0x40
    next:
      mov dword [ss:RESULT+4], 1
      int 0x81
      hlt`);
    const eips: number[] = [];
    g.p.intercept = (ev) => {
      eips.push(ev.eip);
      return false;
    };
    g.run();
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [13, 0x81]);
    assert.strictEqual(log.errs[0], 0x40 * 8 + 2);
    assert.strictEqual(eips[1], g.out(0), 'the #GP is a fault of the int instruction: EIP at int');
    assert.strictEqual(g.cpu.cpl, 0);
  });

  it('int3 through a DPL-0 gate from ring 3 is #GP(0x1a); with a DPL-3 gate it is #BP with EIP after int3', () => {
    const g = guest(`
      mov dword [RESUME], second
      TO_RING 3, 0x2b, user
    user:
      int3
    second:
      mov dword [ss:RESUME], 0
      mov dword [ss:RESULT], 1
      int 0x81`);
    g.run();
    assert.deepStrictEqual(g.log().vecs, [13, 0x81]);
    assert.strictEqual(g.log().errs[0], 3 * 8 + 2);
    const g2 = guest(`
      SETGATE 3, 0xee, 0x08
      mov dword [RESULT], after
      TO_RING 3, 0x2b, user
    user:
      int3
    after:
      hlt`);
    g2.run();
    const log = g2.log();
    assert.strictEqual(log.vec, 3);
    assert.strictEqual(log.cs, SEL.code3);
    assert.strictEqual(log.eip, g2.out(0), 'trap-like: saved EIP after int3');
    assert.strictEqual(g2.cpu.cpl, 0);
  });

  it('a task gate in the IDT is refused with #GP(vector·8+2) (task switches are not modelled)', () => {
    const g = guest(`
      mov dword [idt + 0x45*8], 0x00380000
      mov dword [idt + 0x45*8 + 4], 0x00008500
      int 0x45`);
    g.run();
    assert.deepStrictEqual(g.log().vecs, [13]);
    assert.deepStrictEqual(g.log().errs, [0x45 * 8 + 2]);
  });

  it('icebp (int1, F1) is a #DB trap without the gate DPL check; int 1 is checked', () => {
    const g = guest(`
      mov dword [RESUME], after
      TO_RING 3, 0x2b, user
    user:
      db 0xf1
    after:
      mov dword [ss:RESUME], next
      int 1
    next:
      mov dword [ss:RESUME], 0
      int 0x81`);
    g.run();
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [1, 13, 0x81]);
    assert.strictEqual(log.errs[1], 1 * 8 + 2);
  });

  it('a 16-bit interrupt gate pushes a 16-bit FLAGS, CS, IP frame (§6.12.1, fig. 6-4)', () => {
    const g = guest(`
      mov esi, h16
      mov edi, 0x7000
      mov ecx, h16_end - h16
      rep movsb
      mov dword [idt + 0x48*8], 0x00087000   ; offset 0x7000, selector 0x08
      mov dword [idt + 0x48*8 + 4], 0x00008600 ; present, DPL 0, 16-bit interrupt gate
      mov dword [RESULT], back
      mov ebx, esp
      int 0x48
    back:
      hlt
    h16:                                     ; copied to 0x7000 (a 16-bit gate's offset is 16 bits)
      mov eax, ebx
      sub eax, esp
      mov [RESULT+4], eax
      movzx eax, word [esp]
      mov [RESULT+8], eax
      movzx eax, word [esp+2]
      mov [RESULT+12], eax
      hlt
    h16_end:`);
    assert.strictEqual(g.run().stop, 'hlt');
    assert.strictEqual(g.out(1), 6, 'three words');
    assert.strictEqual(g.out(2), g.out(0) & 0xffff, 'IP is the low word of the return address');
    assert.strictEqual(g.out(3), SEL.code0);
  });

  it('a trap gate leaves IF set; an interrupt gate clears it (§6.12.1.3)', () => {
    const g = guest(`
      SETGATE 0x50, 0x8f, 0x08
      sti
      int 0x50`);
    g.run();
    assert.strictEqual(g.log().vec, 0x50);
    assert.strictEqual(g.cpu.getEflags() & 0x200, 0x200);
    const g2 = guest(`
      sti
      int 0x50`);
    g2.run();
    assert.strictEqual(g2.cpu.getEflags() & 0x200, 0);
  });

  it('a not-present gate is #NP(vector·8+2+EXT): EXT=0 for int n, 1 for an exception', () => {
    const g = guest(`
      mov byte [idt + 0x44*8 + 5], 0x0e   ; P=0
      mov dword [RESUME], next
      int 0x44
    next:
      mov byte [idt + 6*8 + 5], 0x0e
      ud2`);
    g.run();
    const log = g.log();
    assert.deepStrictEqual(log.vecs.slice(0, 2), [11, 11]);
    assert.strictEqual(log.err, 6 * 8 + 2 + 1);
  });

  it('a ring-3 int to a ring-1 handler with a bad tss.ss1 is #TS(ss1) (§6.12.1.1)', () => {
    const g = guest(`
      SETGATE 0x42, 0xee, 0x19
      mov dword [tss + 16], 0x23   ; ss1 with RPL 3
      TO_RING 3, 0x2b, user
    user:
      int 0x42`);
    g.run();
    const log = g.log();
    assert.strictEqual(log.vec, 10);
    assert.strictEqual(log.err, 0x20);
    assert.strictEqual(log.cs, SEL.code3);
  });

  it('contributory then contributory is #DF with error code 0 (table 6-5)', () => {
    const g = guest(`
      mov byte [idt + 13*8 + 5], 0x0e   ; #GP gate not present → #NP while delivering #GP
      TO_RING 3, 0x2b, user
    user:
      cli`);
    g.run();
    const log = g.log();
    assert.strictEqual(log.vec, 8);
    assert.strictEqual(log.err, 0);
    assert.strictEqual(log.count, 1);
  });

  it('benign then contributory is delivered serially: int3 through a not-present gate is #NP', () => {
    const g = guest(`
      mov byte [idt + 3*8 + 5], 0x6e
      int3`);
    g.run();
    const log = g.log();
    assert.strictEqual(log.vec, 11);
    assert.strictEqual(log.err, 3 * 8 + 2);
  });

  it('a fault while delivering #DF shuts the processor down (triple fault)', () => {
    const g = guest(`
      mov dword [tss + 8], 0x18      ; ss0 = a code segment: every entry to ring 0 is #TS
      TO_RING 3, 0x2b, user
    user:
      int 0x81`);
    let reason = '';
    (g.p as Platform).shutdown = (r: string) => {
      reason = r;
    };
    const r = g.run();
    assert.strictEqual(r.stop, 'triple-fault');
    assert.match(reason, /triple fault/);
    assert.strictEqual(g.cpu.isShutdown, true);
    assert.strictEqual(g.log().count, 0);
  });

  it('the inner stack from the TSS is limit-checked: #SS(new SS) from ring 3, then #DF, then shutdown (§6.12.1)', () => {
    const g = guest(`
      mov dword [gdt + 0x40], 0x00000fff   ; ring-0 data, limit 0xfff
      mov dword [gdt + 0x44], 0x00409300
      mov dword [tss + 4], 0x2000          ; esp0 above the limit
      mov dword [tss + 8], 0x40
      TO_RING 3, 0x2b, user
    user:
      int 0x81`);
    const offered: string[] = [];
    g.p.intercept = (ev) => {
      offered.push(`${ev.vector}/${ev.kind}/${ev.errorCode ?? '-'}`);
      return false;
    };
    assert.strictEqual(g.run().stop, 'triple-fault');
    // int 0x81 (soft: EXT=0) → #SS(0x40); delivering #SS (EXT=1) → #SS again: contributory
    // twice → #DF; delivering #DF on the same stack → shutdown.
    assert.deepStrictEqual(offered, ['129/soft/-', '12/fault/64', '8/fault/0']);
  });

  it('iret to ring 3 with an SS of the wrong privilege is #GP(SS selector)', () => {
    const g = guest(`
      push dword 0x21
      push dword STACK1
      pushfd
      push dword 0x2b
      push dword 0
      iret`);
    g.run();
    const log = g.log();
    assert.strictEqual(log.vec, 13);
    assert.strictEqual(log.err, 0x20);
    assert.strictEqual(log.cs, SEL.code0);
  });

  it('iret cannot return to a more privileged ring: #GP(cs)', () => {
    const g = guest(`
      mov dword [RING0_CONT], back
      TO_RING 3, 0x2b, user
    user:
      push dword 0x10
      push dword STACK0
      pushfd
      push dword 0x08
      push dword 0
      iret
    back:
      hlt`);
    g.run();
    const log = g.log();
    assert.strictEqual(log.vec, 13);
    assert.strictEqual(log.err, 0x08);
    assert.strictEqual(log.cs, SEL.code3);
  });
});
