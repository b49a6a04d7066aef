// A PV guest body that prints one line through its console ring (xencons_interface) and kicks
// its console port; with `wait` it then yields until the back end consumed the ring.
export function consoleRingGuest(line: string, wait = false): string {
  return `
    mov eax, [esi + start_info.console.domU.evtchn]
    mov [port], eax
    mov edi, [esi + start_info.console.domU.mfn]
    mov edi, [MACH2PHYS_VIRT_START + edi * 4]
    shl edi, 12
    mov esi, text
    mov ecx, text_len
.copy:
    mov eax, [edi + xencons_interface.out_prod]
    and eax, 2047
    mov dl, [esi]
    mov [edi + xencons_interface.out + eax], dl
    inc dword [edi + xencons_interface.out_prod]
    inc esi
    loop .copy
    mov ebx, EVTCHNOP_send
    mov ecx, port
    HYPERCALL event_channel_op
    RESULT 0
${
  wait
    ? `.wait:
    mov eax, [edi + xencons_interface.out_cons]
    cmp eax, [edi + xencons_interface.out_prod]
    je .drained
    mov ebx, SCHEDOP_yield
    HYPERCALL sched_op
    jmp .wait
.drained:`
    : ''
}
    jmp done
port: dd 0
text: db ${JSON.stringify(line)}, 10
text_len equ $ - text
%include "xenio.inc"
done:
`;
}
