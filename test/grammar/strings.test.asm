; SYNTAX TEST "source.xen-asm" "strings, data, equ, struc"
msg:    db "Hello, Xen!", 10, 0   ; text
; <--- entity.name.label.xen-asm
;       ^^ storage.type.data.xen-asm
;          ^ string.quoted.double.xen-asm punctuation.definition.string.begin.xen-asm
;           ^^^^^^^^^^^ string.quoted.double.xen-asm
;                      ^ string.quoted.double.xen-asm punctuation.definition.string.end.xen-asm
;                         ^^ constant.numeric.decimal.xen-asm
;                                 ^^^^^^ comment.line.semicolon.xen-asm
msg_len equ $ - msg
; <------- entity.name.constant.xen-asm
;       ^^^ keyword.directive.equ.xen-asm
;           ^ variable.language.location.xen-asm
str2    db 'semi; not a comment', `tab\there\n`
; <---- entity.name.label.xen-asm
;          ^^^^^^^^^^^^^^^^^^^^^ string.quoted.single.xen-asm
;                                 ^^^^^^^^^^^^^ string.quoted.backtick.xen-asm
;                                     ^^ constant.character.escape.xen-asm
;                                           ^^ constant.character.escape.xen-asm
buffer  resb 64
; <------ entity.name.label.xen-asm
;       ^^^^ storage.type.reserve.xen-asm
struc point
; <----- keyword.directive.struc.xen-asm
;     ^^^^^ entity.name.type.struct.xen-asm
.x      resd 1
; <-- entity.name.label.xen-asm
;       ^^^^ storage.type.reserve.xen-asm
endstruc
; <-------- keyword.directive.struc.xen-asm
origin: istruc point
;       ^^^^^^ keyword.directive.struc.xen-asm
;              ^^^^^ entity.name.type.struct.xen-asm
    at point.x, dd 1
;   ^^ keyword.directive.struc.xen-asm
;      ^^^^^^^ variable.other.member.xen-asm
;               ^^ storage.type.data.xen-asm
    iend
;   ^^^^ keyword.directive.struc.xen-asm
        align 16
;       ^^^^^ keyword.directive.xen-asm
