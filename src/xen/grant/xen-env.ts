/**
 * GrantEnv over the running hypervisor: machine frames, the PV memory model's owners and
 * references, and create/replace_grant_host_mapping for PV guests (the grant is entered into
 * the L1 entry behind a virtual address of the calling vCPU, or into the PTE at a machine
 * address with GNTMAP_contains_pte). One GrantTables per Hypervisor, made on first use.
 */
import { GNTMAP, GNTST } from '../abi';
import type { Hypervisor } from '../hypervisor';
import type { Vcpu } from '../domain';
import { PAGE_SIZE } from '../machine';
import { PTE_A, PTE_D, PTE_P, PTE_RW, PTE_US } from '../mm';
import type { GrantEnv } from './env';
import { GrantTables, type GrantTablesState } from './grants';
import { registerSnapshotService } from '../snapshot-services';

const tables = new WeakMap<Hypervisor, { grants: GrantTables; env: HypervisorGrantEnv }>();

registerSnapshotService({
  name: 'grant-tables',
  save: (hv) => tables.get(hv)?.grants.saveState(),
  restore: (hv, s) => {
    const e = tables.get(hv);
    if (e) e.grants.restoreState((s as GrantTablesState | undefined) ?? { lastWhy: '', tables: [] });
  },
});

/** The hypervisor's grant tables; a domain's table is made when first needed (Xen: at creation). */
export function grantTablesOf(hv: Hypervisor): GrantTables {
  return entry(hv).grants;
}

/** The hypervisor's grant tables if any domain has used them yet; looking must not create them. */
export function existingGrantTables(hv: Hypervisor): GrantTables | undefined {
  return tables.get(hv)?.grants;
}

/**
 * The grant tables as dom0's back ends use them: mappings are made as `beDomid` (dom0), which
 * gets a table (with its maptrack) even when the run has no dom0 kernel.
 */
export function backendGrantTables(hv: Hypervisor, beDomid = 0): GrantTables {
  const g = grantTablesOf(hv);
  if (!g.table(beDomid)) g.init(beDomid);
  return g;
}

/** The same, for a hypercall from `v`: host mappings go into v's current page tables. */
export function grantTablesFor(hv: Hypervisor, v: Vcpu): GrantTables {
  const e = entry(hv);
  e.env.current = v;
  ensureTable(hv, e.grants, v.domain.id);
  return e.grants;
}

function entry(hv: Hypervisor): { grants: GrantTables; env: HypervisorGrantEnv } {
  let e = tables.get(hv);
  if (!e) {
    const env = new HypervisorGrantEnv(hv);
    e = { grants: new GrantTables(env), env };
    env.grants = e.grants;
    tables.set(hv, e);
  }
  return e;
}

function ensureTable(hv: Hypervisor, g: GrantTables, domid: number): void {
  const d = hv.domains.get(domid);
  if (!d || g.table(domid)) return;
  g.init(domid, { maxGrantFrames: d.config?.maxGrantFrames, maxMaptrackFrames: d.config?.maxMaptrackFrames, maxGrantVersion: d.config?.maxGrantVersion });
}

class HypervisorGrantEnv implements GrantEnv {
  current: Vcpu | null = null;
  grants: GrantTables | null = null;

  constructor(private readonly hv: Hypervisor) {}

  frame(mfn: number): Uint8Array {
    return this.hv.machine.writable(mfn);
  }

  domainExists(domid: number): boolean {
    const d = this.hv.domains.get(domid);
    if (!d || !d.alive) return false;
    if (this.grants) ensureTable(this.hv, this.grants, domid);
    return true;
  }

  /** A PV gfn is an mfn; an HVM gfn goes through the domain's P2M. */
  gfnToMfn(domid: number, gfn: number): number | undefined {
    const mm = this.hv.mm;
    const d = this.hv.domains.get(domid);
    const mfn = d?.kind === 'hvm' ? d.p2m.get(gfn) : gfn;
    return mm.valid(mfn) && mm.info[mfn].owner === domid ? mfn : undefined;
  }

  allocSharedFrame(domid: number): number {
    return this.hv.mm.alloc(domid);
  }

  /** The frame leaves its domain's P2M too (an HVM guest placed it with add_to_physmap). */
  freeSharedFrame(mfn: number): void {
    const owner = this.hv.mm.info[mfn]?.owner;
    const d = owner === undefined ? undefined : this.hv.domains.get(owner);
    if (d?.kind === 'hvm') {
      d.p2m.unmapMfn(mfn);
      this.flush(d.id);
    }
    this.hv.mm.free(mfn);
  }

  /** A PV guest that maps the frame holds general references on it. */
  sharedFrameBusy(domid: number, mfn: number): boolean {
    return this.hv.domains.get(domid)?.kind !== 'hvm' && this.hv.mm.info[mfn].count > 0;
  }

  getFrame(mfn: number, owner: number, writable: boolean): boolean {
    try {
      if (writable) this.hv.mm.getPageAndType(mfn, 'writable', owner);
      else this.hv.mm.getPage(mfn, owner);
      return true;
    } catch {
      return false;
    }
  }

  putFrame(mfn: number, writable: boolean): void {
    if (writable) this.hv.mm.putPageAndType(mfn);
    else this.hv.mm.putPage(mfn);
  }

  /** Machine address of the L1 entry for `va` in the calling vCPU's tables, if that L1 is the domain's. */
  private pteFor(domid: number, hostAddr: number, flags: number): number | undefined {
    const mm = this.hv.mm;
    let ptr: number | undefined;
    if (flags & GNTMAP.contains_pte) ptr = hostAddr;
    else {
      const v = this.current;
      if (!v || v.domain.id !== domid) return undefined;
      const m = this.hv.machine;
      const cr3 = this.hv.cpuOf(v).cr3 >>> 0;
      const pdpte = m.read32(((cr3 & ~0x1f) >>> 0) + (hostAddr >>> 30) * 8);
      if (!(pdpte & PTE_P)) return undefined;
      const pde = m.read32(((pdpte & ~0xfff) >>> 0) + ((hostAddr >>> 21) & 0x1ff) * 8);
      if (!(pde & PTE_P) || pde & 0x80) return undefined;
      ptr = ((pde & ~0xfff) >>> 0) + ((hostAddr >>> 12) & 0x1ff) * 8;
    }
    const l1 = Math.floor(ptr / PAGE_SIZE);
    if (!mm.valid(l1) || mm.info[l1].owner !== domid || mm.info[l1].type !== 'l1' || mm.info[l1].typeCount === 0) return undefined;
    return ptr & ~7;
  }

  private flush(domid: number): void {
    const d = this.hv.domains.get(domid);
    for (const v of d?.vcpus ?? []) this.hv.cpuOf(v).flushTlb();
  }

  hostMap(domid: number, hostAddr: number, mfn: number, flags: number): number {
    const ptr = this.pteFor(domid, hostAddr, flags);
    if (ptr === undefined) return GNTST.general_error;
    const old = this.hv.machine.read32(ptr);
    const pte = (mfn * PAGE_SIZE + (PTE_P | PTE_US | PTE_A | PTE_D | (flags & GNTMAP.readonly ? 0 : PTE_RW))) >>> 0;
    this.hv.machine.write32(ptr, pte);
    this.hv.machine.write32(ptr + 4, 0);
    this.hv.mm.putEntryRefs(1, old);
    this.flush(domid);
    return GNTST.okay;
  }

  hostUnmap(domid: number, hostAddr: number, mfn: number, flags: number): number {
    const ptr = this.pteFor(domid, hostAddr, flags);
    if (ptr === undefined) return GNTST.general_error;
    const cur = this.hv.machine.read32(ptr);
    if (!(cur & PTE_P) || cur >>> 12 !== mfn) return GNTST.general_error;
    this.hv.machine.write32(ptr, 0);
    this.flush(domid);
    return GNTST.okay;
  }
}
