// A small machine for grant-table tests: frames with owners and reference counts, domains that
// exist or not, and a record of host mappings — the GrantEnv a real hypervisor provides.
import { GNTST } from '../../src/xen/abi';
import type { GrantEnv } from '../../src/xen/grant';

export class FakeMachine implements GrantEnv {
  readonly frames = new Map<number, Uint8Array>();
  readonly owner = new Map<number, number>();
  readonly refs = new Map<number, number>();
  readonly writableRefs = new Map<number, number>();
  /** frames that are page tables: no writable reference may be taken */
  readonly pageTables = new Set<number>();
  readonly domains = new Set<number>();
  readonly hostMaps = new Map<string, number>();
  private next = 100;

  addDomain(domid: number, pages: number): number[] {
    this.domains.add(domid);
    return Array.from({ length: pages }, () => this.alloc(domid));
  }

  private alloc(owner: number): number {
    const mfn = this.next++;
    this.frames.set(mfn, new Uint8Array(4096));
    this.owner.set(mfn, owner);
    return mfn;
  }

  frame(mfn: number): Uint8Array {
    const f = this.frames.get(mfn);
    if (!f) throw new RangeError(`no frame ${mfn}`);
    return f;
  }

  domainExists(domid: number): boolean {
    return this.domains.has(domid);
  }

  gfnToMfn(domid: number, gfn: number): number | undefined {
    return this.owner.get(gfn) === domid ? gfn : undefined;
  }

  allocSharedFrame(domid: number): number {
    return this.alloc(domid);
  }

  freeSharedFrame(mfn: number): void {
    this.frames.delete(mfn);
    this.owner.delete(mfn);
  }

  getFrame(mfn: number, owner: number, writable: boolean): boolean {
    if (this.owner.get(mfn) !== owner) return false;
    if (writable && this.pageTables.has(mfn)) return false;
    this.refs.set(mfn, (this.refs.get(mfn) ?? 0) + 1);
    if (writable) this.writableRefs.set(mfn, (this.writableRefs.get(mfn) ?? 0) + 1);
    return true;
  }

  putFrame(mfn: number, writable: boolean): void {
    this.refs.set(mfn, (this.refs.get(mfn) ?? 0) - 1);
    if (writable) this.writableRefs.set(mfn, (this.writableRefs.get(mfn) ?? 0) - 1);
  }

  hostMap(domid: number, hostAddr: number, mfn: number): number {
    if (hostAddr >= 0xf5800000) return GNTST.general_error;
    this.hostMaps.set(`${domid}:${hostAddr}`, mfn);
    return GNTST.okay;
  }

  hostUnmap(domid: number, hostAddr: number, mfn: number): number {
    const k = `${domid}:${hostAddr}`;
    if (this.hostMaps.get(k) !== mfn) return GNTST.general_error;
    this.hostMaps.delete(k);
    return GNTST.okay;
  }

  /** Total references still held on any frame (0 when every mapping was released). */
  heldRefs(): number {
    let n = 0;
    for (const v of this.refs.values()) n += v;
    return n;
  }
}
