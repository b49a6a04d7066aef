/**
 * Grant tables for every domain (xen/common/grant_table.c): setup_table, query_size,
 * map_grant_ref, unmap_grant_ref, copy, set_version, get_status_frames and the HVM frame
 * mapping, over v1 entries or v2 ones (full-page, sub-page, transitive) with the GNTST_* status
 * Xen gives each refusal. Xen keeps GTF_reading/GTF_writing set while a grant is pinned — in the
 * entry's flags in v1, in the separate grant_status_t frames in v2 — so the granter sees it is
 * in use and must not revoke it. Memory, domains and page references come through the injected
 * GrantEnv.
 */
import { DOMID, GNTCOPY, GNTMAP, GNTST, GTF, XEN_CONST } from '../abi';
import type { GrantEnv } from './env';
import {
  ActiveEntry,
  DEFAULT_MAX_GRANT_FRAMES,
  DEFAULT_MAX_MAPTRACK_FRAMES,
  GrantEntry,
  GrantTable,
  INITIAL_NR_GRANT_FRAMES,
  MAPTRACK_PER_FRAME,
  Mapping,
  PAGE_SIZE,
  Pins,
  decodeEntry,
  encodeEntry,
  pinned,
  statusToGrantFrames,
  writePinned,
} from './table';
import { SetVersionResult, populateStatusFrames, setGrantVersion } from './version';

export interface GrantLimits {
  /** max_grant_frames of xl.cfg */
  maxGrantFrames?: number;
  /** max_maptrack_frames of xl.cfg (0: this domain may map no grants) */
  maxMaptrackFrames?: number;
  /** max_grant_version of xl.cfg (Xen's x86 default: 2) */
  maxGrantVersion?: number;
}

export interface MapOp {
  hostAddr: number;
  flags: number;
  ref: number;
  dom: number;
}

export interface MapResult {
  status: number;
  handle: number;
  devBusAddr: number;
}

export interface UnmapOp {
  hostAddr: number;
  devBusAddr: number;
  handle: number;
}

/** One side of gnttab_copy: a grant reference (with the flag) or the caller's own gmfn. */
export interface CopyPtr {
  /** ref when the GNTCOPY_*_gref flag is set, else gmfn */
  u: number;
  domid: number;
  offset: number;
}

export interface CopyOp {
  source: CopyPtr;
  dest: CopyPtr;
  len: number;
  flags: number;
}

/** A refusal carrying Xen's GNTST_* status; `why` is what Xen's gdprintk would say. */
export class GrantStatus extends Error {
  constructor(
    readonly status: number,
    readonly why: string,
  ) {
    super(why);
  }
}

const fail = (status: number, why: string): never => {
  throw new GrantStatus(status, why);
};

const NO_PINS: Pins = Object.freeze({ hostR: 0, hostW: 0, devR: 0, devW: 0 });

/** One side of a copy while it is held: the frame, its owner, the bytes it allows, and how to let go. */
interface Acquired {
  mfn: number;
  owner: number;
  start: number;
  length: number;
  release: () => void;
}

/** Pin increments of one map operation (GNTPIN_{hst,dev}{r,w}_inc). */
function pinsOf(flags: number): Pins {
  const ro = (flags & GNTMAP.readonly) !== 0;
  const dev = (flags & GNTMAP.device_map) !== 0;
  const host = (flags & GNTMAP.host_map) !== 0;
  return { hostR: host && ro ? 1 : 0, hostW: host && !ro ? 1 : 0, devR: dev && ro ? 1 : 0, devW: dev && !ro ? 1 : 0 };
}

export interface GrantTablesState {
  readonly lastWhy: string;
  readonly tables: {
    domid: number;
    maxFrames: number;
    maptrackLimit: number;
    /** absent in snapshots from before grant v2 */
    maxVersion?: 1 | 2;
    version: 1 | 2;
    frames: number[];
    statusFrames?: number[];
    active: [number, ActiveEntry][];
    maptrack: (Mapping | undefined)[];
    mappings: number;
  }[];
}

export class GrantTables {
  private readonly tables = new Map<number, GrantTable>();
  /** Why the last operation was refused (for the trace and the debugger). */
  lastWhy = '';

  constructor(private readonly env: GrantEnv) {}

  // ------------------------------------------------------------------ lifecycle

  /** grant_table_init: a v1 table with its initial frame, shared with the domain. */
  init(domid: number, limits: GrantLimits = {}): GrantTable {
    const maxFrames = limits.maxGrantFrames ?? DEFAULT_MAX_GRANT_FRAMES;
    if (maxFrames < INITIAL_NR_GRANT_FRAMES) throw new RangeError(`max_grant_frames ${maxFrames} is below ${INITIAL_NR_GRANT_FRAMES}`);
    const maxVersion = limits.maxGrantVersion === 1 ? 1 : 2;
    const t = new GrantTable(domid, maxFrames, (limits.maxMaptrackFrames ?? DEFAULT_MAX_MAPTRACK_FRAMES) * MAPTRACK_PER_FRAME, maxVersion);
    this.tables.set(domid, t);
    this.grow(t, INITIAL_NR_GRANT_FRAMES);
    return t;
  }

  table(domid: number): GrantTable | undefined {
    return this.tables.get(domid);
  }

  /** Plain data for a machine snapshot (the shared frames' contents are machine memory). */
  saveState(): GrantTablesState {
    return {
      lastWhy: this.lastWhy,
      tables: [...this.tables.values()].map((t) => ({
        domid: t.domid,
        maxFrames: t.maxFrames,
        maptrackLimit: t.maptrackLimit,
        maxVersion: t.maxVersion,
        version: t.version,
        frames: [...t.frames],
        statusFrames: [...t.statusFrames],
        active: [...t.active].map(([ref, a]) => [ref, { ...a }]),
        maptrack: Array.from(t.maptrack, (m) => (m ? { ...m } : undefined)),
        mappings: t.mappings,
      })),
    };
  }

  restoreState(s: GrantTablesState): void {
    this.lastWhy = s.lastWhy;
    this.tables.clear();
    for (const st of s.tables) {
      // snapshots from before grant v2 have no maxVersion or status frames
      const t = new GrantTable(st.domid, st.maxFrames, st.maptrackLimit, st.maxVersion ?? 2);
      t.version = st.version;
      t.frames.push(...st.frames);
      t.statusFrames.push(...(st.statusFrames ?? []));
      for (const [ref, a] of st.active) t.active.set(ref, { ...a });
      t.maptrack.push(...st.maptrack.map((m) => (m ? { ...m } : undefined)));
      t.mappings = st.mappings;
      this.tables.set(t.domid, t);
    }
  }

  /**
   * Domain destruction (gnttab_release_mappings): every mapping the domain holds of other
   * domains' grants is dropped, so their GTF_reading/GTF_writing clear; then its frames go.
   */
  destroy(domid: number): void {
    const t = this.tables.get(domid);
    if (!t) return;
    t.maptrack.forEach((m, h) => {
      if (m) this.release(t, h, m.flags & (GNTMAP.host_map | GNTMAP.device_map));
    });
    for (const mfn of [...t.frames, ...t.statusFrames]) this.env.freeSharedFrame(mfn);
    this.tables.delete(domid);
  }

  /** gnttab_grow_table: shared frames up to `nr`, and in v2 the status frames covering them. */
  private grow(t: GrantTable, nr: number): void {
    while (t.frames.length < nr) t.frames.push(this.env.allocSharedFrame(t.domid));
    if (t.version === 2) populateStatusFrames(this.env, t);
  }

  /** rcu_lock_domain_by_any_id: DOMID_SELF is the caller. */
  private target(caller: number, dom: number): GrantTable | undefined {
    const id = dom === DOMID.SELF ? caller : dom;
    return this.env.domainExists(id) ? this.tables.get(id) : undefined;
  }

  // ------------------------------------------------------------------ entries

  /** The grant entry of `ref` in `t`, in the table's version (v1 or v2 layout). */
  readEntry(t: GrantTable, ref: number): GrantEntry {
    const { mfn, offset } = t.where(ref);
    return decodeEntry(this.view(mfn), offset, t.version);
  }

  /** What a granting guest writes (gnttab_grant_foreign_access); used by tests and dom0 services. */
  writeEntry(t: GrantTable, ref: number, e: GrantEntry): void {
    const { mfn, offset } = t.where(ref);
    encodeEntry(this.view(mfn), offset, t.version, e);
  }

  /**
   * The GTF_reading/GTF_writing bits Xen keeps for `ref`: in the entry's flags in v1, in the
   * grant_status_t of the status frames in v2.
   */
  status(t: GrantTable, ref: number): number {
    if (t.version === 1) return this.readEntry(t, ref).flags & (GTF.reading | GTF.writing);
    const { mfn, offset } = t.statusWhere(ref);
    return this.view(mfn).getUint16(offset, true);
  }

  /** gnttab_set_flags/gnttab_clear_flags on the status word of `ref` (v1: the entry's flags). */
  private changeStatus(t: GrantTable, ref: number, set: number, clear: number): void {
    const { mfn, offset } = t.version === 1 ? t.where(ref) : t.statusWhere(ref);
    const dv = this.view(mfn);
    dv.setUint16(offset, (dv.getUint16(offset, true) & ~clear) | set, true);
  }

  private view(mfn: number): DataView {
    const f = this.env.frame(mfn);
    return new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
  }

  /**
   * _set_status_v1/_set_status_v2: a grant not yet pinned must be GTF_permit_access for `ld`
   * (else it was never granted to it, or was revoked) — a map (`mapflag`) also refuses
   * GTF_sub_page, and v2 lets a copy through a GTF_transitive one; a writable pin of a
   * GTF_readonly grant is refused. Sets GTF_reading, and GTF_writing for a writable pin.
   */
  private setStatus(rt: GrantTable, ref: number, act: ActiveEntry | undefined, ld: number, readonly: boolean, mapflag: boolean): void {
    const e = this.readEntry(rt, ref);
    const type = e.flags & (GTF.type_mask | (mapflag ? GTF.sub_page : 0));
    const allowed = type === GTF.permit_access || (rt.version === 2 && !mapflag && type === GTF.transitive);
    if (!act && (!allowed || e.domid !== ld)) {
      fail(GNTST.general_error, `bad flags (0x${e.flags.toString(16)}) or dom (${e.domid}) in d${rt.domid} ref ${ref}; expected d${ld}`);
    }
    if (!readonly && e.flags & GTF.readonly) fail(GNTST.general_error, `attempt to write-pin read-only grant d${rt.domid} ref ${ref}`);
    this.changeStatus(rt, ref, readonly ? GTF.reading : GTF.reading | GTF.writing, 0);
  }

  /** reduce_status_for_pin: clear GTF_writing once no writable pin is left, GTF_reading once none. */
  private reduceStatus(rt: GrantTable, ref: number, act: Pins): void {
    let clear = 0;
    if (!pinned(act)) clear |= GTF.reading | GTF.writing;
    else if (!writePinned(act)) clear |= GTF.writing;
    if (clear) this.changeStatus(rt, ref, 0, clear);
  }

  // ------------------------------------------------------------------ operations

  /** GNTTABOP_setup_table: grow `dom`'s table to nr frames; their frame numbers (PV: mfns). */
  setupTable(caller: number, dom: number, nrFrames: number, privileged: boolean): { status: number; frames: number[] } {
    return this.run(() => {
      const t = this.target(caller, dom) ?? fail(GNTST.bad_domain, `no domain ${dom}`);
      if (t.domid !== caller && !privileged) fail(GNTST.permission_denied, `d${caller} may not set up d${t.domid}'s grant table`);
      if (nrFrames > t.maxFrames) fail(GNTST.general_error, `d${t.domid} is limited to ${t.maxFrames} grant-table frames`);
      this.grow(t, nrFrames);
      return { status: GNTST.okay, frames: t.frames.slice(0, nrFrames) };
    }, { frames: [] as number[] });
  }

  /** GNTTABOP_set_version by domain `caller` (for its own table): see version.ts. */
  setVersion(caller: number, version: number): SetVersionResult {
    const t = this.tables.get(caller);
    if (!t) return { errno: 'EINVAL', why: `d${caller} has no grant table`, version: 1 };
    const r = setGrantVersion(this.env, t, version);
    this.lastWhy = r.why ?? '';
    return r;
  }

  /**
   * GNTTABOP_get_status_frames: the first `nrFrames` v2 status frames of `dom` (machine frames;
   * none exist in v1, so only 0 frames may be asked for there).
   */
  getStatusFrames(caller: number, dom: number, nrFrames: number, privileged: boolean): { status: number; frames: number[] } {
    return this.run(() => {
      const t = this.target(caller, dom) ?? fail(GNTST.bad_domain, `no domain ${dom}`);
      if (t.domid !== caller && !privileged) fail(GNTST.permission_denied, `d${caller} may not see d${t.domid}'s status frames`);
      if (nrFrames > t.statusFrames.length) fail(GNTST.general_error, `asked for ${nrFrames} status frames of d${t.domid}, which has ${t.statusFrames.length}`);
      return { status: GNTST.okay, frames: t.statusFrames.slice(0, nrFrames) };
    }, { frames: [] as number[] });
  }

  /**
   * gnttab_map_frame (XENMEM_add_to_physmap, XENMAPSPACE_grant_table): the machine frame of
   * shared frame `idx`, or with XENMAPIDX_grant_table_status in `idx` (v2 only) of that status
   * frame, growing the table up to max_grant_frames to make it exist; undefined when it cannot.
   */
  mapFrame(domid: number, idx: number): number | undefined {
    const t = this.tables.get(domid);
    if (!t) return undefined;
    const status = XEN_CONST.XENMAPIDX_grant_table_status;
    if (t.version === 2 && idx >= status) {
      const i = idx - status;
      const nrGrant = statusToGrantFrames(i + 1);
      if (i >= t.statusFrames.length && nrGrant <= t.maxFrames) this.grow(t, nrGrant);
      return t.statusFrames[i];
    }
    // in v1 the status bit only makes the index too large
    if (idx >= t.frames.length && idx + 1 <= t.maxFrames) this.grow(t, idx + 1);
    return t.frames[idx];
  }

  /**
   * GNTTABOP_swap_grant_ref: exchange two of the caller's own entries (in v2 with their status
   * words), refused with GNTST_eagain while either is pinned.
   */
  swap(caller: number, refA: number, refB: number): number {
    return this.run(() => {
      const t = this.tables.get(caller) ?? fail(GNTST.general_error, `d${caller} has no grant table`);
      for (const [n, r] of [['a', refA], ['b', refB]] as const) if (r >= t.nrEntries) fail(GNTST.bad_gntref, `bad ref-${n} 0x${r.toString(16)}`);
      if (refA === refB) return { status: GNTST.okay };
      for (const [n, r] of [['a', refA], ['b', refB]] as const) if (t.active.has(r)) fail(GNTST.eagain, `ref ${n} 0x${r.toString(16)} busy`);
      const place = (ref: number) => t.where(ref);
      const [a, b] = [place(refA), place(refB)];
      const size = PAGE_SIZE / t.entriesPerFrame;
      const fa = this.env.frame(a.mfn);
      const fb = this.env.frame(b.mfn);
      const saved = fa.slice(a.offset, a.offset + size);
      fa.set(fb.subarray(b.offset, b.offset + size), a.offset);
      fb.set(saved, b.offset);
      if (t.version === 2) {
        const [sa, sb] = [refA, refB].map((r) => this.status(t, r));
        this.changeStatus(t, refA, sb, 0xffff);
        this.changeStatus(t, refB, sa, 0xffff);
      }
      return { status: GNTST.okay };
    }, {}).status;
  }

  /** GNTTABOP_query_size. */
  querySize(caller: number, dom: number, privileged: boolean): { status: number; nrFrames: number; maxNrFrames: number } {
    return this.run(() => {
      const t = this.target(caller, dom) ?? fail(GNTST.bad_domain, `no domain ${dom}`);
      if (t.domid !== caller && !privileged) fail(GNTST.permission_denied, `d${caller} may not query d${t.domid}'s grant table`);
      return { status: GNTST.okay, nrFrames: t.frames.length, maxNrFrames: t.maxFrames };
    }, { nrFrames: 0, maxNrFrames: 0 });
  }

  /** GNTTABOP_map_grant_ref by domain `ld`. */
  map(ld: number, op: MapOp): MapResult {
    return this.run(() => this.mapOne(ld, op), { handle: 0, devBusAddr: 0 });
  }

  private mapOne(ld: number, op: MapOp): MapResult {
    const inc = pinsOf(op.flags);
    if (!pinned(inc)) fail(GNTST.bad_gntref, `bad flags in grant map op: 0x${op.flags.toString(16)}`);
    const readonly = (op.flags & GNTMAP.readonly) !== 0;
    if (!this.env.domainExists(op.dom)) fail(GNTST.bad_domain, `could not find domain ${op.dom}`);
    // every domain has a table from its creation on (the hypervisor makes them when first asked;
    // dom0's back ends have one even when the run has no dom0 kernel)
    const lt = this.tables.get(ld) ?? ((this.env.domainExists(ld) && this.tables.get(ld)) || fail(GNTST.general_error, `d${ld} has no grant table`));
    const rt = this.tables.get(op.dom) ?? fail(GNTST.bad_domain, `d${op.dom} has no grant table`);
    const mapping = { domid: op.dom, ref: op.ref, flags: op.flags, mfn: 0, hostAddr: op.hostAddr };
    const handle = lt.allocHandle(mapping);
    if (handle < 0) fail(GNTST.no_space, `d${ld} has no free maptrack handle (limit ${lt.maptrackLimit})`);
    try {
      if (op.ref >= rt.nrEntries || op.ref < 0) fail(GNTST.bad_gntref, `bad ref 0x${op.ref.toString(16)} for d${op.dom}`);
      let act = rt.active.get(op.ref);
      if (act && act.domid !== ld) fail(GNTST.general_error, `d${op.dom} ref ${op.ref} is in use by d${act.domid}, not d${ld}`);
      // a sub-page or transitive grant pinned by a copy can never be mapped
      if (act?.isSubPage) fail(GNTST.general_error, `d${op.dom} ref ${op.ref} is a sub-page grant`);
      const fresh = !act;
      if (!act || (!readonly && !writePinned(act))) {
        this.setStatus(rt, op.ref, act, ld, readonly, true);
        if (!act) {
          const mfn = this.frameOf(rt, op.ref, this.readEntry(rt, op.ref).frame, NO_PINS);
          act = { domid: ld, mfn, start: 0, length: PAGE_SIZE, isSubPage: false, ...NO_PINS };
          rt.active.set(op.ref, act);
        }
      }
      const a = act!;
      // A writable mapping holds a writable type reference, so the frame cannot become a page table.
      if (!this.env.getFrame(a.mfn, op.dom, !readonly)) {
        this.undoPin(rt, op.ref, a, fresh);
        fail(GNTST.general_error, `could not pin grant frame 0x${a.mfn.toString(16)}`);
      }
      if (op.flags & GNTMAP.host_map) {
        const st = this.env.hostMap ? this.env.hostMap(ld, op.hostAddr, a.mfn, op.flags) : GNTST.general_error;
        if (st !== GNTST.okay) {
          this.env.putFrame(a.mfn, !readonly);
          this.undoPin(rt, op.ref, a, fresh);
          fail(st, `could not map d${op.dom} ref ${op.ref} at 0x${op.hostAddr.toString(16)} in d${ld}`);
        }
      }
      a.hostR += inc.hostR;
      a.hostW += inc.hostW;
      a.devR += inc.devR;
      a.devW += inc.devW;
      mapping.mfn = a.mfn;
      return { status: GNTST.okay, handle, devBusAddr: a.mfn * PAGE_SIZE };
    } catch (e) {
      lt.freeHandle(handle);
      throw e;
    }
  }

  /** A failed map leaves the entry as it found it. */
  private undoPin(rt: GrantTable, ref: number, a: ActiveEntry, fresh: boolean): void {
    if (fresh) rt.active.delete(ref);
    this.reduceStatus(rt, ref, a);
  }

  /** GNTTABOP_unmap_grant_ref by domain `ld`. */
  unmap(ld: number, op: UnmapOp): number {
    return this.run(() => {
      const lt = this.tables.get(ld) ?? fail(GNTST.bad_handle, `d${ld} has no grant table`);
      const m = Number.isInteger(op.handle) && op.handle >= 0 ? lt.maptrack[op.handle] : undefined;
      if (!m) fail(GNTST.bad_handle, `bad d${ld} handle 0x${(op.handle >>> 0).toString(16)}`);
      const mm = m!;
      if (op.devBusAddr && mm.flags & GNTMAP.device_map && op.devBusAddr !== mm.mfn * PAGE_SIZE) {
        fail(GNTST.bad_dev_addr, `bus address 0x${op.devBusAddr.toString(16)} does not match the grant's frame`);
      }
      let done = 0;
      if (op.hostAddr && mm.flags & GNTMAP.host_map) {
        const st = this.env.hostUnmap ? this.env.hostUnmap(ld, op.hostAddr, mm.mfn, mm.flags) : GNTST.general_error;
        if (st !== GNTST.okay) fail(st, `no grant mapping of mfn 0x${mm.mfn.toString(16)} at 0x${op.hostAddr.toString(16)}`);
        done |= GNTMAP.host_map;
      }
      if (op.devBusAddr && mm.flags & GNTMAP.device_map) done |= GNTMAP.device_map;
      this.release(lt, op.handle, done);
      return { status: GNTST.okay };
    }, {}).status;
  }

  /** unmap_common_complete: drop the pins and references `done` covers; free the handle when none is left. */
  private release(lt: GrantTable, handle: number, done: number): void {
    const m = lt.maptrack[handle];
    if (!m || !done) return;
    const ro = (m.flags & GNTMAP.readonly) !== 0;
    const rt = this.tables.get(m.domid);
    const act = rt?.active.get(m.ref);
    if (rt && act) {
      if (done & GNTMAP.device_map) ro ? act.devR-- : act.devW--;
      if (done & GNTMAP.host_map) ro ? act.hostR-- : act.hostW--;
      this.reduceStatus(rt, m.ref, act);
      if (!pinned(act)) rt.active.delete(m.ref);
    }
    m.flags &= ~done;
    if (!(m.flags & (GNTMAP.host_map | GNTMAP.device_map))) {
      this.env.putFrame(m.mfn, !ro);
      lt.freeHandle(handle);
    }
  }

  /**
   * GNTTABOP_copy by domain `ld`: `len` bytes from source to dest, each a grant or the caller's
   * own gmfn (DOMID_SELF only). A grant's bytes bound the copy: a v2 sub-page grant allows only
   * its page_off..page_off+length, a transitive one those of the grant it passes on.
   */
  copy(ld: number, op: CopyOp): number {
    return this.run(() => {
      for (const [p, gref] of [[op.source, GNTCOPY.source_gref], [op.dest, GNTCOPY.dest_gref]] as const) {
        const id = p.domid === DOMID.SELF ? ld : p.domid;
        if (p.domid !== DOMID.SELF && !(op.flags & gref)) fail(GNTST.permission_denied, `copy by frame number from d${id}: only DOMID_SELF's frames`);
        if (!this.env.domainExists(id)) fail(GNTST.bad_domain, `could not find domain ${id}`);
      }
      const src = this.claim(ld, op.source, (op.flags & GNTCOPY.source_gref) !== 0, true);
      let dst: Acquired;
      try {
        dst = this.claim(ld, op.dest, (op.flags & GNTCOPY.dest_gref) !== 0, false);
      } catch (e) {
        src.release();
        throw e;
      }
      try {
        if (op.source.offset + op.len > PAGE_SIZE || op.dest.offset + op.len > PAGE_SIZE) fail(GNTST.bad_copy_arg, 'copy beyond page area');
        for (const [name, p, b] of [['source', op.source, src], ['dest', op.dest, dst]] as const) {
          if (p.offset < b.start || p.offset + op.len > b.start + b.length) {
            fail(GNTST.general_error, `copy ${name} out of bounds: ${p.offset}+${op.len} outside ${b.start}+${b.length}`);
          }
        }
        const from = this.env.frame(src.mfn).subarray(op.source.offset, op.source.offset + op.len);
        this.env.frame(dst.mfn).set(from, op.dest.offset);
      } finally {
        dst.release();
        src.release();
      }
      return { status: GNTST.okay };
    }, {}).status;
  }

  /**
   * gnttab_copy_claim_buf: the frame behind one side of a copy — a grant (acquire_grant_for_copy,
   * transitive grants allowed) or the caller's own gmfn — with a writable type reference on the
   * destination, so a copy never writes into a page table.
   */
  private claim(ld: number, p: CopyPtr, gref: boolean, readonly: boolean): Acquired {
    let a: Acquired;
    if (gref) {
      const domid = p.domid === DOMID.SELF ? ld : p.domid;
      const rt = this.tables.get(domid) ?? fail(GNTST.bad_domain, `d${domid} has no grant table`);
      a = this.acquire(rt, p.u, ld, readonly, true);
    } else {
      const mfn = this.env.gfnToMfn(ld, p.u) ?? fail(GNTST.bad_page, `source frame 0x${p.u.toString(16)} invalid`);
      a = { mfn, owner: ld, start: 0, length: PAGE_SIZE, release: () => undefined };
    }
    if (readonly) return a;
    if (!this.env.getFrame(a.mfn, a.owner, true)) {
      a.release();
      fail(GNTST.general_error, `could not get writable frame 0x${a.mfn.toString(16)}`);
    }
    return { ...a, release: () => (this.env.putFrame(a.mfn, true), a.release()) };
  }

  /**
   * acquire_grant_for_copy: pin grant `ref` of `rt` for `ldom` for the length of one copy. A v2
   * GTF_transitive grant pins the grant it names (trans_domid, gref) in turn, on behalf of the
   * granter — one level only, never the granter itself — and is treated as a sub-page grant.
   */
  private acquire(rt: GrantTable, ref: number, ldom: number, readonly: boolean, allowTransitive: boolean): Acquired {
    if (ref < 0 || ref >= rt.nrEntries) fail(GNTST.bad_gntref, `bad grant reference 0x${ref.toString(16)}`);
    let act = rt.active.get(ref);
    if (act && act.domid !== ldom) fail(GNTST.general_error, `d${rt.domid} ref ${ref} is in use by d${act.domid}, not d${ldom}`);
    const e = this.readEntry(rt, ref);
    const changes = !act || (!readonly && !writePinned(act));
    let inner: Acquired | undefined;
    if (rt.version === 2 && (e.flags & GTF.type_mask) === GTF.transitive) {
      if (changes) this.setStatus(rt, ref, act, ldom, readonly, false);
      const unwind = (status: number, why: string): never => {
        this.reduceStatus(rt, ref, act ?? NO_PINS);
        return fail(status, why);
      };
      const td = e.transDomid!;
      if (!allowTransitive) unwind(GNTST.general_error, 'transitive grant when transitivity not allowed');
      if (td === rt.domid) unwind(GNTST.general_error, 'transitive grants cannot be self-referential');
      const tt = (this.env.domainExists(td) && this.tables.get(td)) || unwind(GNTST.general_error, `transitive grant referenced bad domain ${td}`);
      try {
        inner = this.acquire(tt, e.transGref!, rt.domid, readonly, false);
      } catch (err) {
        if (err instanceof GrantStatus) unwind(err.status, err.why);
        throw err;
      }
      act ??= { domid: ldom, mfn: inner.mfn, start: inner.start, length: inner.length, isSubPage: true, transDomid: td, transGref: e.transGref, ...NO_PINS };
    } else if (changes) {
      this.setStatus(rt, ref, act, ldom, readonly, false);
      const sub = rt.version === 2 && (e.flags & GTF.sub_page) !== 0;
      const mfn = this.frameOf(rt, ref, e.frame, act ?? NO_PINS);
      act ??= { domid: ldom, mfn, start: sub ? e.pageOff! : 0, length: sub ? e.length! : PAGE_SIZE, isSubPage: sub, ...NO_PINS };
    }
    const held = act!;
    rt.active.set(ref, held);
    if (readonly) held.hostR++;
    else held.hostW++;
    return {
      mfn: held.mfn,
      owner: inner?.owner ?? rt.domid,
      start: held.start,
      length: held.length,
      release: () => {
        if (readonly) held.hostR--;
        else held.hostW--;
        this.reduceStatus(rt, ref, held);
        if (!pinned(held)) rt.active.delete(ref);
        inner?.release();
      },
    };
  }

  /** get_paged_frame: the machine frame behind a granted gfn, or GNTST_bad_page (and the status unwound). */
  private frameOf(rt: GrantTable, ref: number, gfn: number, act: Pins): number {
    const mfn = gfn < 2 ** 32 ? this.env.gfnToMfn(rt.domid, gfn) : undefined;
    if (mfn !== undefined) return mfn;
    this.reduceStatus(rt, ref, act);
    return fail(GNTST.bad_page, `d${rt.domid} ref ${ref}: frame 0x${gfn.toString(16)} is not d${rt.domid}'s`);
  }

  /** Runs one operation; a GrantStatus refusal becomes its status (and lastWhy). */
  private run<T extends object>(fn: () => T & { status: number }, empty: T): T & { status: number } {
    this.lastWhy = '';
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof GrantStatus)) throw e;
      this.lastWhy = e.why;
      return { ...empty, status: e.status };
    }
  }
}
