// HVM costs, each beside a peer measured in the same run:
//  - VM exits per second for port I/O (a loop of `out` to the UART, each an IO_INSTRUCTION exit
//    and an ioreq to the device model), against the same loop with the `out` replaced by a nop;
//  - an HVM guest's MIPS in a register loop against the same loop as a PV guest;
//  - the exits that end a run (handled after it, see src/xen/hvm/exits.ts) per second: RDTSC
//    (tsc_mode "always_emulate"), CR_ACCESS (mov to CR0 flipping TS), INVLPG (hap = 0) and
//    EXCEPTION_NMI (#UD of the forced-emulation prefix with hvm_fep), each against the same
//    loop where the controls let the instruction run natively.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadDomainConfigText, DomainConfig } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';
import { exitCounts } from '../src/xen/hvm';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-hvm-bench-'));
let n = 0;

function config(type: 'pv' | 'pvh', body: string, extra = ''): DomainConfig {
  const end = type === 'pv' ? '    mov ebx, SCHEDOP_shutdown\n    mov ecx, off\n    HYPERCALL sched_op\n' : '    cli\n    hlt\n';
  const src = `bits 32\norg 0x100000\n%include "xen.inc"\n_start:\n${body}\n${end}off: dd 0\nalign 4096\nhypercall_page: times 4096 db 0\n`;
  const file = path.join(dir, `g-${n++}.asm`);
  fs.writeFileSync(file, src);
  const r = loadDomainConfigText(`name = "g${n}"\ntype = "${type}"\nkernel = "${path.basename(file)}"\nmemory = 16\n${extra}\n`, path.join(dir, `g${n}.cfg`));
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

function timed(c: DomainConfig, opts: { hvmFep?: boolean } = {}): { ms: number; insns: number; exits: Record<string, number> } {
  const sys = new XenSystem([c], { dom0: false, ...opts });
  const t0 = performance.now();
  const stop = sys.run({ maxInstructions: 1e10, untilTimeNs: 1e12 });
  if (stop.reason !== 'finished') throw new Error(`bench guest did not finish: ${stop.reason}`);
  return { ms: performance.now() - t0, insns: sys.instructionsRetired(), exits: exitCounts(sys.domain(1)) };
}

export default async function (): Promise<void> {
  const N = 200_000;
  const loop = (op: string) => `    mov ebp, ${N}\n    mov dx, 0x3ff\n.l:\n    ${op}\n    dec ebp\n    jnz .l`;
  const io = timed(config('pvh', loop('out dx, al')));
  const peer = timed(config('pvh', loop('nop')));
  console.log(`port I/O VM exits: ${N} in ${io.ms.toFixed(0)} ms = ${((N / io.ms) * 1000).toExponential(2)}/s (same loop without the out: ${peer.ms.toFixed(0)} ms; ${(io.ms / peer.ms).toFixed(1)}x)`);
  const M = 20_000_000;
  const work = `    mov ecx, ${M / 4}\n.w:\n    add eax, ecx\n    xor ebx, eax\n    dec ecx\n    jnz .w`;
  const hvm = timed(config('pvh', work));
  const pv = timed(config('pv', work));
  const mips = (r: { ms: number; insns: number }) => r.insns / r.ms / 1000;
  console.log(`HVM guest loop: ${mips(hvm).toFixed(0)} MIPS; the same loop PV: ${mips(pv).toFixed(0)} MIPS (HVM/PV ${(mips(hvm) / mips(pv)).toFixed(2)})`);

  const K = 50_000;
  const loop2 = (op: string) => `    mov ebp, ${K}\n    mov eax, cr0\n    mov ebx, eax\n    xor ebx, 8\n.l:\n${op}\n    dec ebp\n    jnz .l`;
  interface Rate {
    name: string;
    reason: string;
    op: string;
    extra?: string;
    fep?: boolean;
    /** the peer: the same loop where the controls let the instruction run natively */
    peerOp?: string;
    peerExtra?: string;
  }
  const rates: Rate[] = [
    { name: 'RDTSC', reason: 'RDTSC', op: '    rdtsc', extra: 'tsc_mode = "always_emulate"', peerExtra: 'tsc_mode = "native"' },
    // two writes that each flip TS: both exit (CR0 mask ~0); the peer writes CR0's own value
    { name: 'CR_ACCESS', reason: 'CR_ACCESS', op: '    mov cr0, ebx\n    mov cr0, eax', peerOp: '    mov cr0, eax\n    mov cr0, eax' },
    { name: 'INVLPG', reason: 'INVLPG', op: '    invlpg [0x1000]\n    invlpg [0x2000]', extra: 'hap = 0', peerExtra: 'hap = 1' },
    { name: 'EXCEPTION_NMI (#UD, hvm_fep)', reason: 'EXCEPTION_NMI', op: "    db 0x0f, 0x0b, 'xen'\n    nop", fep: true, peerOp: '    nop\n    nop' },
  ];
  for (const r of rates) {
    const t = timed(config('pvh', loop2(r.op), r.extra), { hvmFep: r.fep });
    const p = timed(config('pvh', loop2(r.peerOp ?? r.op), r.peerExtra));
    const n = t.exits[`EXIT_REASON_${r.reason}`] ?? 0;
    if ((p.exits[`EXIT_REASON_${r.reason}`] ?? 0) !== 0 || n < K) throw new Error(`${r.name}: ${n} exits, the peer ${p.exits[`EXIT_REASON_${r.reason}`]}`);
    console.log(`${r.name} exits: ${n} in ${t.ms.toFixed(0)} ms = ${((n / t.ms) * 1000).toExponential(2)}/s (same loop without exits: ${p.ms.toFixed(0)} ms; ${(t.ms / p.ms).toFixed(1)}x)`);
  }
}
