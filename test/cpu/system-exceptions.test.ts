/**
 * Every exception vector with its error code and saved EIP (SDM vol. 3 §6.15 "Exception and
 * Interrupt Reference"), the x87/MMX #NM/#UD rules (§2.5 CR0.EM/TS), privileged instructions at
 * CPL 3 (§5.9), and the debug exceptions (§17.3: single-step, instruction and data breakpoints).
 */
import * as assert from 'assert';
import { guest } from './system-kit';

/** Runs `body` at ring 0; RESULT+0 gets the address of label `here`, RESULT+4 of label `next`. */
function one(body: string): ReturnType<typeof guest> {
  const g = guest(`
      mov dword [RESULT], here
      mov dword [RESULT+4], next
      ${body}
      hlt`);
  assert.strictEqual(g.run().stop, 'hlt');
  return g;
}

describe('cpu system: exceptions', () => {
  it('#DE: div by zero and idiv overflow, EIP at the instruction (§6.15 int 0)', () => {
    const g = one(`
      mov dword [RESULT+8], d2
      mov dword [RESUME], r1
      xor ecx, ecx
    here: div ecx
    r1:
      mov dword [RESUME], next
      mov eax, 0x80000000
      cdq
      mov ecx, -1
    d2: idiv ecx
    next:`);
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [0, 0]);
    assert.strictEqual(log.errs[0], 0, 'no error code (the stub pushed 0)');
    assert.strictEqual(log.eip, g.out(2), 'second #DE at the idiv');
  });

  it('#BP (int3) and #OF (into) are traps: saved EIP after the instruction', () => {
    const g = one(`
      mov dword [RESULT+8], r1
      mov dword [RESULT+12], r2
      mov dword [RESUME], r1
      int3
    r1:
      mov dword [RESUME], r2
      mov al, 0x7f
      add al, 1
      into
    r2:
      mov dword [RESUME], r3
      mov al, 1
      add al, 1
      into                      ; OF=0: nothing
    r3:
    here:
    next:`);
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [3, 4]);
    assert.strictEqual(log.eip, g.out(3), '#OF saved EIP after into');
    assert.strictEqual(g.d(0x80000 + 8), g.out(3));
  });

  it('#BR: bound out of range, EIP at bound', () => {
    const g = one(`
      mov dword [RESUME], next
      mov eax, 11
    here: bound eax, [bounds]
    next:
      jmp over
    bounds: dd 1, 10
    over:`);
    assert.deepStrictEqual(g.log().vecs, [5]);
    assert.strictEqual(g.log().eip, g.out(0));
  });

  it('#UD: ud2, a lock prefix on a non-locking instruction, mov to cr1', () => {
    const g = one(`
      mov dword [RESUME], r1
      ud2
    r1:
      mov dword [RESUME], r2
      db 0xf0, 0x90             ; lock nop
    r2:
      mov dword [RESUME], r3
      mov cr1, eax
    r3:
    here:
    next:`);
    assert.deepStrictEqual(g.log().vecs, [6, 6, 6]);
  });

  it('x87 with CR0.EM or CR0.TS is #NM; without either (no FPU reported) it is #UD; wait is #NM only with MP and TS', () => {
    const g = one(`
      mov dword [RESUME], r1
      mov eax, cr0
      or eax, 8                 ; TS
      mov cr0, eax
      fld1
    r1:
      mov dword [RESUME], r2
      wait                      ; MP=0: no #NM
      or eax, 2                 ; MP
      mov cr0, eax
      wait
    r2:
      mov dword [RESUME], r3
      and eax, ~0xa             ; no TS, no MP
      or eax, 4                 ; EM
      mov cr0, eax
      fadd st0, st1
    r3:
      mov dword [RESUME], r4
      and eax, ~4
      mov cr0, eax
      fld1
    r4:
      mov dword [RESUME], r5
      movq mm0, mm1             ; MMX: not reported by CPUID, #UD
    r5:
      mov dword [RESUME], r6
      addps xmm0, xmm1          ; SSE: #UD
    r6:
    here:
    next:`);
    assert.deepStrictEqual(g.log().vecs, [7, 7, 7, 6, 6, 6]);
  });

  it('privileged instructions at CPL 3 are #GP(0) (§5.9)', () => {
    const insns = [
      'hlt', 'mov cr0, eax', 'mov eax, cr3', 'mov dr7, eax', 'lgdt [0]', 'lidt [0]', 'lldt ax', 'ltr ax',
      'invlpg [0]', 'clts', 'wbinvd', 'invd', 'rdmsr', 'wrmsr', 'lmsw ax', 'cli', 'sti', 'in al, 0x80', 'out 0x80, al',
    ];
    let body = 'TO_RING 3, 0x2b, user\nuser:\n';
    insns.forEach((insn, k) => {
      body += `mov dword [ss:RESUME], p${k}\n${insn}\np${k}:\n`;
    });
    body += 'mov dword [ss:RESUME], 0\nint 0x81\nhere:\nnext:';
    const g = one(body);
    const log = g.log();
    assert.strictEqual(log.count, insns.length + 1);
    assert.deepStrictEqual(log.vecs.slice(0, 15), new Array(15).fill(13));
    assert.deepStrictEqual(log.errs.slice(0, 15), new Array(15).fill(0));
  });

  it('#NP(selector) for a not-present data segment, #SS(selector) for a not-present stack, #GP(selector) for a system descriptor in DS', () => {
    const g = one(`
      mov dword [gdt + 0x40], 0x0000ffff
      mov dword [gdt + 0x44], 0x00cf1300 ; data, P=0
      mov dword [RESUME], r1
      mov ax, 0x40
      mov ds, ax
    r1:
      mov dword [RESUME], r2
      mov ss, ax
    r2:
      mov dword [RESUME], r3
      mov ax, 0x38                       ; the TSS
      mov ds, ax
    r3:
      mov dword [RESUME], r4
      xor eax, eax
      mov ss, ax                         ; null SS: #GP(0)
    r4:
      mov dword [RESUME], r5
      mov ax, 0x08
      mov ss, ax                         ; code segment into SS
    r5:
    here:
    next:`);
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [11, 12, 13, 13, 13]);
    assert.deepStrictEqual(log.errs, [0x40, 0x40, 0x38, 0, 0x08]);
  });

  it('segment limits: #GP(0) beyond a data segment limit, #SS(0) beyond the stack limit', () => {
    const g = one(`
      mov dword [gdt + 0x40], 0x00000fff ; base 0, limit 0xfff, byte granular, 32-bit data
      mov dword [gdt + 0x44], 0x00409300
      mov ax, 0x40
      mov es, ax
      mov dword [RESUME], r1
      mov eax, [es:0xffc]                ; last dword: fine
      mov eax, [es:0xffd]                ; crosses the limit
    r1:
      ; #SS needs a stack for its own frame: fault at ring 3, deliver on the ring-0 stack.
      mov dword [gdt + 0x48], 0x00000fff
      mov dword [gdt + 0x4c], 0x0040f300 ; the same, DPL 3
      mov dword [RESUME], r2
      TO_RING 3, 0x2b, user
    user:
      mov ax, 0x4b
      mov ss, ax
      mov esp, 0x1000 + 4                ; just above the limit
      push eax                           ; writes 0x1000..0x1003: #SS(0)
    r2:
      mov ax, 0x33
      mov ss, ax
      mov esp, STACK3
      mov dword [ss:RESUME], 0
      int 0x81
    here:
    next:`);
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [13, 12, 0x81]);
    assert.deepStrictEqual(log.errs.slice(0, 2), [0, 0]);
  });

  it('#DB single-step: TF set by popf traps after the following instruction; DR6.BS (§17.3.1.4)', () => {
    const g = one(`
      pushfd
      or dword [esp], 0x100
      popfd
      mov eax, 1                 ; runs with TF=1
    here:
    next:
      mov eax, 2`);
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [1]);
    assert.strictEqual(log.eip, g.out(0), 'trap: EIP after the stepped instruction');
    assert.strictEqual(log.eflags & 0x100, 0x100, 'TF saved set');
    assert.strictEqual(g.cpu.dr[6] & 0x4000, 0x4000);
  });

  it('#DB single-step across a loop with a handler that irets: one trap per instruction', () => {
    const g = guest(`
      SETHANDLER 1, step
      mov ecx, 5
      pushfd
      or dword [esp], 0x100
      popfd
    l: dec ecx
      jnz l
      pushfd
      and dword [esp], ~0x100
      popfd
      hlt
    step:
      inc dword [RESULT]
      iret`);
    assert.strictEqual(g.run().stop, 'hlt');
    // Steps: 5×(dec, jnz) + pushfd + and + popfd (TF was set at its start) = 13.
    assert.strictEqual(g.out(0), 13);
  });

  it('single-stepping int n traps at the handler\'s first instruction; its iret returns with TF and the next instruction traps (§17.3.1.4)', () => {
    const g = guest(`
      SETHANDLER 1, step
      SETHANDLER 0x50, h50
      mov dword [RESULT], h50
      mov dword [RESULT+4], after
      pushfd
      or dword [esp], 0x100
      popfd
      int 0x50
      mov eax, 1
    after:
      pushfd
      and dword [esp], ~0x100
      popfd
      hlt
    h50:
      iret
    step:
      push eax
      push ecx
      mov eax, [esp+8]
      mov ecx, [RESULT+8]
      mov [RESULT+12+ecx*4], eax
      inc dword [RESULT+8]
      pop ecx
      pop eax
      iret`);
    assert.strictEqual(g.run().stop, 'hlt');
    const n = g.out(2);
    const eips = Array.from({ length: n }, (_, k) => g.out(3 + k));
    // int 0x50 → trap at h50; h50's iret ran with TF=0; mov eax → trap at after; then pushfd,
    // and, popfd (TF set at its start) trap too: 5 traps.
    assert.deepStrictEqual(eips.slice(0, 2), [g.out(0), g.out(1)]);
    assert.strictEqual(n, 5);
  });

  it('instruction breakpoint (DR0, DR7.L0, RW=00) faults before the instruction; RF lets it run once (§17.3.1.1)', () => {
    const g = guest(`
      SETHANDLER 1, hit
      mov eax, target
      mov dr0, eax
      mov eax, 1
      mov dr7, eax
      xor ebx, ebx
    target:
      inc ebx
      inc ebx
      hlt
    hit:
      inc dword [RESULT]
      mov eax, [esp]
      mov [RESULT+4], eax
      mov eax, dr6
      mov [RESULT+8], eax
      or dword [esp+8], 0x10000 ; RF in the saved EFLAGS
      iret`);
    assert.strictEqual(g.run().stop, 'hlt');
    assert.strictEqual(g.out(0), 1, 'one #DB');
    assert.strictEqual(g.cpu.r[3], 2, 'the breakpointed instruction then ran');
    assert.strictEqual(g.out(2) & 0xf, 1, 'DR6.B0');
    assert.strictEqual(g.cpu.getEflags() & 0x10000, 0, 'RF cleared after the instruction');
  });

  it('data breakpoint (DR1, RW=01 write, LEN=4) traps after the writing instruction, not on reads', () => {
    const g = one(`
      mov dword [RESUME], next
      mov eax, var
      mov dr1, eax
      mov eax, (1 << 2) | (1 << 20) | (3 << 22)
      mov dr7, eax
      mov eax, [var]             ; read: no trap
      mov word [var + 2], 7      ; overlaps the watched dword
    here:
      nop
    next:
      jmp over
    align 4
    var: dd 0
    over:`);
    const log = g.log();
    assert.deepStrictEqual(log.vecs, [1]);
    assert.strictEqual(log.eip, g.out(0), 'trap: EIP after the write');
    assert.strictEqual(g.cpu.dr[6] & 0xf, 2, 'DR6.B1');
  });

  it('DR7.GD: the next debug-register access is a #DB fault with DR6.BD, GD cleared (§17.2.4)', () => {
    const g = one(`
      mov eax, 0x2000
      mov dr7, eax
      mov dword [RESUME], next
    here:
      mov eax, dr0
    next:`);
    assert.deepStrictEqual(g.log().vecs, [1]);
    assert.strictEqual(g.log().eip, g.out(0), 'fault: EIP at the mov');
    assert.strictEqual(g.cpu.dr[6] & 0x2000, 0x2000);
    assert.strictEqual(g.cpu.dr[7] & 0x2000, 0);
  });
});
