/**
 * The PV memory model (xen/arch/x86/mm.c in spirit): every machine frame has an owner, a type
 * (L1/L2/L3 page table, segment descriptor, writable) with a type reference count, and a
 * general reference count. A frame becomes a page table only when every entry in it has been
 * validated against the owner's frames and types, and stays one while referenced; a writable
 * mapping of a page-table frame, or any mapping of a frame the domain does not own, is refused.
 * The M2P table lives in Xen-owned machine frames mapped read-only into every PV guest.
 */
import { Machine, PAGE_SIZE } from './machine';
import { XEN_ERRNO, DOMID } from './abi';
import { Version, VersionTracker } from './versions';

export type PageType = 'none' | 'l1' | 'l2' | 'l3' | 'seg_desc' | 'writable';

export const PTE_P = 0x1;
export const PTE_RW = 0x2;
export const PTE_US = 0x4;
export const PTE_A = 0x20;
export const PTE_D = 0x40;
export const PTE_PSE = 0x80;
/** Bits a PV guest may not set in an entry (PAT/PSE and reserved ones in the low word). */
const L1_DISALLOW = 0x0; // PAT bit (0x80) in L1 is allowed; nothing else reserved in the low word
const L2_DISALLOW = PTE_PSE;
const L3_DISALLOW = 0x1e6; // PAE PDPTEs: RW, US, A, D, PS and bit 8 are reserved

/** First L2 slot (of the L2 in L3 slot 3) that belongs to Xen: HYPERVISOR_VIRT_START 0xF5800000. */
export const XEN_L2_FIRST_SLOT = (0xf5800000 - 0xc0000000) >>> 21;
export const M2P_VIRT_START = 0xf5800000;
/** Per-domain area: each vCPU's GDT (16 pages) at GDT_VIRT_START + vcpu * 64 KiB. */
export const GDT_VIRT_START = 0xff000000;
export const GDT_L2_SLOT = (GDT_VIRT_START - 0xc0000000) >>> 21;
/** Xen's reserved GDT entries start here (FIRST_RESERVED_GDT_ENTRY * 8 = 14 pages). */
export const FIRST_RESERVED_GDT_PAGE = 14;
export const FIRST_RESERVED_GDT_BYTE = FIRST_RESERVED_GDT_PAGE * PAGE_SIZE;

export const OWNER_FREE = -1;
export const OWNER_XEN = DOMID.XEN;

export interface PageInfo {
  owner: number;
  type: PageType;
  typeCount: number;
  count: number;
  pinned: boolean;
  /** an L2 in L3 slot 3: carries Xen's mappings in slots XEN_L2_FIRST_SLOT.. */
  xenL2: boolean;
  /** a Xen page the domain may map (share_xen_page_with_guest: shared_info), or -1 */
  sharedWith: number;
}

type PageInfoFields = Readonly<PageInfo>;

const FREE_INFO: PageInfo = Object.freeze({ owner: -1, type: 'none', typeCount: 0, count: 0, pinned: false, xenL2: false, sharedWith: -1 });

/**
 * One frame's page information. Every field write marks the frame in the tracker first, so a
 * snapshot copies only the records changed since the previous one (whoever wrote them: the
 * memory manager, mmu_update's pin, the domain builder). The record may be shared with saved
 * versions until the first write after a save or restore, which copies it; later writes
 * change the copy in place.
 */
class FrameInfo implements PageInfo {
  private f: PageInfo = FREE_INFO;

  constructor(
    private readonly tracker: VersionTracker<PageInfoFields>,
    private readonly mfn: number,
  ) {}

  private set<K extends keyof PageInfo>(k: K, v: PageInfo[K]): void {
    if (this.f[k] === v) return;
    if (this.tracker.mark(this.mfn)) this.f = { ...this.f };
    this.f[k] = v;
  }

  get owner(): number {
    return this.f.owner;
  }
  set owner(v: number) {
    this.set('owner', v);
  }
  get type(): PageType {
    return this.f.type;
  }
  set type(v: PageType) {
    this.set('type', v);
  }
  get typeCount(): number {
    return this.f.typeCount;
  }
  set typeCount(v: number) {
    this.set('typeCount', v);
  }
  get count(): number {
    return this.f.count;
  }
  set count(v: number) {
    this.set('count', v);
  }
  get pinned(): boolean {
    return this.f.pinned;
  }
  set pinned(v: boolean) {
    this.set('pinned', v);
  }
  get xenL2(): boolean {
    return this.f.xenL2;
  }
  set xenL2(v: boolean) {
    this.set('xenL2', v);
  }
  get sharedWith(): number {
    return this.f.sharedWith;
  }
  set sharedWith(v: number) {
    this.set('sharedWith', v);
  }

  /** the fields alone (the tracker is bookkeeping, not page information) */
  toJSON(): PageInfoFields {
    return { ...this.f };
  }

  /** the record as it is (to be saved: not written again once the tracker has saved it) */
  fields(): PageInfoFields {
    return this.f;
  }

  /** restore without marking: the tracker is restoring */
  reset(f: PageInfoFields | undefined): void {
    // saved records are only read until the next write copies them (see set)
    this.f = (f ?? FREE_INFO) as PageInfo;
  }
}

/** The memory manager's state in a snapshot: page information as a copy-on-write version. */
export interface MmState {
  readonly info: Version<PageInfoFields>;
  readonly freeList: readonly number[];
  readonly nextFree: number;
}

/** A refusal with Xen's errno (negative value returned in eax). */
export class XenError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

export const EINVAL = -XEN_ERRNO.EINVAL;
export const EFAULT = -XEN_ERRNO.EFAULT;
export const EPERM = -XEN_ERRNO.EPERM;
export const ENOSYS = -XEN_ERRNO.ENOSYS;
export const ENOMEM = -XEN_ERRNO.ENOMEM;
export const ESRCH = -XEN_ERRNO.ESRCH;
export const EBUSY = -XEN_ERRNO.EBUSY;

/** Per-domain frames Xen maps into the domain's Xen area, needed when validating an xen L2. */
export interface XenAreaProvider {
  /** machine entry (low 32 bits) for Xen L2 slot `slot` of domain `domid`, or 0 */
  xenL2Entry(domid: number, slot: number): number;
}

export class MemoryManager {
  readonly info: readonly PageInfo[];
  private readonly infoVersions: VersionTracker<PageInfoFields>;
  private freeList: number[] = [];
  private nextFree: number;
  /** first frame of the M2P table and its length in frames */
  readonly m2pFirst: number;
  readonly m2pFrames: number;
  /** Xen's L1 tables mapping the M2P read-only */
  readonly m2pL1: number[] = [];
  /** an all-zero frame Xen maps where nothing is (unused GDT pages) */
  readonly zeroFrame: number;
  xenArea: XenAreaProvider = { xenL2Entry: () => 0 };

  constructor(readonly machine: Machine) {
    const n = machine.nrFrames;
    this.infoVersions = new VersionTracker<PageInfoFields>(n);
    const info = new Array<FrameInfo>(n);
    for (let i = 0; i < n; i++) info[i] = new FrameInfo(this.infoVersions, i);
    this.info = info;
    // mfn 0 stays unused so a zero entry never names a real page by accident.
    this.nextFree = 1;
    this.m2pFrames = Math.ceil((n * 4) / PAGE_SIZE);
    this.m2pFirst = this.nextFree;
    for (let i = 0; i < this.m2pFrames; i++) this.claim(this.nextFree++, OWNER_XEN);
    // Unset M2P entries read as INVALID_M2P_ENTRY (~0).
    for (let i = 0; i < this.m2pFrames; i++) machine.writable(this.m2pFirst + i).fill(0xff);
    for (let i = 0; i < Math.ceil(this.m2pFrames / 512); i++) {
      const l1 = this.nextFree++;
      this.claim(l1, OWNER_XEN);
      const f = machine.writable(l1);
      const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
      for (let k = 0; k < 512 && i * 512 + k < this.m2pFrames; k++) {
        dv.setUint32(k * 8, ((this.m2pFirst + i * 512 + k) * PAGE_SIZE + (PTE_P | PTE_US | PTE_A)) >>> 0, true);
      }
      this.m2pL1.push(l1);
    }
    this.zeroFrame = this.nextFree++;
    this.claim(this.zeroFrame, OWNER_XEN);
  }

  private claim(mfn: number, owner: number): void {
    const p = this.info[mfn];
    p.owner = owner;
    p.type = 'none';
    p.typeCount = 0;
    p.count = 0;
    p.pinned = false;
    p.xenL2 = false;
    p.sharedWith = -1;
  }

  /** Copies only the page information changed since the last save or restore. */
  saveState(): MmState {
    const info = this.info as readonly FrameInfo[];
    const v = this.infoVersions.save((mfn, saved) => {
      const f = info[mfn].fields();
      return f === FREE_INFO ? undefined : f === saved ? saved : f;
    });
    return { info: v, freeList: [...this.freeList], nextFree: this.nextFree };
  }

  restoreState(s: MmState): void {
    const info = this.info as readonly FrameInfo[];
    this.infoVersions.restore(s.info, (mfn, f) => info[mfn].reset(f));
    this.freeList = [...s.freeList];
    this.nextFree = s.nextFree;
  }

  /** Xen L2 entry (slot XEN_L2_FIRST_SLOT + i) mapping the M2P, for every PV domain. */
  m2pL2Entry(slot: number): number {
    const i = slot - XEN_L2_FIRST_SLOT;
    if (i < 0 || i >= this.m2pL1.length) return 0;
    return (this.m2pL1[i] * PAGE_SIZE + (PTE_P | PTE_RW | PTE_US | PTE_A)) >>> 0;
  }

  freeFrames(): number {
    return this.machine.nrFrames - this.nextFree + this.freeList.length;
  }

  /** Allocate a frame for `owner` (lowest free first: deterministic). */
  alloc(owner: number): number {
    let mfn: number;
    if (this.freeList.length) mfn = this.freeList.pop()!;
    else if (this.nextFree < this.machine.nrFrames) mfn = this.nextFree++;
    else throw new XenError(ENOMEM, 'out of machine memory');
    this.claim(mfn, owner);
    this.machine.scrub(mfn);
    return mfn;
  }

  /** Return a frame to the heap (its M2P entry becomes invalid). */
  free(mfn: number): void {
    this.claim(mfn, OWNER_FREE);
    this.setM2p(mfn, 0xffffffff);
    this.machine.scrub(mfn);
    // LIFO reuse: deterministic, and O(1) when a whole domain is torn down
    this.freeList.push(mfn);
  }

  setM2p(mfn: number, pfn: number): void {
    this.machine.write32(this.m2pFirst * PAGE_SIZE + mfn * 4, pfn);
  }

  m2p(mfn: number): number {
    return this.machine.read32(this.m2pFirst * PAGE_SIZE + mfn * 4);
  }

  valid(mfn: number): boolean {
    return Number.isInteger(mfn) && mfn >= 0 && mfn < this.machine.nrFrames;
  }

  // ---------------------------------------------------------------- references

  /** General reference on a frame `domid` owns (a mapping of it). */
  getPage(mfn: number, domid: number): void {
    if (!this.valid(mfn)) throw new XenError(EINVAL, `mfn 0x${mfn.toString(16)} does not exist`);
    const p = this.info[mfn];
    if (p.owner !== domid && p.sharedWith !== domid) throw new XenError(EINVAL, `mfn 0x${mfn.toString(16)} is not owned by d${domid}`);
    p.count++;
  }

  putPage(mfn: number): void {
    const p = this.info[mfn];
    if (p.count > 0) p.count--;
  }

  /** Take a type reference; the first one of a page-table type validates the frame's entries. */
  getPageType(mfn: number, type: PageType, domid: number, xenL2 = false): void {
    const p = this.info[mfn];
    if (p.owner !== domid && !(p.sharedWith === domid && type === 'writable')) throw new XenError(EINVAL, `mfn 0x${mfn.toString(16)} is not owned by d${domid}`);
    if (p.typeCount > 0) {
      if (p.type !== type) throw new XenError(EINVAL, `mfn 0x${mfn.toString(16)} is in use as ${p.type}, not ${type}`);
      if (type === 'l2' && p.xenL2 !== xenL2) throw new XenError(EINVAL, `L2 mfn 0x${mfn.toString(16)} cannot serve both L3 slot 3 and another slot`);
      p.typeCount++;
      return;
    }
    p.type = type;
    p.typeCount = 1;
    p.xenL2 = xenL2;
    try {
      this.validate(mfn, type, domid);
      if (xenL2) this.makeXenL2(mfn, domid);
    } catch (e) {
      p.typeCount = 0;
      p.type = 'none';
      p.xenL2 = false;
      throw e;
    }
  }

  putPageType(mfn: number): void {
    const p = this.info[mfn];
    if (p.typeCount === 0) return;
    if (--p.typeCount === 0) {
      this.devalidate(mfn, p.type);
      p.xenL2 = false;
    }
  }

  /** get_page_and_type: a general and a type reference together. */
  getPageAndType(mfn: number, type: PageType, domid: number, xenL2 = false): void {
    this.getPage(mfn, domid);
    try {
      this.getPageType(mfn, type, domid, xenL2);
    } catch (e) {
      this.putPage(mfn);
      throw e;
    }
  }

  putPageAndType(mfn: number): void {
    this.putPageType(mfn);
    this.putPage(mfn);
  }

  // ---------------------------------------------------------------- entries

  private entries(mfn: number): DataView {
    const f = this.machine.readable(mfn);
    return new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
  }

  /** Take the references entry `e` (low word; high word must be 0) of a `level` table needs. */
  getEntryRefs(level: 1 | 2 | 3, lo: number, hi: number, domid: number, l3slot = -1): void {
    if (!(lo & PTE_P)) return;
    if (hi !== 0) throw new XenError(EINVAL, `L${level} entry maps above 4 GiB (0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')})`);
    const mfn = lo >>> 12;
    if (!this.valid(mfn)) throw new XenError(EINVAL, `L${level} entry names mfn 0x${mfn.toString(16)}, outside machine memory`);
    if (level === 1) {
      if (lo & L1_DISALLOW) throw new XenError(EINVAL, 'bad L1 flags');
      if (lo & PTE_RW) this.getPageAndType(mfn, 'writable', domid);
      else this.getPage(mfn, domid);
    } else if (level === 2) {
      if (lo & L2_DISALLOW) throw new XenError(EINVAL, `L2 entry with PSE is not allowed for PV guests`);
      this.getPageAndType(mfn, 'l1', domid);
    } else {
      if (lo & L3_DISALLOW) throw new XenError(EINVAL, `PAE L3 entry 0x${lo.toString(16)} has reserved bits set`);
      this.getPageAndType(mfn, 'l2', domid, l3slot === 3);
    }
  }

  putEntryRefs(level: 1 | 2 | 3, lo: number): void {
    if (!(lo & PTE_P)) return;
    const mfn = lo >>> 12;
    if (!this.valid(mfn)) return;
    if (level === 1) {
      if (lo & PTE_RW) this.putPageAndType(mfn);
      else this.putPage(mfn);
    } else this.putPageAndType(mfn);
  }

  /** An L2 under L3 slot 3 gets Xen's mappings (M2P, per-domain area) in its top slots. */
  private makeXenL2(mfn: number, domid: number): void {
    const f = this.machine.writable(mfn);
    const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
    for (let s = XEN_L2_FIRST_SLOT; s < 512; s++) {
      const e = this.m2pL2Entry(s) || this.xenArea.xenL2Entry(domid, s);
      dv.setUint32(s * 8, e, true);
      dv.setUint32(s * 8 + 4, 0, true);
    }
  }

  private slotLimit(mfn: number, type: PageType): number {
    return type === 'l3' ? 4 : type === 'l2' && this.info[mfn].xenL2 ? XEN_L2_FIRST_SLOT : 512;
  }

  private validate(mfn: number, type: PageType, domid: number): void {
    if (type !== 'l1' && type !== 'l2' && type !== 'l3') return;
    const level = type === 'l1' ? 1 : type === 'l2' ? 2 : 3;
    const dv = this.entries(mfn);
    const n = this.slotLimit(mfn, type);
    for (let i = 0; i < n; i++) {
      const lo = dv.getUint32(i * 8, true);
      const hi = dv.getUint32(i * 8 + 4, true);
      try {
        this.getEntryRefs(level, lo, hi, domid, i);
      } catch (e) {
        for (let j = 0; j < i; j++) this.putEntryRefs(level, dv.getUint32(j * 8, true));
        throw e;
      }
    }
    if (type === 'l3' && !(dv.getUint32(3 * 8, true) & PTE_P)) {
      for (let j = 0; j < 4; j++) this.putEntryRefs(3, dv.getUint32(j * 8, true));
      throw new XenError(EINVAL, 'PAE L3 slot 3 must be present (it holds the Xen mappings)');
    }
  }

  private devalidate(mfn: number, type: PageType): void {
    if (type !== 'l1' && type !== 'l2' && type !== 'l3') return;
    const level = type === 'l1' ? 1 : type === 'l2' ? 2 : 3;
    const dv = this.entries(mfn);
    const n = this.slotLimit(mfn, type);
    for (let i = 0; i < n; i++) this.putEntryRefs(level, dv.getUint32(i * 8, true));
  }

  /**
   * mmu_update's normal update: write `lo:hi` into the entry at machine address `ptr` of a
   * page-table frame `domid` owns, after validating it; references move from old to new. An L1
   * entry may map a frame of `frameOwner` (a privileged caller's foreign domain, FOREIGNDOM).
   */
  updateEntry(ptr: number, lo: number, hi: number, domid: number, frameOwner = domid): void {
    const mfn = Math.floor(ptr / PAGE_SIZE);
    if (!this.valid(mfn)) throw new XenError(EINVAL, `mmu_update ptr 0x${ptr.toString(16)} outside machine memory`);
    const p = this.info[mfn];
    if (p.owner !== domid) throw new XenError(EINVAL, `mmu_update on mfn 0x${mfn.toString(16)} that d${domid} does not own`);
    const off = ptr & 0xfff & ~7;
    const i = off >>> 3;
    const f = this.machine.writable(mfn);
    const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
    if (p.typeCount === 0 || p.type === 'none' || p.type === 'writable') {
      // Not a page table (yet): an ordinary checked write to guest memory.
      if (p.type === 'seg_desc' && p.typeCount > 0) throw new XenError(EINVAL, 'mfn is a descriptor table');
      dv.setUint32(off, lo, true);
      dv.setUint32(off + 4, hi, true);
      return;
    }
    if (p.type === 'seg_desc') throw new XenError(EINVAL, 'mfn is a descriptor table');
    const level = p.type === 'l1' ? 1 : p.type === 'l2' ? 2 : 3;
    if (level === 2 && p.xenL2 && i >= XEN_L2_FIRST_SLOT) throw new XenError(EINVAL, `L2 slot ${i} belongs to Xen`);
    if (level === 3 && i >= 4) throw new XenError(EINVAL, `PAE L3 has 4 entries, not slot ${i}`);
    const oldLo = dv.getUint32(off, true);
    if (level === 3 && i === 3 && !(lo & PTE_P)) throw new XenError(EINVAL, 'PAE L3 slot 3 must stay present');
    this.getEntryRefs(level, lo, hi, level === 1 ? frameOwner : domid, i);
    dv.setUint32(off, lo, true);
    dv.setUint32(off + 4, hi, true);
    this.putEntryRefs(level, oldLo);
  }
}
