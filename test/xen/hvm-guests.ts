// Small NASM HVM guests for the HVM tests: entered like a PVH kernel (32-bit flat protected
// mode, paging off, CPL 0, ebx = hvm_start_info) and built from an xl config with type="hvm".
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDomainConfigText } from '../../src/xen/config';
import { XenSystem, SystemOptions } from '../../src/xen/system';
import type { TraceRecord } from '../../src/trace/records';
import { configFor, guestSource } from './guest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-hvm-'));
let n = 0;

/** Flat GDT (code 0x08, data 0x10) and an IDT of 256 gates, loaded (guest/include/hvm.inc); `GATE vec, handler` fills one. */
export const DESCRIPTORS = `
    HVM_FLAT_SEGMENTS`;

/** Xen's CPUID leaf 0x40000002 names the MSR that fills `hypercall_page` with the VMCALL stubs. */
export const HYPERCALL_PAGE = `
    mov eax, 0x40000002
    cpuid
    mov ecx, ebx
    mov eax, hypercall_page
    xor edx, edx
    wrmsr`;

/** Guest body wrapped with results, a stack, GDT/IDT storage and the hypercall page. */
export function hvmSource(body: string, tail = ''): string {
  return `bits 32
org 0x100000
%include "xen.inc"
%include "hvm.inc"
%define GATE HVM_GATE
_start:
    mov esp, stack_top
${body}
    cli
    hlt
${tail}
HVM_DESCRIPTOR_TABLES
align 16
results: times 64 dd 0xdeadbeef
align 4096
hypercall_page: times 4096 db 0
stack: times 4096 db 0
stack_top:
`;
}

export function hvmConfig(name: string, source: string, extra = ''): string {
  const file = path.join(dir, `${name}-${n++}.asm`);
  fs.writeFileSync(file, source);
  const cfg = path.join(dir, `${name}-${n++}.cfg`);
  fs.writeFileSync(cfg, `name = "${name}"\ntype = "hvm"\nfirmware_override = "${path.basename(file)}"\nmemory = 16\non_poweroff = "preserve"\non_crash = "preserve"\non_reboot = "preserve"\n${extra}\n`);
  return cfg;
}

export interface HvmBooted {
  sys: XenSystem;
  records: TraceRecord[];
  result(domid: number, i: number): number;
  console(domid: number): string[];
  exits(domid: number): Record<string, number>;
}

export function bootHvm(guests: { name: string; body?: string; tail?: string; source?: string; extra?: string; type?: 'pv' }[], opts: SystemOptions = {}): HvmBooted {
  const configs = guests.map((g) => {
    // a PV guest beside the HVM ones: `source` (or `body` in guestSource) as a PV kernel
    const file = g.type === 'pv' ? configFor(g.name, g.source ?? guestSource(g.body ?? ''), g.extra) : hvmConfig(g.name, g.source ?? hvmSource(g.body ?? '', g.tail), g.extra);
    const r = loadDomainConfigText(fs.readFileSync(file, 'utf8'), file);
    if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    return r.config;
  });
  const sys = new XenSystem(configs, { dom0: false, ...opts });
  const records: TraceRecord[] = [];
  sys.trace.subscribe((r) => records.push(r));
  return {
    sys,
    records,
    result: (domid, i) => {
      const at = sys.image(domid)!.symbolAddress('results')! + i * 4;
      const b = sys.readMemory(domid, 'gpa', at, 4);
      return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    },
    console: (domid) => sys.domain(domid).consoleLines,
    exits: (domid) => {
      const out: Record<string, number> = {};
      for (const r of records) if (r.kind === 'vm-exit' && r.domid === domid) out[r.reasonName] = (out[r.reasonName] ?? 0) + 1;
      return out;
    },
  };
}
