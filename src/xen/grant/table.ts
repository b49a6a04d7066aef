/**
 * One domain's grant table (xen/common/grant_table.c's struct grant_table): the shared frames
 * holding the grant entries the guest writes (grant_entry_v1, or grant_entry_v2 with the
 * grant_status_t words in separate status frames), Xen's private active entries (who has a
 * grant pinned, how often, which frame) and the maptrack (this domain's own mappings of other
 * domains' grants, by handle).
 */
import { GTF, LAYOUTS } from '../abi';

export const PAGE_SIZE = 4096;
/** grant_entry_v1 records per shared frame (8 bytes each) */
export const ENTRIES_PER_FRAME_V1 = PAGE_SIZE / LAYOUTS.grant_entry_v1.size;
/** grant_entry_v2 records per shared frame (16 bytes each: SHGNT_PER_PAGE_V2) */
export const ENTRIES_PER_FRAME_V2 = PAGE_SIZE / LAYOUTS.grant_entry_v2.size;
/** grant_status_t words per status frame (2 bytes each: GRANT_STATUS_PER_PAGE) */
export const STATUS_PER_FRAME = PAGE_SIZE / 2;
/** grant_to_status_frames: status frames covering the entries of `grantFrames` v2 frames. */
export function grantToStatusFrames(grantFrames: number): number {
  return Math.ceil((grantFrames * ENTRIES_PER_FRAME_V2) / STATUS_PER_FRAME);
}
/** status_to_grant_frames: v2 frames whose entries `statusFrames` status frames cover. */
export function statusToGrantFrames(statusFrames: number): number {
  return Math.ceil((statusFrames * STATUS_PER_FRAME) / ENTRIES_PER_FRAME_V2);
}
/** Xen allocates this many shared frames when the table is created (INITIAL_NR_GRANT_FRAMES). */
export const INITIAL_NR_GRANT_FRAMES = 1;
/** Xen's command-line defaults gnttab_max_frames and gnttab_max_maptrack_frames. */
export const DEFAULT_MAX_GRANT_FRAMES = 64;
export const DEFAULT_MAX_MAPTRACK_FRAMES = 1024;
/** struct grant_mapping is 16 bytes (padded to a power of two): 256 handles per maptrack frame. */
export const MAPTRACK_PER_FRAME = 256;

/** Pin counts as Xen splits act->pin: host/device mappings, read-only/writable. */
export interface Pins {
  hostR: number;
  hostW: number;
  devR: number;
  devW: number;
}

/** active_grant_entry: present while some domain has the grant pinned (mapped or copying). */
export interface ActiveEntry extends Pins {
  /** the domain that pinned it (only one domain may hold a grant at a time) */
  domid: number;
  mfn: number;
  /** the bytes of the frame the grant covers (a v2 sub-page grant: page_off and length) */
  start: number;
  length: number;
  /** a sub-page grant (or a transitive one, which Xen treats as one): never mapped, only copied */
  isSubPage: boolean;
  /** for a v2 transitive grant, the grant it passes on (trans_domain, trans_gref) */
  transDomid?: number;
  transGref?: number;
}

/** One maptrack slot: this domain mapped grant `ref` of domain `domid` with GNTMAP_* `flags`. */
export interface Mapping {
  domid: number;
  ref: number;
  flags: number;
  mfn: number;
  hostAddr: number;
}

export function pinned(a: Pins): boolean {
  return a.hostR + a.hostW + a.devR + a.devW > 0;
}

export function writePinned(a: Pins): boolean {
  return a.hostW + a.devW > 0;
}

export class GrantTable {
  version: 1 | 2 = 1;
  /** machine frames of the shared table, in order */
  readonly frames: number[] = [];
  /** machine frames of the v2 status table (grant_status_t per entry); none in v1 */
  readonly statusFrames: number[] = [];
  readonly active = new Map<number, ActiveEntry>();
  readonly maptrack: (Mapping | undefined)[] = [];
  /** maptrack handles in use */
  mappings = 0;

  constructor(
    readonly domid: number,
    readonly maxFrames: number,
    readonly maptrackLimit: number,
    /** max_grant_version: the highest version set_version may choose */
    readonly maxVersion: 1 | 2 = 2,
  ) {}

  get entriesPerFrame(): number {
    return this.version === 1 ? ENTRIES_PER_FRAME_V1 : ENTRIES_PER_FRAME_V2;
  }

  /** nr_grant_entries: 512 per frame in v1, 256 in v2 */
  get nrEntries(): number {
    return this.frames.length * this.entriesPerFrame;
  }

  /** Machine frame and byte offset of entry `ref` in this version (caller checked ref < nrEntries). */
  where(ref: number): { mfn: number; offset: number } {
    const per = this.entriesPerFrame;
    return { mfn: this.frames[Math.floor(ref / per)], offset: (ref % per) * (PAGE_SIZE / per) };
  }

  /** Machine frame and byte offset of ref's grant_status_t (v2 only). */
  statusWhere(ref: number): { mfn: number; offset: number } {
    return { mfn: this.statusFrames[Math.floor(ref / STATUS_PER_FRAME)], offset: (ref % STATUS_PER_FRAME) * 2 };
  }

  /** get_maptrack_handle: the lowest free handle, or -1 past the domain's limit. */
  allocHandle(m: Mapping): number {
    let h = this.maptrack.findIndex((x) => x === undefined);
    if (h < 0) {
      if (this.maptrack.length >= this.maptrackLimit) return -1;
      h = this.maptrack.length;
      this.maptrack.push(undefined);
    }
    this.maptrack[h] = m;
    this.mappings++;
    return h;
  }

  freeHandle(h: number): void {
    if (this.maptrack[h]) this.mappings--;
    this.maptrack[h] = undefined;
  }
}

/**
 * A grant entry as the granting guest wrote it. v1: flags, domid, frame. v2 adds, by type,
 * full_page.frame, sub_page.{page_off,length,frame} or transitive.{trans_domid,gref}; the
 * fields of the other shapes read as what those bytes hold.
 */
export interface GrantEntry {
  flags: number;
  domid: number;
  /** v1 frame, or v2 full_page/sub_page frame (uint64: above 2^32 it is no frame of ours) */
  frame: number;
  pageOff?: number;
  length?: number;
  transDomid?: number;
  transGref?: number;
}

const V2 = LAYOUTS.grant_entry_v2.fields;

/** Reads entry bytes at `offset` of a shared frame in the table's version. */
export function decodeEntry(dv: DataView, offset: number, version: 1 | 2): GrantEntry {
  const flags = dv.getUint16(offset, true);
  const domid = dv.getUint16(offset + 2, true);
  if (version === 1) return { flags, domid, frame: dv.getUint32(offset + LAYOUTS.grant_entry_v1.fields.frame.offset, true) };
  const fo = offset + V2['full_page.frame'].offset;
  return {
    flags,
    domid,
    frame: dv.getUint32(fo, true) + dv.getUint32(fo + 4, true) * 2 ** 32,
    pageOff: dv.getUint16(offset + V2['sub_page.page_off'].offset, true),
    length: dv.getUint16(offset + V2['sub_page.length'].offset, true),
    transDomid: dv.getUint16(offset + V2['transitive.trans_domid'].offset, true),
    transGref: dv.getUint32(offset + V2['transitive.gref'].offset, true),
  };
}

/** Writes an entry as a granting guest does: the body first, flags last (the entry is valid once they are). */
export function encodeEntry(dv: DataView, offset: number, version: 1 | 2, e: GrantEntry): void {
  if (version === 1) {
    dv.setUint32(offset + LAYOUTS.grant_entry_v1.fields.frame.offset, e.frame >>> 0, true);
  } else if ((e.flags & GTF.type_mask) === GTF.transitive) {
    dv.setUint16(offset + V2['transitive.trans_domid'].offset, e.transDomid ?? 0, true);
    dv.setUint16(offset + V2['transitive.pad0'].offset, 0, true);
    dv.setUint32(offset + V2['transitive.gref'].offset, e.transGref ?? 0, true);
    dv.setUint32(offset + 12, 0, true);
  } else {
    dv.setUint16(offset + V2['sub_page.page_off'].offset, e.pageOff ?? 0, true);
    dv.setUint16(offset + V2['sub_page.length'].offset, e.length ?? 0, true);
    dv.setUint32(offset + V2['full_page.frame'].offset, e.frame >>> 0, true);
    dv.setUint32(offset + V2['full_page.frame'].offset + 4, Math.floor(e.frame / 2 ** 32) >>> 0, true);
  }
  dv.setUint16(offset + 2, e.domid, true);
  dv.setUint16(offset, e.flags, true);
}
