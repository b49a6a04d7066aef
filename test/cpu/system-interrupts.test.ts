/**
 * The interrupt line and the one-instruction shadows (SDM vol. 3 §6.8.3): after sti external
 * interrupts wait one instruction; after mov ss / pop ss interrupts and #DB traps wait one.
 */
import * as assert from 'assert';
import { guest } from './system-kit';

describe('cpu system: interrupt shadows', () => {
  it('an interrupt pending while IF=0 is taken one instruction after sti', () => {
    const g = guest(`
      mov dword [RESULT], l2
      sti
      mov eax, 1
    l2:
      nop
      hlt`);
    g.cpu.setIrq(0x60);
    g.run();
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [0x60]);
    assert.strictEqual(log.eip, g.out(0), 'delivered after the instruction following sti');
    assert.strictEqual(log.eflags & 0x200, 0x200);
  });

  for (const [seg, shadowed] of [['ss', true], ['ds', false]] as const) {
    it(`an interrupt raised while mov ${seg} reads its selector is taken ${shadowed ? 'one instruction late (mov ss shadow)' : 'at the next boundary'}`, () => {
      const g = guest(`
        mov dword [RESULT], l1
        mov dword [RESULT+4], l2
        sti
        mov ${seg}, [0x2000000]    ; outside RAM: the platform's MMIO read raises the line
      l1:
        mov eax, 1
      l2:
        hlt`);
      g.p.bus.mmioRead = (addr: number) => {
        if (addr === 0x2000000) g.cpu.setIrq(0x61);
        return 0x10;
      };
      g.run();
      assert.deepStrictEqual(g.log().vecs, [0x61]);
      assert.strictEqual(g.log().eip, g.out(shadowed ? 1 : 0));
    });
  }

  it('single-step over mov ss: one #DB after the instruction that follows it (§6.8.3)', () => {
    const g = guest(`
      mov dword [RESULT], l2
      SETHANDLER 1, step
      mov ebx, ss
      pushfd
      or dword [esp], 0x100
      popfd
      mov ss, bx                 ; the #DB for this instruction waits…
      mov eax, 1                 ; …until this one has run
    l2:
      pushfd
      and dword [esp], ~0x100
      popfd
      hlt
    step:
      push eax
      mov eax, [esp+4]
      mov ecx, [RESULT+4]
      mov [RESULT+8+ecx*4], eax
      inc dword [RESULT+4]
      pop eax
      iret`);
    assert.strictEqual(g.run().stop, 'hlt');
    const n = g.out(1);
    const eips = Array.from({ length: n }, (_, k) => g.out(2 + k));
    // Traps after: popfd? no (TF was 0 at its start); mov ss+mov eax as one; then l2 pushfd,
    // and, popfd (TF set at its start).
    assert.strictEqual(eips[0], g.out(0), 'first trap after mov eax, not after mov ss');
    assert.strictEqual(n, 4);
  });

  it('an external interrupt through a not-present gate is #NP(vector·8+2+EXT=1) (§6.13)', () => {
    const g = guest(`
      mov byte [idt + 0x70*8 + 5], 0x0e
      sti
      nop
      hlt`);
    g.cpu.setIrq(0x70);
    g.run();
    assert.deepStrictEqual(g.log().vecs, [11]);
    assert.deepStrictEqual(g.log().errs, [0x70 * 8 + 3]);
  });
});
