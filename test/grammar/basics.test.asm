; SYNTAX TEST "source.xen-asm" "labels, mnemonics, registers, comments"
        bits 32
;       ^^^^ keyword.directive.xen-asm
;            ^^ constant.numeric.decimal.xen-asm
        org 0x100000
;       ^^^ keyword.directive.xen-asm
;           ^^^^^^^^ constant.numeric.hex.xen-asm
section .text
; <------- keyword.directive.section.xen-asm
;       ^^^^^ entity.name.section.xen-asm
start:  mov eax, [ebx+4*ecx+0x10]   ; comment here
; <----- entity.name.label.xen-asm
;    ^ punctuation.separator.label.xen-asm
;       ^^^ keyword.mnemonic.xen-asm
;           ^^^ variable.language.register.general.xen-asm
;              ^ punctuation.separator.operand.xen-asm
;                ^ punctuation.definition.memory.begin.xen-asm
;                 ^^^ variable.language.register.general.xen-asm
;                    ^ keyword.operator.xen-asm
;                     ^ constant.numeric.decimal.xen-asm
;                       ^^^ variable.language.register.general.xen-asm
;                           ^^^^ constant.numeric.hex.xen-asm
;                               ^ punctuation.definition.memory.end.xen-asm
;                                   ^ comment.line.semicolon.xen-asm punctuation.definition.comment.xen-asm
;                                     ^^^^^^^^^^^^ comment.line.semicolon.xen-asm
.loop:  dec ecx
; <----- entity.name.label.local.xen-asm
;       ^^^ keyword.mnemonic.xen-asm
        jnz .loop
;       ^^^ keyword.control.mnemonic.xen-asm
;           ^^^^^ - keyword.control.mnemonic.xen-asm
        JMP short start
;       ^^^ keyword.control.mnemonic.xen-asm
;           ^^^^^ storage.modifier.xen-asm
        mov cr3, eax
;           ^^^ variable.language.register.control.xen-asm
        mov dr7, ebx
;           ^^^ variable.language.register.debug.xen-asm
        mov ds, ax
;           ^^ variable.language.register.segment.xen-asm
;               ^^ variable.language.register.general.xen-asm
        mov byte [es:edi], 'A'
;           ^^^^ storage.modifier.size.xen-asm
;                 ^^ variable.language.register.segment.xen-asm
;                   ^ punctuation.separator.segment.xen-asm
;                          ^^^ constant.character.quoted.single.xen-asm
        cmp eax, "ab"
;                ^^^^ constant.character.quoted.double.xen-asm
        lgdt [gdt_desc]
;       ^^^^ keyword.mnemonic.system.xen-asm
;             ^^^^^^^^ - keyword
        rep movsb
;       ^^^ keyword.mnemonic.prefix.xen-asm
;           ^^^^^ keyword.mnemonic.xen-asm
        lock cmpxchg8b [esi]
;       ^^^^ keyword.mnemonic.prefix.xen-asm
;            ^^^^^^^^^ keyword.mnemonic.xen-asm
        cmovnle eax, ebx
;       ^^^^^^^ keyword.mnemonic.xen-asm
        setpo al
;       ^^^^^ keyword.mnemonic.xen-asm
;             ^^ variable.language.register.general.xen-asm
        vmcall
;       ^^^^^^ keyword.mnemonic.system.xen-asm
        int 0x82
;       ^^^ keyword.control.mnemonic.xen-asm
        jmp $
;           ^ variable.language.location.xen-asm
        times 510-($-$$) db 0
;       ^^^^^ keyword.directive.times.xen-asm
;                  ^ variable.language.location.xen-asm
;                    ^^ variable.language.location.xen-asm
;                        ^^ storage.type.data.xen-asm
movement: ret
; <-------- entity.name.label.xen-asm
;         ^^^ keyword.control.mnemonic.xen-asm
