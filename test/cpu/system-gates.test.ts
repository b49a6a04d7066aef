/**
 * Protection beyond interrupts: call gates with the stack switch and parameter copy (SDM vol. 3
 * §5.8.3–5.8.6), refused task switches, the I/O permission bitmap and IOPL (vol. 1 §19.5),
 * pushf/popf IF and IOPL rules (vol. 2 POPF), lar/lsl/verr/verw (§5.10.3).
 */
import * as assert from 'assert';
import { guest, SEL, STACK0, STACK3 } from './system-kit';

/** Asm writing a call gate into GDT slot `slot` (byte offset) to 0x08:`label`. */
function callGate(slot: number, label: string, params: number, dpl: number, type = 0xc): string {
  return `
      mov eax, ${label}
      mov [gdt + ${slot}], ax
      mov word [gdt + ${slot + 2}], 0x08
      mov byte [gdt + ${slot + 4}], ${params}
      mov byte [gdt + ${slot + 5}], ${0x80 | (dpl << 5) | type}
      shr eax, 16
      mov [gdt + ${slot + 6}], ax`;
}

describe('cpu system: call gates and task switches', () => {
  it('ring 3 → 0 through a 32-bit call gate copies 2 parameters to the TSS ring-0 stack; retf 8 returns (§5.8.5, fig. 5-13)', () => {
    const g = guest(`
      ${callGate(0x40, 'inner', 2, 3)}
      TO_RING 3, 0x2b, user
    user:
      push dword 0x1111
      push dword 0x2222
      call 0x43:0
    back:
      mov [ss:RESULT+40], esp
      mov eax, cs
      mov [ss:RESULT+44], eax
      mov dword [ss:RESULT+48], back
      int 0x81
    inner:                         ; DS is null here (nulled on the way to ring 3): use SS
      mov [ss:RESULT], esp
      mov eax, cs
      mov [ss:RESULT+4], eax
      %assign k 0
      %rep 6
        mov eax, [esp + k*4]
        mov [ss:RESULT + 8 + k*4], eax
      %assign k k+1
      %endrep
      retf 8`);
    assert.strictEqual(g.run().stop, 'hlt');
    assert.deepStrictEqual(g.log().vecs, [0x81]);
    assert.strictEqual(g.out(0), STACK0 - 24);
    assert.strictEqual(g.out(1), SEL.code0);
    const frame = [2, 3, 4, 5, 6, 7].map((k) => g.out(k));
    assert.deepStrictEqual(frame, [g.out(12), SEL.code3, 0x2222, 0x1111, STACK3 - 8, SEL.data3]);
    assert.strictEqual(g.out(10), STACK3, 'retf 8 released the parameters on the outer stack');
    assert.strictEqual(g.out(11), SEL.code3);
  });

  it('a same-ring call through a gate pushes CS:EIP on the current stack; the gate offset wins over the instruction\'s', () => {
    const g = guest(`
      ${callGate(0x40, 'inner', 0, 0)}
      mov ebx, esp
      call 0x40:0x12345678
    back:
      hlt
    inner:
      mov eax, ebx
      sub eax, esp
      mov [RESULT], eax
      mov eax, [esp]
      mov [RESULT+4], eax
      mov eax, [esp+4]
      mov [RESULT+8], eax
      mov dword [RESULT+12], back
      retf`);
    assert.strictEqual(g.run().stop, 'hlt');
    assert.strictEqual(g.out(0), 8);
    assert.strictEqual(g.out(1), g.out(3));
    assert.strictEqual(g.out(2), SEL.code0);
    assert.strictEqual(g.cpu.r[4], g.cpu.r[3], 'stack balanced after retf');
  });

  it('gate checks: DPL below CPL is #GP(gate); jmp through a gate inward is #GP(code); TSS and task gates are refused with #GP(selector)', () => {
    const g = guest(`
      ${callGate(0x40, 'inner', 0, 0)}
      ${callGate(0x48, 'inner', 0, 3)}
      mov dword [gdt + 0x50], 0x00380000     ; task gate to the TSS
      mov dword [gdt + 0x54], 0x0000e500
      mov dword [RESUME], p1
      TO_RING 3, 0x2b, user
    user:
      call 0x43:0                            ; gate DPL 0 < CPL 3
    p1:
      mov dword [ss:RESUME], p2
      jmp 0x4b:0                             ; jmp may not change privilege
    p2:
      mov dword [ss:RESUME], p3
      jmp 0x53:0                             ; task gate
    p3:
      mov dword [ss:RESUME], 0
      int 0x81
    inner:
      hlt`);
    g.run();
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [13, 13, 13, 0x81]);
    assert.deepStrictEqual(log.errs.slice(0, 3), [0x40, 0x08, 0x50]);
    const g2 = guest(`
      mov dword [RESUME], p1
      jmp 0x38:0                             ; a TSS: task switch refused
    p1:
      mov dword [RESUME], p2
      call 0x38:0
    p2:
      hlt`);
    g2.run();
    assert.deepStrictEqual(g2.log().errs, [0x38, 0x38]);
  });

  it('iret with NT set is refused with #GP(TR) (no task return)', () => {
    const g = guest(`
      mov dword [RESUME], p1
      pushfd
      or dword [esp], 0x4000
      popfd
      iret
    p1:
      hlt`);
    g.run();
    assert.deepStrictEqual(g.log().vecs, [13]);
    assert.deepStrictEqual(g.log().errs, [SEL.tss]);
  });
});

describe('cpu system: I/O permission', () => {
  it('at CPL 3 > IOPL the TSS bitmap decides per byte; every byte of a word access must be clear', () => {
    const g = guest(`
      mov eax, 0xe9
      btr [iomap], eax             ; (an immediate bit offset would wrap at 32)
      mov dword [RESUME], p1
      TO_RING 3, 0x2b, user
    user:
      mov bx, 0x33
      mov ds, bx
      mov al, 'a'
      out 0xe9, al                 ; allowed
      out 0xe8, al                 ; #GP(0)
    p1:
      mov dword [ss:RESUME], p2
      mov dx, 0xe9
      mov ax, 0x6262
      out dx, ax                   ; needs 0xe9 and 0xea: #GP(0)
    p2:
      mov dword [ss:RESUME], 0
      in al, dx                    ; allowed
      mov esi, msg
      mov ecx, 2
      rep outsb                    ; allowed, byte by byte
      int 0x81
    msg: db "cd"`);
    g.run();
    assert.deepStrictEqual(g.log().vecs, [13, 13, 0x81]);
    assert.deepStrictEqual(g.log().errs.slice(0, 2), [0, 0]);
    assert.strictEqual(g.p.consoleText(), 'acd');
  });

  it('IOPL 3 allows every port at CPL 3; a map base past the TSS limit denies every port', () => {
    const g = guest(`
      pushfd
      or dword [esp], 0x3000
      popfd
      TO_RING 3, 0x2b, user
    user:
      mov al, 'x'
      out 0xe9, al
      int 0x81`);
    g.run();
    assert.strictEqual(g.p.consoleText(), 'x');
    const g2 = guest(`
      mov word [tss + 0x66], 0xfff0
      mov eax, 0xe9
      btr [iomap], eax
      mov dword [RESUME], p1
      TO_RING 3, 0x2b, user
    user:
      out 0xe9, al
    p1:
      mov dword [ss:RESUME], 0
      int 0x81`);
    g2.run();
    assert.deepStrictEqual(g2.log().vecs, [13, 0x81]);
    assert.strictEqual(g2.p.consoleText(), '');
  });
});

describe('cpu system: flags and descriptor queries', () => {
  it('popf at CPL 3: IF only with IOPL 3, IOPL never; at CPL 0 both (POPF)', () => {
    const g = guest(`
      TO_RING 3, 0x2b, user
    user:
      push dword 0x3202            ; IF=1, IOPL 3
      popfd
      pushfd
      pop eax
      mov [ss:RESULT], eax         ; IOPL 0: neither changes
      int 0x81`);
    g.run();
    assert.strictEqual(g.out(0) & 0x3200, 0);
    const g2 = guest(`
      pushfd
      or dword [esp], 0x3000       ; IOPL 3 at ring 0
      popfd
      TO_RING 3, 0x2b, user
    user:
      push dword 0x0202            ; IF=1, IOPL 0
      popfd
      pushfd
      pop eax
      mov [ss:RESULT], eax         ; IF changes, IOPL stays 3
      int 0x81`);
    g2.run();
    assert.strictEqual(g2.out(0) & 0x3200, 0x3200);
  });

  it('lar, lsl, verr and verw at CPL 3 see only what that privilege may (§5.10.3)', () => {
    const g = guest(`
      TO_RING 3, 0x2b, user
    user:
      mov ecx, 0x2b
      lar eax, ecx
      setz [ss:RESULT]
      mov [ss:RESULT+4], eax
      mov ecx, 0x08
      mov eax, 0x5a5a
      lar eax, ecx                 ; DPL 0 code at CPL 3: ZF=0, EAX unchanged
      setz [ss:RESULT+8]
      mov [ss:RESULT+12], eax
      mov ecx, 0x33
      lsl eax, ecx
      setz [ss:RESULT+16]
      mov [ss:RESULT+20], eax
      mov ecx, 0x38
      lsl eax, ecx                 ; the TSS is DPL 0
      setz [ss:RESULT+24]
      mov cx, 0x2b
      verr cx
      setz [ss:RESULT+28]
      verw cx
      setz [ss:RESULT+32]
      mov cx, 0x33
      verw cx
      setz [ss:RESULT+36]
      mov cx, 0x10
      verr cx
      setz [ss:RESULT+40]
      xor ecx, ecx
      lar eax, ecx
      setz [ss:RESULT+44]
      int 0x81
    ring0:
      mov ecx, 0x38
      lsl eax, ecx`);
    g.run();
    const z = (k: number) => g.out(k) & 0xff;
    assert.strictEqual(z(0), 1);
    assert.strictEqual(g.out(1), 0x00c0fb00, 'access rights masked with 00F0FF00 (as QEMU; the SDM leaves bits 19:16 undefined)');
    assert.strictEqual(z(2), 0);
    assert.strictEqual(g.out(3), 0x5a5a);
    assert.strictEqual(z(4), 1);
    assert.strictEqual(g.out(5), 0xffffffff);
    assert.strictEqual(z(6), 0, 'lsl of a DPL-0 TSS from CPL 3');
    assert.deepStrictEqual([z(7), z(8), z(9), z(10), z(11)], [1, 0, 1, 0, 0]);
  });

  it('lsl of the TSS at CPL 0 gives its byte limit', () => {
    const g = guest(`
      mov ecx, 0x38
      lsl eax, ecx
      mov [RESULT], eax
      hlt`);
    g.run();
    assert.strictEqual(g.out(0), 104 + 8192);
  });
});

describe('cpu system: local descriptor table', () => {
  it('lldt loads an LDT descriptor; TI=1 selectors read it; sldt reads it back; a null LDT makes TI=1 loads #GP(sel)', () => {
    const g = guest(`
      ; LDT at ldt (one data segment, base 0x5000, DPL 3), its descriptor in GDT slot 0x40
      mov eax, ldt
      mov [gdt + 0x42], ax
      shr eax, 16
      mov [gdt + 0x44], al
      mov [gdt + 0x47], ah
      mov word [gdt + 0x40], 15
      mov byte [gdt + 0x45], 0x82          ; P, type 2 (LDT)
      mov dword [0x5010], 0x600dd00d
      mov ax, 0x40
      lldt ax
      sldt ebx
      mov [RESULT], ebx
      mov ax, 0x0f                         ; index 1, TI, RPL 3
      mov es, ax
      mov eax, [es:0x10]
      mov [RESULT+4], eax
      mov dword [RESUME], next
      xor eax, eax
      lldt ax                              ; null LDT
      mov ax, 0x0f
      mov fs, ax
    next:
      hlt
    align 8
    ldt:
      dq 0
      dq 0x0000f2005000ffff                 ; data, DPL 3, base 0x5000, limit 0xffff`);
    g.run();
    assert.strictEqual(g.out(0), 0x40);
    assert.strictEqual(g.out(1), 0x600dd00d);
    assert.deepStrictEqual(g.log().vecs, [13]);
    assert.deepStrictEqual(g.log().errs, [0x0c]);
  });
});
