// A second vCPU brought up with VCPUOP_initialise/up runs in parallel on the other pCPU and
// the two exchange an IPI event channel.
import * as assert from 'assert';
import { boot, runToEnd, MAP_SHARED } from './guest';

describe('xen: several vCPUs', () => {
  it('VCPUOP_initialise + VCPUOP_up start vCPU 1; an IPI port bound to it wakes it from poll', () => {
    const b = boot([{ name: 'smp', extra: 'vcpus = 2', body: `
    ; the context of vCPU 1: same page tables (ctrlreg[3]), its own stack and entry
    mov eax, cr3_value
    mov dword [ctx + vcpu_guest_context.user_regs.eip], ap_entry
    mov dword [ctx + vcpu_guest_context.user_regs.esp], ap_stack_top
    mov dword [ctx + vcpu_guest_context.kernel_ss], 0xe021
    mov dword [ctx + vcpu_guest_context.kernel_sp], ap_stack_top
    ; our own L3 (start_info.pt_base -> mfn) as cr3
    mov eax, [esi + 60]
    shr eax, 12
    mov edx, [esi + 68]
    mov eax, [edx + eax * 4]
    shl eax, 12
    mov [ctx + vcpu_guest_context.ctrlreg + 12], eax
    ; an IPI port notifying vCPU 1
    mov dword [scratch], 1
    mov ebx, EVTCHNOP_bind_ipi
    mov ecx, scratch
    HYPERCALL event_channel_op
    RESULT 0
    mov eax, [scratch + 4]
    mov [ipi_port], eax
    mov ebx, VCPUOP_initialise
    mov ecx, 1
    mov edx, ctx
    HYPERCALL vcpu_op
    RESULT 1
    mov ebx, VCPUOP_up
    mov ecx, 1
    xor edx, edx
    HYPERCALL vcpu_op
    RESULT 2
    ; wait until vCPU 1 is polling, then send
.wait_ap:
    cmp dword [ap_state], 1
    jne .wait_ap
    mov eax, [ipi_port]
    mov [scratch + 16], eax
    mov ebx, EVTCHNOP_send
    mov ecx, scratch + 16
    HYPERCALL event_channel_op
    RESULT 3
.wait_done:
    cmp dword [ap_state], 2
    jne .wait_done
    mov eax, [ap_state + 4]
    RESULT 4
    jmp done

ap_entry:
    mov dword [ap_state], 1
    mov eax, [ipi_port]
    mov [ap_poll_port], eax
    mov ebx, SCHEDOP_poll
    mov ecx, ap_poll
    HYPERCALL sched_op
    mov [ap_state + 4], eax      ; poll's result
    mov dword [ap_state], 2
    mov ebx, VCPUOP_down
    mov ecx, 1
    xor edx, edx
    HYPERCALL vcpu_op
    jmp $

cr3_value: dd 0
ipi_port: dd 0
ap_state: dd 0, 0xffff
ap_poll: dd ap_poll_port, 1, 0, 0
ap_poll_port: dd 0
align 16
ctx: times 2800 db 0
align 4096
ap_stack: times 4096 db 0
ap_stack_top:
done:` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0, 'bind_ipi');
    assert.strictEqual(b.result(1, 1), 0, 'initialise');
    assert.strictEqual(b.result(1, 2), 0, 'up');
    assert.strictEqual(b.result(1, 3), 0, 'send');
    assert.strictEqual(b.result(1, 4), 0, 'the poll returned 0 when the IPI arrived');
    const onPcpus = new Set(b.records.filter((r) => r.kind === 'hypercall-entry' && r.domid === 1).map((r) => `${r.vcpu}@${r.pcpu}`));
    assert.ok(onPcpus.has('1@1') || onPcpus.has('1@0'), [...onPcpus].join(' '));
    assert.ok(b.records.some((r) => r.kind === 'event-send' && r.channel === 'ipi'));
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });
});

describe('xen: periodic timer', () => {
  it('VCPUOP_set_periodic_timer raises VIRQ_TIMER every period until stopped', () => {
    const b = boot([{ name: 'periodic', body: `${MAP_SHARED}
    mov dword [scratch], VIRQ_TIMER
    mov dword [scratch + 4], 0
    mov ebx, EVTCHNOP_bind_virq
    mov ecx, scratch
    HYPERCALL event_channel_op
    mov eax, [scratch + 8]
    mov [port], eax
    mov dword [scratch + 16], 2000000      ; period 2 ms
    mov dword [scratch + 20], 0
    mov ebx, VCPUOP_set_periodic_timer
    xor ecx, ecx
    mov edx, scratch + 16
    HYPERCALL vcpu_op
    RESULT 0
    mov ebp, 3
.next:
    mov ebx, SCHEDOP_poll
    mov ecx, poll
    HYPERCALL sched_op
    mov dword [0x3ff000 + 2048], 0         ; clear the pending word
    dec ebp
    jnz .next
    mov ebx, VCPUOP_stop_periodic_timer
    xor ecx, ecx
    xor edx, edx
    HYPERCALL vcpu_op
    RESULT 1
    jmp done
port: dd 0
poll: dd port, 1, 0, 0
done:` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1), 0);
    const fired = b.records.filter((r) => r.kind === 'event-deliver' && r.virq === 'VIRQ_TIMER').map((r) => r.time);
    assert.strictEqual(fired.length, 3);
    for (let i = 1; i < 3; i++) assert.ok(Math.abs(fired[i] - fired[i - 1] - 2e6) < 0.05e6, `period ${fired[i] - fired[i - 1]}`);
  });
});
