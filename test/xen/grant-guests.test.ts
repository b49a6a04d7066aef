// Grants between real PV guests: a domU that maps a grant meant for someone else, or writes
// through a read-only grant, is refused or faults alone; the granter's page is untouched.
import * as assert from 'assert';
import { GNTST } from '../../src/xen/abi';
import { YIELDS, boot, runToEnd } from './guest';
import { mapOp } from './grant-helpers';


const granter = `
    call gnt_init
    mov dword [page], 0x5ec12e7
    mov eax, 9
    mov ebx, 2
    mov ecx, page
    mov edx, GTF_permit_access | GTF_readonly
    call gnt_grant
    mov eax, 10
    mov ebx, 2
    mov ecx, page
    mov edx, GTF_permit_access
    call gnt_grant
${YIELDS(3000, 'g')}
    mov eax, [page]
    RESULT 0
    jmp done
%include "grant.inc"
align 4096
page: times 4096 db 0
done:
`;

const tail = `
    jmp done
align 8
mop: times gnttab_map_grant_ref_size db 0
align 4096
window: times 4096 db 0
done:
`;

const reader = `
${YIELDS(200, 'r')}
${mapOp(9, 'GNTMAP_host_map | GNTMAP_readonly', '0')}
    mov eax, [window]
    RESULT 1
${mapOp(9, 'GNTMAP_host_map', '2', 'window2')}
    mov dword [window], 0xbad       ; through the read-only mapping: #PF, no handler: crash
    RESULT 3
${tail}
align 4096
window2: times 4096 db 0`;

const intruder = `
${YIELDS(200, 'i')}
${mapOp(10, 'GNTMAP_host_map', '0')}
${mapOp(9, 'GNTMAP_host_map | GNTMAP_readonly', '1')}
${tail}`;

describe('grants between guests', () => {
  it('read-only grants stay read-only, foreign grants cannot be mapped, the fault stays in its domain', () => {
    const b = boot([
      { name: 'granter', body: granter },
      { name: 'reader', body: reader },
      { name: 'intruder', body: intruder },
    ]);
    runToEnd(b, 20_000_000);
    // the reader mapped the read-only grant and saw the granter's word
    assert.strictEqual(b.result(2, 0), GNTST.okay);
    assert.strictEqual(b.result(2, 1) >>> 0, 0x5ec12e7);
    // mapping the read-only grant writable is refused
    assert.strictEqual(b.result(2, 2), GNTST.general_error);
    // writing through the read-only mapping faults: the reader crashes, alone
    assert.strictEqual(b.result(2, 3) >>> 0, 0xdeadbeef, 'not reached');
    assert.strictEqual(b.sys.domain(2).state, 'crashed');
    // the granter ran to its end and its word is intact
    assert.strictEqual(b.sys.domain(1).state, 'shutdown');
    assert.strictEqual(b.result(1, 0) >>> 0, 0x5ec12e7);
    // the intruder is refused both grants (they name d2)
    assert.strictEqual(b.result(3, 0), GNTST.general_error);
    assert.strictEqual(b.result(3, 1), GNTST.general_error);
    assert.strictEqual(b.sys.domain(3).state, 'shutdown');
  });
});
