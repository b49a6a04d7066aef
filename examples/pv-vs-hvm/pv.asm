; The PV half of pv-vs-hvm: a paravirtualised kernel in ring 1. The domain builder has already
; filled `hypercall_page` with `mov eax, nr; int 0x82; ret` stubs, so it goes straight to work.
bits 32
org 0x100000
%include "xen.inc"
%define GREETING "hello from a PV guest (ring 1, hypercalls by int 0x82)"

_start:
    jmp work

%include "work.inc"

align 4096
hypercall_page: times 4096 db 0
