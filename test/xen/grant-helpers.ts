// Helpers for grant-table tests: a small machine (frames with owners and reference counts, domains
// that exist or not, a record of host mappings — the GrantEnv a real hypervisor provides), and two
// real PV domUs with grant_table_op run as their hypercall.
import * as path from 'path';
import { GNTST, HYPERCALL } from '../../src/xen/abi';
import type { GrantEnv } from '../../src/xen/grant';
import { loadDomainConfigText } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { HYPERCALL_TABLE } from '../../src/xen/hypercalls';
import type { Vcpu } from '../../src/xen/domain';
import { XenError } from '../../src/xen/mm';

export class FakeMachine implements GrantEnv {
  readonly frames = new Map<number, Uint8Array>();
  readonly owner = new Map<number, number>();
  readonly refs = new Map<number, number>();
  readonly writableRefs = new Map<number, number>();
  /** frames that are page tables: no writable reference may be taken */
  readonly pageTables = new Set<number>();
  readonly domains = new Set<number>();
  readonly hostMaps = new Map<string, number>();
  /** shared frames the guest still maps (a PV guest's page-table references) */
  readonly guestMapped = new Set<number>();
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

  sharedFrameBusy(_domid: number, mfn: number): boolean {
    return this.guestMapped.has(mfn);
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

const helloDir = path.resolve(__dirname, '..', '..', 'examples', 'hello');

/** Two PV domUs (front d1, back d2) from examples/hello, no dom0: for hypercall-level grant tests. */
export function system() {
  const cfg = (name: string) => {
    const r = loadDomainConfigText(`name = "${name}"\nkernel = "hello.asm"\nmemory = 16\n`, path.join(helloDir, `${name}.cfg`));
    if (!r.config) throw new Error(JSON.stringify(r.diagnostics));
    return r.config;
  };
  const sys = new XenSystem([cfg('front'), cfg('back')], { dom0: false });
  return { sys, hv: sys.hv, front: sys.domain(1), back: sys.domain(2) };
}

/** grant_table_op as the guest's int 0x82 would run it: eax result. */
export function call(v: Vcpu, hv: XenSystem['hv'], cmd: number, uop: number, count: number): number {
  try {
    return HYPERCALL_TABLE[HYPERCALL.grant_table_op]({ hv, vcpu: v, domain: v.domain, args: [cmd, uop, count, 0, 0], mem: hv.memOf(v), noResult: false });
  } catch (e) {
    if (e instanceof XenError) return e.errno;
    throw e;
  }
}

/** Guest code: map grant `ref` of d1 at `window` with GNTMAP `flags` (op in `mop`), status into RESULT `label`. */
export const mapOp = (ref: number, flags: string, label: string, window = 'window') => `
    mov dword [mop + gnttab_map_grant_ref.host_addr], ${window}
    mov dword [mop + gnttab_map_grant_ref.flags], ${flags}
    mov dword [mop + gnttab_map_grant_ref.ref], ${ref}
    mov word [mop + gnttab_map_grant_ref.dom], 1
    mov ebx, GNTTABOP_map_grant_ref
    mov ecx, mop
    mov edx, 1
    HYPERCALL grant_table_op
    movsx eax, word [mop + gnttab_map_grant_ref.status]
    RESULT ${label}
`;
