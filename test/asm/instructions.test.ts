import { sameAsNasm } from './data.test';

// Whole programs through the front end (parser, passes, layout) and the opcode table.
const CASES: Record<string, string> = {
  'every memory operand form': `
    bits 32
    mov eax, [ebx]
    mov eax, [ebx+esi*4+8]
    mov eax, [esi*4+8]
    mov eax, [esi*2]
    mov eax, [nosplit esi*2]
    mov eax, [esi*1]
    mov eax, [eax*3]
    mov eax, [eax*5+1]
    mov eax, [eax*9]
    mov eax, [8+esi*8+ebx]
    mov eax, [esi+ebx]
    mov eax, [ebx+esi]
    mov eax, [eax+esp]
    mov eax, [esp]
    mov eax, [ebp]
    mov eax, [ebp+0]
    mov eax, [eax+0]
    mov eax, [eax-4]
    mov eax, [eax + -4]
    mov eax, [eax-128]
    mov eax, [eax-129]
    mov eax, [eax+127]
    mov eax, [eax+128]
    mov eax, [0x1234]
    mov eax, [eax+ebx*2-ebx]
    mov eax, [(1+2)*4+eax]
    mov eax, es:[ebx]
    mov eax, [es:ebx]
    mov eax, [fs:0x30]
    mov eax, gs:[eax+ecx*4+12]
    mov eax, [byte eax+1]
    mov eax, [dword eax+1]
    mov eax, [dword eax]
    mov eax, [byte eax]
    mov byte [eax], 1
    mov word [eax], 1
    mov dword [eax], 1
    lea eax, [ebx+ecx*8-0x7fffffff]`,
  '16-bit code and addressing': `
    bits 16
    mov ax, [bx+si]
    mov ax, [bp+di+4]
    mov ax, [bp]
    mov ax, [0x100]
    mov eax, [ebx]
    mov ax, 1
    mov eax, 1
    bits 32
    mov ax, 1
    mov eax, [bx+si]`,
  'prefixes': `
    bits 32
    lock add [eax], ebx
    rep movsb
    repe cmpsb
    repz cmpsd
    repne scasb
    repnz scasw
    rep stosd
    o16 movsd
    a16 stosb
    es movsb
    fs lodsd
    lock
    rep`,
  'size keywords, strict, short and near': `
    bits 32
    push byte 1
    push dword 1
    push strict byte 1
    push strict dword 1
    push word 1
    add eax, 1
    add eax, strict dword 1
    add ebx, 1000
    add ebx, -128
    add ebx, -129
    imul eax, ebx, 3
    imul eax, ebx, 300
    mov eax, strict dword 5
    here: jmp short here
    jmp near here
    jmp here
    jz near here
    jz here
    call here`,
  'forward and backward jumps pick short and near like NASM': `
    bits 32
    top:
    jmp fwd_short
    jz fwd_short
    jmp fwd_near
    jnz fwd_near
    times 10 nop
    fwd_short:
    times 130 nop
    fwd_near:
    jmp top
    loop fwd_near
    jecxz $+2
    jmp $
    call fwd_far
    times 200 db 0
    fwd_far: ret`,
  'jump chains that need several passes': `
    bits 32
    %assign i 0
    %rep 40
      jmp L %+ i
      times 3 nop
      %assign i i + 1
    %endrep
    %assign i 0
    %rep 40
      L %+ i: jz L0
      times 2 nop
      %assign i i + 1
    %endrep`,
  'first pass: forward immediates small, displacements disp32; forward jumps short until the rest settles': `
    bits 32
    A0:
    add eax, A1 - A0
    times 124 nop
    A1:
    B0:
    mov edx, [ebp + B0 - B1]
    times 125 nop
    B1:
    jmp L9
    times 123 nop
    add eax, L9 - L8
    push L9 - L8
    L8: nop
    L9: nop
    jmp M9
    times 123 nop
    mov esp, [ebp + M9 - M8]
    M8: nop
    M9: nop`,
  'label addresses stay full size; differences and equ values are plain numbers': `
    bits 32
    org 0x1000
    start:
    push start
    push fwd
    add eax, start
    add eax, fwd
    mov eax, [ebx+fwd]
    mov eax, [ebx+start]
    mov eax, [ebx+small]
    push small
    push end - start
    add eax, end - start
    mov eax, [ebx + end - start]
    small equ 4
    mov eax, [ebx+ecx*small]
    mov eax, [small*esi+8]
    mov eax, [ecx*(small/2)+ecx]
    mov eax, [edi*small-small]
    fwd: db 0
    end:`,
  'far jumps and calls, system instructions': `
    bits 32
    jmp 0x08:entry
    call 0x10:0x1234
    jmp far [eax]
    call far [ebx+4]
    jmp dword 0x08:entry
    jmp word far [ebx]
    o16 call far [eax]
    bits 16
    jmp far [bx]
    call far [0x1234]
    jmp dword far [es:di+2]
    call word far [si]
    bits 32
    entry:
    int 0x82
    int3
    iret
    lgdt [gdt]
    lidt [eax]
    mov cr0, eax
    mov eax, cr3
    mov dr7, eax
    in al, dx
    out 0x80, al
    invlpg [eax]
    ltr ax
    hlt
    gdt: dw 0, 0, 0`,
  'times with instructions; labels without a colon': `
    bits 32
    times 3 inc eax
    times 2 jmp $
    foo mov eax, 1
    bar dd foo, bar
    baz: times 2 push dword 0`,
  'a kernel-like program with sections, macros and structures': `
    bits 32
    org 0x100000
    %define HYPERVISOR_console_io 18
    %macro hypercall 1
      mov eax, __HYPERVISOR_%1
      int 0x82
    %endmacro
    __HYPERVISOR_console_io equ HYPERVISOR_console_io
    struc frame
      .eax resd 1
      .ebx resd 1
    endstruc
    section .text
    _start:
      mov esp, stack_top
      mov ebx, 0
      mov ecx, msg.len
      mov edx, msg
      hypercall console_io
      mov eax, [esp + frame.ebx]
      lea esi, [bss_area + frame_size]
    .spin:
      hlt
      jmp .spin
    section .data
    msg: db "Hello from xensim", 10
    .len equ $ - msg
    align 4
    fr: istruc frame
      at frame.eax, dd 1
      at frame.ebx, dd 2
    iend
    section .bss
    bss_area: resb frame_size
    alignb 16
    resb 4096
    stack_top:`,
};

describe('asm: instructions through the front end against nasm -f bin', () => {
  for (const [name, src] of Object.entries(CASES)) it(name, () => sameAsNasm(src));
});
