/**
 * Test kit for the system tests: a NASM prelude that gives a guest a GDT with rings 0, 1 and 3,
 * a 32-bit TSS with inner stacks and an I/O permission bitmap, and an IDT whose 256 vectors
 * all reach one logging handler; page-table builders; and a runner over the bare platform.
 *
 * Memory map (physical = linear until a test turns paging on):
 *   0x080000 LOG (see Guest.log), 0x080100 RESULT (test results, dwords)
 *   0x08f000 ring-0 stack top, 0x09f000 ring-1 stack top, 0x0af000 ring-3 stack top
 *   0x100000 the guest image (prelude, then the test body at `test:`)
 *   0x200000 (PT) and up: page tables the tests build
 */
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../../src/cpu/bare';
import { RunResult } from '../../src/cpu/cpu';
import { nasm } from './nasm';

export const LOAD = 0x100000;
export const LOG = 0x80000;
export const OUT = 0x80100;
export const STACK0 = 0x8f000;
export const STACK1 = 0x9f000;
export const STACK3 = 0xaf000;

/** Selectors of the prelude's GDT. */
export const SEL = {
  code0: 0x08,
  data0: 0x10,
  code1: 0x19,
  data1: 0x21,
  code3: 0x2b,
  data3: 0x33,
  tss: 0x38,
  /** First free GDT slot for a test's own descriptors (slots 0x40 … 0x78). */
  free: 0x40,
};

/**
 * The prelude. Handler stub N pushes a zero error code unless vector N is one the CPU pushes a
 * code for (8, 10-14, 17), then its vector; `exc_common` logs and either halts (RESUME = 0) or
 * irets to RESUME. Vector 0x81's gate (DPL 3) is a way back to ring 0: it logs and jumps to
 * the address in RING0_CONT (or halts if it is 0), leaving the interrupt frame on the ring-0 stack.
 */
const PRELUDE = `
bits 32
org ${LOAD}
LOG equ ${LOG}
RESULT equ ${OUT}
PT equ 0x200000
LOG_VEC equ LOG+0
LOG_ERR equ LOG+4
LOG_EIP equ LOG+8
LOG_CS equ LOG+12
LOG_EFL equ LOG+16
LOG_OESP equ LOG+20
LOG_OSS equ LOG+24
LOG_CR2 equ LOG+28
LOG_HESP equ LOG+32
LOG_COUNT equ LOG+36
LOG_DS equ LOG+40
RESUME equ LOG+44
RING0_CONT equ LOG+48
LOG_HCS equ LOG+52
LOG_VECS equ LOG+64     ; the first 16 vectors, in order (byte each)
LOG_ERRS equ LOG+128    ; their error codes (dword each)
LOG_CR2S equ LOG+192    ; CR2 at each (dword each)
STACK0 equ ${STACK0}
STACK1 equ ${STACK1}
STACK3 equ ${STACK3}

%macro TO_RING 3        ; ring, code selector, target  (iret to an outer ring)
  push dword %2 + 8     ; data selector follows its code selector
  push dword STACK%1
  pushfd
  push dword %2
  push dword %3
  iret
%endmacro

%macro SETGATE 3        ; vector, type byte (0x8e int gate DPL0, 0xee int DPL3, 0xef trap DPL3…), selector
  mov eax, %1
  mov byte [idt + eax*8 + 5], %2
  mov word [idt + eax*8 + 2], %3
%endmacro

%macro SETHANDLER 2      ; vector, label: point the vector's gate at the test's own handler
  mov eax, %2
  mov [idt + %1*8], ax
  shr eax, 16
  mov [idt + %1*8 + 6], ax
%endmacro

start:
  lgdt [gdt_ptr]
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  mov ss, ax
  mov esp, STACK0
  jmp 0x08:.reload
.reload:
  ; IDT: 256 interrupt gates (DPL 0) to stub N
  xor ecx, ecx
.gate:
  mov eax, [stubs + ecx*4]
  mov [idt + ecx*8], ax
  mov word [idt + ecx*8 + 2], 0x08
  mov word [idt + ecx*8 + 4], 0x8e00
  shr eax, 16
  mov [idt + ecx*8 + 6], ax
  inc ecx
  cmp ecx, 256
  jb .gate
  SETGATE 0x81, 0xee, 0x08
  lidt [idt_ptr]
  ; TSS descriptor base
  mov eax, tss
  mov [gdt + 0x38 + 2], ax
  shr eax, 16
  mov [gdt + 0x38 + 4], al
  mov [gdt + 0x38 + 7], ah
  mov ax, 0x38
  ltr ax
  jmp test

exc_common:
  push ds
  push eax
  mov ax, 0x10
  mov ds, ax
  mov eax, [esp+8]
  mov [LOG_VEC], eax
  push ecx
  mov ecx, [LOG_COUNT]
  mov eax, [esp+16]
  mov [LOG_ERR], eax
  cmp ecx, 16
  jae .full
  mov [LOG_ERRS + ecx*4], eax
  mov eax, cr2
  mov [LOG_CR2S + ecx*4], eax
  mov eax, [esp+12]
  mov [LOG_VECS + ecx], al
.full:
  pop ecx
  mov eax, [esp+16]
  mov [LOG_EIP], eax
  mov eax, [esp+20]
  mov [LOG_CS], eax
  mov eax, [esp+24]
  mov [LOG_EFL], eax
  mov eax, [esp+28]
  mov [LOG_OESP], eax
  mov eax, [esp+32]
  mov [LOG_OSS], eax
  mov eax, cr2
  mov [LOG_CR2], eax
  mov [LOG_HESP], esp
  mov eax, [esp+4]
  mov [LOG_DS], eax
  mov ax, cs
  mov [LOG_HCS], eax
  inc dword [LOG_COUNT]
  cmp dword [esp+8], 0x81
  je .ring0
  mov eax, [RESUME]
  test eax, eax
  jz .halt
  mov [esp+16], eax
  pop eax
  pop ds
  add esp, 8
  iret
.halt:
  hlt
  jmp .halt
.ring0:
  cmp dword [RING0_CONT], 0
  je .halt
  pop eax
  pop ds
  add esp, 8
  jmp [RING0_CONT]

stubs:
%assign i 0
%rep 256
  dd stub_ %+ i
%assign i i+1
%endrep

%assign i 0
%rep 256
stub_ %+ i:
%if i != 8 && (i < 10 || i > 14) && i != 17
  push dword 0
%endif
  push dword i
  jmp exc_common
%assign i i+1
%endrep

align 8
gdt:
  dq 0
  dq 0x00cf9b000000ffff   ; 0x08 ring-0 code
  dq 0x00cf93000000ffff   ; 0x10 ring-0 data
  dq 0x00cfbb000000ffff   ; 0x18 ring-1 code
  dq 0x00cfb3000000ffff   ; 0x20 ring-1 data
  dq 0x00cffb000000ffff   ; 0x28 ring-3 code
  dq 0x00cff3000000ffff   ; 0x30 ring-3 data
  dw tss_end - tss - 1, 0 ; 0x38 TSS (base patched at start)
  db 0, 0x89, 0, 0
gdt_free:
  times 8 dq 0            ; 0x40 … 0x78 for the test
gdt_end:
gdt_ptr:
  dw gdt_end - gdt - 1
  dd gdt
align 8
idt:
  times 256 dq 0
idt_ptr:
  dw 256*8 - 1
  dd idt

align 16
tss:
  dd 0
  dd STACK0, 0x10         ; esp0, ss0
  dd STACK1, 0x21         ; esp1, ss1
  dd 0, 0                 ; esp2, ss2
  times 18 dd 0           ; cr3 … ldt
  dw 0, iomap - tss       ; I/O map base
iomap:
  times 8192 db 0xff
  db 0xff
tss_end:

test:
`;

export interface Guest {
  cpu: Cpu;
  p: BarePlatform;
  run(max?: number): RunResult;
  /** Dword at a physical address. */
  d(addr: number): number;
  /** The handler's log. */
  log(): { vec: number; err: number; eip: number; cs: number; eflags: number; oesp: number; oss: number; cr2: number; hesp: number; count: number; ds: number; hcs: number; vecs: number[]; errs: number[]; cr2s: number[] };
  /** Offset of a label: the test source must `dd label` it into OUT+4·k (see `out`). */
  out(k: number): number;
  poke(addr: number, bytes: Uint8Array | number[]): void;
  poke32(addr: number, v: number): void;
}

export function guest(body: string): Guest {
  const p = new BarePlatform(16 << 20);
  const cpu = new Cpu(p);
  p.bus.load(LOAD, nasm(PRELUDE + body));
  enterFlatProtectedMode(cpu, LOAD, STACK0);
  const d = (a: number) => (p.bus.bytes[a] | (p.bus.bytes[a + 1] << 8) | (p.bus.bytes[a + 2] << 16) | (p.bus.bytes[a + 3] << 24)) >>> 0;
  const poke = (a: number, bytes: Uint8Array | number[]) => p.bus.load(a, Uint8Array.from(bytes));
  return {
    cpu,
    p,
    run: (max = 1_000_000) => cpu.run(max),
    d,
    log: () => {
      const count = d(LOG + 36);
      const vecs: number[] = [];
      const errs: number[] = [];
      const cr2s: number[] = [];
      for (let k = 0; k < Math.min(count, 16); k++) {
        vecs.push(p.bus.bytes[LOG + 64 + k]);
        errs.push(d(LOG + 128 + 4 * k));
        cr2s.push(d(LOG + 192 + 4 * k));
      }
      return {
        vec: d(LOG), err: d(LOG + 4), eip: d(LOG + 8), cs: d(LOG + 12), eflags: d(LOG + 16), oesp: d(LOG + 20),
        oss: d(LOG + 24), cr2: d(LOG + 28), hesp: d(LOG + 32), count, ds: d(LOG + 40), hcs: d(LOG + 52), vecs, errs, cr2s,
      };
    },
    out: (k: number) => d(OUT + 4 * k),
    poke,
    poke32: (a: number, v: number) => poke(a, [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]),
  };
}

/** Page-table flag bits. */
export const P = 1, RW = 2, US = 4, PWT = 8, PCD = 16, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
export const NX_HI = 0x80000000;

/** Builds page tables directly in the guest's RAM (the guest loads CR3 and turns paging on). */
export class PageTables {
  private next: number;
  constructor(
    private readonly g: Guest,
    readonly root: number,
    readonly pae: boolean,
  ) {
    this.next = root + 0x1000;
    g.poke(root, new Uint8Array(0x1000));
  }

  private alloc(): number {
    const a = this.next;
    this.next += 0x1000;
    this.g.poke(a, new Uint8Array(0x1000));
    return a;
  }

  private entry(addr: number, lo: number, hi = 0): void {
    this.g.poke32(addr, lo);
    if (this.pae) this.g.poke32(addr + 4, hi);
  }

  private read(addr: number): number {
    return this.g.d(addr);
  }

  /** The directory covering `lin` (PAE: through the PDPTE, created present). */
  private dir(lin: number): number {
    if (!this.pae) return this.root;
    const pdpteAddr = this.root + (lin >>> 30) * 8;
    let pdpte = this.read(pdpteAddr);
    if (!(pdpte & P)) {
      pdpte = this.alloc() | P;
      this.entry(pdpteAddr, pdpte);
    }
    return pdpte & ~0xfff;
  }

  /** Map one 4 KiB page; the directory entry gets P|RW|US unless `pdeFlags` says otherwise. */
  map4k(lin: number, phys: number, flags: number, opts: { pdeFlags?: number; hi?: number; pdeHi?: number } = {}): void {
    const dir = this.dir(lin);
    const pdeAddr = this.pae ? dir + ((lin >>> 21) & 0x1ff) * 8 : dir + (lin >>> 22) * 4;
    let pde = this.read(pdeAddr);
    if (!(pde & P) || pde & PS) {
      pde = this.alloc() | (opts.pdeFlags ?? P | RW | US);
      this.entry(pdeAddr, pde, opts.pdeHi ?? 0);
    } else if (opts.pdeFlags !== undefined) {
      pde = (pde & ~0xfff) | opts.pdeFlags;
      this.entry(pdeAddr, pde, opts.pdeHi ?? 0);
    }
    const pteAddr = this.pae ? (pde & ~0xfff) + ((lin >>> 12) & 0x1ff) * 8 : (pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4;
    this.entry(pteAddr, (phys & ~0xfff) | flags, opts.hi ?? 0);
  }

  /** Map a large page (4 MiB two-level, 2 MiB PAE). */
  mapLarge(lin: number, phys: number, flags: number, hi = 0): void {
    const dir = this.dir(lin);
    const pdeAddr = this.pae ? dir + ((lin >>> 21) & 0x1ff) * 8 : dir + (lin >>> 22) * 4;
    this.entry(pdeAddr, phys | flags | PS, hi);
  }

  /** Identity-map [from, to) with large pages. */
  identity(from: number, to: number, flags: number): void {
    const step = this.pae ? 2 << 20 : 4 << 20;
    for (let a = from; a < to; a += step) this.mapLarge(a, a, flags);
  }

  /** Physical address of the leaf entry for `lin` (4 KiB mapping) for inspecting A/D bits. */
  pteAddr(lin: number): number {
    const dir = this.dir(lin);
    const pdeAddr = this.pae ? dir + ((lin >>> 21) & 0x1ff) * 8 : dir + (lin >>> 22) * 4;
    const pde = this.read(pdeAddr);
    if (pde & PS) return pdeAddr;
    return this.pae ? (pde & ~0xfff) + ((lin >>> 12) & 0x1ff) * 8 : (pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4;
  }

  pdeAddr(lin: number): number {
    const dir = this.dir(lin);
    return this.pae ? dir + ((lin >>> 21) & 0x1ff) * 8 : dir + (lin >>> 22) * 4;
  }
}
