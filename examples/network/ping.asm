; ping (d1, 00:16:3e:00:00:01) — sends three Ethernet frames "ping N" to pong's MAC over its
; vif (netfront.inc), and waits for each "pong N" to come back through dom0's bridge. A frame
; sent before pong's vif is connected finds no port on the bridge; ping resends it, as ping does.
bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"

ROUNDS equ 3
PATIENCE equ 5000                       ; yields to wait for a pong before resending

_start:
    call xs_init
    call gnt_init
    call net_init
    cmp eax, XenbusStateConnected
    jne fail
.round:
    mov esi, frame
    mov ecx, frame_len
    call net_send
    test eax, eax
    jnz fail
    mov dword [tries], 0
.wait:
    call net_poll
    test eax, eax
    jnz .got
    call yield
    inc dword [tries]
    cmp dword [tries], PATIENCE
    jb .wait
    jmp .round
.got:
    cmp ecx, 14 + 7
    jb .wait
    cmp dword [esi + 14], 'pong'
    jne .wait
    mov al, [seqch]
    cmp [esi + 14 + 5], al
    jne .wait                           ; an answer to an earlier resend
    push esi
    mov ebx, m_got
    call print
    pop ebx
    add ebx, 14
    call print
    mov ebx, m_nl
    call print
    inc byte [seqch]
    cmp byte [seqch], '0' + ROUNDS
    jb .round
    mov ebx, m_done
    call print
    call poweroff
fail:
    mov ebx, m_fail
    call print
    call poweroff

m_got: db "ping: d2 answered ", 39, 0
m_nl: db 39, 10, 0
m_done: db "ping: 3 round trips through xenbr0", 10, 0
m_fail: db "ping: FAILED", 10, 0
align 4
tries: dd 0
frame:
    db 0x00, 0x16, 0x3e, 0x00, 0x00, 0x02   ; destination: pong
    db 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01   ; source: us
    db 0x88, 0xb5                           ; EtherType: local experimental
    db "ping "
seqch: db "0", 0
frame_len equ $ - frame

%include "print.inc"
%include "xenstore.inc"
%include "grant.inc"
%include "netfront.inc"

align 4096
hypercall_page: times 4096 db 0
