// The durability tests' guest: a domU that writes sectors 0..writes-1 of xvda through blkfront
// (sector N starts with the dword N + 1, the rest FILL), flushes every 8 writes, counts each
// acknowledged write in `acked` and prints "acked N" for it, then powers off.
export const FILL = 0xa5;

export function writerGuest(writes: number): string {
  return `bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"
_start:
    call xs_init
    call gnt_init
    mov eax, 9
    xor ebx, ebx
    mov ecx, wbuf
    mov edx, GTF_permit_access | GTF_readonly
    call gnt_grant
    call blk_init
    cmp eax, XenbusStateConnected
    jne fail
    mov edi, wbuf
    mov eax, ${FILL * 0x01010101}
    mov ecx, 128
    rep stosd
    xor ebp, ebp
.loop:
    lea eax, [ebp + 1]
    mov [wbuf], eax
    mov eax, BLKIF_OP_WRITE
    mov ebx, ebp
    mov ecx, 9
    xor edx, edx
    call blk_io
    test eax, eax
    jnz fail
    inc dword [acked]
    mov eax, ebp                ; "acked NNN"
    mov ecx, 10
    mov edi, msg + 8
.digit:
    xor edx, edx
    div ecx
    add dl, '0'
    mov [edi], dl
    dec edi
    cmp edi, msg + 5
    jne .digit
    mov ebx, CONSOLEIO_write
    mov ecx, msg_len
    mov edx, msg
    HYPERCALL console_io
    inc ebp
    test ebp, 7
    jnz .next
    mov eax, BLKIF_OP_FLUSH_DISKCACHE
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    call blk_io
.next:
    cmp ebp, ${writes}
    jb .loop
    mov dword [reason], SHUTDOWN_poweroff
    jmp off
fail:
    mov dword [reason], SHUTDOWN_crash
off:
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason
    HYPERCALL sched_op
    ud2
reason: dd 0
align 4
acked: dd 0
msg: db "acked 000", 10
msg_len equ $ - msg
%include "xenstore.inc"
%include "grant.inc"
%include "blkfront.inc"
align 4096
wbuf: times 4096 db 0
align 4096
hypercall_page: times 4096 db 0
`;
}

/** Whether sector `i` of the image holds what the writer wrote there. */
export function sectorWritten(img: Uint8Array, i: number): boolean {
  const s = img.subarray(i * 512, (i + 1) * 512);
  return s[0] + (s[1] << 8) + (s[2] << 16) + s[3] * 0x1000000 === i + 1 && s.subarray(4).every((b) => b === FILL);
}
