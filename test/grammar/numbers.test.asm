; SYNTAX TEST "source.xen-asm" "every NASM integer form"
        dd 200, 0200, 0200d, 0d200, 1_000
;          ^^^ constant.numeric.decimal.xen-asm
;               ^^^^ constant.numeric.decimal.xen-asm
;                     ^^^^^ constant.numeric.decimal.xen-asm
;                            ^^^^^ constant.numeric.decimal.xen-asm
;                                   ^^^^^ constant.numeric.decimal.xen-asm
        dd 0c8h, 0xc8, 0hc8, $0c8, 0Dh, 0XFF_FF
;          ^^^^ constant.numeric.hex.xen-asm
;                ^^^^ constant.numeric.hex.xen-asm
;                      ^^^^ constant.numeric.hex.xen-asm
;                            ^^^^ constant.numeric.hex.xen-asm
;                                  ^^^ constant.numeric.hex.xen-asm
;                                       ^^^^^^^ constant.numeric.hex.xen-asm
        dd 310q, 310o, 0o310, 0q310
;          ^^^^ constant.numeric.octal.xen-asm
;                ^^^^ constant.numeric.octal.xen-asm
;                      ^^^^^ constant.numeric.octal.xen-asm
;                             ^^^^^ constant.numeric.octal.xen-asm
        dd 11001000b, 1100_1000y, 0b1100_1000, 0y1100_1000
;          ^^^^^^^^^ constant.numeric.binary.xen-asm
;                     ^^^^^^^^^^ constant.numeric.binary.xen-asm
;                                 ^^^^^^^^^^^ constant.numeric.binary.xen-asm
;                                              ^^^^^^^^^^^ constant.numeric.binary.xen-asm
        dd 1.5, 3e10
;          ^^^ constant.numeric.float.xen-asm
;               ^^^^ constant.numeric.float.xen-asm
        dd 0b1h
;          ^^^^ constant.numeric.hex.xen-asm
        mov eax, label1
;                ^^^^^^ - constant.numeric
