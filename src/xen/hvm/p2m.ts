/**
 * The guest-physical address space of an HVM domain as its vCPUs' MemoryBus: the domain's P2M
 * (EPT-like) maps each gfn to a machine frame; RAM frames go straight to the machine, and any
 * access to a gfn with no frame (a hole or an MMIO range) is an EPT violation the vCPU's
 * platform handles (device model, or a crash when nobody emulates it).
 */
import type { AccessSize, MemoryBus } from '../../cpu/platform';
import type { Machine } from '../machine';
import type { Domain } from '../domain';

export interface EptViolationHandler {
  eptRead(gpa: number, size: AccessSize): number;
  eptWrite(gpa: number, size: AccessSize, value: number): void;
}

export class HvmBus implements MemoryBus {
  constructor(
    private readonly machine: Machine,
    private readonly domain: Domain,
    private readonly ept: EptViolationHandler,
  ) {}

  /** Machine frame backing `gfn`, or undefined for a hole. */
  mfnOf(gfn: number): number | undefined {
    const mfn = this.domain.p2m.get(gfn);
    return mfn < 0 ? undefined : mfn;
  }

  frame(gfn: number, write: boolean): Uint8Array | null {
    const mfn = this.mfnOf(gfn);
    return mfn === undefined ? null : this.machine.frame(mfn, write);
  }

  generation(gfn: number): number {
    const mfn = this.mfnOf(gfn);
    // the mfn is folded in so a remapped gfn never matches code decoded from its old frame
    return mfn === undefined ? -1 : (this.machine.generation(mfn) * 31 + mfn) | 0;
  }

  mmioRead(addr: number, size: AccessSize): number {
    return this.ept.eptRead(addr >>> 0, size);
  }

  mmioWrite(addr: number, size: AccessSize, value: number): void {
    this.ept.eptWrite(addr >>> 0, size, value);
  }
}
