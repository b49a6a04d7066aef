; An HVM guest's hello world: plain `out` instructions to a 16550 UART at 0x3F8. Every `in`
; and `out` leaves the guest as a VM exit (EXIT_REASON_IO_INSTRUCTION) and becomes an ioreq for
; the device model in dom0, which answers it; no hypercalls at all.
; Entered like a PVH kernel: 32-bit flat protected mode, paging off, ring 0.
bits 32
org 0x100000

COM1 equ 0x3f8
LSR equ COM1 + 5          ; line status: bit 5 = transmit holding register empty
EXIT_PORT equ 0x501       ; the device model's exit port: a write powers the domain off

_start:
    mov esi, message
.next:
    lodsb
    test al, al
    jz .done
    mov ah, al
    mov dx, LSR
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    mov dx, COM1
    mov al, ah
    out dx, al
    jmp .next
.done:
    mov dx, EXIT_PORT
    xor al, al
    out dx, al
    jmp .done

message: db "Hello from an HVM guest, through the UART", 10, 0
