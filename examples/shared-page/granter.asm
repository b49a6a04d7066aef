; granter (d1) — grants one of its pages to d2, publishes the grant reference in xenstore where
; d2 may read it, waits for d2's reply in the page, and revokes the grant once d2 unmapped it.
bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"

PEER equ 2                      ; the mapper is the second domain the toolstack creates
REF equ 9

_start:
    call xs_init
    call gnt_init
    ; the page: our message at the start, the peer's reply at offset 256
    mov eax, REF
    mov ebx, PEER
    mov ecx, shared
    mov edx, GTF_permit_access
    call gnt_grant
    ; data/shared-page/gref = "9", readable by d2 (ours, so we may set its permissions)
    mov ebx, p_gref
    mov ecx, v_gref
    call xs_write_str
    mov eax, XS_SET_PERMS
    mov ebx, perms
    mov ecx, perms_len
    call xs_request
    mov ebx, m_granted
    call print
    ; wait for the reply
.wait:
    cmp byte [shared + 256], 0
    jne .replied
    call yield
    jmp .wait
.replied:
    mov ebx, m_wrote
    call print
    mov ebx, shared + 256
    call print
    mov ebx, m_quote
    call print
    ; revoke: refused (GTF_reading/GTF_writing set by Xen) while d2 still has it mapped
.revoke:
    mov eax, REF
    call gnt_end
    test eax, eax
    jz .revoked
    inc dword [busy]
    call yield
    jmp .revoke
.revoked:
    mov ebx, m_revoked
    call print
    call poweroff

p_gref: db "data/shared-page/gref", 0
v_gref: db "9", 0
perms: db "data/shared-page/gref", 0, "n1", 0, "r2", 0
perms_len equ $ - perms
m_granted: db "granter: granted a page to d2 as ref 9", 10, 0
m_wrote: db 'granter: d2 wrote back: "', 0
m_quote: db '"', 10, 0
m_revoked: db "granter: d2 unmapped; grant revoked", 10, 0
align 4
busy: dd 0

%include "print.inc"
%include "xenstore.inc"
%include "grant.inc"

align 4096
shared:
    db "hello from d1 through a shared page", 0
    times 4096 - ($ - shared) db 0

align 4096
hypercall_page: times 4096 db 0
