// Durability against a real kill: `node bin/xensim run writer.cfg` runs a domU that writes its disk
// through blkfront and dom0's blkback (flushing every 8 writes) and prints "acked N" after each
// write it saw acknowledged. The test reads the CLI's output as it is written and SIGKILLs the
// process right after the k-th acknowledgement line (k from a seeded PRNG); every sector the
// output acknowledged must be in the image file. Needs dist/ (`npm run build`; npm test builds).
// KILL_TRIALS sets the number of kills (default 50).
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { prng } from '../asm/prng';

const root = path.resolve(__dirname, '..', '..');
const WRITES = 200;
const TRIALS = Number(process.env.KILL_TRIALS ?? 50);
const FILL = 0xa5;

const writer = `bits 32
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
    mov [wbuf], eax             ; sector N starts with N + 1
    mov eax, BLKIF_OP_WRITE
    mov ebx, ebp
    mov ecx, 9
    xor edx, edx
    call blk_io
    test eax, eax
    jnz fail
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

interface Outcome {
  acked: number[];
  signal: NodeJS.Signals | null;
  code: number | null;
  out: string;
}

/** Run the CLI in `dir`; kill it with SIGKILL once `killAfter` acknowledgement lines are out. */
function runAndKill(dir: string, killAfter: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'xensim'), 'run', '--pcpus', '1', 'writer.cfg'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let out = '';
    let partial = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const m = /\(writer\)\s+acked (\d+)$/.exec(l);
        if (!m) continue;
        acked.push(Number(m[1]));
        if (acked.length === killAfter) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => (out += c.toString('latin1')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ acked, signal, code, out }));
  });
}

describe('blkback durability: the CLI killed (SIGKILL) after acknowledged writes', function () {
  this.timeout(Math.max(120000, TRIALS * 6000));
  let dir: string;
  before(function () {
    if (!fs.existsSync(path.join(root, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
    // A SIGKILL keeps what the process handed to the kernel, fsynced or not; tmpfs (where there
    // is one) keeps the flushes' fsyncs from dominating the test's time without changing that.
    const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
    dir = fs.mkdtempSync(path.join(base, 'xensim-kill-'));
    fs.writeFileSync(path.join(dir, 'writer.asm'), writer);
    fs.writeFileSync(
      path.join(dir, 'writer.cfg'),
      `name = "writer"\nkernel = "writer.asm"\nmemory = 16\ndisk = ['format=raw, vdev=xvda, access=rw, target=disk.img']\non_poweroff = "destroy"\n`,
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const sectorOk = (img: Buffer, i: number) => img.readUInt32LE(i * 512) === i + 1 && img.subarray(i * 512 + 4, (i + 1) * 512).every((b) => b === FILL);

  it('a run left alone acknowledges every write and the file holds them all', async () => {
    fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(WRITES * 512));
    const r = await runAndKill(dir, Infinity);
    assert.strictEqual(r.code, 0, r.out);
    assert.deepStrictEqual(r.acked, Array.from({ length: WRITES }, (_, i) => i));
    const img = fs.readFileSync(path.join(dir, 'disk.img'));
    for (let i = 0; i < WRITES; i++) assert.ok(sectorOk(img, i), `sector ${i}`);
  });

  it(`killed at ${TRIALS} seeded acknowledgements: every acknowledged sector is in the file`, async () => {
    const rnd = prng(0xd15c);
    let early = 0;
    for (let t = 0; t < TRIALS; t++) {
      const k = 1 + Math.floor((rnd() / 2 ** 32) * (WRITES - 1));
      fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(WRITES * 512));
      const r = await runAndKill(dir, k);
      assert.ok(r.acked.length >= k, `trial ${t}: only ${r.acked.length} acknowledgements before the end (kill at ${k})\n${r.out}`);
      const img = fs.readFileSync(path.join(dir, 'disk.img'));
      for (const i of r.acked) assert.ok(sectorOk(img, i), `trial ${t} (killed after ack ${k}): acknowledged sector ${i} is not in the file`);
      if (r.signal === 'SIGKILL' && r.acked.length < WRITES) early++;
    }
    // the kills must land before the run ends, or the test proves nothing
    assert.ok(early >= TRIALS * 0.8, `only ${early} of ${TRIALS} kills landed before the guest finished`);
  });
});
