; hello — the smallest PV guest: print through console_io, then power off.
;
; The domain builder loads this at 0x100000 (virtual = pseudo-physical), fills the page at
; `hypercall_page` with Xen's stubs and enters `_start` in ring 1 with esi = start_info.
bits 32
org 0x100000

%include "xen.inc"

_start:
    mov ebx, CONSOLEIO_write
    mov ecx, msg_len
    mov edx, msg
    HYPERCALL console_io

    mov ebx, SCHEDOP_shutdown
    mov ecx, shutdown_reason
    HYPERCALL sched_op
    ud2                         ; not reached: the domain is gone

shutdown_reason:
    dd SHUTDOWN_poweroff

msg:    db "Hello from a PV guest on xensim!", 10
msg_len equ $ - msg

align 4096
hypercall_page:
    times 4096 db 0
