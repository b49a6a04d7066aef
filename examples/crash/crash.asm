; crash — a PV guest that faults: it reads memory nothing maps and has no trap table, so Xen
; cannot bounce the #PF to it and crashes the domain; the toolstack then applies on_crash.
bits 32
org 0x100000

%include "xen.inc"

_start:
    mov ebx, CONSOLEIO_write
    mov ecx, msg_len
    mov edx, msg
    HYPERCALL console_io

    mov eax, [0x3000000]        ; 48 MiB: beyond the domain's 16 MiB, mapped by nothing
    ud2                         ; not reached

msg:    db "about to touch unmapped memory", 10
msg_len equ $ - msg

align 4096
hypercall_page: times 4096 db 0
