import * as assert from 'assert';
import { boot, runToEnd, MAP_SHARED } from './guest';
import { XEN_ERRNO } from '../../src/xen/abi';

const E = (name: keyof typeof XEN_ERRNO) => -XEN_ERRNO[name];

describe('xen: hypercalls from a PV guest', () => {
  it('xen_version answers 4.17, an unknown number -ENOSYS, through the page and int 0x82', () => {
    const b = boot([{ name: 'ver', body: `
    mov ebx, XENVER_version
    xor ecx, ecx
    HYPERCALL xen_version
    RESULT 0
    mov eax, 60
    int 0x82
    RESULT 1
    mov ebx, XENVER_pagesize
    INT82_2 xen_version, XENVER_pagesize, 0
    RESULT 2` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0x40011);
    assert.strictEqual(b.result(1, 1), E('ENOSYS'));
    assert.strictEqual(b.result(1, 2), 4096);
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });

  it('console_io writes lines; a buffer in Xen area or unmapped gives -EFAULT', () => {
    const b = boot([{ name: 'con', body: `
    mov ebx, CONSOLEIO_write
    mov ecx, 7
    mov edx, text
    HYPERCALL console_io
    RESULT 0
    mov ebx, CONSOLEIO_write
    mov ecx, 4
    mov edx, 0xF5800000
    HYPERCALL console_io
    RESULT 1
    mov ebx, CONSOLEIO_write
    mov ecx, 4
    mov edx, 0x3000000
    HYPERCALL console_io
    RESULT 2
    jmp done
text: db "hi xen", 10
done:` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1), E('EFAULT'));
    assert.strictEqual(b.result(1, 2), E('EFAULT'));
    assert.deepStrictEqual(b.console(1), ['hi xen']);
  });

  it('domctl from an unprivileged domain is -EPERM', () => {
    const b = boot([{ name: 'ctl', body: `
    mov ebx, scratch
    HYPERCALL domctl
    RESULT 0` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), E('EPERM'));
  });

  it('event channels: IPI bind, send, upcall to the callback with the mask set, iret back', () => {
    const b = boot([{ name: 'ipi', body: `
    ; event callback
    mov ebx, CALLBACKOP_register
    mov ecx, cb
    HYPERCALL callback_op
    RESULT 0
${MAP_SHARED}
    RESULT 1
    ; bind an IPI on vcpu 0
    mov dword [scratch], 0
    mov ebx, EVTCHNOP_bind_ipi
    mov ecx, scratch
    HYPERCALL event_channel_op
    RESULT 2
    mov eax, [scratch + 4]
    RESULT 3
    ; unmask events (vcpu_info[0].evtchn_upcall_mask = 0), then send
    mov byte [0x3ff001], 0
    mov eax, [scratch + 4]
    mov [scratch + 16], eax
    mov ebx, EVTCHNOP_send
    mov ecx, scratch + 16
    HYPERCALL event_channel_op
    RESULT 4
    mov eax, [upcalls]
    RESULT 5
    jmp done
cb_args: dd 0, 0, 0
cb:
    push eax
    inc dword [upcalls]
    movzx eax, byte [0x3ff001]
    mov [results + 6*4], eax
    mov byte [0x3ff000], 0          ; evtchn_upcall_pending = 0
    mov dword [0x3ff000 + 2048], 0  ; clear pending bits
    mov dword [0x3ff004], 0         ; pending_sel
    pop eax
    jmp hypercall_page + __HYPERVISOR_iret * 32
upcalls: dd 0
done:`.replace('mov ecx, cb\n', 'mov ecx, cbreg\n') + `
    jmp done2
cbreg: dw CALLBACKTYPE_event, 0
    dd 0xe019, cb
done2:` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0, 'callback_op');
    assert.strictEqual(b.result(1, 1), 0, 'update_va_mapping of shared_info');
    assert.strictEqual(b.result(1, 2), 0, 'bind_ipi');
    assert.ok(b.result(1, 3) > 0, 'a port');
    assert.strictEqual(b.result(1, 4), 0, 'send');
    assert.strictEqual(b.result(1, 5), 1, 'one upcall before the send returned to the next instruction');
    assert.strictEqual(b.result(1, 6), 1, 'events masked inside the callback');
    assert.ok(b.records.some((r) => r.kind === 'ring-transition' && r.cause === 'event-upcall'));
  });
});
