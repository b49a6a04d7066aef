; pong (d2) — reads d1's port from /local/domain/1/data/pingpong/port, binds to it
; (EVTCHNOP_bind_interdomain), and sends the first of five events, each answered by d1.
bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"

ROUNDS equ 5

_start:
    push esi
    call xs_init
    pop esi
    call ev_map
.find:
    mov ebx, p_port
    call xs_read_str
    cmp eax, XS_READ
    je .found
    call yield
    jmp .find
.found:
    ; the decimal port d1 published
    xor eax, eax
    mov esi, xs_reply
.digit:
    movzx ecx, byte [esi]
    test ecx, ecx
    jz .parsed
    imul eax, eax, 10
    lea eax, [eax + ecx - '0']
    inc esi
    jmp .digit
.parsed:
    mov [bind + evtchn_bind_interdomain.remote_port], eax
    mov word [bind + evtchn_bind_interdomain.remote_dom], 1
    mov ebx, EVTCHNOP_bind_interdomain
    mov ecx, bind
    HYPERCALL event_channel_op
    test eax, eax
    jnz fail
    ; Xen raises a freshly bound port (in case the other end sent before the bind): that
    ; event is not one of d1's answers, so clear it before counting
    mov eax, [bind + evtchn_bind_interdomain.local_port]
    lock btr [ev_shared + shared_info.evtchn_pending], eax
.round:
    mov eax, [bind + evtchn_bind_interdomain.local_port]
    call ev_send
    mov eax, [bind + evtchn_bind_interdomain.local_port]
    call ev_wait
    inc byte [msg_n]
    mov ebx, msg
    call print
    cmp byte [msg_n], '0' + ROUNDS
    jb .round
    call poweroff
fail:
    mov ebx, m_fail
    call print
    call poweroff

p_port: db "/local/domain/1/data/pingpong/port", 0
msg: db "pong: answer "
msg_n: db "0 from d1", 10, 0
m_fail: db "pong: bind_interdomain FAILED", 10, 0
align 4
bind: times evtchn_bind_interdomain_size db 0

%include "print.inc"
%include "xenstore.inc"
%include "events.inc"
align 4096
hypercall_page: times 4096 db 0
