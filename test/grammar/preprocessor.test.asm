; SYNTAX TEST "source.xen-asm" "preprocessor and hypercalls"
%include "xen.inc"
; <-------- keyword.control.directive.include.xen-asm
;        ^^^^^^^^^ string.quoted.double.xen-asm
%define STACK_SIZE 4096
; <------- keyword.control.directive.define.xen-asm
;       ^^^^^^^^^^ entity.name.function.preprocessor.xen-asm
;                  ^^^^ constant.numeric.decimal.xen-asm
%macro  print 2
; <------ keyword.control.directive.macro.xen-asm
;       ^^^^^ entity.name.function.macro.xen-asm
        mov ecx, %2
;                ^^ variable.parameter.macro.xen-asm
%%again:
; <------- entity.name.label.macro-local.xen-asm
        loop %%again
;       ^^^^ keyword.control.mnemonic.xen-asm
;            ^^^^^^^ variable.other.label.macro-local.xen-asm
        mov ebx, %{1}
;                ^^^^ variable.parameter.macro.xen-asm
%endmacro
; <--------- keyword.control.directive.xen-asm
%ifdef DEBUG
; <------ keyword.control.directive.xen-asm
%elif 1
; <----- keyword.control.directive.xen-asm
%endif
; <------ keyword.control.directive.xen-asm
        mov eax, __HYPERVISOR_console_io
;                ^^^^^^^^^^^^^^^^^^^^^^^ support.function.hypercall.xen-asm
        mov ebx, CONSOLEIO_write
;                ^^^^^^^^^^^^^^^ support.constant.xen.xen-asm
        HYPERCALL2 sched_op, SCHEDOP_shutdown, esp
;       ^^^^^^^^^^ support.function.macro.hypercall.xen-asm
;                  ^^^^^^^^ support.function.hypercall.xen-asm
;                            ^^^^^^^^^^^^^^^^ support.constant.xen.xen-asm
;                                              ^^^ variable.language.register.general.xen-asm
        INT82_3 event_channel_op, EVTCHNOP_send, DOMID_SELF, FLAT_RING1_DS
;       ^^^^^^^ support.function.macro.hypercall.xen-asm
;                                                ^^^^^^^^^^ support.constant.xen.xen-asm
;                                                            ^^^^^^^^^^^^^ support.constant.xen.xen-asm
        hypercall event_channel_op, EVTCHNOP_send
;                 ^^^^^^^^^^^^^^^^ support.function.hypercall.xen-asm
;                                   ^^^^^^^^^^^^^ support.constant.xen.xen-asm
