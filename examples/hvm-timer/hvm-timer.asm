; PIT interrupts through the PIC into the guest's own IDT. The guest loads a GDT and an IDT,
; remaps the master PIC to vectors 0x20-0x27, programs PIT channel 0 for 100 Hz (mode 2,
; count 11932) and halts; each IRQ 0 wakes it (HLT is a VM exit: Xen blocks the vCPU until the
; device model raises the interrupt line, then injects vector 0x20 on VM entry, honouring IF).
; Every tick prints "tick N" on the UART; after five it powers off through the exit port.
bits 32
org 0x100000
%include "hvm.inc"

COM1 equ 0x3f8
EXIT_PORT equ 0x501
TICKS equ 5

_start:
    mov esp, stack_top
    HVM_FLAT_SEGMENTS
    HVM_GATE 0x20, irq0
    ; PIC: ICW1 (edge, cascade, ICW4), ICW2 base 0x20, ICW3 slave on IRQ 2, ICW4 8086 mode
    mov al, 0x11
    out 0x20, al
    mov al, 0x20
    out 0x21, al
    mov al, 4
    out 0x21, al
    mov al, 1
    out 0x21, al
    mov al, 0xfe            ; only IRQ 0 unmasked
    out 0x21, al
    ; PIT channel 0: lo/hi byte, mode 2, 1193182 Hz / 11932 = 100 Hz
    mov al, 0x34
    out 0x43, al
    mov ax, 11932
    out 0x40, al
    mov al, ah
    out 0x40, al
.sleep:
    cli
    cmp dword [ticks], TICKS
    jae .done
    sti                     ; sti's shadow: no interrupt between it and hlt
    hlt
    jmp .sleep
.done:
    mov dx, EXIT_PORT
    xor al, al
    out dx, al
    jmp .done

irq0:
    pusha
    inc dword [ticks]
    mov esi, tick_text
    call puts
    mov al, [ticks]
    add al, '0'
    call putc
    mov al, 10
    call putc
    mov al, 0x20            ; non-specific EOI
    out 0x20, al
    popa
    iret

puts:
    lodsb
    test al, al
    jz .ret
    call putc
    jmp puts
.ret:
    ret

putc:
    mov dx, COM1
    out dx, al
    ret

tick_text: db "tick ", 0
ticks: dd 0
HVM_DESCRIPTOR_TABLES
align 4096
stack: times 4096 db 0
stack_top:
