/**
 * Snapshot and restore of the system state (PAE PDPTE registers, CPL, TSS/GDT/IDT registers,
 * debug state): restore-then-run equals the uninterrupted run, taken mid-way through ring
 * changes, page faults and single-stepping.
 */
import * as assert from 'assert';
import { Guest, PageTables, guest, P, RW, US } from './system-kit';

const PT = 0x200000;

function build(): Guest {
  const g = guest(`
      mov eax, 0x20
      mov cr4, eax
      mov eax, PT
      mov cr3, eax
      mov eax, cr0
      or eax, 0x80010000
      mov cr0, eax
      mov dword [PT], 0              ; PDPTE 0 cleared in memory: the register still maps
      SETHANDLER 1, step
      mov dword [RESUME], next
      mov ecx, 40
      TO_RING 3, 0x2b, user
    user:
      pushfd
      or dword [esp], 0x100
      popfd
    again:
      mov eax, [ss:0x40000000 + ecx*8] ; #PF (PDPTE 1 not present): logged, resumed at next
    next:
      dec ecx
      jnz again
      int 0x81
    step:                            ; single-step #DB at ring 0 (DS is null here: use SS)
      inc dword [ss:RESULT]
      iret`);
  const pt = new PageTables(g, PT, true);
  pt.identity(0, 16 << 20, P | RW | US);
  return g;
}

describe('cpu system: snapshot and restore', () => {
  for (const at of [2400, 2500, 2777, 3001]) {
    it(`restore at instruction ${at} then run equals the uninterrupted run`, () => {
      const a = build();
      a.run(at);
      const snap = JSON.parse(JSON.stringify(a.cpu.snapshot()));
      const ram = a.p.bus.bytes.slice();
      a.run();
      const b = build();
      b.p.bus.load(0, ram);
      b.cpu.restore(snap);
      b.run();
      assert.deepStrictEqual(b.cpu.snapshot(), a.cpu.snapshot());
      assert.ok(Buffer.from(b.p.bus.bytes).equals(Buffer.from(a.p.bus.bytes)), 'same memory');
      assert.ok(a.log().count > 10, 'the run went through faults and traps');
    });
  }
});
