// The hypervisor's costs, each beside a peer measured in the same run:
//  - hypercalls per second over 10^6 xen_version calls (peer: the same loop with the call
//    replaced by a call to a `ret`, i.e. the guest's own overhead);
//  - event round trips per second between two vCPUs (two domains pinging over an interdomain
//    channel with EVTCHNOP_send and SCHEDOP_poll);
//  - a PV guest's MIPS in a loop with the scheduler and two other busy domains running, against
//    the same loop on the bare CPU (overhead ratio).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadDomainConfigText, DomainConfig } from '../src/xen/config';
import { XenSystem } from '../src/xen/system';
import { assemble } from '../src/asm';
import { Cpu } from '../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../src/cpu/bare';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-xen-bench-'));
let n = 0;

function config(name: string, body: string, extra = ''): DomainConfig {
  const src = `bits 32\norg 0x100000\n%include "xen.inc"\n_start:\n${body}\n    mov ebx, SCHEDOP_shutdown\n    mov ecx, off\n    HYPERCALL sched_op\noff: dd 0\nalign 4096\nshared: times 4096 db 0\ndata: times 4096 db 0\nhypercall_page: times 4096 db 0\n`;
  const file = path.join(dir, `${name}-${n++}.asm`);
  fs.writeFileSync(file, src);
  const text = `name = "${name}"\ntype = "pv"\nkernel = "${path.basename(file)}"\nmemory = 16\n${extra}\n`;
  const r = loadDomainConfigText(text, path.join(dir, `${name}.cfg`));
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

function timed(sys: XenSystem): { ms: number; insns: number } {
  const t0 = performance.now();
  const i0 = sys.instructionsRetired();
  const stop = sys.run({ maxInstructions: 1e10, untilTimeNs: 1e12 });
  if (stop.reason !== 'finished') throw new Error(`bench guest did not finish: ${stop.reason}`);
  return { ms: performance.now() - t0, insns: sys.instructionsRetired() - i0 };
}

const N = 1_000_000;

function hypercalls(): void {
  const loop = (call: string) => `    mov ebp, ${N}\n.l:\n    mov ebx, XENVER_version\n    xor ecx, ecx\n    ${call}\n    dec ebp\n    jnz .l`;
  const real = timed(new XenSystem([config('hc', loop('HYPERCALL xen_version'))], { dom0: false }));
  const peer = timed(new XenSystem([config('nohc', loop('call nothing') + '\n    jmp skip\nnothing: ret\nskip:')], { dom0: false }));
  const perCall = (real.ms - peer.ms) / N;
  console.log(`xen_version hypercalls: ${N} in ${real.ms.toFixed(0)} ms = ${((N / real.ms) * 1000).toExponential(2)}/s (loop without the hypercall ${peer.ms.toFixed(0)} ms; Xen's share ${(perCall * 1e6).toFixed(0)} ns per call, ${(real.ms / peer.ms).toFixed(1)}x the bare loop)`);
}

function roundTrips(): void {
  const R = 20_000;
  // d1 allocates port 3 for d2 (ports 1 and 2 are the store and console rings); d2 binds it.
  // Binding leaves d2's own port pending, so d2's first poll returns at once and its first
  // send tells d1 it is there; then each of d1's sends is answered by one of d2's.
  const common = `    mov eax, [esi + 36]\n    or eax, 3\n    mov ebx, shared\n    mov ecx, eax\n    xor edx, edx\n    mov esi, 2\n    HYPERCALL update_va_mapping\n`;
  const poll = (port: string) => `    mov eax, ${port}\n    mov [data + 64], eax\n    mov dword [data + 16], data + 64\n    mov dword [data + 20], 1\n    mov dword [data + 24], 0\n    mov dword [data + 28], 0\n    mov ebx, SCHEDOP_poll\n    mov ecx, data + 16\n    HYPERCALL sched_op\n    mov dword [shared + 2048], 0\n`;
  const send = (port: string) => `    mov eax, ${port}\n    mov [data + 8], eax\n    mov ebx, EVTCHNOP_send\n    mov ecx, data + 8\n    HYPERCALL event_channel_op\n`;
  const a = config('ping', `${common}    mov word [data], DOMID_SELF\n    mov word [data + 2], 2\n    mov ebx, EVTCHNOP_alloc_unbound\n    mov ecx, data\n    HYPERCALL event_channel_op\n${poll('[data + 4]')}    mov ebp, ${R}\n.l:\n${send('[data + 4]')}${poll('[data + 4]')}    dec ebp\n    jnz .l`);
  const b = config('pong', `${common}.retry:\n    mov word [data], 1\n    mov dword [data + 4], 3\n    mov ebx, EVTCHNOP_bind_interdomain\n    mov ecx, data\n    HYPERCALL event_channel_op\n    test eax, eax\n    jz .bound\n    mov ebx, SCHEDOP_yield\n    HYPERCALL sched_op\n    jmp .retry\n.bound:\n    mov eax, [data + 8]\n    mov [data + 4], eax\n    mov ebp, ${R + 1}\n.l:\n${poll('[data + 4]')}${send('[data + 4]')}    dec ebp\n    jnz .l`);
  const r = timed(new XenSystem([a, b], { dom0: false }));
  console.log(`event round trips between two vCPUs: ${R} in ${r.ms.toFixed(0)} ms = ${((R / r.ms) * 1000).toExponential(2)}/s`);
}

function mips(): void {
  const M = 20_000_000;
  const body = `    mov ebp, ${M / 2}\n.l:\n    dec ebp\n    jnz .l`;
  const busy = `.s:\n    jmp .s`;
  const pv = new XenSystem([config('loop', body, 'cpus = "0"'), config('busy1', busy, 'cpus = "1"'), config('busy2', busy, 'cpus = "1"')], { dom0: false });
  const t0 = performance.now();
  for (;;) {
    const s = pv.run({ maxInstructions: 5e6 });
    if (pv.domain(1).state !== 'running' || s.reason === 'finished') break;
  }
  const pvMs = performance.now() - t0;
  // every instruction the simulator ran: the loop on pCPU 0 and its neighbours on pCPU 1
  const pvInsns = pv.instructionsRetired();
  // bare CPU: the same loop, flat protected mode, no hypervisor
  const img = assemble(`bits 32\norg 0x1000\n${body}\n    hlt\n`).image;
  const bare = new BarePlatform(1 << 20);
  bare.bus.load(0x1000, img);
  const cpu = new Cpu(bare);
  enterFlatProtectedMode(cpu, 0x1000, 0x8000);
  const t1 = performance.now();
  let done = 0;
  while (!cpu.isHalted) done += cpu.run(1e6).retired;
  const bareMs = performance.now() - t1;
  const pvMips = pvInsns / pvMs / 1000;
  const bareMips = done / bareMs / 1000;
  console.log(`PV guests (a loop on pCPU 0, 2 busy neighbours sharing pCPU 1, credit scheduler on): ${pvMips.toFixed(1)} simulated MIPS over both pCPUs; the same loop on the bare CPU: ${bareMips.toFixed(1)} MIPS; PV/bare = ${(pvMips / bareMips).toFixed(2)}`);
}

export default async function bench(): Promise<void> {
  hypercalls();
  roundTrips();
  mips();
}
