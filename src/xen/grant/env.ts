/**
 * What grant tables need from the rest of Xen, injected so the mechanism is testable alone:
 * machine frames, domains, ownership and references of frames, and (for GNTMAP_host_map) the
 * PV page-table edit that installs or removes a grant mapping in the mapping domain.
 */

export interface GrantEnv {
  /** The bytes of machine frame `mfn` (4096), for Xen to read and write. */
  frame(mfn: number): Uint8Array;
  /** Whether domain `domid` exists and is not dying (rcu_lock_domain_by_id). */
  domainExists(domid: number): boolean;
  /**
   * get_paged_frame: the machine frame behind `gfn` of domain `domid` if that domain owns it
   * (a PV gfn is an mfn), or undefined.
   */
  gfnToMfn(domid: number, gfn: number): number | undefined;
  /** A fresh zeroed frame shared with `domid` (share_xen_page_with_guest, SHARE_rw). */
  allocSharedFrame(domid: number): number;
  /** Give a shared frame back (domain destruction, or v2 status frames on a switch to v1). */
  freeSharedFrame(mfn: number): void;
  /**
   * Whether the guest still holds references to a shared frame (a PV guest mapping it in its
   * page tables), so it cannot be taken back (gnttab_unpopulate_status_frames: -EBUSY).
   */
  sharedFrameBusy?(domid: number, mfn: number): boolean;
  /**
   * Take a general reference (and a writable type reference when `writable`) on a frame of
   * `owner`; false when the frame cannot be pinned so (it is a page table, or not owner's).
   */
  getFrame(mfn: number, owner: number, writable: boolean): boolean;
  putFrame(mfn: number, writable: boolean): void;
  /**
   * create_grant_host_mapping: map `mfn` at `hostAddr` of domain `domid` (a virtual address,
   * or with GNTMAP_contains_pte the machine address of the PTE). Returns a GNTST_* status.
   */
  hostMap?(domid: number, hostAddr: number, mfn: number, flags: number): number;
  /** replace_grant_host_mapping with no new address: remove the mapping again. GNTST_* status. */
  hostUnmap?(domid: number, hostAddr: number, mfn: number, flags: number): number;
}
