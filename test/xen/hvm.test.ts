// HVM domains: VM exits by Intel reason, the hypercall page through the MSR, the device model
// (UART, PIC + PIT, RTC, exit port), the event channel callback vector, EPT violations.
import * as assert from 'assert';
import { bootHvm, DESCRIPTORS, HYPERCALL_PAGE } from './hvm-guests';
import { PIT_HZ } from '../../src/xen/dm/pit';
import { hvmState } from '../../src/xen/hvm/state';
import { HVM_PARAM } from '../../src/xen/abi';

describe('HVM guests', function () {
  this.timeout(30_000);

  it('takes each exit reason where Xen handles it (CPUID, MSR, VMCALL, I/O, EPT violation, HLT)', () => {
    const b = bootHvm([
      {
        name: 'exits',
        body: `
    mov eax, 0x40000000
    cpuid
    mov [results + 0], ebx
    mov eax, 0x40000002
    cpuid
    mov ecx, ebx
    mov eax, hypercall_page
    xor edx, edx
    wrmsr
    mov ecx, 0x1b
    rdmsr
    mov [results + 4], eax
    xor ebx, ebx
    xor ecx, ecx
    HYPERCALL xen_version
    mov [results + 8], eax
    mov al, 'A'
    out 0xe9, al
    mov al, 10
    out 0xe9, al
    mov eax, [0xfee00030]
    mov [results + 12], eax`,
      },
    ]);
    b.sys.run({ maxInstructions: 1_000_000 });
    // hand count: 2 cpuid, 1 wrmsr, 1 rdmsr, 1 vmcall, 2 outs to 0xE9, 1 LAPIC read, the final hlt
    assert.deepStrictEqual(b.exits(1), {
      EXIT_REASON_CPUID: 2,
      EXIT_REASON_MSR_WRITE: 1,
      EXIT_REASON_MSR_READ: 1,
      EXIT_REASON_VMCALL: 1,
      EXIT_REASON_IO_INSTRUCTION: 2,
      EXIT_REASON_EPT_VIOLATION: 1,
      EXIT_REASON_HLT: 1,
    });
    assert.strictEqual(b.result(1, 0), 0x566e6558); // "XenV"
    assert.strictEqual(b.result(1, 1), 0xfee00900); // APIC base: enabled, BSP
    assert.strictEqual(b.result(1, 2), 0x00040011); // Xen 4.17
    assert.strictEqual(b.result(1, 3), 0x00050014); // Xen's vLAPIC version
    assert.deepStrictEqual(b.console(1), ['A']);
    // hlt with IF clear takes the only vCPU down: the domain powers off
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
    const io = b.records.filter((r) => r.kind === 'vm-exit' && r.reasonName === 'EXIT_REASON_IO_INSTRUCTION');
    // qualification: port in bits 16-31, size-1 in bits 0-2, bit 3 clear for out
    for (const r of io) assert.strictEqual(r.kind === 'vm-exit' && r.qualification, 0xe9 << 16);
    const hc = b.records.find((r) => r.kind === 'hypercall-entry');
    assert.ok(hc && hc.kind === 'hypercall-entry' && hc.name === 'xen_version');
  });

  it('writes a UART hello through the device model, one I/O exit per access', () => {
    const b = bootHvm([
      {
        name: 'uart',
        body: `
    mov esi, msg
.next:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, 0x3fd
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, 0x3f8
    mov al, ah
    out dx, al
    jmp .next
.done:
    mov dx, 0x501
    xor al, al
    out dx, al
    jmp .done
msg: db "hello, uart", 10, 0`,
      },
    ]);
    b.sys.run({ maxInstructions: 1_000_000 });
    assert.deepStrictEqual(b.console(1), ['hello, uart']);
    // 12 characters: an LSR read and a THR write each, then the exit port write
    assert.deepStrictEqual(b.exits(1), { EXIT_REASON_IO_INSTRUCTION: 12 * 2 + 1 });
    const handlers = new Set(b.records.flatMap((r) => (r.kind === 'vm-exit' && r.handler ? [r.handler] : [])));
    assert.deepStrictEqual([...handlers].sort(), ['dm:exit', 'dm:uart']);
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });

  it('counts PIT interrupts through the PIC into the guest IDT, woken from hlt', () => {
    const b = bootHvm([
      {
        name: 'timer',
        body: `${DESCRIPTORS}
    GATE 0x20, irq0
    mov al, 0x11
    out 0x20, al
    mov al, 0x20
    out 0x21, al
    mov al, 4
    out 0x21, al
    mov al, 1
    out 0x21, al
    mov al, 0xfe
    out 0x21, al
    mov al, 0x34
    out 0x43, al
    mov ax, 1193
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
.loop:
    hlt
    cmp dword [ticks], 5
    jb .loop
    cli
    mov eax, [ticks]
    mov [results], eax`,
        tail: `
irq0:
    push eax
    inc dword [ticks]
    mov al, 0x20
    out 0x20, al
    pop eax
    iret
ticks: dd 0`,
      },
    ]);
    b.sys.run({ maxInstructions: 5_000_000, untilTimeNs: 1e9 });
    assert.strictEqual(b.result(1, 0), 5);
    const injected = b.records.filter((r) => r.kind === 'vm-entry' && r.vector === 0x20);
    assert.strictEqual(injected.length, 5);
    // the fifth tick is five PIT periods after the count was loaded
    const period = (1193 * 1e9) / PIT_HZ;
    assert.ok(b.sys.now() >= 5 * period, `virtual time ${b.sys.now()} ns`);
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });

  it('reads the CMOS RTC from the virtual clock (an ioreq round trip)', () => {
    const b = bootHvm([
      {
        name: 'rtc',
        body: `
    mov al, 9
    out 0x70, al
    in al, 0x71
    movzx eax, al
    mov [results], eax
    mov al, 8
    out 0x70, al
    in al, 0x71
    movzx eax, al
    mov [results + 4], eax
    mov al, 0x0d
    out 0x70, al
    in al, 0x71
    movzx eax, al
    mov [results + 8], eax`,
      },
    ]);
    b.sys.run({ maxInstructions: 1_000_000 });
    // the clock starts at 2000-01-01 (BCD): year 00, month 01; register D says valid
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1), b.result(1, 2)], [0x00, 0x01, 0x80]);
    assert.strictEqual(b.exits(1).EXIT_REASON_IO_INSTRUCTION, 6);
    // the last ioreq, left in vCPU 0's slot of the ioreq page (hvm/ioreq.h's ioreq_t): the read
    // of port 0x71, size 1, dir 1 (read), type PIO (0), answered and freed (state NONE)
    const d = b.sys.domain(1);
    const gfn = Number(hvmState(d).params.get(HVM_PARAM.IOREQ_PFN));
    const slot = Uint8Array.from(b.sys.readMemory(1, 'gpa', gfn * 4096, 32).map((x) => x ?? 0));
    const dv = new DataView(slot.buffer);
    assert.deepStrictEqual(
      { addr: Number(dv.getBigUint64(0, true)), data: Number(dv.getBigUint64(8, true)), count: dv.getUint32(16, true), size: dv.getUint32(20, true), state: slot[30] & 0xf, dir: (slot[30] >> 5) & 1, type: slot[31] },
      { addr: 0x71, data: 0x80, count: 1, size: 1, state: 0, dir: 1, type: 0 },
    );
    assert.strictEqual(hvmState(d).ioreqs, 6);
  });

  it('delivers an event channel upcall through HVM_PARAM_CALLBACK_IRQ (vector type)', () => {
    const b = bootHvm([
      {
        name: 'evtchn',
        body: `${DESCRIPTORS}
    GATE 0x40, upcall
${HYPERCALL_PAGE}
    mov ebx, XENMEM_add_to_physmap
    mov ecx, xatp
    HYPERCALL memory_op
    mov [results + 0], eax
    mov ebx, HVMOP_set_param
    mov ecx, param
    HYPERCALL hvm_op
    mov [results + 4], eax
    mov ebx, EVTCHNOP_alloc_unbound
    mov ecx, alloc
    HYPERCALL event_channel_op
    mov eax, [alloc + 4]
    mov [bind + 4], eax
    mov ebx, EVTCHNOP_bind_interdomain
    mov ecx, bind
    HYPERCALL event_channel_op
    mov [results + 8], eax
    mov eax, [bind + 8]
    mov [send], eax
    mov ebx, EVTCHNOP_send
    mov ecx, send
    HYPERCALL event_channel_op
    ; check and sleep without a window: sti's shadow keeps the upcall off until hlt
.wait:
    cli
    cmp dword [upcalls], 0
    jne .done
    sti
    hlt
    jmp .wait
.done:
    cli
    mov eax, [upcalls]
    mov [results + 12], eax
    mov eax, [alloc + 4]
    mov [results + 20], eax`,
        tail: `
upcall:
    inc dword [upcalls]
    mov eax, [0x200000 + 2048]
    mov [results + 16], eax
    mov dword [0x200000 + 2048], 0
    mov byte [0x200000], 0
    iret
upcalls: dd 0
xatp: dw DOMID_SELF, 0
    dd XENMAPSPACE_shared_info, 0, 0x200
param: dw DOMID_SELF, 0
    dd HVM_PARAM_CALLBACK_IRQ, 0x40, 0x02000000
alloc: dw DOMID_SELF, DOMID_SELF
    dd 0
bind: dw DOMID_SELF, 0
    dd 0, 0
send: dd 0`,
      },
    ]);
    b.sys.run({ maxInstructions: 1_000_000, untilTimeNs: 1e8 });
    assert.deepStrictEqual([b.result(1, 0), b.result(1, 1), b.result(1, 2)], [0, 0, 0]);
    assert.strictEqual(b.result(1, 3), 1);
    // the pending word the handler saw: the unbound end (sent to) and the bound end (Xen marks
    // a newly bound local port pending, as evtchn_bind_interdomain does)
    const port = b.result(1, 5);
    assert.strictEqual(b.result(1, 4), ((1 << port) | (1 << (port + 1))) >>> 0);
    assert.ok(b.records.some((r) => r.kind === 'vm-entry' && r.vector === 0x40));
  });

  it('crashes a guest touching gpa nobody backs, with the EPT violation recorded; others run on', () => {
    const b = bootHvm([
      { name: 'bad', body: `    mov eax, [0xa0000]` },
      {
        name: 'good',
        body: `
    mov al, 'o'
    out 0xe9, al
    mov al, 'k'
    out 0xe9, al
    mov al, 10
    out 0xe9, al`,
      },
    ]);
    b.sys.run({ maxInstructions: 1_000_000 });
    assert.strictEqual(b.sys.domain(1).state, 'crashed');
    const ept = b.records.find((r) => r.kind === 'vm-exit' && r.domid === 1 && r.reasonName === 'EXIT_REASON_EPT_VIOLATION');
    assert.ok(ept && ept.kind === 'vm-exit' && ept.qualification === 1);
    assert.deepStrictEqual(b.sys.domain(2).consoleLines, ['ok']);
    assert.strictEqual(b.sys.domain(2).shutdownReason, 'poweroff');
  });
});
