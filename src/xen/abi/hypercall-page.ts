// The hypercall page Xen writes for a guest (xen/arch/x86/pv/hypercall.c and hvm/vmx/vmx.c
// in Xen 4.17): filled with int3 (0xcc), then one 32-byte stub per hypercall index.
//   32-bit PV (ring 1): mov eax, <nr>; int 0x82; ret
//                       iret's slot: push eax; mov eax, 23; int 0x82   (jumped to, not called)
//   HVM on VMX:         mov eax, <nr>; vmcall; ret
//                       iret's slot: ud2 (HYPERVISOR_iret is not supported for HVM)
import { HYPERCALL } from './generated';

export type HypercallPageKind = 'pv32' | 'hvm-vmx';

export const PAGE_SIZE = 4096;
const STUB = 32;

export function buildHypercallPage(kind: HypercallPageKind): Uint8Array {
  const page = new Uint8Array(PAGE_SIZE).fill(0xcc);
  const dv = new DataView(page.buffer);
  for (let nr = 0; nr < PAGE_SIZE / STUB; nr++) {
    const p = nr * STUB;
    if (nr === HYPERCALL.iret) {
      if (kind === 'pv32') {
        page[p] = 0x50; // push eax
        page[p + 1] = 0xb8; // mov eax, imm32
        dv.setUint32(p + 2, nr, true);
        page.set([0xcd, 0x82], p + 6); // int 0x82
      } else {
        page.set([0x0f, 0x0b], p); // ud2
      }
      continue;
    }
    page[p] = 0xb8; // mov eax, imm32
    dv.setUint32(p + 1, nr, true);
    if (kind === 'pv32') page.set([0xcd, 0x82, 0xc3], p + 5); // int 0x82; ret
    else page.set([0x0f, 0x01, 0xc1, 0xc3], p + 5); // vmcall; ret
  }
  return page;
}
