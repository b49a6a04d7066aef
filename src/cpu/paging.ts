/**
 * The single linear → physical translation point (SDM vol. 3 ch. 4). The CPU's TLB caches what
 * this returns, so this runs only on a TLB miss.
 *
 * Modes: paging off (identity); 32-bit paging (two levels, 4 KiB pages, 4 MiB pages with
 * CR4.PSE); PAE paging (PDPTE registers loaded at CR3 load, then two levels of 64-bit entries,
 * 4 KiB and 2 MiB pages, execute-disable with EFER.NXE).
 *
 * This processor reports MAXPHYADDR = 32 (CPUID 0x80000008, bare.ts): physical address bits
 * 32 and up in a PAE entry are reserved (#PF with RSVD), as are PSE-36 bits in a 4 MiB PDE.
 *
 * Accessed bits are set in every entry of a successful walk and the dirty bit in the leaf on a
 * write; a walk that faults changes nothing (as QEMU does; the SDM allows either).
 *
 * After a successful walk `cpu.walkGlobal` says whether the translation is global (G in the
 * leaf with CR4.PGE) and `cpu.walkNx` whether it is execute-disabled, for the TLB.
 */
import type { Cpu } from './cpu';
import * as constsM from './consts';
import * as faultM from './fault';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use (a TLB miss
// runs this module).
const { CR0_PG, CR0_WP, CR4_PAE, CR4_PGE, CR4_PSE } = constsM;
const { CpuFault, Vec, gp } = faultM;
const FRAME_SHIFT = 12;

/** #PF error code bits (SDM vol. 3 §4.7). */
export const PF_P = 1;
export const PF_W = 2;
export const PF_U = 4;
export const PF_RSVD = 8;
export const PF_I = 16;

export const EFER_NXE = 0x800;

const PTE_P = 0x1;
const PTE_RW = 0x2;
const PTE_US = 0x4;
const PTE_A = 0x20;
const PTE_D = 0x40;
const PTE_PS = 0x80;
const PTE_G = 0x100;

/** Reserved bits of a PAE PDPTE (low dword): 2:1 and 8:5 (SDM table 4-8). */
const PDPTE_RSVD_LO = 0x1e6;
/** With MAXPHYADDR = 32 every high-dword bit of a PAE entry except XD (bit 63) is reserved. */
const PAE_RSVD_HI = 0x7fffffff;
/** Bits 20:13 of a 2 MiB PAE PDE and 21:13 of a 4 MiB 32-bit PDE (address bits that must be 0). */
const PAE_LARGE_RSVD = 0x001fe000;
const PSE_LARGE_RSVD = 0x003fe000;

export function pagingOn(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0_PG) !== 0;
}

export function paeOn(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0_PG) !== 0 && (cpu.cr4 & CR4_PAE) !== 0;
}

/** `probe`: a look-up for inspection — no accessed/dirty bit updates (faults still throw). */
export function translate(cpu: Cpu, lin: number, write: boolean, user: boolean, fetch: boolean, probe = false): number {
  cpu.walkGlobal = false;
  cpu.walkNx = false;
  if (!(cpu.cr0 & CR0_PG)) return lin >>> 0;
  const pae = (cpu.cr4 & CR4_PAE) !== 0;
  const nxe = pae && (cpu.efer & EFER_NXE) !== 0;
  const err = (write ? PF_W : 0) | (user ? PF_U : 0) | (fetch && nxe ? PF_I : 0);
  return pae ? walkPae(cpu, lin, write, user, fetch, nxe, err, probe) : walk32(cpu, lin, write, user, err, probe);
}

function walk32(cpu: Cpu, lin: number, write: boolean, user: boolean, err: number, probe: boolean): number {
  const pdeAddr = ((cpu.cr3 & ~0xfff) | ((lin >>> 22) << 2)) >>> 0;
  const pde = readPhys32(cpu, pdeAddr);
  if (!(pde & PTE_P)) throw new CpuFault(Vec.PF, err, lin);
  if (pde & PTE_PS && cpu.cr4 & CR4_PSE) {
    if (pde & PSE_LARGE_RSVD) throw new CpuFault(Vec.PF, err | PF_P | PF_RSVD, lin);
    checkAccess(cpu, pde, lin, write, user, err);
    if (!probe) setAD(cpu, pdeAddr, pde, write);
    cpu.walkGlobal = (pde & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0;
    return ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
  }
  const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2)) >>> 0;
  const pte = readPhys32(cpu, pteAddr);
  if (!(pte & PTE_P)) throw new CpuFault(Vec.PF, err, lin);
  checkAccess(cpu, pde & pte, lin, write, user, err);
  if (!probe) {
    if (!(pde & PTE_A)) writePhys32(cpu, pdeAddr, pde | PTE_A);
    setAD(cpu, pteAddr, pte, write);
  }
  cpu.walkGlobal = (pte & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0;
  return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
}

function walkPae(cpu: Cpu, lin: number, write: boolean, user: boolean, fetch: boolean, nxe: boolean, err: number, probe: boolean): number {
  const n = lin >>> 30;
  const pdpte = cpu.pdpte[2 * n];
  if (!(pdpte & PTE_P)) throw new CpuFault(Vec.PF, err, lin);
  const hiRsvd = nxe ? PAE_RSVD_HI : PAE_RSVD_HI | 0x80000000;
  const pdeAddr = ((pdpte & ~0xfff) | (((lin >>> 21) & 0x1ff) << 3)) >>> 0;
  const pde = readPhys32(cpu, pdeAddr);
  const pdeHi = readPhys32(cpu, pdeAddr + 4);
  if (!(pde & PTE_P)) throw new CpuFault(Vec.PF, err, lin);
  if (pdeHi & hiRsvd) throw new CpuFault(Vec.PF, err | PF_P | PF_RSVD, lin);
  if (pde & PTE_PS) {
    if (pde & PAE_LARGE_RSVD) throw new CpuFault(Vec.PF, err | PF_P | PF_RSVD, lin);
    const nx = nxe && pdeHi < 0;
    if (fetch && nx) throw new CpuFault(Vec.PF, err | PF_P, lin);
    checkAccess(cpu, pde, lin, write, user, err);
    if (!probe) setAD(cpu, pdeAddr, pde, write);
    cpu.walkGlobal = (pde & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0;
    cpu.walkNx = nx;
    return ((pde & 0xffe00000) | (lin & 0x1fffff)) >>> 0;
  }
  const pteAddr = ((pde & ~0xfff) | (((lin >>> 12) & 0x1ff) << 3)) >>> 0;
  const pte = readPhys32(cpu, pteAddr);
  const pteHi = readPhys32(cpu, pteAddr + 4);
  if (!(pte & PTE_P)) throw new CpuFault(Vec.PF, err, lin);
  if (pteHi & hiRsvd) throw new CpuFault(Vec.PF, err | PF_P | PF_RSVD, lin);
  const nx = nxe && (pdeHi < 0 || pteHi < 0);
  if (fetch && nx) throw new CpuFault(Vec.PF, err | PF_P, lin);
  checkAccess(cpu, pde & pte, lin, write, user, err);
  if (!probe) {
    if (!(pde & PTE_A)) writePhys32(cpu, pdeAddr, pde | PTE_A);
    setAD(cpu, pteAddr, pte, write);
  }
  cpu.walkGlobal = (pte & PTE_G) !== 0 && (cpu.cr4 & CR4_PGE) !== 0;
  cpu.walkNx = nx;
  return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
}

/**
 * Load the four PDPTE registers from the 32-byte table CR3 points at (SDM §4.4.1): on a CR3
 * load with PAE paging on, and when PAE paging is switched on. A reserved bit in a present
 * PDPTE is #GP(0) and nothing is loaded.
 */
export function loadPdptes(cpu: Cpu, cr3: number): void {
  const base = (cr3 & ~0x1f) >>> 0;
  const v = new Int32Array(8);
  for (let k = 0; k < 8; k++) v[k] = readPhys32(cpu, base + 4 * k);
  for (let n = 0; n < 4; n++) {
    if (v[2 * n] & PTE_P && (v[2 * n] & PDPTE_RSVD_LO || v[2 * n + 1] & 0xffffffff)) gp(0);
  }
  cpu.pdpte.set(v);
}

/** Load the PDPTE registers without the CR3-load checks (a host-side CR3 change: Cpu.flushTlb). */
export function reloadPdptes(cpu: Cpu): void {
  const base = (cpu.cr3 & ~0x1f) >>> 0;
  for (let k = 0; k < 8; k++) cpu.pdpte[k] = readPhys32(cpu, base + 4 * k);
}

/** `flags` is the AND of the levels' U/S and R/W bits (SDM §4.6). */
function checkAccess(cpu: Cpu, flags: number, lin: number, write: boolean, user: boolean, err: number): void {
  if (user && !(flags & PTE_US)) throw new CpuFault(Vec.PF, err | PF_P, lin);
  if (write && !(flags & PTE_RW) && (user || cpu.cr0 & CR0_WP)) throw new CpuFault(Vec.PF, err | PF_P, lin);
}

function setAD(cpu: Cpu, addr: number, entry: number, write: boolean): void {
  const want = entry | PTE_A | (write ? PTE_D : 0);
  if (want !== entry) writePhys32(cpu, addr, want);
}

function readPhys32(cpu: Cpu, a: number): number {
  const f = cpu.bus.frame(a >>> FRAME_SHIFT, false);
  if (f && (a & 0xfff) <= 0xffc) {
    const o = a & 0xfff;
    return f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24);
  }
  return cpu.physRead8(a) | (cpu.physRead8(a + 1) << 8) | (cpu.physRead8(a + 2) << 16) | (cpu.physRead8(a + 3) << 24);
}

function writePhys32(cpu: Cpu, a: number, v: number): void {
  cpu.physWrite32(a, v);
}
