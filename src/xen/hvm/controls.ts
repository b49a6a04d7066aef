/**
 * Which guest operations exit, as Xen programs the VMCS for a domain (vmcs.c construct_vmcs,
 * vmx.c vmx_update_guest_cr / vmx_update_exception_bitmap / vmx_update_debug_state):
 *  - CR0: guest/host mask ~0, so a mov to CR0 exits whenever it would change any bit of the
 *    read shadow (the guest's CR0 here), clts when TS is set, lmsw per SDM §25.1.3;
 *  - CR4: the host owns VMXE, PAE, MCE, PKE and every bit the guest may not set (SMEP and
 *    SMAP among them here), plus PSE under shadow paging;
 *  - CR3 load/store exiting and INVLPG exiting only without HAP (shadow paging needs them;
 *    with EPT and unrestricted guest Xen clears them);
 *  - RDTSC exiting when the TSC is emulated (tsc_mode "always_emulate");
 *  - the exception bitmap: #DB, #AC, #MC always (HVM_TRAP_MASK), #PF without HAP, #UD with
 *    the hvm_fep boot option, #BP while a debugger is attached (XEN_DOMCTL_setdebugging).
 * CR8 has no 32-bit encoding (mov to/from CR8 is #UD outside 64-bit mode), so no TPR exits.
 */
import type { CrAccess } from '../../cpu/platform';
import type { Domain } from '../domain';
import { Vec } from '../../cpu/fault';

const CR0_PE = 0x1;
const CR0_TS = 0x8;
/** lmsw loads PE (set only), MP, EM and TS */
const LMSW_BITS = 0xf;
/** CR4 bits our processor implements (VME … OSXMMEXCPT); Xen masks the rest (~valid bits) */
const CR4_VALID = 0x7ff;
const CR4_PSE = 0x10;
const CR4_PAE = 0x20;
const CR4_MCE = 0x40;
/** HVM_CR4_HOST_MASK (VMXE, PAE, MCE) and PKE */
const CR4_HOST = (1 << 13) | CR4_PAE | CR4_MCE | (1 << 22);

export interface VmxControls {
  cr0Mask: number;
  cr4Mask: number;
  cr3Exiting: boolean;
  invlpgExiting: boolean;
  rdtscExiting: boolean;
  exceptionBitmap: number;
}

export function vmxControls(d: Domain, opts: { fep: boolean; debugging: boolean }): VmxControls {
  const hap = d.config?.hap ?? true;
  let exceptionBitmap = (1 << Vec.DB) | (1 << Vec.AC) | (1 << Vec.MC);
  if (!hap) exceptionBitmap |= 1 << Vec.PF;
  if (opts.fep) exceptionBitmap |= 1 << Vec.UD;
  if (opts.debugging) exceptionBitmap |= 1 << Vec.BP;
  return {
    cr0Mask: ~0,
    cr4Mask: (CR4_HOST | ~CR4_VALID | (hap ? 0 : CR4_PSE)) | 0,
    cr3Exiting: !hap,
    invlpgExiting: !hap,
    rdtscExiting: d.config?.tscMode === 'always_emulate',
    exceptionBitmap,
  };
}

/**
 * Does this CR access exit (SDM vol. 3 §25.1.3)? `cr0`/`cr4` are the read shadows, which
 * are the guest's own values in this machine.
 */
export function crAccessExits(c: VmxControls, a: CrAccess, cr0: number, cr4: number): boolean {
  switch (a.type) {
    case 'mov-to':
      if (a.cr === 0) return ((a.value ^ cr0) & c.cr0Mask) !== 0;
      if (a.cr === 4) return ((a.value ^ cr4) & c.cr4Mask) !== 0;
      return a.cr === 3 && c.cr3Exiting;
    case 'mov-from':
      return a.cr === 3 && c.cr3Exiting;
    case 'clts':
      return (c.cr0Mask & CR0_TS) !== 0 && (cr0 & CR0_TS) !== 0;
    case 'lmsw': {
      const src = a.source ?? 0;
      const setsPe = (c.cr0Mask & CR0_PE) !== 0 && (cr0 & CR0_PE) === 0 && (src & CR0_PE) !== 0;
      return setsPe || ((src ^ cr0) & c.cr0Mask & LMSW_BITS & ~CR0_PE) !== 0;
    }
  }
}
