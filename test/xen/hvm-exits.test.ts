// The VM exits that end a vCPU's run, each taken only when Xen's controls for the domain ask
// for it: CR_ACCESS (CR0/CR4 guest/host masks, CR3 without HAP), INVLPG (without HAP), RDTSC
// (tsc_mode "always_emulate") and EXCEPTION_NMI (#PF without HAP, #UD with hvm_fep, #DB
// always, #BP with a debugger attached), with SDM qualifications and Xen's handling.
import * as assert from 'assert';
import { bootHvm, DESCRIPTORS, HvmBooted } from './hvm-guests';
import type { VmExitRecord } from '../../src/trace/records';
import { setDebugging, hvmSendNmi } from '../../src/xen/hvm';
import { interruptionInfo } from '../../src/xen/abi';

function exitsOf(b: HvmBooted, reason: string): VmExitRecord[] {
  return b.records.filter((r): r is VmExitRecord => r.kind === 'vm-exit' && r.domid === 1 && r.reasonName === `EXIT_REASON_${reason}`);
}

/** results start as 0xdeadbeef: the guests that count clear the first 16 first */
const CLEAR = `
    xor eax, eax
    mov edi, results
    mov ecx, 16
    rep stosd`;

const sym = (b: HvmBooted, name: string) => b.sys.image(1)!.symbolAddress(name)!;

describe('HVM exits that end the run', function () {
  this.timeout(30_000);

  it('CR_ACCESS: mov to CR0 (mask ~0) and host-owned CR4 bits exit, guest-owned ones and same-value writes do not', () => {
    const b = bootHvm([
      {
        name: 'cr',
        body: `${DESCRIPTORS}${CLEAR}
    GATE 13, gp_handler
    mov eax, cr0          ; reads come from the read shadow: no exit
    or eax, 0x20          ; NE
w0: mov cr0, eax          ; exit: CR0, mov to, EAX
    mov cr0, eax          ; the same value: no exit
    mov ebx, cr4
    or ebx, 0x80          ; PGE is the guest's with HAP
    mov cr4, ebx          ; no exit
    or ebx, 0x20          ; PAE is Xen's (HVM_CR4_HOST_MASK)
w1: mov cr4, ebx          ; exit: CR4, mov to, EBX
    mov ecx, cr3          ; CR3 is the guest's with HAP
    mov cr3, ecx
    clts                  ; TS clear: no exit
    mov eax, cr0
    or eax, 8
    mov cr0, eax          ; exit (TS)
w2: clts                  ; exit: clts
    mov ax, 3             ; PE | MP
w3: lmsw ax               ; exit: lmsw, source 3
    mov eax, cr4
    or eax, 0x800         ; a bit this CPU does not have
w4: mov cr4, eax          ; exit, then Xen injects #GP(0)
    mov eax, cr0
    mov [results + 0], eax
    mov eax, cr4
    mov [results + 4], eax`,
        tail: `
gp_handler:
    pop dword [results + 8]    ; the error code
    inc dword [results + 12]
    add dword [esp], 3         ; skip the mov to CR4
    iret`,
      },
    ]);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    // hand count: w0, w1, the mov setting TS, w2, w3, w4 — and the final hlt
    assert.deepStrictEqual(b.exits(1), { EXIT_REASON_CR_ACCESS: 6, EXIT_REASON_HLT: 1 });
    const cr = exitsOf(b, 'CR_ACCESS');
    // qualification (SDM table 28-3): CR in 3:0, type in 5:4, GPR in 11:8, lmsw source in 31:16
    assert.deepStrictEqual(cr.map((r) => r.qualification), [0x000, 0x304, 0x000, 0x020, 0x00030030, 0x004]);
    assert.deepStrictEqual([cr[0].rip, cr[1].rip, cr[3].rip, cr[4].rip, cr[5].rip], ['w0', 'w1', 'w2', 'w3', 'w4'].map((s) => sym(b, s)));
    assert.ok(cr.every((r) => r.handler?.startsWith('xen:')));
    // Xen updated the guest's registers: NE, MP set, TS cleared again; PGE|PAE in CR4
    assert.strictEqual(b.result(1, 0), 0x33);
    assert.strictEqual(b.result(1, 1), 0xa0);
    // the reserved bit: one #GP(0) into the guest, CR4 unchanged
    assert.strictEqual(b.result(1, 2), 0);
    assert.strictEqual(b.result(1, 3), 1);
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });

  // Paging on with one 4 MiB page, then an invlpg and a #PF: with HAP none of it but the CR0
  // write exits; with hap = 0 (shadow paging) Xen intercepts CR3, PSE, invlpg and #PF too.
  const paging = `${DESCRIPTORS}${CLEAR}
    GATE 14, pf_handler
    mov eax, pd
    mov cr3, eax          ; shadow: exit (CR3 load)
    mov eax, cr4
    or eax, 0x10          ; PSE
    mov cr4, eax          ; shadow: exit (PSE is Xen's)
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax          ; exit (both)
    mov ebx, cr3          ; shadow: exit (CR3 store)
    mov [results + 0], ebx
inv: invlpg [0x12345]     ; shadow: exit, qualification = the linear address
pf: mov eax, [0x800000]   ; not present: shadow: exit, reinjected to the guest`;
  const pagingTail = `
pf_handler:
    pop dword [results + 4]    ; error code
    push eax
    mov eax, cr2
    mov [results + 8], eax
    pop eax
    inc dword [results + 12]
    add dword [esp], 5         ; skip the faulting mov
    iret
align 4096
pd: dd 0x83                    ; 0-4 MiB: present, writable, 4 MiB page
    times 1023 dd 0`;

  it('with HAP, paging, invlpg and a guest #PF take no exits but the CR0 write', () => {
    const b = bootHvm([{ name: 'hap', body: paging, tail: pagingTail }]);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    assert.deepStrictEqual(b.exits(1), { EXIT_REASON_CR_ACCESS: 1, EXIT_REASON_HLT: 1 });
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1), b.result(1, 2), b.result(1, 3)], [sym(b, 'pd'), 0, 0x800000, 1]);
  });

  it('with hap = 0, CR3 accesses, PSE, invlpg and #PF exit; the #PF is reinjected with CR2', () => {
    const b = bootHvm([{ name: 'shadow', body: paging, tail: pagingTail, extra: 'hap = 0' }]);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    assert.deepStrictEqual(b.exits(1), { EXIT_REASON_CR_ACCESS: 4, EXIT_REASON_INVLPG: 1, EXIT_REASON_EXCEPTION_NMI: 1, EXIT_REASON_HLT: 1 });
    assert.deepStrictEqual(exitsOf(b, 'CR_ACCESS').map((r) => r.qualification), [0x003, 0x004, 0x000, 0x313]);
    const inv = exitsOf(b, 'INVLPG')[0];
    assert.deepStrictEqual([inv.qualification, inv.rip, inv.handler], [0x12345, sym(b, 'inv'), 'xen:hvm_invlpg']);
    const pf = exitsOf(b, 'EXCEPTION_NMI')[0];
    // qualification: the faulting linear address; interruption info: #PF, hardware exception, error code valid
    assert.deepStrictEqual([pf.qualification, pf.interruptionInfo, pf.rip], [0x800000, interruptionInfo(14, 3, true), sym(b, 'pf')]);
    assert.strictEqual(pf.interruptionInfo, 0x80000b0e);
    // the guest saw the same as with HAP: CR3 read back, #PF with error code 0 at 0x800000, once
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1), b.result(1, 2), b.result(1, 3)], [sym(b, 'pd'), 0, 0x800000, 1]);
  });

  const tsc = `
t0: rdtsc
    mov [results + 0], eax
    mov [results + 4], edx
    mov ecx, 1000
.spin:
    dec ecx
    jnz .spin
    rdtsc
    mov [results + 8], eax`;

  it('RDTSC exits with tsc_mode = "always_emulate" and returns the virtual TSC; natively otherwise', () => {
    const emu = bootHvm([{ name: 'vtsc', body: tsc, extra: 'tsc_mode = "always_emulate"' }]);
    emu.sys.run({ maxInstructions: 1_000_000 });
    assert.deepStrictEqual(emu.exits(1), { EXIT_REASON_RDTSC: 2, EXIT_REASON_HLT: 1 });
    const r = exitsOf(emu, 'RDTSC');
    assert.deepStrictEqual([r[0].rip, r[0].qualification, r[0].handler], [sym(emu, 't0'), 0, 'xen:hvm_rdtsc_intercept']);
    const native = bootHvm([{ name: 'tsc', body: tsc }]);
    native.sys.run({ maxInstructions: 1_000_000 });
    assert.deepStrictEqual(native.exits(1), { EXIT_REASON_HLT: 1 });
    for (const b of [emu, native]) {
      // a 1 GHz TSC of virtual time: the spin of ~2000 instructions lies between the reads
      const [t0, hi, t1] = [b.result(1, 0), b.result(1, 1), b.result(1, 2)];
      assert.strictEqual(hi, 0);
      assert.ok(t1 - t0 >= 2000 * 0.5 && t1 > t0, `${t0} → ${t1}`);
      assert.ok(t1 <= b.sys.now() + 1e6);
    }
  });

  it('#UD exits with hvm_fep: the forced-emulation prefix runs the next instruction, a plain ud2 is reinjected', () => {
    const body = `${DESCRIPTORS}${CLEAR}
    GATE 6, ud_handler
u0: ud2
    mov eax, 0x40000000
u1: db 0x0f, 0x0b, 'xen'  ; Xen's forced emulation prefix
    cpuid
    mov [results + 0], ebx`;
    const tail = `
ud_handler:
    inc dword [results + 4]
    add dword [esp], 2
    iret`;
    const b = bootHvm([{ name: 'fep', body, tail }], { hvmFep: true });
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    // the prefixed cpuid runs natively after the #UD exit (Xen would emulate it within it): its own CPUID exit
    assert.deepStrictEqual(b.exits(1), { EXIT_REASON_EXCEPTION_NMI: 2, EXIT_REASON_CPUID: 1, EXIT_REASON_HLT: 1 });
    const ud = exitsOf(b, 'EXCEPTION_NMI');
    assert.deepStrictEqual(ud.map((r) => [r.rip, r.interruptionInfo, r.handler]), [
      [sym(b, 'u0'), 0x80000306, 'xen:hvm_ud_intercept'],
      [sym(b, 'u1'), 0x80000306, 'xen:hvm_ud_intercept'],
    ]);
    assert.strictEqual(b.result(1, 0), 0x566e6558); // "XenV": the cpuid after the prefix ran
    assert.strictEqual(b.result(1, 1), 1); // only the plain ud2 reached the guest
    // without hvm_fep #UD is not in the exception bitmap
    const off = bootHvm([{ name: 'nofep', body: `${DESCRIPTORS}\n    GATE 6, ud_handler\n    ud2`, tail }]);
    off.sys.run({ maxInstructions: 1_000_000 });
    assert.deepStrictEqual(off.exits(1), { EXIT_REASON_HLT: 1 });
  });

  const dbg = `${DESCRIPTORS}${CLEAR}
    GATE 1, db_handler
    GATE 3, bp_handler
bp: int3
    mov dword [results + 8], 1
    pushfd
    or dword [esp], 0x100
    popfd                 ; TF: a #DB trap after the next instruction
    nop
    mov dword [results + 12], 1`;
  const dbgTail = `
db_handler:
    inc dword [results + 0]
    and dword [esp + 8], ~0x100
    iret
bp_handler:
    inc dword [results + 4]
    iret`;

  it('#DB always exits and is reinjected; #BP goes straight to the guest without a debugger', () => {
    const b = bootHvm([{ name: 'db', body: dbg, tail: dbgTail }]);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    assert.deepStrictEqual(b.exits(1), { EXIT_REASON_EXCEPTION_NMI: 1, EXIT_REASON_HLT: 1 });
    const db = exitsOf(b, 'EXCEPTION_NMI')[0];
    // single-step: qualification BS (bit 14); a hardware exception without error code
    assert.deepStrictEqual([db.qualification, db.interruptionInfo], [0x4000, 0x80000301]);
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1), b.result(1, 2), b.result(1, 3)], [1, 1, 1, 1]);
  });

  it('with a debugger attached, #BP and #DB exit and pause the domain; it resumes after them', () => {
    const b = bootHvm([{ name: 'dbg', body: dbg, tail: dbgTail }]);
    const d = b.sys.domain(1);
    setDebugging(d, true);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    assert.strictEqual(d.state, 'paused');
    const bp = exitsOf(b, 'EXCEPTION_NMI');
    // int3: a software exception (type 6) of vector 3; EIP already after it
    assert.deepStrictEqual(bp.map((r) => [r.interruptionInfo, r.handler]), [[0x80000603, 'xen:domain_pause_for_debugger']]);
    assert.strictEqual(b.sys.hv.cpuOf(d.vcpus[0]).eip >>> 0, sym(b, 'bp') + 1);
    b.sys.hv.unpause(d);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    assert.strictEqual(d.state, 'paused');
    assert.strictEqual(exitsOf(b, 'EXCEPTION_NMI').length, 2);
    setDebugging(d, false);
    b.sys.hv.unpause(d);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: b.sys.now() + 1e7 });
    // the guest's #BP handler never ran; TF was still set (no debugger cleared it), so the next
    // instruction trapped again, now reinjected into the guest's #DB handler, which cleared it
    assert.strictEqual(exitsOf(b, 'EXCEPTION_NMI').length, 3);
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1), b.result(1, 2), b.result(1, 3)], [1, 0, 1, 1]);
    assert.strictEqual(d.shutdownReason, 'poweroff');
  });

  it('an NMI is injected at the next VM entry; one sent while the handler runs waits for its iret (PENDING_VIRT_NMI)', () => {
    const b = bootHvm([
      {
        name: 'nmi',
        body: `${DESCRIPTORS}${CLEAR}
    GATE 2, nmi_handler
.wait:
    cmp dword [results + 0], 2
    jb .wait`,
        tail: `
nmi_handler:
    inc dword [results + 0]
    mov ecx, 100000
.spin:
    dec ecx
    jnz .spin
    inc dword [results + 4]
    iret`,
      },
    ]);
    const hv = b.sys.hv;
    const v = b.sys.domain(1).vcpus[0];
    const cpu = hv.cpuOf(v);
    b.sys.run({ maxInstructions: 10_000, untilTimeNs: b.sys.now() + 1e5 });
    assert.strictEqual(b.result(1, 0), 0);
    hvmSendNmi(hv, v);
    b.sys.run({ maxInstructions: 10_000, untilTimeNs: b.sys.now() + 1e5 });
    // in the handler (IF was clear all along: an NMI is not maskable)
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1), cpu.nmiBlocked], [1, 0, true]);
    hvmSendNmi(hv, v);
    b.sys.run({ maxInstructions: 10_000, untilTimeNs: b.sys.now() + 1e5 });
    assert.strictEqual(b.result(1, 0), 1, 'the second NMI waits while the first handler runs');
    b.sys.run({ maxInstructions: 2_000_000, untilTimeNs: b.sys.now() + 1e9 });
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1)], [2, 2]);
    // NMI-window exiting: one exit when the first handler's iret unblocked NMIs
    assert.deepStrictEqual(b.exits(1), { EXIT_REASON_PENDING_VIRT_NMI: 1, EXIT_REASON_HLT: 1 });
    const entries = b.records.filter((r) => r.kind === 'vm-entry' && r.domid === 1 && r.vector === 2);
    assert.strictEqual(entries.length, 2);
    const window = b.records.findIndex((r) => r.kind === 'vm-exit' && r.reasonName === 'EXIT_REASON_PENDING_VIRT_NMI');
    assert.ok(b.records.indexOf(entries[1]) > window, 'the second NMI enters after the window exit');
  });

  it('MMIO nobody emulates crashes the guest per on_crash (destroy), the exit recorded; others run on', () => {
    const b = bootHvm([
      { name: 'mmio', body: `    mov dword [0xfd000000], 1`, extra: 'on_crash = "destroy"' },
      { name: 'fine', body: `    mov al, 'o'\n    out 0xe9, al\n    mov al, 10\n    out 0xe9, al` },
    ]);
    b.sys.run({ maxInstructions: 1_000_000 });
    const ept = exitsOf(b, 'EPT_VIOLATION');
    assert.strictEqual(ept.length, 1);
    assert.deepStrictEqual([ept[0].qualification, ept[0].handler], [2, 'xen:hvm_hap_nested_page_fault']);
    assert.ok(b.records.some((r) => r.kind === 'domain' && r.domid === 1 && r.event === 'crashed'));
    assert.strictEqual(b.sys.hv.domains.get(1)?.state ?? 'destroyed', 'destroyed');
    assert.deepStrictEqual(b.sys.domain(2).consoleLines, ['o']);
    assert.strictEqual(b.sys.domain(2).shutdownReason, 'poweroff');
  });
});

describe('HVM: EXTERNAL_INTERRUPT', function () {
  this.timeout(120_000);
  it("Xen's scheduler tick interrupts a vCPU in guest mode (vector LOCAL_TIMER_VECTOR), not a halted one; the guest never notices", () => {
    const TICK_MS = 10;
    // a counting loop, then the same time halted with interrupts off (nothing wakes it)
    const b = bootHvm([{ name: 'spin', body: 'xor ecx, ecx\n.loop: inc ecx\n mov [results], ecx\n cmp ecx, 12000000\n jne .loop' }]);
    b.sys.run({ maxInstructions: 1e8, untilTimeNs: 100e6 });
    const ext = b.records.filter((r): r is VmExitRecord => r.kind === 'vm-exit' && r.reasonName === 'EXIT_REASON_EXTERNAL_INTERRUPT');
    // 4 instructions per pass: 48e6 instructions at 1 ns each, so the ticks at 10, 20, 30 and
    // 40 ms find it running; after the loop it halts (cli; hlt) and later ticks find the pCPU idle
    assert.strictEqual(b.result(1, 0), 12000000);
    assert.deepStrictEqual(ext.map((r) => Math.floor(r.time / (TICK_MS * 1e6))), [1, 2, 3, 4]);
    for (const r of ext) {
      assert.strictEqual(r.qualification, 0);
      assert.strictEqual(r.interruptionInfo, (0x80000000 | 0xfa) >>> 0, 'valid, external interrupt, vector 0xfa');
      assert.strictEqual(r.handler, 'xen:do_IRQ');
    }
    // each exit is followed by its VM entry
    const entries = b.records.filter((r) => r.kind === 'vm-entry');
    assert.ok(entries.length >= ext.length);
  });
});

describe('HVM: EPT_VIOLATION records carry the guest-physical address', function () {
  this.timeout(60_000);
  it('for an access Xen emulates itself (LAPIC), one the device model gets (VGA) and one nobody emulates', () => {
    const b = bootHvm([{ name: 'ept', body: 'mov eax, [0xfee00020]\n mov word [0xb8002], 0x0741\n mov eax, [0xa0010]', extra: 'on_crash = "preserve"' }], { dom0: true });
    b.sys.run({ maxInstructions: 2e6 });
    const ept = b.records.filter((r): r is VmExitRecord => r.kind === 'vm-exit' && r.reasonName === 'EXIT_REASON_EPT_VIOLATION');
    assert.deepStrictEqual(ept.map((r) => [r.gpa, r.handler]), [
      [0xfee00020, 'xen:vlapic'],
      [0xb8002, 'dm:vga'],
      [0xa0010, 'xen:hvm_hap_nested_page_fault'],
    ]);
  });
});
