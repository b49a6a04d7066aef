// One guest per hypercall family: results, Xen's errno and the effects a guest can see.
import * as assert from 'assert';
import { boot, runToEnd } from './guest';
import { XEN_ERRNO } from '../../src/xen/abi';

const E = (name: keyof typeof XEN_ERRNO) => -XEN_ERRNO[name];

function run1(body: string): ReturnType<typeof boot> {
  const b = boot([{ name: 'fam', body }]);
  runToEnd(b);
  return b;
}

describe('xen: hypercall families', () => {
  it('set_trap_table: #UD and int3 bounce to the registered handlers with Xen\'s frame', () => {
    const b = run1(`
    mov ebx, traps
    HYPERCALL set_trap_table
    RESULT 0
    ud2
after_ud:
    int3
after_bp:
    jmp done
ud_handler:                 ; frame: eip, cs, eflags
    mov eax, [esp]
    RESULT 1
    mov eax, [esp + 4]
    RESULT 2
    add dword [esp], 2      ; skip the ud2
    jmp hypercall_page + __HYPERVISOR_iret * 32
bp_handler:
    mov eax, [esp]
    RESULT 3
    jmp hypercall_page + __HYPERVISOR_iret * 32
traps:
    db 6, 0
    dw 0xe019
    dd ud_handler
    db 3, 3
    dw 0xe019
    dd bp_handler
    times 8 db 0
done:`);
    const at = (s: string) => b.sys.image(1)!.symbolAddress(s)!;
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1) >>> 0, at('after_ud') - 2, '#UD frame eip = the faulting instruction');
    assert.strictEqual(b.result(1, 2) & 0xffff, 0xe019, 'saved cs');
    assert.strictEqual(b.result(1, 3) >>> 0, at('after_bp'), 'int3 frame eip = after the instruction');
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });

  it('mmu_update MMU_MACHPHYS_UPDATE changes the read-only M2P the guest sees at 0xF5800000', () => {
    const b = run1(`
    mov eax, [esi + 68]         ; mfn_list
    mov eax, [eax + 0x100 * 4]  ; mfn of pfn 0x100 (our first page)
    mov [scratch + 32], eax
    mov eax, [0xF5800000 + eax * 4]
    RESULT 0                    ; M2P before: 0x100
    mov eax, [scratch + 32]
    shl eax, 12
    or eax, MMU_MACHPHYS_UPDATE
    mov [scratch], eax
    mov dword [scratch + 4], 0
    mov dword [scratch + 8], 0x1234
    mov dword [scratch + 12], 0
    mov ebx, scratch
    mov ecx, 1
    mov edx, scratch + 16
    mov esi, DOMID_SELF
    HYPERCALL mmu_update
    RESULT 1
    mov eax, [scratch + 16]
    RESULT 2                    ; success count
    mov eax, [scratch + 32]
    mov eax, [0xF5800000 + eax * 4]
    RESULT 3
    mov dword [0xF5800000], 0   ; the M2P is read-only: #PF, no handler: crash`);
    assert.strictEqual(b.result(1, 0), 0x100);
    assert.strictEqual(b.result(1, 1), 0);
    assert.strictEqual(b.result(1, 2), 1);
    assert.strictEqual(b.result(1, 3), 0x1234);
    assert.strictEqual(b.sys.domain(1).state, 'crashed', 'writing the M2P faults');
  });

  it('mmuext_op: unpin of an unpinned page and a second pin are -EINVAL; success count written', () => {
    const b = run1(`
    mov eax, [esi + 60]         ; pt_base: the builder pinned it
    shr eax, 12
    mov edx, [esi + 68]
    mov eax, [edx + eax * 4]
    mov [ops + 4], eax
    mov [ops + 16], eax
    mov ebx, ops                ; PIN_L3 of an already pinned L3
    mov ecx, 1
    mov edx, scratch
    mov esi, DOMID_SELF
    HYPERCALL mmuext_op
    RESULT 0
    mov eax, [scratch]
    RESULT 1
    mov eax, [esi_mfn]
    mov ebx, ops + 12           ; TLB_FLUSH_LOCAL then UNPIN of a data page
    mov ecx, 2
    mov edx, scratch
    mov esi, DOMID_SELF
    HYPERCALL mmuext_op
    RESULT 2
    mov eax, [scratch]
    RESULT 3
    jmp done
esi_mfn: dd 0
ops:
    dd MMUEXT_PIN_L3_TABLE, 0, 0
    dd MMUEXT_TLB_FLUSH_LOCAL, 0, 0
    dd MMUEXT_UNPIN_TABLE, 0x100, 0
done:`);
    assert.strictEqual(b.result(1, 0), E('EINVAL'), 'already pinned');
    assert.strictEqual(b.result(1, 1), 0);
    assert.strictEqual(b.result(1, 2), E('EINVAL'), 'unpin of a page that is not pinned');
    assert.strictEqual(b.result(1, 3), 1, 'the flush before it was done');
  });

  it('memory_op: reservations, maximum_ram_page, decrease then increase', () => {
    const b = run1(`
    mov word [scratch], DOMID_SELF
    mov ebx, XENMEM_current_reservation
    mov ecx, scratch
    HYPERCALL memory_op
    RESULT 0
    mov ebx, XENMEM_maximum_reservation
    mov ecx, scratch
    HYPERCALL memory_op
    RESULT 1
    mov ebx, XENMEM_maximum_ram_page
    xor ecx, ecx
    HYPERCALL memory_op
    RESULT 2
    ; give back pfn 0xf00 (unmapped: beyond the initial mapping), then take one page
    mov dword [scratch + 64], 0xf00
    mov dword [scratch + 32], scratch + 64
    mov dword [scratch + 36], 1
    mov dword [scratch + 40], 0
    mov dword [scratch + 44], 0
    mov word [scratch + 48], DOMID_SELF
    mov ebx, XENMEM_decrease_reservation
    mov ecx, scratch + 32
    HYPERCALL memory_op
    RESULT 3
    mov ebx, XENMEM_current_reservation
    mov ecx, scratch
    HYPERCALL memory_op
    RESULT 4
    mov ebx, XENMEM_increase_reservation
    mov ecx, scratch + 32
    HYPERCALL memory_op
    RESULT 5
    mov eax, [scratch + 64]
    RESULT 6                    ; the new page's mfn
    mov ebx, 99
    HYPERCALL memory_op
    RESULT 7
    mov ebx, 12                 ; XENMEM_machphys_mapping
    mov ecx, scratch + 96
    HYPERCALL memory_op
    mov eax, [scratch + 96]
    RESULT 8
    mov eax, [scratch + 104]
    RESULT 9`);
    assert.strictEqual(b.result(1, 0), 4096);
    assert.strictEqual(b.result(1, 1), 4096);
    assert.strictEqual(b.result(1, 2), b.sys.hv.machine.nrFrames - 1);
    assert.strictEqual(b.result(1, 3), 1);
    assert.strictEqual(b.result(1, 4), 4095);
    assert.strictEqual(b.result(1, 5), 1);
    assert.strictEqual(b.sys.hv.mm.info[b.result(1, 6)].owner, 1, "the new frame is the domain's");
    assert.strictEqual(b.result(1, 7), E('ENOSYS'));
    assert.strictEqual(b.result(1, 8) >>> 0, 0xf5800000, 'machphys_mapping v_start');
    assert.strictEqual(b.result(1, 9), b.sys.hv.machine.nrFrames - 1, 'max_mfn');
  });

  it('multicall runs each entry and writes its result back', () => {
    const b = run1(`
    mov ebx, calls
    mov ecx, 3
    HYPERCALL multicall
    RESULT 0
    mov eax, [calls + 4]
    RESULT 1
    mov eax, [calls + 32 + 4]
    RESULT 2
    mov eax, [calls + 64 + 4]
    RESULT 3
    jmp done
calls:
    dd __HYPERVISOR_xen_version, 0, XENVER_version, 0, 0, 0, 0, 0
    dd 60, 0, 0, 0, 0, 0, 0, 0
    dd __HYPERVISOR_xen_version, 0, XENVER_pagesize, 0, 0, 0, 0, 0
done:`);
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1), 0x40011);
    assert.strictEqual(b.result(1, 2), E('ENOSYS'));
    assert.strictEqual(b.result(1, 3), 4096);
  });

  it('vcpu_op: is_up, get_runstate_info, bad vcpu -ENOENT; a single-shot timer in the past fires VIRQ_TIMER', () => {
    const b = run1(`
    mov ebx, VCPUOP_is_up
    xor ecx, ecx
    xor edx, edx
    HYPERCALL vcpu_op
    RESULT 0
    mov ebx, VCPUOP_get_runstate_info
    xor ecx, ecx
    mov edx, scratch
    HYPERCALL vcpu_op
    RESULT 1
    mov eax, [scratch]
    RESULT 2                    ; RUNSTATE_running
    mov ebx, VCPUOP_is_up
    mov ecx, 5
    xor edx, edx
    HYPERCALL vcpu_op
    RESULT 3
    mov dword [scratch + 64], VIRQ_TIMER
    mov dword [scratch + 68], 0
    mov ebx, EVTCHNOP_bind_virq
    mov ecx, scratch + 64
    HYPERCALL event_channel_op
    mov dword [scratch + 80], 1   ; timeout_abs_ns = 1: long past
    mov dword [scratch + 84], 0
    mov dword [scratch + 88], 0
    mov ebx, VCPUOP_set_singleshot_timer
    xor ecx, ecx
    mov edx, scratch + 80
    HYPERCALL vcpu_op
    RESULT 4
    mov dword [scratch + 88], 1   ; VCPU_SSHOTTMR_future
    mov ebx, VCPUOP_set_singleshot_timer
    xor ecx, ecx
    mov edx, scratch + 80
    HYPERCALL vcpu_op
    RESULT 5`);
    assert.strictEqual(b.result(1, 0), 1);
    assert.strictEqual(b.result(1, 1), 0);
    assert.strictEqual(b.result(1, 2), 0);
    assert.strictEqual(b.result(1, 3), E('ENOENT'));
    assert.strictEqual(b.result(1, 4), 0);
    assert.strictEqual(b.result(1, 5), E('ETIME'));
    assert.ok(b.records.some((r) => r.kind === 'event-deliver' && r.virq === 'VIRQ_TIMER'));
  });

  it('event_channel_op: alloc_unbound, status, close, status again; console_io read -EPERM for a domU', () => {
    const b = run1(`
    mov word [scratch], DOMID_SELF
    mov word [scratch + 2], 0
    mov ebx, EVTCHNOP_alloc_unbound
    mov ecx, scratch
    HYPERCALL event_channel_op
    RESULT 0
    mov eax, [scratch + 4]
    RESULT 1
    mov word [scratch + 32], DOMID_SELF
    mov [scratch + 36], eax
    mov ebx, EVTCHNOP_status
    mov ecx, scratch + 32
    HYPERCALL event_channel_op
    RESULT 2
    mov eax, [scratch + 40]
    RESULT 3                    ; EVTCHNSTAT_unbound
    mov eax, [scratch + 4]
    mov [scratch + 64], eax
    mov ebx, EVTCHNOP_close
    mov ecx, scratch + 64
    HYPERCALL event_channel_op
    RESULT 4
    mov ebx, EVTCHNOP_status
    mov ecx, scratch + 32
    HYPERCALL event_channel_op
    mov eax, [scratch + 40]
    RESULT 5                    ; EVTCHNSTAT_closed
    mov ebx, EVTCHNOP_close
    mov ecx, scratch + 64
    HYPERCALL event_channel_op
    RESULT 6
    mov ebx, CONSOLEIO_read
    mov ecx, 4
    mov edx, scratch
    HYPERCALL console_io
    RESULT 7`);
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1), 3, 'ports 1 and 2 hold the store and console rings');
    assert.strictEqual(b.result(1, 2), 0);
    assert.strictEqual(b.result(1, 3), 1);
    assert.strictEqual(b.result(1, 4), 0);
    assert.strictEqual(b.result(1, 5), 0);
    assert.strictEqual(b.result(1, 6), E('EINVAL'), 'closing a closed port');
    assert.strictEqual(b.result(1, 7), E('EPERM'));
  });

  it('xen_version writes its strings; callbacks, stack_switch, vm_assist, fpu_taskswitch answer 0; bad selectors -EPERM', () => {
    const b = run1(`
    mov ebx, XENVER_extraversion
    mov ecx, scratch
    HYPERCALL xen_version
    RESULT 0
    mov ebx, 0xe019
    mov ecx, done
    mov edx, 0xe019
    mov esi, done
    HYPERCALL set_callbacks
    RESULT 1
    mov ebx, 0x10               ; a ring-0 stack segment
    mov ecx, 0x1000
    HYPERCALL stack_switch
    RESULT 2
    mov ebx, VMASST_CMD_enable
    mov ecx, 2
    HYPERCALL vm_assist
    RESULT 3
    mov ebx, 1
    HYPERCALL fpu_taskswitch
    RESULT 4
    mov ebx, 7
    HYPERCALL vm_assist
    RESULT 5
done:`);
    assert.strictEqual(b.result(1, 0), 0);
    const s = b.sys.readMemory(1, 'gva', b.sys.image(1)!.symbolAddress('scratch')!, 16).map((x) => String.fromCharCode(x!)).join('');
    assert.match(s, /^\.0-xensim\0/);
    assert.strictEqual(b.result(1, 1), 0);
    assert.strictEqual(b.result(1, 2), E('EPERM'));
    assert.strictEqual(b.result(1, 3), 0);
    assert.strictEqual(b.result(1, 4), 0);
    assert.strictEqual(b.result(1, 5), E('EINVAL'));
  });

  it('set_gdt refuses a frame that is mapped writable', () => {
    const b = run1(`
    ; the frame of gdt_page is mapped writable: set_gdt must refuse it
    mov eax, gdt_page
    shr eax, 12
    mov edx, [esi + 68]
    mov eax, [edx + eax * 4]
    mov [frames], eax
    mov ebx, frames
    mov ecx, 16
    HYPERCALL set_gdt
    RESULT 0
    jmp done
frames: dd 0
align 4096
gdt_page: times 4096 db 0
done:`);
    assert.strictEqual(b.result(1, 0), E('EINVAL'));
  });
});
