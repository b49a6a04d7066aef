; block — a PV domU writes four sectors to its disk (xvda) through the blkif ring, flushes,
; reads them back into another page and checks them; the image file on the host has them.
;
; Everything a Linux blkfront does, in miniature: the grant table (grant.inc), xenstore over
; the store ring (xenstore.inc), the xenbus handshake and the ring (blkfront.inc). dom0's
; blkback maps the granted pages and moves the data to and from the file given in block.cfg.
bits 32
org 0x100000

%include "xen.inc"
%include "xenio.inc"

SECTORS equ 4

_start:
    call xs_init
    call gnt_init
    test eax, eax
    jnz fail
    ; ref 9: the page to write (dom0 only reads it); ref 10: the page to read into
    mov eax, 9
    xor ebx, ebx
    mov ecx, wbuf
    mov edx, GTF_permit_access | GTF_readonly
    call gnt_grant
    mov eax, 10
    xor ebx, ebx
    mov ecx, rbuf
    mov edx, GTF_permit_access
    call gnt_grant
    call blk_init
    cmp eax, XenbusStateConnected
    jne fail

    mov eax, BLKIF_OP_WRITE
    xor ebx, ebx                ; sector 0
    mov ecx, 9
    mov edx, SECTORS - 1
    call blk_io
    test eax, eax
    jnz fail
    mov eax, BLKIF_OP_FLUSH_DISKCACHE
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    call blk_io
    test eax, eax
    jnz fail
    mov eax, BLKIF_OP_READ
    xor ebx, ebx
    mov ecx, 10
    mov edx, SECTORS - 1
    call blk_io
    test eax, eax
    jnz fail

    mov esi, wbuf
    mov edi, rbuf
    mov ecx, SECTORS * 512
    repe cmpsb
    jne fail
    mov ebx, CONSOLEIO_write
    mov ecx, ok_len
    mov edx, ok
    HYPERCALL console_io
    mov dword [reason], SHUTDOWN_poweroff
    jmp off

fail:
    mov ebx, CONSOLEIO_write
    mov ecx, bad_len
    mov edx, bad
    HYPERCALL console_io
    mov dword [reason], SHUTDOWN_crash
off:
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason
    HYPERCALL sched_op
    ud2

reason: dd 0
ok: db "block: wrote 4 sectors to xvda, flushed, read them back: identical", 10
ok_len equ $ - ok
bad: db "block: FAILED", 10
bad_len equ $ - bad

%include "xenstore.inc"
%include "grant.inc"
%include "blkfront.inc"

align 4096
wbuf:
    db "sector 0: written by a xensim domU through blkfront, blkback and a grant", 10
    times 512 - ($ - wbuf) db '.'
    db "sector 1: the data pages are granted to dom0; it maps them to copy", 10
    times 1024 - ($ - wbuf) db '.'
    db "sector 2: a flush made the writes durable before the response", 10
    times 1536 - ($ - wbuf) db '.'
    db "sector 3: last one", 10
    times 4096 - ($ - wbuf) db 0
rbuf: times 4096 db 0

align 4096
hypercall_page:
    times 4096 db 0
