// What a hypercall handler gets and may ask for.
import type { Hypervisor } from '../hypervisor';
import type { Domain, Vcpu } from '../domain';
import type { GuestMemory } from '../guestmem';

export interface HypercallContext {
  readonly hv: Hypervisor;
  readonly vcpu: Vcpu;
  readonly domain: Domain;
  /** ebx ecx edx esi edi */
  readonly args: readonly number[];
  readonly mem: GuestMemory;
  /** set by iret: the handler restored the guest's registers itself; eax is not written */
  noResult: boolean;
}

/** Returns eax (0 or a positive value; negative Xen errno). Throwing XenError returns its errno. */
export type HypercallHandler = (ctx: HypercallContext) => number;
