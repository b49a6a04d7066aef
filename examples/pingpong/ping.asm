; ping (d1) — offers an event channel to d2 (EVTCHNOP_alloc_unbound), publishes its port in
; xenstore where d2 may read it, then answers each of d2's events with one of its own.
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
    mov word [unbound + evtchn_alloc_unbound.dom], DOMID_SELF
    mov word [unbound + evtchn_alloc_unbound.remote_dom], 2
    mov ebx, EVTCHNOP_alloc_unbound
    mov ecx, unbound
    HYPERCALL event_channel_op
    mov eax, [unbound + evtchn_alloc_unbound.port]
    mov [port], eax
    mov edi, num
    call xs_itoa
    mov ebx, p_port
    mov ecx, num
    call xs_write_str
    mov eax, XS_SET_PERMS
    mov ebx, perms
    mov ecx, perms_len
    call xs_request
.round:
    mov eax, [port]
    call ev_wait
    inc byte [msg_n]
    mov ebx, msg
    call print
    mov eax, [port]
    call ev_send
    cmp byte [msg_n], '0' + ROUNDS
    jb .round
    call poweroff

p_port: db "data/pingpong/port", 0
perms: db "data/pingpong/port", 0, "n1", 0, "r2", 0
perms_len equ $ - perms
msg: db "ping: event "
msg_n: db "0 from d2, answered", 10, 0
align 4
port: dd 0
unbound: times evtchn_alloc_unbound_size db 0
num: times 16 db 0

%include "print.inc"
%include "xenstore.inc"
%include "events.inc"
align 4096
hypercall_page: times 4096 db 0
