; The HVM half of pv-vs-hvm: an unmodified-style kernel entered PVH-style (ring 0, paging
; off). It must first find Xen and ask for its hypercall page: CPUID leaf 0x40000000 (the
; "XenVMMXenVMM" signature) and 0x40000002 (which MSR), then a wrmsr — three VM exits
; before the first hypercall. After that every hypercall is a `vmcall`: one VMCALL exit each.
bits 32
org 0x100000
%include "xen.inc"
%define GREETING "hello from an HVM guest (ring 0, hypercalls by vmcall)"

_start:
    mov esp, stack_top
    mov eax, 0x40000000
    cpuid                           ; VM exit: CPUID
    cmp ebx, 0x566e6558             ; "XenV"
    jne .no_xen
    mov eax, 0x40000002
    cpuid                           ; VM exit: CPUID (ebx = the hypercall-page MSR)
    mov ecx, ebx
    mov eax, hypercall_page
    xor edx, edx
    wrmsr                           ; VM exit: MSR_WRITE (Xen writes the stubs)
    jmp work
.no_xen:
    cli
    hlt

%include "work.inc"

align 4096
hypercall_page: times 4096 db 0
stack: times 1024 db 0
stack_top:
