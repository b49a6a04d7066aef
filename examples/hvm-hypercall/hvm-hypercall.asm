; An HVM guest talking to Xen: it finds Xen by scanning CPUID leaves 0x40000000 + n*0x100 for
; "XenVMMXenVMM", asks Xen for a hypercall page by writing its address to the MSR that leaf
; base+2 names (Xen writes `mov eax, nr; vmcall; ret` stubs into it), prints with console_io,
; then maps shared_info, sets HVM_PARAM_CALLBACK_IRQ to vector 0x40 and sends itself an event
; on a loopback event channel; the upcall arrives as an interrupt through its own IDT.
bits 32
org 0x100000
%include "hvm.inc"
%include "xen.inc"

CALLBACK_VECTOR equ 0x40
SHARED_INFO equ 0x200000     ; where shared_info is placed (gfn 0x200)

_start:
    mov esp, stack_top
    HVM_FLAT_SEGMENTS
    HVM_GATE CALLBACK_VECTOR, upcall

    ; find Xen's CPUID leaves
    mov esi, 0x40000000
.scan:
    mov eax, esi
    cpuid
    cmp ebx, 0x566e6558      ; "XenV"
    jne .not
    cmp ecx, 0x65584d4d      ; "MMXe"
    jne .not
    cmp edx, 0x4d4d566e      ; "nVMM"
    je .found
.not:
    add esi, 0x100
    cmp esi, 0x40010000
    jb .scan
    jmp .fail
.found:
    lea eax, [esi + 2]
    cpuid                    ; ebx = the hypercall-page MSR
    mov ecx, ebx
    mov eax, hypercall_page
    xor edx, edx
    wrmsr

    mov ebx, CONSOLEIO_write
    mov ecx, hello_len
    mov edx, hello
    HYPERCALL console_io

    mov ebx, XENMEM_add_to_physmap
    mov ecx, xatp
    HYPERCALL memory_op
    test eax, eax
    jnz .fail
    mov ebx, HVMOP_set_param
    mov ecx, param
    HYPERCALL hvm_op
    test eax, eax
    jnz .fail
    mov ebx, EVTCHNOP_alloc_unbound
    mov ecx, alloc
    HYPERCALL event_channel_op
    test eax, eax
    jnz .fail
    mov eax, [alloc + 4]
    mov [bind + 4], eax
    mov ebx, EVTCHNOP_bind_interdomain
    mov ecx, bind
    HYPERCALL event_channel_op
    test eax, eax
    jnz .fail
    mov eax, [alloc + 4]
    mov [send], eax
    mov ebx, EVTCHNOP_send
    mov ecx, send
    HYPERCALL event_channel_op
.wait:
    cli
    cmp dword [upcalls], 0
    jne .done
    sti
    hlt
    jmp .wait
.done:
    mov ebx, CONSOLEIO_write
    mov ecx, got_len
    mov edx, got
    HYPERCALL console_io
    mov ebx, SCHEDOP_shutdown
    mov ecx, poweroff
    HYPERCALL sched_op
.fail:
    mov ebx, CONSOLEIO_write
    mov ecx, failed_len
    mov edx, failed
    HYPERCALL console_io
    cli
    hlt

upcall:
    inc dword [upcalls]
    mov dword [SHARED_INFO + 2048], 0    ; evtchn_pending[0]
    mov dword [SHARED_INFO + 8], 0       ; vcpu_info[0].evtchn_pending_sel
    mov byte [SHARED_INFO], 0            ; vcpu_info[0].evtchn_upcall_pending
    iret

hello: db "found Xen through CPUID; hypercall page installed", 10
hello_len equ $ - hello
got: db "event channel upcall through vector 0x40", 10
got_len equ $ - got
failed: db "FAILED", 10
failed_len equ $ - failed
poweroff: dd SHUTDOWN_poweroff
upcalls: dd 0
xatp: dw DOMID_SELF, 0
    dd XENMAPSPACE_shared_info, 0, SHARED_INFO >> 12
param: dw DOMID_SELF, 0
    dd HVM_PARAM_CALLBACK_IRQ, CALLBACK_VECTOR, 0x02000000   ; type 2 (vector) in bits 63:56
alloc: dw DOMID_SELF, DOMID_SELF
    dd 0
bind: dw DOMID_SELF, 0
    dd 0, 0
send: dd 0
HVM_DESCRIPTOR_TABLES
align 4096
hypercall_page: times 4096 db 0xc3
stack: times 4096 db 0
stack_top:
