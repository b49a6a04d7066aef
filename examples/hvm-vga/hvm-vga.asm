; An HVM guest writing the VGA text screen at 0xB8000, as a BIOS-less kernel would: each cell
; is a character byte and an attribute byte. The window is MMIO that Xen does not emulate
; itself: each access is an EPT violation that Xen forwards to the device model in dom0 as an
; ioreq of type IOREQ_TYPE_COPY; the vCPU waits for the answer, and a read is the instruction
; run again with the device model's value. Entered like a PVH kernel: 32-bit flat protected
; mode, paging off, ring 0.
bits 32
org 0x100000

VGA equ 0xb8000
COLUMNS equ 80
ATTR equ 0x1f             ; white on blue
EXIT_PORT equ 0x501       ; the device model's exit port: a write powers the domain off

_start:
    ; row 0: the title, a cell (one word store) per character
    mov esi, title
    mov edi, VGA
    mov ah, ATTR
.title:
    lodsb
    test al, al
    jz .row1
    stosw
    jmp .title
.row1:
    ; row 1: read the title's first cell back and copy it with a dword (two cells at once)
    mov eax, [VGA]
    mov [VGA + COLUMNS * 2], eax
    ; then a marker in the row's last cell
    mov word [VGA + COLUMNS * 2 + (COLUMNS - 1) * 2], ATTR << 8 | '#'
    mov dx, EXIT_PORT
    xor al, al
    out dx, al
.halt:
    hlt
    jmp .halt

title: db "xensim VGA", 0
