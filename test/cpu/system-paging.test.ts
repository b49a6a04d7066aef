/**
 * Paging (SDM vol. 3 ch. 4): 32-bit two-level and PAE paging, U/S and R/W with CR0.WP (§4.6),
 * accessed and dirty bits (§4.8), #PF error codes and CR2 (§4.7), large pages (§4.3, §4.4.2),
 * execute-disable and reserved bits (PAE), the TLB with invlpg, CR3 loads and global pages
 * (§4.10). Page tables are written by the test (PageTables); the guest turns paging on.
 */
import * as assert from 'assert';
import { Guest, PageTables, guest, P, RW, US, A, D, G, NX_HI, OUT, STACK3 } from './system-kit';

const PT = 0x200000;
const WIN = 0x40000000; // test window (linear)
const F1 = 0x300000; // physical frames behind it
const F2 = 0x301000;
const PTE_PTR = OUT + 0xf0; // a dword the test fills with a PTE's address for the guest

interface Mode {
  pae?: boolean;
  pse?: boolean;
  pge?: boolean;
  wp?: boolean;
  nxe?: boolean;
}

/** Asm turning paging on with CR3 = PT. */
function enable(m: Mode): string {
  const cr4 = (m.pae ? 0x20 : 0) | (m.pse ? 0x10 : 0) | (m.pge ? 0x80 : 0);
  return `
      ${m.nxe ? 'mov ecx, 0xc0000080\n      rdmsr\n      or eax, 0x800\n      wrmsr' : ''}
      mov eax, ${cr4}
      mov cr4, eax
      mov eax, PT
      mov cr3, eax
      mov eax, cr0
      or eax, 0x80000000 | ${m.wp ? 0x10000 : 0}
      mov cr0, eax`;
}

/** A guest whose low 16 MiB are identity-mapped (user, writable) with large pages. */
function pagedGuest(m: Mode, body: string, setup: (pt: PageTables, g: Guest) => void): { g: Guest; pt: PageTables } {
  const g = guest(enable(m) + body);
  const pt = new PageTables(g, PT, !!m.pae);
  if (m.pae) pt.identity(0, 16 << 20, P | RW | US);
  else {
    // Without PSE the identity map needs page tables: 4 tables of 4 KiB pages.
    for (let a = 0; a < 16 << 20; a += 0x1000) pt.map4k(a, a, P | RW | US);
  }
  setup(pt, g);
  return { g, pt };
}

for (const pae of [false, true]) {
  const mode = pae ? 'PAE' : 'two-level';
  describe(`cpu system: ${mode} paging`, () => {
    it('reads and writes reach the mapped frame; A on every level, D on the leaf for writes (§4.8)', () => {
      const { g, pt } = pagedGuest({ pae, pse: true }, `
        mov eax, [${WIN}]
        mov [RESULT], eax
        mov dword [${WIN + 0x1000 + 8}], 0xfeedf00d
        hlt`, (pt, g) => {
        pt.map4k(WIN, F1, P | RW);
        pt.map4k(WIN + 0x1000, F2, P | RW);
        g.poke32(F1, 0xcafe1234);
      });
      assert.strictEqual(g.run().stop, 'hlt');
      assert.strictEqual(g.out(0), 0xcafe1234);
      assert.strictEqual(g.d(F2 + 8), 0xfeedf00d);
      const pte1 = g.d(pt.pteAddr(WIN));
      const pte2 = g.d(pt.pteAddr(WIN + 0x1000));
      assert.strictEqual(pte1 & (A | D), A, 'read: accessed, not dirty');
      assert.strictEqual(pte2 & (A | D), A | D, 'write: accessed and dirty');
      assert.strictEqual(g.d(pt.pdeAddr(WIN)) & A, A, 'directory entry accessed');
      assert.strictEqual(g.d(pt.pdeAddr(WIN)) & D, 0, 'D is not set in a non-leaf entry');
    });

    it('#PF error codes and CR2 at ring 0 and ring 3 (§4.7: P, W/R, U/S)', () => {
      const { g } = pagedGuest({ pae, pse: true }, `
        mov dword [RESUME], n1
        mov eax, [${WIN + 0x5000 + 4}]       ; not present, supervisor read: 0
      n1:
        mov dword [RESUME], n2
        mov dword [${WIN + 0x5000 + 8}], 1   ; not present, supervisor write: 2
      n2:
        mov dword [RESUME], n3
        TO_RING 3, 0x2b, user
      user:
        mov eax, [ss:${WIN + 0x5000}]        ; not present, user read: 4
      n3:
        mov dword [ss:RESUME], n4
        mov eax, [ss:${WIN + 0x1000 + 12}]   ; supervisor page, user read: 5
      n4:
        mov dword [ss:RESUME], n5
        mov dword [ss:${WIN + 16}], 1        ; read-only user page, user write: 7
      n5:
        mov eax, [ss:${WIN + 20}]            ; read-only user page, user read: fine
        mov dword [ss:RESUME], 0
        int 0x81`, (pt) => {
        pt.map4k(WIN, F1, P | US);
        pt.map4k(WIN + 0x1000, F2, P | RW);
      });
      g.run();
      const log = g.log();
      assert.deepStrictEqual(log.vecs, [14, 14, 14, 14, 14, 0x81]);
      assert.deepStrictEqual(log.errs.slice(0, 5), [0, 2, 4, 5, 7]);
      assert.deepStrictEqual(log.cr2s.slice(0, 5), [WIN + 0x5004, WIN + 0x5008, WIN + 0x5000, WIN + 0x100c, WIN + 0x10]);
      assert.strictEqual(g.cpu.cr2 >>> 0, WIN + 0x10);
    });

    it('supervisor writes to read-only pages succeed with CR0.WP=0 and fault (error 3) with WP=1 (§4.6)', () => {
      const body = `
        mov dword [RESUME], n1
        mov dword [${WIN}], 0x5a5a5a5a
      n1:
        hlt`;
      const setup = (pt: PageTables) => pt.map4k(WIN, F1, P | US);
      const off = pagedGuest({ pae, pse: true }, body, setup).g;
      off.run();
      assert.strictEqual(off.log().count, 0);
      assert.strictEqual(off.d(F1), 0x5a5a5a5a);
      const on = pagedGuest({ pae, pse: true, wp: true }, body, setup).g;
      on.run();
      assert.deepStrictEqual(on.log().errs, [3]);
      assert.strictEqual(on.d(F1), 0);
    });

    it('the U/S and R/W of every level count: a read-only directory entry makes its pages read-only', () => {
      const { g } = pagedGuest({ pae, pse: true, wp: true }, `
        mov dword [RESUME], n1
        mov dword [${WIN}], 1
      n1:
        mov eax, [${WIN}]
        mov [RESULT], eax
        hlt`, (pt) => pt.map4k(WIN, F1, P | RW | US, { pdeFlags: P | US }));
      g.run();
      assert.deepStrictEqual(g.log().errs, [3]);
    });

    it(`large pages (${pae ? '2 MiB, always available with PAE' : '4 MiB with CR4.PSE'}) map by the directory entry; D is set in it (§4.3/§4.4.2)`, () => {
      const size = pae ? 2 << 20 : 4 << 20;
      const phys = pae ? 0x600000 : 0x800000;
      const { g, pt } = pagedGuest({ pae, pse: true }, `
        mov dword [${WIN + size - 4}], 0x11223344
        mov eax, [${WIN + 0x1234}]
        mov [RESULT], eax
        hlt`, (pt, g) => {
        pt.mapLarge(WIN, phys, P | RW);
        g.poke32(phys + 0x1234, 0x99887766);
      });
      assert.strictEqual(g.run().stop, 'hlt');
      assert.strictEqual(g.d(phys + size - 4), 0x11223344);
      assert.strictEqual(g.out(0), 0x99887766);
      assert.strictEqual(g.d(pt.pdeAddr(WIN)) & (A | D), A | D);
    });

    it('the TLB keeps a stale translation until invlpg or a CR3 load (§4.10.4)', () => {
      const { g, pt } = pagedGuest({ pae, pse: true }, `
        mov eax, [${WIN}]              ; cache WIN → F1
        mov [RESULT], eax
        mov ebx, [${PTE_PTR}]
        mov dword [ebx], ${F2} | 3     ; remap to F2 without telling the TLB
        mov eax, [${WIN}]
        mov [RESULT+4], eax            ; still F1
        invlpg [${WIN}]
        mov eax, [${WIN}]
        mov [RESULT+8], eax            ; F2
        mov dword [ebx], ${F1} | 3
        mov eax, [${WIN}]
        mov [RESULT+12], eax           ; still F2
        mov eax, cr3
        mov cr3, eax
        mov eax, [${WIN}]
        mov [RESULT+16], eax           ; F1 again
        hlt`, (pt, g) => {
        pt.map4k(WIN, F1, P | RW);
        g.poke32(F1, 0x1111);
        g.poke32(F2, 0x2222);
      });
      g.poke32(PTE_PTR, pt.pteAddr(WIN)); // where the guest finds the PTE to edit
      assert.strictEqual(g.run().stop, 'hlt');
      assert.deepStrictEqual([0, 1, 2, 3, 4].map((k) => g.out(k)), [0x1111, 0x1111, 0x2222, 0x2222, 0x1111]);
    });

    it('global pages survive a CR3 load with CR4.PGE and go with invlpg or a PGE toggle (§4.10.2.4)', () => {
      const { g, pt } = pagedGuest({ pae, pse: true, pge: true }, `
        mov ebx, [${PTE_PTR}]
        mov eax, [${WIN}]
        mov dword [ebx], ${F2} | 3 | 0x100
        mov eax, cr3
        mov cr3, eax
        mov eax, [${WIN}]
        mov [RESULT], eax              ; global: still F1
        mov eax, cr4
        and eax, ~0x80
        mov cr4, eax
        or eax, 0x80
        mov cr4, eax
        mov eax, [${WIN}]
        mov [RESULT+4], eax            ; PGE toggled: F2
        mov dword [ebx], ${F1} | 3 | 0x100
        invlpg [${WIN}]
        mov eax, [${WIN}]
        mov [RESULT+8], eax            ; invlpg drops a global entry: F1
        hlt`, (pt, g) => {
        pt.map4k(WIN, F1, P | RW | G);
        g.poke32(F1, 0x1111);
        g.poke32(F2, 0x2222);
      });
      g.poke32(PTE_PTR, pt.pteAddr(WIN));
      assert.strictEqual(g.run().stop, 'hlt');
      assert.deepStrictEqual([0, 1, 2].map((k) => g.out(k)), [0x1111, 0x2222, 0x1111]);
    });

    it('a #PF while delivering a #PF becomes #DF; #DF on the same bad stack shuts down (table 6-5)', () => {
      const { g } = pagedGuest({ pae, pse: true }, `
        mov dword [tss + 4], ${WIN + 0x3000}   ; esp0 on an unmapped page
        TO_RING 3, 0x2b, user
      user:
        mov eax, [ss:${WIN + 0x7000}]`, () => {});
      // The platform sees each event offered (and declines): #PF, then #DF.
      const offered: number[] = [];
      g.p.intercept = (ev) => {
        offered.push(ev.vector, ev.errorCode ?? -1);
        return false;
      };
      const r = g.run();
      assert.deepStrictEqual(offered, [14, 4, 8, 0]);
      assert.strictEqual(r.stop, 'triple-fault');
      assert.strictEqual(g.cpu.cr2 >>> 0, WIN + 0x3000 - 4, 'CR2 from the fault while pushing the frame');
    });
  });
}

describe('cpu system: paging details', () => {
  it('two-level: PS in a directory entry is ignored without CR4.PSE (a page-table pointer)', () => {
    const { g } = pagedGuest({ pse: false }, `
      mov eax, [${WIN + 0x10}]
      mov [RESULT], eax
      hlt`, (pt, g) => {
      // The directory entry points at a "page table" at F1 whose entry 0 maps F2.
      pt.mapLarge(WIN, F1, P | RW);
      g.poke32(F1, F2 | P | RW);
      g.poke32(F2 + 0x10, 0xabcdef01);
    });
    g.run();
    assert.strictEqual(g.out(0), 0xabcdef01);
  });

  it('PAE: the PDPTEs load at the CR3 write; later edits of the table do not matter until the next load (§4.4.1)', () => {
    const { g, pt } = pagedGuest({ pae: true }, `
      mov dword [PT + 8], 0          ; clear PDPTE 1 (covers 0x40000000) in memory only
      mov eax, [${WIN}]
      mov [RESULT], eax
      mov dword [RESUME], n1
      mov eax, cr3
      mov cr3, eax                   ; reload: PDPTE 1 now not present
      mov eax, [${WIN}]
    n1:
      hlt`, (pt, g) => {
      pt.map4k(WIN, F1, P | RW);
      g.poke32(F1, 0x7777);
    });
    void pt;
    g.run();
    assert.strictEqual(g.out(0), 0x7777);
    assert.deepStrictEqual(g.log().errs, [0]);
    assert.deepStrictEqual(g.log().cr2s, [WIN]);
  });

  it('PAE: a reserved bit in a present PDPTE makes the CR3 load #GP(0)', () => {
    const { g } = pagedGuest({ pae: true }, `
      mov dword [RESUME], n1
      or dword [PT], 0x4             ; bit 2 of a PDPTE is reserved
      mov eax, cr3
      mov cr3, eax
    n1:
      hlt`, () => {});
    g.run();
    assert.deepStrictEqual(g.log().vecs, [13]);
    assert.deepStrictEqual(g.log().errs, [0]);
  });

  it('PAE: execute-disable with EFER.NXE faults fetches only (error P|I = 0x11) (§4.7)', () => {
    const { g } = pagedGuest({ pae: true, nxe: true }, `
      mov eax, [${WIN}]              ; reading an NX page is fine
      mov [RESULT], eax
      mov dword [RESUME], n1
      mov dword [RESULT+4], n1
      jmp ${WIN}
    n1:
      hlt`, (pt, g) => {
      pt.map4k(WIN, F1, P | RW, { hi: NX_HI });
      g.poke(F1, [0x90, 0xf4]); // nop; hlt
    });
    g.run();
    assert.strictEqual(g.out(0), 0x0000f490);
    assert.deepStrictEqual(g.log().errs, [0x11]);
    assert.deepStrictEqual(g.log().cr2s, [WIN]);
  });

  it('PAE: an instruction running into a not-present page faults on the fetch: CR2 = that page, I/D set with NXE, EIP at the instruction', () => {
    const { g } = pagedGuest({ pae: true, nxe: true }, `
      mov dword [RESUME], n1
      jmp ${WIN + 0xffe}
    n1:
      hlt`, (pt, g) => {
      pt.map4k(WIN, F1, P | RW);
      g.poke(F1 + 0xffe, [0xb8, 0x78]); // mov eax, imm32: the immediate's last 3 bytes are on the next page
    });
    g.run();
    const log = g.log();
    assert.deepStrictEqual(log.errs, [0x10]);
    assert.deepStrictEqual(log.cr2s, [WIN + 0x1000]);
    assert.strictEqual(log.eip, WIN + 0xffe);
  });

  it('PAE: without EFER.NXE bit 63 is reserved: any access is #PF with RSVD (error 0x9)', () => {
    const { g } = pagedGuest({ pae: true }, `
      mov dword [RESUME], n1
      mov eax, [${WIN}]
    n1:
      hlt`, (pt) => pt.map4k(WIN, F1, P | RW, { hi: NX_HI }));
    g.run();
    assert.deepStrictEqual(g.log().errs, [0x9]);
  });

  it('PAE: physical-address bits above MAXPHYADDR (32) are reserved (#PF RSVD, write: 0xb)', () => {
    const { g } = pagedGuest({ pae: true }, `
      mov dword [RESUME], n1
      mov dword [${WIN}], 1
    n1:
      hlt`, (pt) => pt.map4k(WIN, F1, P | RW, { hi: 1 }));
    g.run();
    assert.deepStrictEqual(g.log().errs, [0xb]);
  });

  it('PAE at ring 1 (a Xen PV kernel): supervisor accesses — read-only page tables write-fault with error 3, user pages are usable', () => {
    const { g } = pagedGuest({ pae: true, wp: true }, `
      mov dword [RESUME], q1
      TO_RING 1, 0x19, kernel
    kernel:
      mov ax, 0x21
      mov ds, ax
      mov eax, [${WIN}]                      ; read-only user page: readable from ring 1
      mov [RESULT], eax
      mov dword [${WIN}], 1                  ; … but not writable with WP: 3 (P|W, supervisor)
    q1:
      mov dword [RESUME], q2
      mov eax, [${WIN + 0x9000}]             ; not present: 0
    q2:
      mov dword [RESUME], 0
      mov eax, cs
      mov [RESULT+4], eax
      int 0x81`, (pt, g) => {
      pt.map4k(WIN, F1, P | US);
      g.poke32(F1, 0x51515151);
    });
    g.run();
    const log = g.log();
    assert.strictEqual(g.out(0), 0x51515151);
    assert.deepStrictEqual(log.vecs, [14, 14, 0x81]);
    assert.deepStrictEqual(log.errs.slice(0, 2), [3, 0]);
    assert.deepStrictEqual(log.cr2s.slice(0, 2), [WIN, WIN + 0x9000]);
    assert.strictEqual(g.out(1), 0x19);
  });

  it('implicit supervisor accesses: a ring-3 int reads a supervisor-only IDT, GDT and TSS (§4.6)', () => {
    // Identity map of the image with 4 KiB pages, all supervisor-only except the user code and
    // stack pages, which the guest opens up itself before entering ring 3.
    const g = guest(enable({ pae: true }) + `
      TO_RING 3, 0x2b, user
    align 4096
    user:
      int 0x81
      hlt`);
    const pt = new PageTables(g, PT, true);
    for (let a = 0; a < 4 << 20; a += 0x1000) pt.map4k(a, a, P | RW);
    // Only the user code page and the ring-3 stack page are user-accessible.
    for (const a of [findUserPage(g), STACK3 - 0x1000]) {
      const e = pt.pteAddr(a);
      g.poke32(e, g.d(e) | US);
    }
    const r = g.run();
    assert.strictEqual(r.stop, 'hlt');
    assert.deepStrictEqual(g.log().vecs, [0x81]);
    assert.strictEqual(g.log().cs, 0x2b);
  });
});

/** Locate the page-aligned `user:` code (int 0x81 = CD 81 at a page start after the prelude). */
function findUserPage(g: Guest): number {
  const bytes = g.p.bus.bytes;
  for (let a = 0x101000; a < 0x180000; a += 0x1000) if (bytes[a] === 0xcd && bytes[a + 1] === 0x81) return a;
  throw new Error('user page not found');
}
