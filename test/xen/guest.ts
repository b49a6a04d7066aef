// Boots small asm guests on a fresh XenSystem for the hypercall and malicious-guest tests.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDomainConfigText } from '../../src/xen/config';
import { XenSystem, SystemOptions } from '../../src/xen/system';
import type { TraceRecord } from '../../src/trace/records';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-xen-'));
let n = 0;

/** Guest code mapping shared_info at 0x3ff000 (start_info.shared_info is its machine address; esi = start_info). */
export const MAP_SHARED = `
    mov eax, [esi + 36]
    or eax, 3
    mov ebx, 0x3ff000
    mov ecx, eax
    xor edx, edx
    xor esi, esi
    HYPERCALL update_va_mapping`;

/** Guest code yielding `n` times (sched_op yield), so other domains run; `tag` names its loop label. */
export const YIELDS = (n: number, tag: string) => `
    mov ebp, ${n}
.w${tag}:
    mov ebx, SCHEDOP_yield
    xor ecx, ecx
    HYPERCALL sched_op
    dec ebp
    jnz .w${tag}
`;

/** A guest body wrapped with org, xen.inc, a results array and the hypercall page. */
export function guestSource(body: string): string {
  return `bits 32
org 0x100000
%include "xen.inc"
%macro RESULT 1
    mov [results + (%1) * 4], eax
%endmacro
%macro POWEROFF 0
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason_poweroff
    HYPERCALL sched_op
%endmacro
_start:
${body}
    POWEROFF
    ud2
reason_poweroff: dd SHUTDOWN_poweroff
align 16
results: times 64 dd 0xdeadbeef
scratch: times 256 db 0
align 4096
hypercall_page: times 4096 db 0
`;
}

export function configFor(name: string, source: string, extra = ''): string {
  const file = path.join(dir, `${name}-${n++}.asm`);
  fs.writeFileSync(file, source);
  const cfg = path.join(dir, `${name}-${n++}.cfg`);
  fs.writeFileSync(cfg, `name = "${name}"\ntype = "pv"\nkernel = "${path.basename(file)}"\nmemory = 16\non_poweroff = "preserve"\non_crash = "preserve"\n${extra}\n`);
  return cfg;
}

export interface Booted {
  sys: XenSystem;
  records: TraceRecord[];
  /** results[i] as the guest stored them */
  result(domid: number, i: number): number;
  console(domid: number): string[];
}

export function boot(guests: { name: string; body?: string; source?: string; extra?: string }[], opts: SystemOptions = {}): Booted {
  const configs = guests.map((g) => {
    const file = configFor(g.name, g.source ?? guestSource(g.body ?? ''), g.extra);
    const r = loadDomainConfigText(fs.readFileSync(file, 'utf8'), file);
    if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    return r.config;
  });
  const sys = new XenSystem(configs, { dom0: false, ...opts });
  const records: TraceRecord[] = [];
  sys.trace.subscribe((r) => records.push(r));
  const resultsAt = (domid: number) => sys.image(domid)!.symbolAddress('results')!;
  return {
    sys,
    records,
    result: (domid, i) => {
      const b = sys.readMemory(domid, 'gva', resultsAt(domid) + i * 4, 4);
      return ((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0) | 0;
    },
    console: (domid) => sys.domain(domid).consoleLines,
  };
}

export function runToEnd(b: Booted, maxInstructions = 5_000_000): void {
  b.sys.run({ maxInstructions, untilTimeNs: 2e9 });
}
