// A PV guest speaks xs_wire over its real store ring (guest/include/xenstore.inc): the toolstack
// introduced it to xenstored, the guest writes, reads and is refused another domain's keys.
import * as assert from 'assert';
import { XS } from '../../src/xen/abi';
import { XsClient, xenstoreOf } from '../../src/xen/dom0/xenstore';
import { boot, runToEnd } from './guest';

const guest = `
    call xs_init
    mov eax, XS_READ
    mov ebx, p_domid
    mov ecx, p_domid_len
    call xs_request
    RESULT 0                     ; reply type
    mov eax, [xs_reply]
    mov [results + 4], eax       ; "2\\0" or so
    mov eax, XS_WRITE
    mov ebx, p_write
    mov ecx, p_write_len
    call xs_request
    RESULT 2
    mov eax, XS_READ
    mov ebx, p_other
    mov ecx, p_other_len
    call xs_request
    RESULT 3
    mov eax, [xs_reply]
    mov [results + 16], eax      ; "EACC"
    mov eax, XS_DIRECTORY
    mov ebx, p_dir
    mov ecx, p_dir_len
    call xs_request
    RESULT 5
    mov [results + 24], ecx
    jmp done

p_domid: db "domid", 0
p_domid_len equ $ - p_domid
p_write: db "data/greeting", 0, "hello from the ring"
p_write_len equ $ - p_write
p_other: db "/local/domain/1/name", 0
p_other_len equ $ - p_other
p_dir: db "data", 0
p_dir_len equ $ - p_dir
%include "xenstore.inc"
done:
`;

describe('xenstore from a PV guest over its store ring', () => {
  it('reads its domid, writes a key, is refused another domain\'s keys', () => {
    const b = boot([{ name: 'other', body: '' }, { name: 'client', body: guest }]);
    runToEnd(b);
    const id = 2;
    const str = (i: number) => Buffer.from([0, 1, 2, 3].map((k) => (b.result(id, i) >>> (8 * k)) & 0xff)).toString('latin1');
    assert.strictEqual(b.result(id, 0), XS.READ);
    assert.strictEqual(str(1).replace(/\0.*$/s, ''), '2');
    assert.strictEqual(b.result(id, 2), XS.WRITE);
    assert.strictEqual(b.result(id, 3), XS.ERROR);
    assert.strictEqual(str(4), 'EACC');
    assert.strictEqual(b.result(id, 5), XS.DIRECTORY);
    assert.strictEqual(b.result(id, 6), 'greeting\0'.length);
    const dom0 = new XsClient(xenstoreOf(b.sys.hv), 0);
    assert.strictEqual(dom0.read('/local/domain/2/data/greeting'), 'hello from the ring');
    assert.strictEqual(dom0.read('/local/domain/1/name'), 'other');
    assert.ok((xenstoreOf(b.sys.hv).served.get(2) ?? 0) >= 4);
    // each request was a kick on the store port, visible in the trace as the guest's hypercall
    const sends = b.records.filter((r) => r.kind === 'hypercall-exit' && r.domid === id && r.subop === 'EVTCHNOP_send' && r.result === 0);
    assert.ok(sends.length >= 4, `${sends.length} sends`);
  });
});
