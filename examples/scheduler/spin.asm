; spin — a CPU-bound PV guest: it counts for ever. Three of these with different weights show
; how Xen's credit scheduler shares a pCPU.
bits 32
org 0x100000

%include "xen.inc"

_start:
    mov ebx, CONSOLEIO_write
    mov ecx, msg_len
    mov edx, msg
    HYPERCALL console_io
    xor eax, eax
.spin:
    inc eax
    mov [count], eax
    jmp .spin

msg:    db "spinning", 10
msg_len equ $ - msg

align 4096
hypercall_page: times 4096 db 0
count:  dd 0                    ; data apart from the code page
