; syscalls — a PV kernel builds its own page tables with mmu_update, pins them and switches to
; them with mmuext_op, registers a trap table and a kernel stack, then drops to an application
; in ring 3 whose system calls (int 0x80) Xen bounces to the kernel's handler in ring 1.
bits 32
org 0x100000

%include "xen.inc"

PTE_P   equ 0x01
PTE_RW  equ 0x02
PTE_US  equ 0x04
PTE_A   equ 0x20
PTE_D   equ 0x40
PAGE_RO equ PTE_P | PTE_US | PTE_A
PAGE_RW equ PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D

SYS_write equ 1
SYS_exit  equ 2

; KPRINT msg, len — console_io from the kernel
%macro KPRINT 2
    mov ebx, CONSOLEIO_write
    mov ecx, %2
    mov edx, %1
    HYPERCALL console_io
%endmacro

_start:
    mov eax, [esi + start_info.mfn_list]
    mov [mfn_list], eax
    mov eax, [esi + start_info.pt_base]
    shr eax, 12
    mov [old_pt_first], eax
    add eax, [esi + start_info.nr_pt_frames]
    mov [old_pt_end], eax

    ; 1. our four table pages may not stay writable: map them read-only
    mov edi, pt_l3
.ro_loop:
    mov eax, edi
    call mfn_of
    shl eax, 12
    or eax, PAGE_RO
    mov ebx, edi
    mov ecx, eax
    xor edx, edx
    mov esi, UVMF_INVLPG
    HYPERCALL update_va_mapping
    test eax, eax
    jnz failed
    add edi, 4096
    cmp edi, pt_l1 + 4096
    jb .ro_loop

    ; 2. fill them through mmu_update requests: 512 L1 entries, one L2 entry, two L3 entries
    mov eax, pt_l1
    call mfn_of
    shl eax, 12
    mov ebp, eax                    ; machine address of the L1
    mov edi, requests
    xor ecx, ecx                    ; pfn
.l1_loop:
    lea eax, [ebp + ecx*8]
    mov [edi], eax                  ; ptr (MMU_NORMAL_PT_UPDATE in the low bits = 0)
    mov dword [edi + 4], 0
    mov edx, [mfn_list]
    mov eax, [edx + ecx*4]
    shl eax, 12
    ; page-table pages (the builder's and ours) are mapped read-only, the rest read-write
    mov edx, PAGE_RW
    cmp ecx, [old_pt_first]
    jb .not_old
    cmp ecx, [old_pt_end]
    jb .ro
.not_old:
    cmp ecx, (0x100000 >> 12) + ((pt_l3 - $$) >> 12)
    jb .rw
    cmp ecx, (0x100000 >> 12) + ((pt_l1 - $$) >> 12) + 1
    jae .rw
.ro:
    mov edx, PAGE_RO
.rw:
    or eax, edx
    mov [edi + 8], eax
    mov dword [edi + 12], 0
    add edi, 16
    inc ecx
    cmp ecx, 512
    jb .l1_loop

    mov eax, pt_l2a                 ; L2a[0] -> L1
    call mfn_of
    shl eax, 12
    mov [edi], eax
    mov eax, pt_l1
    call mfn_of
    shl eax, 12
    or eax, PAGE_RW
    mov [edi + 8], eax
    add edi, 16

    mov eax, pt_l3                  ; L3[0] -> L2a, L3[3] -> L2b (Xen fills its slots there)
    call mfn_of
    shl eax, 12
    mov ebp, eax
    mov [edi], eax
    mov eax, pt_l2a
    call mfn_of
    shl eax, 12
    or eax, PTE_P
    mov [edi + 8], eax
    add edi, 16
    lea eax, [ebp + 3*8]
    mov [edi], eax
    mov eax, pt_l2b
    call mfn_of
    shl eax, 12
    or eax, PTE_P
    mov [edi + 8], eax

    mov ebx, requests
    mov ecx, 512 + 3
    mov edx, done_count
    mov esi, DOMID_SELF
    HYPERCALL mmu_update
    test eax, eax
    jnz failed

    ; 3. pin the L3 (Xen validates the whole tree and types every page) and load it
    mov eax, pt_l3
    call mfn_of
    mov [ext_ops + 4], eax
    mov [ext_ops + 12 + 4], eax
    mov ebx, ext_ops
    mov ecx, 2
    xor edx, edx
    mov esi, DOMID_SELF
    HYPERCALL mmuext_op
    test eax, eax
    jnz failed
    KPRINT msg_tables, msg_tables_len

    ; 4. trap table (int 0x80 callable from ring 3) and the ring-1 stack for ring 3 -> 1
    mov ebx, trap_table
    HYPERCALL set_trap_table
    mov ebx, FLAT_KERNEL_SS
    mov ecx, kstack_top
    HYPERCALL stack_switch
    KPRINT msg_ring3, msg_ring3_len

    ; 5. HYPERVISOR_iret to the application: frame eax, eip, cs, eflags, esp, ss
    push FLAT_USER_SS
    push ustack_top
    push 0x202
    push FLAT_USER_CS
    push app
    xor eax, eax
    jmp hypercall_page + __HYPERVISOR_iret * XEN_HYPERCALL_STUB_SIZE

; eax = virtual address -> eax = its machine frame (virtual = pseudo-physical here)
mfn_of:
    shr eax, 12
    mov edx, [mfn_list]
    mov eax, [edx + eax*4]
    ret

failed:
    KPRINT msg_failed, msg_failed_len
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason_crash
    HYPERCALL sched_op
    ud2

; ---- system call entry: Xen bounced int 0x80 here, on kstack, frame eip cs eflags esp ss ----
syscall_entry:
    mov dx, ss                      ; data segments were nulled on the way from ring 3
    mov ds, dx
    mov es, dx
    cmp eax, SYS_write
    je .write
    cmp eax, SYS_exit
    je .exit
    mov eax, -38                    ; -ENOSYS
    jmp .return
.write:                             ; write(ebx = buffer, ecx = length)
    mov edx, ebx
    mov ebx, CONSOLEIO_write
    HYPERCALL console_io
.return:
    mov dx, FLAT_USER_DS
    mov ds, dx
    mov es, dx
    jmp hypercall_page + __HYPERVISOR_iret * XEN_HYPERCALL_STUB_SIZE
.exit:                              ; exit(ebx = status)
    add bl, '0'
    mov [msg_exit_status], bl
    KPRINT msg_exit, msg_exit_len
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason_poweroff
    HYPERCALL sched_op
    ud2

; ---- the application, in ring 3 ----
app:
    mov ax, FLAT_USER_DS
    mov ds, ax
    mov es, ax
    mov eax, SYS_write
    mov ebx, app_msg
    mov ecx, app_msg_len
    int 0x80
    mov eax, SYS_write
    mov ebx, app_msg2
    mov ecx, app_msg2_len
    int 0x80
    mov eax, SYS_exit
    mov ebx, 7
    int 0x80
    jmp $

trap_table:
    db 0x80, 3                      ; vector, flags: DPL 3 so ring 3 may `int 0x80`
    dw FLAT_KERNEL_CS
    dd syscall_entry
    times 8 db 0

ext_ops:
    dd MMUEXT_PIN_L3_TABLE, 0, 0
    dd MMUEXT_NEW_BASEPTR, 0, 0

mfn_list:       dd 0
old_pt_first:   dd 0
old_pt_end:     dd 0
done_count:     dd 0
reason_poweroff: dd SHUTDOWN_poweroff
reason_crash:   dd SHUTDOWN_crash

msg_tables: db "kernel: page tables built with mmu_update, pinned and loaded", 10
msg_tables_len equ $ - msg_tables
msg_ring3:  db "kernel: entering ring 3", 10
msg_ring3_len equ $ - msg_ring3
msg_failed: db "kernel: a hypercall failed", 10
msg_failed_len equ $ - msg_failed
msg_exit:   db "kernel: app exited with status "
msg_exit_status: db "?", 10
msg_exit_len equ $ - msg_exit
app_msg:    db "app: hello from ring 3 through int 0x80", 10
app_msg_len equ $ - app_msg
app_msg2:   db "app: the kernel wrote this for me", 10
app_msg2_len equ $ - app_msg2

align 4096
pt_l3:  times 4096 db 0
pt_l2a: times 4096 db 0
pt_l2b: times 4096 db 0
pt_l1:  times 4096 db 0
kstack: times 4096 db 0
kstack_top:
ustack: times 4096 db 0
ustack_top:
requests: times (512 + 3) * 16 db 0
align 4096
hypercall_page: times 4096 db 0
