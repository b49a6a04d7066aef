; timer — VIRQ_TIMER events: a PV guest arms Xen's single-shot timer, blocks, and is woken
; by the timer's event through its event callback, five times, 10 ms apart in virtual time.
bits 32
org 0x100000

%include "xen.inc"

TICKS       equ 5
PERIOD_NS   equ 10000000            ; 10 ms

_start:
    mov esp, stack_top
    ; map shared_info (start_info.shared_info is its machine address) at shared_page
    mov eax, [esi + start_info.shared_info]
    or eax, 7                       ; present, writable, user
    mov ebx, shared_page
    mov ecx, eax
    xor edx, edx
    mov esi, UVMF_INVLPG
    HYPERCALL update_va_mapping

    ; the event callback Xen bounces to when an event is pending and not masked
    mov ebx, CALLBACKOP_register
    mov ecx, event_cb_reg
    HYPERCALL callback_op

    ; bind VIRQ_TIMER on vCPU 0
    mov ebx, EVTCHNOP_bind_virq
    mov ecx, bind_virq
    HYPERCALL event_channel_op

.next_tick:
    ; deadline = vcpu_info[0].time.system_time + PERIOD_NS (64-bit)
    mov eax, [shared_page + VCPU_TIME_SYSTEM_TIME]
    mov edx, [shared_page + VCPU_TIME_SYSTEM_TIME + 4]
    add eax, PERIOD_NS
    adc edx, 0
    mov ebx, eax
    mov ecx, edx
    HYPERCALL set_timer_op

    ; block until an event: Xen unmasks events and wakes us on the timer's VIRQ
    mov ebx, SCHEDOP_block
    xor ecx, ecx
    HYPERCALL sched_op

    ; the callback has run by now; print "tick N"
    mov eax, [ticks]
    add al, '0'
    mov [tick_msg + 5], al
    mov ebx, CONSOLEIO_write
    mov ecx, tick_len
    mov edx, tick_msg
    HYPERCALL console_io

    cmp dword [ticks], TICKS
    jb .next_tick

    mov ebx, SCHEDOP_shutdown
    mov ecx, poweroff
    HYPERCALL sched_op
    ud2

; Entered by Xen with events masked and a frame of eip, cs, eflags on the stack.
event_callback:
    push eax
    inc dword [ticks]
    mov byte [shared_page + VCPU_INFO_UPCALL_PENDING], 0
    mov dword [shared_page + VCPU_INFO_PENDING_SEL], 0
    mov dword [shared_page + SHARED_INFO_EVTCHN_PENDING], 0
    pop eax
    jmp hypercall_page + __HYPERVISOR_iret * XEN_HYPERCALL_STUB_SIZE

; vcpu_info[0] offsets within shared_info, and the first pending word
VCPU_INFO_UPCALL_PENDING    equ 0
VCPU_INFO_PENDING_SEL       equ 4
VCPU_TIME_SYSTEM_TIME       equ 32 + 16
SHARED_INFO_EVTCHN_PENDING  equ 2048

event_cb_reg:
    dw CALLBACKTYPE_event, 0        ; type, flags
    dd 0xe019, event_callback       ; FLAT_RING1_CS : handler

bind_virq:
    dd VIRQ_TIMER, 0, 0             ; virq, vcpu, port (out)

poweroff:   dd SHUTDOWN_poweroff
ticks:      dd 0
tick_msg:   db "tick N", 10
tick_len    equ $ - tick_msg

align 4096
stack:      times 4096 db 0
stack_top:
shared_page: times 4096 db 0
hypercall_page: times 4096 db 0
