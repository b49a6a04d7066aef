; pong (d2, 00:16:3e:00:00:02) — answers every "ping N" frame that reaches its vif with
; "pong N" to the sender's MAC; stops after answering ping 2.
bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"

_start:
    call xs_init
    call gnt_init
    call net_init
    cmp eax, XenbusStateConnected
    jne fail
.loop:
    call net_poll
    test eax, eax
    jnz .got
    call yield
    jmp .loop
.got:
    cmp ecx, 14 + 7
    jb .loop
    cmp dword [esi + 14], 'ping'
    jne .loop
    push esi
    mov ebx, m_got
    call print
    mov ebx, [esp]
    add ebx, 14
    call print
    mov ebx, m_nl
    call print
    pop esi
    ; the reply: back to the sender, from us, same EtherType, "pong N"
    mov edi, reply
    mov eax, [esi + 6]
    mov [edi], eax
    mov ax, [esi + 10]
    mov [edi + 4], ax
    mov dword [edi + 6], 0x003e1600     ; 00:16:3e:00:00:02, little-endian halves
    mov word [edi + 10], 0x0200
    mov ax, [esi + 12]
    mov [edi + 12], ax
    mov al, [esi + 14 + 5]
    mov [reply_seq], al
    mov esi, reply
    mov ecx, reply_len
    call net_send
    cmp byte [reply_seq], '2'
    jne .loop
    call poweroff
fail:
    mov ebx, m_fail
    call print
    call poweroff

m_got: db "pong: got ", 39, 0
m_nl: db 39, 10, 0
m_fail: db "pong: FAILED", 10, 0
reply:
    times 14 db 0
    db "pong "
reply_seq: db "0", 0
reply_len equ $ - reply

%include "print.inc"
%include "xenstore.inc"
%include "grant.inc"
%include "netfront.inc"

align 4096
hypercall_page: times 4096 db 0
