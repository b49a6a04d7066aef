/**
 * Split drivers: block throughput of a domU (MiB/s of guest I/O through blkfront, the blkif
 * ring, grants and blkback into a raw file) beside the host writing the same bytes to a file
 * directly; frames per second between two domUs through netfront/netback and the bridge beside
 * the same frames pushed through the bridge and netback alone (no guests).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadDomainConfigText } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';
import { Bridge, BridgePort } from '../src/xen/dom0/netback';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-bench-split-'));
const REQUESTS = 512; // 8 sectors (one page) each: 2 MiB
const FRAMES = 2000;

function system(guests: { name: string; source: string; extra: string }[]): XenSystem {
  const cfgs = guests.map((g) => {
    fs.writeFileSync(path.join(dir, `${g.name}.asm`), g.source);
    const r = loadDomainConfigText(`name = "${g.name}"\nkernel = "${g.name}.asm"\nmemory = 16\n${g.extra}\n`, path.join(dir, `${g.name}.cfg`));
    if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
    return r.config;
  });
  return new XenSystem(cfgs, { dom0: false });
}

const head = `bits 32
org 0x100000
%include "xen.inc"
%include "xenio.inc"
_start:
    call xs_init
    call gnt_init
`;
const tail = (inc: string) => `
%include "print.inc"
%include "xenstore.inc"
%include "grant.inc"
%include "${inc}"
align 4096
buf: times 4096 db 0x5a
align 4096
hypercall_page: times 4096 db 0
`;

const writer = `${head}
    mov eax, 9
    xor ebx, ebx
    mov ecx, buf
    mov edx, GTF_permit_access | GTF_readonly
    call gnt_grant
    call blk_init
    xor ebp, ebp
.loop:
    mov eax, BLKIF_OP_WRITE
    mov ebx, ebp
    and ebx, 255
    shl ebx, 3
    mov ecx, 9
    mov edx, 7
    call blk_io
    inc ebp
    cmp ebp, ${REQUESTS}
    jb .loop
    call poweroff
${tail('blkfront.inc')}`;

const sender = `${head}
    call net_init
    xor ebp, ebp
.loop:
    mov esi, frame
    mov ecx, 60
    call net_send
    test eax, eax
    jnz .loop                   ; not connected yet on the other side: nothing lost but time
    jmp .loop                   ; until the bench stops: the receiver's count is what is measured
frame: db 0x00, 0x16, 0x3e, 0, 0, 2, 0x00, 0x16, 0x3e, 0, 0, 1, 0x88, 0xb5
    times 46 db 0
${tail('netfront.inc')}`;

const receiver = `${head}
    call net_init
    xor ebp, ebp
.loop:
    call net_poll
    test eax, eax
    jz .idle
    inc ebp
    cmp ebp, ${FRAMES}
    jb .loop
    call poweroff
.idle:
    call yield
    jmp .loop
${tail('netfront.inc')}`;

export default async function (): Promise<void> {
  try {
    // ---- block
    const img = path.join(dir, 'disk.img');
    fs.writeFileSync(img, Buffer.alloc(1 << 20));
    const sys = system([{ name: 'writer', source: writer, extra: `disk = ['format=raw, vdev=xvda, access=rw, target=${img}']` }]);
    let t0 = performance.now();
    sys.run({ maxInstructions: 2e9, untilTimeNs: 1e12 });
    const guestMs = performance.now() - t0;
    if (sys.domain(1).state !== 'shutdown' && sys.domain(1).state !== 'destroyed') throw new Error(`writer ended ${sys.domain(1).state}`);
    const mib = (REQUESTS * 4096) / (1 << 20);
    const fd = fs.openSync(img, 'r+');
    const page = Buffer.alloc(4096, 0x5a);
    t0 = performance.now();
    for (let i = 0; i < REQUESTS; i++) fs.writeSync(fd, page, 0, 4096, (i & 255) * 4096);
    const hostMs = performance.now() - t0;
    fs.closeSync(fd);
    console.log(`block: ${(mib / (guestMs / 1000)).toFixed(1)} MiB/s of guest writes through the ring (${REQUESTS} × 4 KiB, boot included)`);
    console.log(`       host writing the same pages: ${(mib / (hostMs / 1000)).toFixed(1)} MiB/s; ratio ${(hostMs / guestMs).toFixed(3)}`);

    // ---- network
    const net = system([
      { name: 'sender', source: sender, extra: "vif = ['mac=00:16:3e:00:00:01']" },
      { name: 'receiver', source: receiver, extra: "vif = ['mac=00:16:3e:00:00:02']" },
    ]);
    t0 = performance.now();
    while (net.domain(2).alive) net.run({ maxInstructions: 200_000, untilTimeNs: 1e12 });
    const netMs = performance.now() - t0;
    const got = net.domain(2).state;
    const bridge = new Bridge('bench');
    let n = 0;
    const a: BridgePort = { name: 'a', deliver: () => undefined };
    const b: BridgePort = { name: 'b', deliver: () => n++ };
    bridge.attach(a);
    bridge.attach(b);
    const f = new Uint8Array(60);
    f.set([0x00, 0x16, 0x3e, 0, 0, 2, 0x00, 0x16, 0x3e, 0, 0, 1, 0x88, 0xb5]);
    t0 = performance.now();
    for (let i = 0; i < FRAMES * 100; i++) bridge.forward(a, f);
    const brMs = performance.now() - t0;
    console.log(`network: ${(FRAMES / (netMs / 1000)).toFixed(0)} frames/s between two domUs (receiver ${got}, boot included)`);
    console.log(`         the bridge alone: ${((FRAMES * 100) / (brMs / 1000)).toFixed(0)} frames/s; ratio ${((FRAMES * 100) / brMs / (FRAMES / netMs)).toFixed(1)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
