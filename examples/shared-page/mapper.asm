; mapper (d2) — finds d1's grant reference in xenstore, maps the granted page into its own
; address space with GNTTABOP_map_grant_ref, reads d1's message, writes a reply, unmaps.
bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"

PEER equ 1

_start:
    call xs_init
    ; wait until d1 has published (and shared) the reference
.find:
    mov ebx, p_gref
    call xs_read_str
    cmp eax, XS_READ
    je .found
    call yield
    jmp .find
.found:
    movzx eax, byte [xs_reply]
    sub eax, '0'
    mov [map + gnttab_map_grant_ref.ref], eax
    mov dword [map + gnttab_map_grant_ref.host_addr], window
    mov dword [map + gnttab_map_grant_ref.flags], GNTMAP_host_map
    mov word [map + gnttab_map_grant_ref.dom], PEER
    mov ebx, GNTTABOP_map_grant_ref
    mov ecx, map
    mov edx, 1
    HYPERCALL grant_table_op
    cmp word [map + gnttab_map_grant_ref.status], GNTST_okay
    jne .failed
    ; `window` now shows d1's page
    mov ebx, m_mapped
    call print
    mov ebx, window
    call print
    mov ebx, m_quote
    call print
    mov esi, reply
    mov edi, window + 256
.copy:
    lodsb
    stosb
    test al, al
    jnz .copy
    mov eax, [map + gnttab_map_grant_ref.handle]
    mov [unmap + gnttab_unmap_grant_ref.handle], eax
    mov dword [unmap + gnttab_unmap_grant_ref.host_addr], window
    mov ebx, GNTTABOP_unmap_grant_ref
    mov ecx, unmap
    mov edx, 1
    HYPERCALL grant_table_op
    call poweroff
.failed:
    mov ebx, m_failed
    call print
    call poweroff

p_gref: db "/local/domain/1/data/shared-page/gref", 0
m_mapped: db 'mapper: mapped d1', 39, 's grant 9: "', 0
m_quote: db '"', 10, 0
m_failed: db "mapper: map_grant_ref FAILED", 10, 0
reply: db "hello d1, d2 was here", 0
align 8
map: times gnttab_map_grant_ref_size db 0
unmap: times gnttab_unmap_grant_ref_size db 0

%include "print.inc"
%include "xenstore.inc"

align 4096
window: times 4096 db 0         ; its own page until the grant is mapped over it

align 4096
hypercall_page: times 4096 db 0
