// Durability: stop the simulation at seeded random points while a domU writes its disk; every
// write blkback acknowledged (BLKIF_RSP_OKAY pushed), and every write the guest saw
// acknowledged, is in the image file — nothing is buffered in the simulator.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { blkbacksOf } from '../../src/xen/dom0/blkback-service';
import { boot } from './guest';
import { prng } from '../asm/prng';

const WRITES = 48;
const TRIALS = Number(process.env.BLK_TRIALS ?? 50);

const source = `bits 32
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
    xor ebp, ebp
.loop:
    lea eax, [ebp + 1]
    mov edi, wbuf
    mov ecx, 512
    rep stosb
    mov eax, BLKIF_OP_WRITE
    mov ebx, ebp
    mov ecx, 9
    xor edx, edx
    call blk_io
    test eax, eax
    jnz fail
    inc dword [acked]
    inc ebp
    test ebp, 7
    jnz .next
    mov eax, BLKIF_OP_FLUSH_DISKCACHE
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    call blk_io
.next:
    cmp ebp, ${WRITES}
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
%include "xenstore.inc"
%include "grant.inc"
%include "blkfront.inc"
align 4096
wbuf: times 4096 db 0
align 4096
hypercall_page: times 4096 db 0
`;

describe('blkback durability', function () {
  this.timeout(120000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-durable-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(maxInstructions: number, trial: number) {
    const img = path.join(dir, `d${trial}.img`);
    fs.writeFileSync(img, Buffer.alloc(64 * 512));
    const b = boot([{ name: 'writer', source, extra: `disk = ['format=raw, vdev=xvda, access=rw, target=${img}']` }]);
    b.sys.run({ maxInstructions, untilTimeNs: 1e9 });
    // "killed" here: nothing of the simulator is closed or flushed before the file is read
    const onFile = fs.readFileSync(img);
    const acked = b.sys.readMemory(1, 'gva', b.sys.image(1)!.symbolAddress('acked')!, 4).reduce<number>((s, x, i) => s + (x! << (8 * i)), 0);
    const be = [...(blkbacksOf(b.sys.hv).values())][0];
    return { onFile, acked, pushed: be?.stats.writes ?? 0, state: b.sys.domain(1).state, instructions: b.sys.instructionsRetired() };
  }

  it('a complete run writes every sector', () => {
    const r = run(50_000_000, 0);
    assert.strictEqual(r.state, 'shutdown');
    assert.strictEqual(r.acked, WRITES);
    for (let i = 0; i < WRITES; i++) assert.ok(r.onFile.subarray(i * 512, i * 512 + 512).every((x) => x === i + 1), `sector ${i}`);
  });

  it(`stopped at ${TRIALS} seeded points: every acknowledged sector is in the file`, () => {
    const full = run(50_000_000, 1000);
    const rnd = prng(0x5eed);
    let partial = 0;
    for (let t = 1; t <= TRIALS; t++) {
      const cut = Math.floor((rnd() / 2 ** 32) * full.instructions);
      const r = run(cut, t);
      assert.ok(r.acked <= r.pushed, `trial ${t}: guest saw ${r.acked} acks, blkback pushed ${r.pushed}`);
      for (let i = 0; i < r.pushed; i++) assert.ok(r.onFile.subarray(i * 512, i * 512 + 512).every((x) => x === i + 1), `trial ${t} (stop at ${cut}): acknowledged sector ${i} missing`);
      if (r.pushed > 0 && r.pushed < WRITES) partial++;
    }
    assert.ok(partial >= TRIALS / 4, `only ${partial} trials stopped mid-way: the cut points miss the writes`);
  });
});
