/**
 * Xen's copy_{from,to}_guest for an HVM vCPU (hvm_copy_*_guest_linear): guest-virtual through
 * the guest's own paging mode (none, 2-level or PAE, over guest-physical memory), then the P2M
 * to a machine frame. Unmapped or non-RAM addresses fail with -EFAULT.
 */
import type { Cpu } from '../../cpu/cpu';
import { Machine, PAGE_SIZE } from '../machine';
import type { Domain } from '../domain';
import { GuestMemory } from '../guestmem';
import { EFAULT, XenError } from '../mm';

const PG = 0x80000000;
const PAE = 0x20;
const PSE = 0x10;

/** Guest-physical address of `gva` under the vCPU's paging, or undefined when not mapped. */
export function hvmTranslate(machine: Machine, d: Domain, cpu: Cpu, gva: number, write = false): number | undefined {
  gva >>>= 0;
  if (!(cpu.cr0 & PG)) return gva;
  const rd = (gpa: number, wide: boolean): number | undefined => {
    const mfn = d.p2m.get(Math.floor(gpa / PAGE_SIZE));
    if (mfn < 0) return undefined;
    const f = machine.peek(mfn);
    if (!f) return 0;
    const o = gpa & 0xfff;
    const lo = (f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24)) >>> 0;
    // physical addresses are 32-bit here: the high half of a PAE entry only carries NX
    return wide ? lo : lo;
  };
  const cr3 = cpu.cr3 >>> 0;
  if (cpu.cr4 & PAE) {
    const pdpte = rd((cr3 & ~0x1f) + (gva >>> 30) * 8, true);
    if (!pdpte || !(pdpte & 1)) return undefined;
    const pde = rd(((pdpte & ~0xfff) >>> 0) + ((gva >>> 21) & 0x1ff) * 8, true);
    if (!pde || !(pde & 1) || (write && !(pde & 2))) return undefined;
    if (pde & 0x80) return ((pde & 0xffe00000) >>> 0) + (gva & 0x1fffff);
    const pte = rd(((pde & ~0xfff) >>> 0) + ((gva >>> 12) & 0x1ff) * 8, true);
    if (!pte || !(pte & 1) || (write && !(pte & 2))) return undefined;
    return ((pte & ~0xfff) >>> 0) + (gva & 0xfff);
  }
  const pde = rd(((cr3 & ~0xfff) >>> 0) + (gva >>> 22) * 4, false);
  if (!pde || !(pde & 1) || (write && !(pde & 2))) return undefined;
  if (pde & 0x80 && cpu.cr4 & PSE) return ((pde & 0xffc00000) >>> 0) + (gva & 0x3fffff);
  const pte = rd(((pde & ~0xfff) >>> 0) + ((gva >>> 12) & 0x3ff) * 4, false);
  if (!pte || !(pte & 1) || (write && !(pte & 2))) return undefined;
  return ((pte & ~0xfff) >>> 0) + (gva & 0xfff);
}

export class HvmGuestMemory extends GuestMemory {
  constructor(
    private readonly mach: Machine,
    private readonly domain: Domain,
    private readonly cpu: Cpu,
  ) {
    super(mach, () => cpu.cr3 >>> 0);
  }

  /** Machine address of one guest-virtual byte (the page's frame and offset), or throws -EFAULT. */
  private frameOf(gva: number, write: boolean): { mfn: number; off: number } {
    const gpa = hvmTranslate(this.mach, this.domain, this.cpu, gva, write);
    const mfn = gpa === undefined ? -1 : this.domain.p2m.get(Math.floor(gpa / PAGE_SIZE));
    if (gpa === undefined || mfn < 0) throw new XenError(EFAULT, `guest address 0x${(gva >>> 0).toString(16)} is not mapped${write ? ' writable' : ''}`);
    return { mfn, off: gpa & 0xfff };
  }

  override read(gva: number, len: number): Uint8Array {
    gva >>>= 0;
    if (len < 0) throw new XenError(EFAULT, 'negative length');
    const out = new Uint8Array(len);
    for (let k = 0; k < len; ) {
      const a = (gva + k) >>> 0;
      const { mfn, off } = this.frameOf(a, false);
      const n = Math.min(PAGE_SIZE - off, len - k);
      out.set(this.mach.readable(mfn).subarray(off, off + n), k);
      k += n;
    }
    return out;
  }

  override write(gva: number, data: Uint8Array): void {
    gva >>>= 0;
    const parts: { mfn: number; off: number; k: number; n: number }[] = [];
    for (let k = 0; k < data.length; ) {
      const { mfn, off } = this.frameOf((gva + k) >>> 0, true);
      const n = Math.min(PAGE_SIZE - off, data.length - k);
      parts.push({ mfn, off, k, n });
      k += n;
    }
    for (const p of parts) this.mach.writable(p.mfn).set(data.subarray(p.k, p.k + p.n), p.off);
  }
}
