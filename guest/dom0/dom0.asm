; dom0 — the privileged domain's kernel shipped with xensim.
;
; It sets itself up through hypercalls (shared_info mapping, event callback, VIRQ_DOM_EXC,
; trap table), says so on the console, then serves: it blocks until an event arrives and
; acknowledges it. The toolstack (src/xen/dom0/) issues its domctl hypercalls as this domain's
; vCPU while it runs, with their arguments in `toolstack_buffer`.
bits 32
org 0x100000

%include "xen.inc"

_start:
    mov esp, stack_top
    mov eax, [esi + start_info.shared_info]
    or eax, 3
    mov ebx, shared_page
    mov ecx, eax
    xor edx, edx
    mov esi, UVMF_INVLPG
    HYPERCALL update_va_mapping

    mov ebx, trap_table
    HYPERCALL set_trap_table

    mov ebx, CALLBACKOP_register
    mov ecx, event_cb_reg
    HYPERCALL callback_op

    mov ebx, EVTCHNOP_bind_virq
    mov ecx, bind_dom_exc
    HYPERCALL event_channel_op

    mov ebx, CONSOLEIO_write
    mov ecx, ready_len
    mov edx, ready
    HYPERCALL console_io

serve:
    mov ebx, SCHEDOP_block
    xor ecx, ecx
    HYPERCALL sched_op
    jmp serve

; events: count them and clear what is pending (the toolstack does the work in Xen's time)
event_callback:
    push eax
    inc dword [events]
    mov byte [shared_page + 0], 0           ; vcpu_info[0].evtchn_upcall_pending
    mov dword [shared_page + 4], 0          ; evtchn_pending_sel
    mov dword [shared_page + 2048], 0       ; evtchn_pending[0]
    pop eax
    jmp hypercall_page + __HYPERVISOR_iret * XEN_HYPERCALL_STUB_SIZE

; a fault in dom0 is a bug in this kernel: say so and crash
fault:
    mov ebx, CONSOLEIO_write
    mov ecx, oops_len
    mov edx, oops
    HYPERCALL console_io
    mov ebx, SCHEDOP_shutdown
    mov ecx, crash
    HYPERCALL sched_op
    ud2

trap_table:
    db 13, 0
    dw 0xe019
    dd fault
    db 14, 0
    dw 0xe019
    dd fault
    times 8 db 0

event_cb_reg:
    dw CALLBACKTYPE_event, 0
    dd 0xe019, event_callback
bind_dom_exc:
    dd VIRQ_DOM_EXC, 0, 0
crash:  dd SHUTDOWN_crash
events: dd 0
ready:  db "dom0: ready, serving the toolstack", 10
ready_len equ $ - ready
oops:   db "dom0: unexpected fault", 10
oops_len equ $ - oops

align 4096
stack:  times 4096 db 0
stack_top:
shared_page: times 4096 db 0
toolstack_buffer: times 4096 db 0
hypercall_page: times 4096 db 0
