/**
 * The single linear → physical translation point. The CPU's TLB caches what this returns, so
 * this runs only on a TLB miss.
 *
 * Phase-1 scope (the cpu-system work deepens this: PAE, PSE large pages, global pages, full
 * #PF rules): paging off is the identity; 32-bit two-level paging with U/S and R/W checks
 * (CR0.WP), accessed/dirty bits written back, #PF with its error code.
 */
import type { Cpu } from './cpu';
import * as constsM from './consts';
import * as faultM from './fault';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { CR0_PG, CR0_WP, CR4_PAE, CR4_PSE } = constsM;
const { CpuFault, Vec } = faultM;

/** #PF error code bits. */
export const PF_P = 1;
export const PF_W = 2;
export const PF_U = 4;
export const PF_I = 16;

/**
 * `probe`: a look-up for inspection — no accessed/dirty bit updates (faults still throw).
 */
export function translate(cpu: Cpu, lin: number, write: boolean, user: boolean, fetch: boolean, probe = false): number {
  if (!(cpu.cr0 & CR0_PG)) return lin >>> 0;
  const err = (write ? PF_W : 0) | (user ? PF_U : 0) | (fetch && cpu.efer & 0x800 ? PF_I : 0);
  if (cpu.cr4 & CR4_PAE) return translatePae(cpu, lin, write, user, err);
  const pdeAddr = ((cpu.cr3 & ~0xfff) | ((lin >>> 22) << 2)) >>> 0;
  const pde = readPhys32(cpu, pdeAddr);
  if (!(pde & 1)) throw new CpuFault(Vec.PF, err, lin);
  if (pde & 0x80 && cpu.cr4 & CR4_PSE) {
    checkAccess(cpu, pde, lin, write, user, err);
    const want = pde | 0x20 | (write ? 0x40 : 0);
    if (want !== pde && !probe) writePhys32(cpu, pdeAddr, want);
    return ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
  }
  const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
  const pte = readPhys32(cpu, pteAddr);
  if (!(pte & 1)) throw new CpuFault(Vec.PF, err, lin);
  checkAccess(cpu, pde & pte, lin, write, user, err);
  if (probe) return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
  if (!(pde & 0x20)) writePhys32(cpu, pdeAddr, pde | 0x20);
  const want = pte | 0x20 | (write ? 0x40 : 0);
  if (want !== pte) writePhys32(cpu, pteAddr, want);
  return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
}

/**
 * PAE: CR3 names four 64-bit PDPTEs, then 512-entry directories and tables of 64-bit entries
 * (2 MiB pages when PDE.PS). Physical addresses above 4 GiB are not modelled (high dwords
 * ignored); the PDPTEs are read on each walk rather than cached at the CR3 load.
 */
function translatePae(cpu: Cpu, lin: number, write: boolean, user: boolean, err: number): number {
  const pdpte = readPhys32(cpu, ((cpu.cr3 & ~0x1f) + ((lin >>> 30) << 3)) >>> 0);
  if (!(pdpte & 1)) throw new CpuFault(Vec.PF, err, lin);
  const pdeAddr = ((pdpte & ~0xfff) | (((lin >>> 21) & 0x1ff) << 3)) >>> 0;
  const pde = readPhys32(cpu, pdeAddr);
  if (!(pde & 1)) throw new CpuFault(Vec.PF, err, lin);
  if (pde & 0x80) {
    checkAccess(cpu, pde, lin, write, user, err);
    const want = pde | 0x20 | (write ? 0x40 : 0);
    if (want !== pde) writePhys32(cpu, pdeAddr, want);
    return ((pde & 0xffe00000) | (lin & 0x1fffff)) >>> 0;
  }
  const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x1ff) << 3)) >>> 0;
  const pte = readPhys32(cpu, pteAddr);
  if (!(pte & 1)) throw new CpuFault(Vec.PF, err, lin);
  checkAccess(cpu, pde & pte, lin, write, user, err);
  if (!(pde & 0x20)) writePhys32(cpu, pdeAddr, pde | 0x20);
  const want = pte | 0x20 | (write ? 0x40 : 0);
  if (want !== pte) writePhys32(cpu, pteAddr, want);
  return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
}

/** `flags` is the AND of the levels' U/S and R/W bits. */
function checkAccess(cpu: Cpu, flags: number, lin: number, write: boolean, user: boolean, err: number): void {
  if (user && !(flags & 4)) throw new CpuFault(Vec.PF, err | PF_P, lin);
  if (write && !(flags & 2) && (user || cpu.cr0 & CR0_WP)) throw new CpuFault(Vec.PF, err | PF_P, lin);
}

function readPhys32(cpu: Cpu, a: number): number {
  return cpu.physRead8(a) | (cpu.physRead8(a + 1) << 8) | (cpu.physRead8(a + 2) << 16) | (cpu.physRead8(a + 3) << 24);
}

function writePhys32(cpu: Cpu, a: number, v: number): void {
  for (let k = 0; k < 4; k++) cpu.physWrite8(a + k, v >> (8 * k));
}
