/**
 * One domain's grant table (xen/common/grant_table.c's struct grant_table): the shared frames
 * holding grant_entry_v1 records the guest writes, Xen's private active entries (who has a
 * grant pinned, how often, which frame) and the maptrack (this domain's own mappings of other
 * domains' grants, by handle).
 */
import { LAYOUTS } from '../abi';

export const PAGE_SIZE = 4096;
/** grant_entry_v1 records per shared frame (8 bytes each) */
export const ENTRIES_PER_FRAME_V1 = PAGE_SIZE / LAYOUTS.grant_entry_v1.size;
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
  /** the domain that pinned it (only one domain may hold a v1 grant at a time) */
  domid: number;
  mfn: number;
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
  version = 1;
  /** machine frames of the shared table, in order */
  readonly frames: number[] = [];
  readonly active = new Map<number, ActiveEntry>();
  readonly maptrack: (Mapping | undefined)[] = [];
  /** maptrack handles in use */
  mappings = 0;

  constructor(
    readonly domid: number,
    readonly maxFrames: number,
    readonly maptrackLimit: number,
  ) {}

  get nrEntries(): number {
    return this.frames.length * ENTRIES_PER_FRAME_V1;
  }

  /** Machine frame and byte offset of entry `ref` (caller checked ref < nrEntries). */
  where(ref: number): { mfn: number; offset: number } {
    return { mfn: this.frames[Math.floor(ref / ENTRIES_PER_FRAME_V1)], offset: (ref % ENTRIES_PER_FRAME_V1) * LAYOUTS.grant_entry_v1.size };
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
