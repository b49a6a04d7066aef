/**
 * Xen's view of guest-virtual memory: a software walk of a vCPU's PAE page tables (machine
 * addresses, as PV guests keep them) and the checked copies hypercalls use. Guest pointers at
 * or above HYPERVISOR_VIRT_START are Xen's and fault, as do unmapped or (for writes) read-only
 * pages: the hypercall then returns -EFAULT.
 */
import { Machine, PAGE_SIZE } from './machine';
import { EFAULT, PTE_P, PTE_RW, PTE_US, XenError } from './mm';

export const HYPERVISOR_VIRT_START = 0xf5800000;

/** Machine address of `gva` through PAE tables rooted at `cr3`, or undefined when not mapped. */
export function walkPae(machine: Machine, cr3: number, gva: number, write = false, user = false): number | undefined {
  gva >>>= 0;
  const rd = (ma: number): number | undefined => {
    const mfn = Math.floor(ma / PAGE_SIZE);
    if (mfn >= machine.nrFrames) return undefined;
    const f = machine.peek(mfn);
    if (!f) return 0; // an untouched frame reads as zeros (not present)
    const o = ma & 0xfff;
    return (f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24)) >>> 0;
  };
  const pdpte = rd(((cr3 & ~0x1f) >>> 0) + (gva >>> 30) * 8);
  if (pdpte === undefined || !(pdpte & PTE_P)) return undefined;
  const pde = rd(((pdpte & ~0xfff) >>> 0) + ((gva >>> 21) & 0x1ff) * 8);
  if (pde === undefined || !(pde & PTE_P)) return undefined;
  if (pde & 0x80) {
    if ((write && !(pde & PTE_RW)) || (user && !(pde & PTE_US))) return undefined;
    return ((pde & 0xffe00000) >>> 0) + (gva & 0x1fffff);
  }
  const pte = rd(((pde & ~0xfff) >>> 0) + ((gva >>> 12) & 0x1ff) * 8);
  if (pte === undefined || !(pte & PTE_P)) return undefined;
  const flags = pde & pte;
  if ((write && !(flags & PTE_RW)) || (user && !(flags & PTE_US))) return undefined;
  return ((pte & ~0xfff) >>> 0) + (gva & 0xfff);
}

/** Guest-virtual memory of one vCPU as Xen's copy_{from,to}_guest sees it. */
export class GuestMemory {
  constructor(
    private readonly machine: Machine,
    private readonly cr3: () => number,
  ) {}

  private check(gva: number, len: number): void {
    if (len < 0 || gva < 0 || gva + len > HYPERVISOR_VIRT_START || gva + len < gva) {
      throw new XenError(EFAULT, `guest pointer 0x${gva.toString(16)}+${len} reaches into Xen's area`);
    }
  }

  /** copy_from_guest: throws XenError(-EFAULT) on any unmapped byte. */
  read(gva: number, len: number): Uint8Array {
    gva >>>= 0;
    this.check(gva, len);
    const out = new Uint8Array(len);
    for (let k = 0; k < len; ) {
      const a = gva + k;
      const ma = walkPae(this.machine, this.cr3(), a);
      if (ma === undefined) throw new XenError(EFAULT, `guest address 0x${a.toString(16)} is not mapped`);
      const n = Math.min(PAGE_SIZE - (a & 0xfff), len - k);
      const f = this.machine.readable(Math.floor(ma / PAGE_SIZE));
      out.set(f.subarray(ma & 0xfff, (ma & 0xfff) + n), k);
      k += n;
    }
    return out;
  }

  /** copy_to_guest: every page must be mapped writable, else -EFAULT and nothing written. */
  write(gva: number, data: Uint8Array): void {
    gva >>>= 0;
    this.check(gva, data.length);
    const parts: { ma: number; k: number; n: number }[] = [];
    for (let k = 0; k < data.length; ) {
      const a = gva + k;
      const ma = walkPae(this.machine, this.cr3(), a, true);
      if (ma === undefined) throw new XenError(EFAULT, `guest address 0x${a.toString(16)} is not mapped writable`);
      const n = Math.min(PAGE_SIZE - (a & 0xfff), data.length - k);
      parts.push({ ma, k, n });
      k += n;
    }
    for (const p of parts) this.machine.writable(Math.floor(p.ma / PAGE_SIZE)).set(data.subarray(p.k, p.k + p.n), p.ma & 0xfff);
  }

  read32(gva: number): number {
    const b = this.read(gva, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }

  write32(gva: number, v: number): void {
    this.write(gva, new Uint8Array([v, v >>> 8, v >>> 16, v >>> 24]));
  }

  /** For decoders and the debugger: bytes or undefined, never throws. */
  tryRead(gva: number, len: number): Uint8Array | undefined {
    try {
      return this.read(gva, len);
    } catch {
      return undefined;
    }
  }
}
