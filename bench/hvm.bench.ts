// HVM costs, each beside a peer measured in the same run:
//  - VM exits per second for port I/O (a loop of `out` to the UART, each an IO_INSTRUCTION exit
//    and an ioreq to the device model), against the same loop with the `out` replaced by a nop;
//  - an HVM guest's MIPS in a register loop against the same loop as a PV guest.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadDomainConfigText, DomainConfig } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-hvm-bench-'));
let n = 0;

function config(type: 'pv' | 'pvh', body: string): DomainConfig {
  const end = type === 'pv' ? '    mov ebx, SCHEDOP_shutdown\n    mov ecx, off\n    HYPERCALL sched_op\n' : '    cli\n    hlt\n';
  const src = `bits 32\norg 0x100000\n%include "xen.inc"\n_start:\n${body}\n${end}off: dd 0\nalign 4096\nhypercall_page: times 4096 db 0\n`;
  const file = path.join(dir, `g-${n++}.asm`);
  fs.writeFileSync(file, src);
  const r = loadDomainConfigText(`name = "g${n}"\ntype = "${type}"\nkernel = "${path.basename(file)}"\nmemory = 16\n`, path.join(dir, `g${n}.cfg`));
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

function timed(c: DomainConfig): { ms: number; insns: number } {
  const sys = new XenSystem([c], { dom0: false });
  const t0 = performance.now();
  const stop = sys.run({ maxInstructions: 1e10, untilTimeNs: 1e12 });
  if (stop.reason !== 'finished') throw new Error(`bench guest did not finish: ${stop.reason}`);
  return { ms: performance.now() - t0, insns: sys.instructionsRetired() };
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
}
