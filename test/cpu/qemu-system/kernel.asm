; A ring-0 test kernel run twice: under qemu-system-i386 (multiboot, -debugcon on port 0xE9)
; and under `xensim exec`. It puts both machines into the same state first (its own GDT, IDT,
; TSS, segments, stack, flags), then runs system-level scenarios and prints what the CPU did
; (exception vectors, error codes, saved frames, CR2, page-table A/D bits, descriptor checks)
; as text on port 0xE9. The test compares the two outputs line by line: QEMU is the oracle.
; Also: TF single-step (and across mov ss), DR0-DR2 breakpoints (DR6), call and conforming gates,
; lar/lsl on gates, invlpg, IOPL 3 at ring 3, retf nulling data segments, gate and IDT-limit
; errors, sysenter/sysexit, a rep movsd interrupted by #PF. Built with the real nasm and ld;
; nothing here states an expected result.
bits 32

MB_MAGIC equ 0x1BADB002
CODE0 equ 0x08
DATA0 equ 0x10
CODE_XO equ 0x18      ; execute-only code
DATA_SMALL equ 0x20   ; data, limit 0xfff, byte granular, base 0x80000
DATA_NP equ 0x28      ; not present
DATA_RO equ 0x30      ; read-only data
TSS_SEL equ 0x38
CODE3 equ 0x43
DATA3 equ 0x4b
CODE16 equ 0x50       ; 16-bit code (for lar/lsl)
CALLGATE equ 0x58     ; call gate, DPL 3, to CODE0 with 2 parameters
CODE_CONF equ 0x60    ; conforming code, DPL 0

PD32 equ 0x200000     ; 2-level: page directory, then the page table for 0-4 MiB
PT32 equ 0x201000
PDPT equ 0x210000     ; PAE: PDPT, one page directory, one page table for 0-2 MiB
PDPAE equ 0x211000
PTPAE equ 0x212000
T_NP equ 0x300000     ; test pages: not present, read-only, supervisor-only
T_RO equ 0x301000
T_SUP equ 0x302000
T_RW equ 0x303000
BIG equ 0x800000      ; inside a large page

section .text
global _start
align 4
mb_header:
  dd MB_MAGIC, 0, -MB_MAGIC

%macro PRINT 1+
  [section .rodata]
  %%s: db %1, 0
  __SECT__
  push esi
  mov esi, %%s
  call print_str
  pop esi
%endmacro

; PRINT_REG "name", reg: ` name=xxxxxxxx`
%macro PRINT_REG 2
  PRINT ' ', %1, '='
  push eax
  mov eax, %2
  call print_hex
  pop eax
%endmacro

%macro NL 0
  push eax
  mov al, 10
  out 0xe9, al
  pop eax
%endmacro

; TRY label: a fault in what follows prints itself and continues at label (at ring 0)
%macro TRY 1
  mov dword [recover], %1
  mov [recover_esp], esp
%endmacro

%macro STEP 1
  PRINT '== ', %1
  NL
%endmacro

_start:
  cli
  lgdt [gdtr]
  jmp CODE0:.flat
.flat:
  mov ax, DATA0
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  mov esp, 0x90000
  push 2
  popfd
  mov eax, 0x00000011  ; PE, ET
  mov cr0, eax
  xor eax, eax
  mov cr4, eax
  mov cr3, eax
  call build_idt
  lidt [idtr]
  call build_tss
  call build_callgate
  mov ax, TSS_SEL
  ltr ax
  xor eax, eax
  xor ebx, ebx
  xor ecx, ecx
  xor edx, edx
  xor esi, esi
  xor edi, edi
  xor ebp, ebp

  call faults
  call segments
  call descriptors
  call paging32
  call ring3
  call paging_pae
  call debug
  call gates
  call more_ring3

  STEP 'end'
  mov al, 0
  out 0xf4, al          ; QEMU's isa-debug-exit; the bare harness ignores it
  hlt

; ---------------------------------------------------------------- exceptions at ring 0
faults:
  STEP '#DE div by zero'
  TRY .1
  mov eax, 1
  xor edx, edx
  xor ecx, ecx
  div ecx
.1:
  STEP '#DE idiv overflow'
  TRY .2
  mov eax, 0x80000000
  mov edx, 0xffffffff
  mov ecx, -1
  idiv ecx
.2:
  STEP '#UD ud2'
  TRY .3
  ud2
.3:
  STEP '#UD mov cr1'
  TRY .4
  db 0x0f, 0x22, 0xc8   ; mov cr1, eax
.4:
  STEP '#UD lock nop'
  TRY .5
  db 0xf0, 0x90
.5:
  STEP '#BP int3'
  TRY .6
  int3
.6:
  STEP '#OF into'
  TRY .7
  mov al, 0x7f
  add al, 1
  into
.7:
  STEP '#BR bound'
  TRY .8
  mov eax, 5
  bound eax, [bounds]
.8:
  STEP 'no #BR in bounds'
  TRY .9
  mov eax, 2
  bound eax, [bounds]
  PRINT 'bound ok'
  NL
.9:
  STEP 'int 0x80 at ring 0'
  TRY .10
  mov eax, 0x1234
  int 0x80
.10:
  ret

; ---------------------------------------------------------------- segment loads and limits
segments:
  STEP '#GP selector beyond the GDT'
  TRY .1
  mov ax, 0x1000
  mov ds, ax
.1:
  mov ax, DATA0
  mov ds, ax
  STEP '#GP null SS'
  TRY .2
  xor eax, eax
  mov ss, ax
.2:
  STEP '#GP execute-only code into DS'
  TRY .3
  mov ax, CODE_XO
  mov ds, ax
.3:
  mov ax, DATA0
  mov ds, ax
  STEP '#NP not-present data'
  TRY .4
  mov ax, DATA_NP
  mov es, ax
.4:
  ; Limit, rights and null-selector checks on ordinary data accesses are left out: QEMU's TCG
  ; does not make them (it runs such accesses through), so it cannot judge them; the CPU's own
  ; tests in test/cpu/system-*.test.ts cover them against the SDM.
  mov ax, DATA_RO
  mov es, ax
  mov ax, DATA_SMALL
  mov fs, ax
  mov ax, DATA0
  mov es, ax
  mov fs, ax
  STEP 'accessed bits set by loads'
  mov eax, [gdt + DATA_SMALL + 4]
  PRINT_REG 'small', eax
  mov eax, [gdt + DATA_RO + 4]
  PRINT_REG 'ro', eax
  mov eax, [gdt + DATA_NP + 4]
  PRINT_REG 'np', eax
  NL
  ret

; ---------------------------------------------------------------- lar, lsl, verr, verw, sgdt ...
descriptors:
  STEP 'lar/lsl/verr/verw'
  mov ecx, 0
.next:
  mov ebx, [selectors + ecx*4]
  push ecx
  PRINT_REG 'sel', ebx
  mov eax, 0xdeadbeef
  lar eax, ebx
  pushfd
  pop edx
  and edx, 0x40
  PRINT_REG 'lar', eax
  PRINT_REG 'zf', edx
  mov eax, 0xdeadbeef
  lsl eax, ebx
  pushfd
  pop edx
  and edx, 0x40
  PRINT_REG 'lsl', eax
  PRINT_REG 'zf', edx
  verr bx
  pushfd
  pop edx
  and edx, 0x40
  PRINT_REG 'verr', edx
  verw bx
  pushfd
  pop edx
  and edx, 0x40
  PRINT_REG 'verw', edx
  NL
  pop ecx
  inc ecx
  cmp ecx, (selectors.end - selectors) / 4
  jb .next
  STEP 'sgdt/sidt/str/sldt/smsw'
  sgdt [scratch]
  movzx eax, word [scratch]
  PRINT_REG 'gdt.limit', eax
  mov eax, [scratch + 2]
  PRINT_REG 'gdt.base', eax
  sidt [scratch]
  movzx eax, word [scratch]
  PRINT_REG 'idt.limit', eax
  xor eax, eax
  str ax
  PRINT_REG 'tr', eax
  mov eax, 0xffffffff
  sldt ax
  PRINT_REG 'ldtr', eax
  mov eax, 0xffffffff
  smsw eax
  PRINT_REG 'msw', eax
  mov eax, [gdt + TSS_SEL + 4]
  PRINT_REG 'tss.hi', eax
  NL
  STEP '#GP ltr of a busy TSS'
  TRY .busy
  mov ax, TSS_SEL
  ltr ax
.busy:
  ret

; ---------------------------------------------------------------- 2-level paging
paging32:
  STEP 'paging 2-level'
  ; PT: 0-4 MiB identity, user + writable; some test pages differ
  mov edi, PT32
  mov eax, 0x007
  mov ecx, 1024
.pt:
  mov [edi], eax
  add eax, 0x1000
  add edi, 4
  loop .pt
  mov dword [PT32 + (T_NP >> 12) * 4], 0
  mov dword [PT32 + (T_RO >> 12) * 4], T_RO | 0x005
  mov dword [PT32 + (T_SUP >> 12) * 4], T_SUP | 0x003
  ; PD: the PT for 0-4 MiB, 4 MiB pages (PSE) above, up to 16 MiB
  mov edi, PD32
  xor eax, eax
  mov ecx, 1024
  rep stosd
  mov dword [PD32], PT32 | 0x007
  mov dword [PD32 + 4], 0x400000 | 0x087
  mov dword [PD32 + 8], 0x800000 | 0x087
  mov dword [PD32 + 12], 0xc00000 | 0x087
  mov eax, cr4
  or eax, 0x10          ; PSE
  mov cr4, eax
  mov eax, PD32
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  PRINT_REG 'pte.rw', [PT32 + (T_RW >> 12) * 4]
  mov eax, [T_RW]
  PRINT_REG 'after.read', [PT32 + (T_RW >> 12) * 4]
  mov [T_RW], eax
  PRINT_REG 'after.write', [PT32 + (T_RW >> 12) * 4]
  PRINT_REG 'pde0', [PD32]
  mov eax, [BIG + 0x1234]
  PRINT_REG 'big.read', [PD32 + 8]
  mov [BIG + 0x1234], eax
  PRINT_REG 'big.write', [PD32 + 8]
  NL
  STEP '#PF read not present'
  TRY .1
  mov eax, [T_NP + 0x10]
.1:
  STEP '#PF write not present'
  TRY .2
  mov dword [T_NP + 0x20], 1
.2:
  STEP 'write read-only with WP=0'
  TRY .3
  mov dword [T_RO + 0x30], 1
  PRINT 'write ok'
  NL
.3:
  STEP '#PF write read-only with WP=1'
  mov eax, cr0
  or eax, 0x10000
  mov cr0, eax
  TRY .4
  mov dword [T_RO + 0x40], 1
.4:
  mov eax, cr0
  and eax, ~0x10000
  mov cr0, eax
  STEP '#PF fetch not present'
  TRY .5
  mov eax, T_NP + 0x50
  call eax
.5:
  STEP '#PF straddling into a not-present page'
  TRY .6
  mov eax, [T_NP - 2]
.6:
  STEP '#PF after invlpg of a page made not present'
  mov eax, [T_RW + 0x80]
  and dword [PT32 + (T_RW >> 12) * 4], ~1
  invlpg [T_RW]
  TRY .inv
  mov eax, [T_RW + 0x84]
.inv:
  or dword [PT32 + (T_RW >> 12) * 4], 1
  invlpg [T_RW]
  PRINT_REG 'pte.rw', [PT32 + (T_RW >> 12) * 4]
  NL
  STEP 'reserved PDE bits with PSE'
  mov dword [PD32 + 16], 0x1000000 | 0x200087 ; bit 21 is reserved in a 4 MiB PDE, PSE-36 or not
  mov eax, cr3
  mov cr3, eax
  TRY .7
  mov eax, [0x1000000]
.7:
  mov dword [PD32 + 16], 0
  mov eax, cr3
  mov cr3, eax
  ret

; ---------------------------------------------------------------- ring 3 (paging on, 2-level)
; TO_RING3 label: iret into ring 3 at label with the user stack
; (iret to ring 3 nulls DS/ES/FS/GS, which hold DPL 0 selectors; the user code loads DATA3)
%macro TO_RING3 1
  push DATA3
  push 0x8ff00
  push 0x002
  push CODE3
  push %1
  iret
%endmacro

ring3:
  STEP 'ring 3: int 0x80 trap gate'
  TRY .1
  TO_RING3 .r1
.r1:
  mov eax, 0xabcd
  int 0x80
  int 0x81
.1:
  STEP 'ring 3: cli'
  TRY .2
  TO_RING3 .r2
.r2:
  cli
.2:
  STEP 'ring 3: in without IOPL'
  TRY .3
  TO_RING3 .r3
.r3:
  in al, 0x80
.3:
  STEP 'ring 3: mov from cr0'
  TRY .4
  TO_RING3 .r4
.r4:
  mov eax, cr0
.4:
  STEP 'ring 3: hlt'
  TRY .5
  TO_RING3 .r5
.r5:
  hlt
.5:
  STEP 'ring 3: supervisor page'
  TRY .6
  TO_RING3 .r6
.r6:
  mov ax, DATA3
  mov ds, ax
  mov eax, [T_SUP]
.6:
  STEP 'ring 3: write read-only page'
  TRY .7
  TO_RING3 .r7
.r7:
  mov ax, DATA3
  mov ds, ax
  mov dword [T_RO], 1
.7:
  STEP 'ring 3: popf cannot change IF or IOPL'
  TRY .8
  TO_RING3 .r8
.r8:
  mov ax, DATA3
  mov ds, ax
  pushfd
  or dword [esp], 0x3200
  popfd
  pushfd
  pop eax
  int 0x80
  int 0x81
.8:
  STEP 'ring 3: int to a DPL 0 gate'
  TRY .9
  TO_RING3 .r9
.r9:
  int 0x82
.9:
  STEP 'ring 3: load a DPL 0 data segment'
  TRY .10
  TO_RING3 .r10
.r10:
  mov ax, DATA0
  mov ds, ax
.10:
  STEP 'ring 3: far jump to ring 0 code'
  TRY .11
  TO_RING3 .r11
.r11:
  jmp CODE0:.11
.11:
  mov ax, DATA0
  mov ds, ax
  mov es, ax
  mov fs, ax
  mov gs, ax
  ; back to flat, paging off, for PAE
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax
  ret

; ---------------------------------------------------------------- PAE paging
paging_pae:
  STEP 'paging PAE'
  mov edi, PDPT
  xor eax, eax
  mov ecx, 0x3000 / 4
  rep stosd
  mov dword [PDPT], PDPAE | 1
  mov dword [PDPAE], PTPAE | 7
  mov dword [PDPAE + 8], 0x200000 | 0x87     ; 2 MiB pages 2-8 MiB
  mov dword [PDPAE + 16], 0x400000 | 0x87
  mov dword [PDPAE + 24], 0x600000 | 0x87
  mov edi, PTPAE
  mov eax, 7
  mov ecx, 512
.pt:
  mov [edi], eax
  add eax, 0x1000
  add edi, 8
  loop .pt
  mov eax, cr4
  or eax, 0x20          ; PAE
  mov cr4, eax
  mov eax, PDPT
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  mov eax, [0x1000]
  PRINT_REG 'pte1', [PTPAE + 8]
  mov [0x1000], eax
  PRINT_REG 'pte1.w', [PTPAE + 8]
  mov eax, [0x400010]
  PRINT_REG 'pde2', [PDPAE + 16]
  NL
  STEP '#PF PAE not present'
  TRY .1
  mov eax, [0x700000 + 0x200000]
.1:
  STEP '#PF PAE reserved bit'
  mov dword [PTPAE + 8 * 5 + 4], 0x00100000    ; bit 52: reserved (MAXPHYADDR 32 or 36)
  mov eax, cr3
  mov cr3, eax
  TRY .2
  mov eax, [0x5000]
.2:
  mov dword [PTPAE + 8 * 5 + 4], 0
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax
  ret

; ---------------------------------------------------------------- single-step and debug registers
debug:
  STEP 'TF single-step'
  mov dword [steps], 0
  pushfd
  or dword [esp], 0x100
  popfd
  mov eax, 1
  add eax, 2
  nop
  nop
  PRINT 'stepped'
  NL
  STEP 'TF across mov ss: the step after it is held back one instruction'
  mov dword [steps], 0
  pushfd
  or dword [esp], 0x100
  popfd
  mov ax, ss
  mov ss, ax
  mov ebx, 5
  nop
  nop
  PRINT 'stepped'
  NL
  STEP 'DR0 execution breakpoint'
  mov eax, .target
  mov dr0, eax
  mov eax, 0x00000001   ; L0, execute, 1 byte
  mov dr7, eax
  nop
.target:
  mov eax, 0x77
  NL
  STEP 'DR1 write watchpoint'
  mov eax, wvar
  mov dr1, eax
  mov eax, 0x00d00004   ; L1, write, 4 bytes
  mov dr7, eax
  mov eax, [wvar]       ; a read does not hit a write watchpoint
  mov dword [wvar], 5
  mov ebx, 0x99
  NL
  STEP 'DR2 read/write watchpoint on a byte'
  mov eax, wvar + 1
  mov dr2, eax
  mov eax, 0x03000010   ; L2, read/write, 1 byte
  mov dr7, eax
  mov eax, [wvar]
  mov ebx, 0x98
  NL
  ret

; ---------------------------------------------------------------- gates and descriptor checks
gates:
  STEP '#GP int to a gate of type 0'
  TRY .1
  int 0x83
.1:
  STEP '#NP int to a not-present gate'
  TRY .2
  int 0x84
.2:
  STEP '#GP int beyond the IDT limit'
  TRY .3
  lidt [small_idtr]
  int 0x90
.3:
  lidt [idtr]
  STEP '#GP DS with RPL above DPL'
  TRY .4
  mov ax, DATA0 | 3
  mov ds, ax
.4:
  mov ax, DATA0
  mov ds, ax
  STEP 'lss'
  mov [recover_esp], esp
  lss esp, [farptr]
  mov eax, esp
  mov esp, [recover_esp]
  PRINT_REG 'esp', eax
  NL
  STEP '#GP iret to ring 3 with a DPL 0 stack'
  TRY .5
  push DATA0 | 3
  push 0x8ff00
  push 0x002
  push CODE3
  push .5
  iret
.5:
  ret

callgate_target:
  mov ax, DATA0
  mov ds, ax
  mov es, ax
  mov ebp, esp
  PRINT 'gate'
  PRINT_REG 'eip', [ebp]
  PRINT_REG 'cs', [ebp + 4]
  PRINT_REG 'p1', [ebp + 8]
  PRINT_REG 'p2', [ebp + 12]
  PRINT_REG 'esp3', [ebp + 16]
  PRINT_REG 'ss3', [ebp + 20]
  mov eax, esp
  PRINT_REG 'esp0', eax
  NL
  retf 8

sysenter_target:
  mov ax, DATA0
  mov ds, ax
  PRINT 'sysenter'
  mov eax, cs
  PRINT_REG 'cs', eax
  mov eax, ss
  PRINT_REG 'ss', eax
  mov eax, esp
  PRINT_REG 'esp', eax
  pushfd
  pop eax
  PRINT_REG 'efl', eax
  NL
  sysexit

more_ring3:
  ; 2-level paging again (paging32's tables are still in place), for the page faults below
  mov eax, 0x10         ; PSE, no PAE
  mov cr4, eax
  mov eax, PD32
  mov cr3, eax
  mov eax, cr0
  or eax, 0x80000000
  mov cr0, eax
  STEP 'ring 3: call gate with two parameters, retf back'
  TRY .1
  TO_RING3 .r1
.r1:
  push 0x11111111
  push 0x22222222
  call CALLGATE | 3:0
  mov eax, esp
  mov ebx, ds
  int 0x81
.1:
  STEP 'ring 3: call conforming code'
  TRY .2
  TO_RING3 .r2
.r2:
  call CODE_CONF:.conf
.conf:
  mov eax, cs
  mov ebx, ss
  int 0x81
.2:
  STEP 'ring 3: push across into a not-present page'
  TRY .3
  TO_RING3 .r3
.r3:
  mov esp, T_NP + 2
  push eax
.3:
  STEP 'ring 3: rep movsd into a not-present page'
  TRY .4
  TO_RING3 .r4
.r4:
  mov ax, DATA3
  mov ds, ax
  mov es, ax
  cld
  mov esi, 0x2fe000
  mov edi, T_NP - 8
  mov ecx, 8
  rep movsd
.4:
  STEP 'ring 3 with IOPL 3: out and cli are allowed'
  TRY .iopl
  push DATA3
  push 0x8ff00
  push 0x3002
  push CODE3
  push .riopl
  iret
.riopl:
  mov al, '!'
  out 0xe9, al
  mov al, 10
  out 0xe9, al
  cli
  pushfd
  pop eax
  int 0x81
.iopl:
  STEP 'retf to ring 3 nulls DPL 0 data segments, keeps DPL 3 ones'
  TRY .retf
  mov ax, DATA0
  mov ds, ax
  mov es, ax
  mov ax, DATA3
  mov fs, ax
  push DATA3
  push 0x8ff00
  push CODE3
  push .rretf
  retf
.rretf:
  mov eax, ds
  shl eax, 16
  mov ax, es
  mov ebx, fs
  mov ecx, gs
  int 0x81
.retf:
  mov ax, DATA0
  mov fs, ax
  mov gs, ax
  STEP 'ring 3: int3 through a DPL 3 gate'
  TRY .bp3
  TO_RING3 .rbp3
.rbp3:
  int3
.bp3:
  STEP 'ring 3: sysenter and sysexit'
  mov ecx, 0x174
  xor edx, edx
  mov eax, CODE0
  wrmsr
  inc ecx
  mov eax, 0x8e000
  wrmsr
  inc ecx
  mov eax, sysenter_target
  wrmsr
  TRY .5
  TO_RING3 .r5
.r5:
  mov ecx, esp
  mov edx, .back
  sysenter
.back:
  mov eax, cs
  mov ebx, ss
  int 0x81
.5:
  mov ax, DATA0
  mov ds, ax
  mov es, ax
  mov eax, cr0
  and eax, 0x7fffffff
  mov cr0, eax
  ret

; ---------------------------------------------------------------- exception entry
; every vector 0-31 and 0x80-0x82 enters here with [esp] = vector, [esp+4] = error code
exc_common:
  pushad
  mov ax, DATA0
  mov ds, ax
  mov es, ax
  mov ebp, esp
  PRINT 'exc'
  PRINT_REG 'v', [ebp + 32]
  PRINT_REG 'err', [ebp + 36]
  PRINT_REG 'eip', [ebp + 40]
  PRINT_REG 'cs', [ebp + 44]
  PRINT_REG 'efl', [ebp + 48]
  mov eax, cr2
  PRINT_REG 'cr2', eax
  PRINT_REG 'eax', [ebp + 28]
  PRINT_REG 'ecx', [ebp + 24]
  PRINT_REG 'edx', [ebp + 20]
  PRINT_REG 'ebx', [ebp + 16]
  PRINT_REG 'esi', [ebp + 4]
  PRINT_REG 'edi', [ebp + 0]
  pushfd
  pop eax
  PRINT_REG 'hefl', eax
  cmp dword [ebp + 32], 1
  jne .notdb
  mov eax, dr6
  PRINT_REG 'dr6', eax
.notdb:
  test dword [ebp + 44], 3
  jz .same
  PRINT_REG 'esp3', [ebp + 52]
  PRINT_REG 'ss3', [ebp + 56]
  mov eax, ebp
  PRINT_REG 'esp0', eax
.same:
  NL
  mov eax, [ebp + 32]
  cmp eax, 1
  je .debug
  cmp eax, 0x80
  jne .abandon
  ; int 0x80: a system call that returns
  popad
  add esp, 8
  iret
.debug:
  ; #DB: clear DR6, disarm the breakpoints, stop single-stepping after three steps; resume
  xor eax, eax
  mov dr6, eax
  mov dr7, eax
  inc dword [steps]
  cmp dword [steps], 3
  jb .again
  and dword [ebp + 48], ~0x100
.again:
  popad
  add esp, 8
  iret
.abandon:
  mov ax, DATA0
  mov ss, ax
  mov esp, [recover_esp]
  jmp [recover]

%assign v 0
%rep 32
isr %+ v:
  %if v <> 8 && (v < 10 || v > 14) && v <> 17
  push 0
  %endif
  push v
  jmp exc_common
%assign v v + 1
%endrep
isr128:
  push 0
  push 0x80
  jmp exc_common
isr129:
  push 0
  push 0x81
  jmp exc_common
isr130:
  push 0
  push 0x82
  jmp exc_common

; gate(vector in ecx, handler in eax, type/attr byte in dl)
set_gate:
  mov [idt + ecx*8], ax
  mov word [idt + ecx*8 + 2], CODE0
  mov byte [idt + ecx*8 + 4], 0
  mov [idt + ecx*8 + 5], dl
  shr eax, 16
  mov [idt + ecx*8 + 6], ax
  ret

build_idt:
  xor ecx, ecx
.l:
  mov eax, [isr_table + ecx*4]
  mov dl, 0x8e          ; present, DPL 0, 32-bit interrupt gate
  cmp ecx, 3
  je .user
  cmp ecx, 4
  jne .set
.user:
  mov dl, 0xee          ; int3 and into are allowed from ring 3
.set:
  call set_gate
  inc ecx
  cmp ecx, 32
  jb .l
  mov ecx, 0x80
  mov eax, isr128
  mov dl, 0xef          ; present, DPL 3, 32-bit trap gate
  call set_gate
  mov ecx, 0x81
  mov eax, isr129
  mov dl, 0xee
  call set_gate
  mov ecx, 0x82
  mov eax, isr130
  mov dl, 0x8e          ; DPL 0: int 0x82 from ring 3 is a #GP
  call set_gate
  mov ecx, 0x84
  mov eax, isr130
  mov dl, 0x0e          ; not present
  call set_gate
  ret

build_callgate:
  mov eax, callgate_target
  mov [gdt + CALLGATE], ax
  mov word [gdt + CALLGATE + 2], CODE0
  mov byte [gdt + CALLGATE + 4], 2      ; parameter count
  mov byte [gdt + CALLGATE + 5], 0xec   ; present, DPL 3, 32-bit call gate
  shr eax, 16
  mov [gdt + CALLGATE + 6], ax
  ret

build_tss:
  mov dword [tss + 4], 0x8f000   ; esp0
  mov dword [tss + 8], DATA0     ; ss0
  mov word [tss + 102], 104      ; no I/O bitmap
  mov eax, tss
  mov [gdt + TSS_SEL + 2], ax
  shr eax, 16
  mov [gdt + TSS_SEL + 4], al
  mov [gdt + TSS_SEL + 7], ah
  ret

; ---------------------------------------------------------------- console
print_str:
  push eax
.l:
  lodsb
  test al, al
  jz .d
  out 0xe9, al
  jmp .l
.d:
  pop eax
  ret

print_hex:
  push ecx
  push edx
  mov ecx, 8
.l:
  rol eax, 4
  mov edx, eax
  and edx, 15
  mov dl, [hexdigits + edx]
  xchg eax, edx
  out 0xe9, al
  xchg eax, edx
  loop .l
  pop edx
  pop ecx
  ret

section .rodata
hexdigits: db '0123456789abcdef'
bounds: dd 0, 3
farptr: dd 0x8d000
  dw DATA0
small_idtr:
  dw 0x83 * 8 + 7
  dd idt
selectors:
  dd 0, CODE0, DATA0, CODE_XO, DATA_SMALL, DATA_NP, DATA_RO, TSS_SEL, CODE3, DATA3, CODE16, 0x1000, CODE3 & ~3, DATA0 | 3
  dd CALLGATE, CALLGATE | 3, CODE_CONF, CODE_CONF | 3
.end:
isr_table:
%assign v 0
%rep 32
  dd isr %+ v
%assign v v + 1
%endrep

section .data
align 8
gdt:
  dq 0
  dq 0x00cf9b000000ffff   ; 0x08 code, DPL 0 (accessed: QEMU does not set A on a CS load)
  dq 0x00cf92000000ffff   ; 0x10 data, DPL 0
  dq 0x00cf98000000ffff   ; 0x18 execute-only code
  dq 0x0040920800000fff   ; 0x20 data, base 0x80000, limit 0xfff, byte granular
  dq 0x00cf12000000ffff   ; 0x28 data, not present
  dq 0x00cf90000000ffff   ; 0x30 read-only data
  dq 0x0000890000000067   ; 0x38 32-bit TSS (base filled in)
  dq 0x00cffa000000ffff   ; 0x40 code, DPL 3
  dq 0x00cff2000000ffff   ; 0x48 data, DPL 3
  dq 0x00009a000000ffff   ; 0x50 16-bit code
  dq 0                    ; 0x58 call gate (filled in)
  dq 0x00cf9e000000ffff   ; 0x60 conforming code, DPL 0
gdt_end:
gdtr:
  dw gdt_end - gdt - 1
  dd gdt
idtr:
  dw 256 * 8 - 1
  dd idt

section .bss
alignb 16
idt: resb 256 * 8
tss: resb 104
recover: resd 1
recover_esp: resd 1
steps: resd 1
wvar: resd 1
scratch: resb 16
