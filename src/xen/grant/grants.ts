/**
 * Grant tables for every domain (xen/common/grant_table.c, v1 entries): setup_table,
 * query_size, map_grant_ref, unmap_grant_ref and copy, with the GNTST_* status Xen gives each
 * refusal. Xen keeps GTF_reading/GTF_writing set in the granter's entry while the grant is
 * pinned, so the granter sees it is in use and must not revoke it. Memory, domains and page
 * references come through the injected GrantEnv.
 */
import { DOMID, GNTCOPY, GNTMAP, GNTST, GTF } from '../abi';
import type { GrantEnv } from './env';
import {
  ActiveEntry,
  DEFAULT_MAX_GRANT_FRAMES,
  DEFAULT_MAX_MAPTRACK_FRAMES,
  GrantTable,
  INITIAL_NR_GRANT_FRAMES,
  MAPTRACK_PER_FRAME,
  Mapping,
  PAGE_SIZE,
  Pins,
  pinned,
  writePinned,
} from './table';

export interface GrantLimits {
  /** max_grant_frames of xl.cfg */
  maxGrantFrames?: number;
  /** max_maptrack_frames of xl.cfg (0: this domain may map no grants) */
  maxMaptrackFrames?: number;
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
    version: number;
    frames: number[];
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
    const t = new GrantTable(domid, maxFrames, (limits.maxMaptrackFrames ?? DEFAULT_MAX_MAPTRACK_FRAMES) * MAPTRACK_PER_FRAME);
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
        version: t.version,
        frames: [...t.frames],
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
      const t = new GrantTable(st.domid, st.maxFrames, st.maptrackLimit);
      t.version = st.version;
      t.frames.push(...st.frames);
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
    for (const mfn of t.frames) this.env.freeSharedFrame(mfn);
    this.tables.delete(domid);
  }

  private grow(t: GrantTable, nr: number): void {
    while (t.frames.length < nr) t.frames.push(this.env.allocSharedFrame(t.domid));
  }

  /** rcu_lock_domain_by_any_id: DOMID_SELF is the caller. */
  private target(caller: number, dom: number): GrantTable | undefined {
    const id = dom === DOMID.SELF ? caller : dom;
    return this.env.domainExists(id) ? this.tables.get(id) : undefined;
  }

  // ------------------------------------------------------------------ entries

  /** The grant_entry_v1 of `ref` in `t`: flags, domid, frame. */
  readEntry(t: GrantTable, ref: number): { flags: number; domid: number; frame: number } {
    const { mfn, offset } = t.where(ref);
    const dv = this.view(mfn);
    return { flags: dv.getUint16(offset, true), domid: dv.getUint16(offset + 2, true), frame: dv.getUint32(offset + 4, true) };
  }

  /** What a granting guest writes (gnttab_grant_foreign_access); used by tests and dom0 services. */
  writeEntry(t: GrantTable, ref: number, e: { flags: number; domid: number; frame: number }): void {
    const { mfn, offset } = t.where(ref);
    const dv = this.view(mfn);
    dv.setUint32(offset + 4, e.frame >>> 0, true);
    dv.setUint16(offset + 2, e.domid, true);
    dv.setUint16(offset, e.flags, true);
  }

  private setFlags(t: GrantTable, ref: number, flags: number): void {
    const { mfn, offset } = t.where(ref);
    this.view(mfn).setUint16(offset, flags, true);
  }

  private view(mfn: number): DataView {
    const f = this.env.frame(mfn);
    return new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
  }

  /**
   * _set_status_v1: a grant not yet pinned must be GTF_permit_access for `ld` (else it was never
   * granted to it, or was revoked); a writable pin of a GTF_readonly grant is refused. Sets
   * GTF_reading, and GTF_writing for a writable pin.
   */
  private setStatus(rt: GrantTable, ref: number, act: ActiveEntry | undefined, ld: number, readonly: boolean): void {
    const e = this.readEntry(rt, ref);
    const mask = GTF.type_mask | GTF.sub_page;
    if (!act && ((e.flags & mask) !== GTF.permit_access || e.domid !== ld)) {
      fail(GNTST.general_error, `bad flags (0x${e.flags.toString(16)}) or dom (${e.domid}) in d${rt.domid} ref ${ref}; expected d${ld}`);
    }
    let flags = e.flags | GTF.reading;
    if (!readonly) {
      if (e.flags & GTF.readonly) fail(GNTST.general_error, `attempt to write-pin read-only grant d${rt.domid} ref ${ref}`);
      flags |= GTF.writing;
    }
    this.setFlags(rt, ref, flags);
  }

  /** reduce_status_for_pin: clear GTF_writing once no writable pin is left, GTF_reading once none. */
  private reduceStatus(rt: GrantTable, ref: number, act: Pins): void {
    let clear = 0;
    if (!pinned(act)) clear |= GTF.reading | GTF.writing;
    else if (!writePinned(act)) clear |= GTF.writing;
    if (clear) this.setFlags(rt, ref, this.readEntry(rt, ref).flags & ~clear);
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
    const lt = this.tables.get(ld) ?? fail(GNTST.general_error, `d${ld} has no grant table`);
    const rt = this.tables.get(op.dom) ?? fail(GNTST.bad_domain, `d${op.dom} has no grant table`);
    const mapping = { domid: op.dom, ref: op.ref, flags: op.flags, mfn: 0, hostAddr: op.hostAddr };
    const handle = lt.allocHandle(mapping);
    if (handle < 0) fail(GNTST.no_space, `d${ld} has no free maptrack handle (limit ${lt.maptrackLimit})`);
    try {
      if (op.ref >= rt.nrEntries || op.ref < 0) fail(GNTST.bad_gntref, `bad ref 0x${op.ref.toString(16)} for d${op.dom}`);
      let act = rt.active.get(op.ref);
      if (act && act.domid !== ld) fail(GNTST.general_error, `d${op.dom} ref ${op.ref} is in use by d${act.domid}, not d${ld}`);
      const fresh = !act;
      if (!act || (!readonly && !writePinned(act))) {
        this.setStatus(rt, op.ref, act, ld, readonly);
        if (!act) {
          const gfn = this.readEntry(rt, op.ref).frame;
          const mfn = this.env.gfnToMfn(op.dom, gfn);
          if (mfn === undefined) {
            this.reduceStatus(rt, op.ref, { hostR: 0, hostW: 0, devR: 0, devW: 0 });
            fail(GNTST.bad_page, `d${op.dom} ref ${op.ref}: frame 0x${gfn.toString(16)} is not d${op.dom}'s`);
          }
          act = { domid: ld, mfn: mfn!, hostR: 0, hostW: 0, devR: 0, devW: 0 };
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

  /** GNTTABOP_copy by domain `ld`: `len` bytes from source to dest, each a grant or the caller's gmfn. */
  copy(ld: number, op: CopyOp): number {
    return this.run(() => {
      if (op.source.offset + op.len > PAGE_SIZE || op.dest.offset + op.len > PAGE_SIZE) fail(GNTST.bad_copy_arg, 'copy beyond page area');
      const src = this.acquireForCopy(ld, op.source, (op.flags & GNTCOPY.source_gref) !== 0, true);
      let dst: ReturnType<GrantTables['acquireForCopy']>;
      try {
        dst = this.acquireForCopy(ld, op.dest, (op.flags & GNTCOPY.dest_gref) !== 0, false);
      } catch (e) {
        src.release();
        throw e;
      }
      const from = this.env.frame(src.mfn).subarray(op.source.offset, op.source.offset + op.len);
      this.env.frame(dst.mfn).set(from, op.dest.offset);
      dst.release();
      src.release();
      return { status: GNTST.okay };
    }, {}).status;
  }

  /**
   * acquire_grant_for_copy (a grant ref) or get_paged_frame (a gmfn, which must be the caller's
   * own: copying by frame number is for DOMID_SELF only).
   */
  private acquireForCopy(ld: number, p: CopyPtr, gref: boolean, readonly: boolean): { mfn: number; release: () => void } {
    const domid = p.domid === DOMID.SELF ? ld : p.domid;
    if (!gref) {
      if (domid !== ld) fail(GNTST.permission_denied, `copy by frame number from d${domid}: only the caller's own frames`);
      const mfn = this.env.gfnToMfn(ld, p.u);
      if (mfn === undefined) fail(GNTST.bad_page, `d${ld} does not own frame 0x${p.u.toString(16)}`);
      return { mfn: mfn!, release: () => undefined };
    }
    if (!this.env.domainExists(domid)) fail(GNTST.bad_domain, `could not find domain ${domid}`);
    const rt = this.tables.get(domid) ?? fail(GNTST.bad_domain, `d${domid} has no grant table`);
    if (p.u >= rt.nrEntries || p.u < 0) fail(GNTST.bad_gntref, `bad ref 0x${p.u.toString(16)} for d${domid}`);
    const act = rt.active.get(p.u);
    if (act && act.domid !== ld) fail(GNTST.general_error, `d${domid} ref ${p.u} is in use by d${act.domid}, not d${ld}`);
    // A copy pins the grant for its duration (as a device pin) so the status bits are right during it.
    const inc: Pins = { hostR: 0, hostW: 0, devR: readonly ? 1 : 0, devW: readonly ? 0 : 1 };
    if (!act || (!readonly && !writePinned(act))) this.setStatus(rt, p.u, act, ld, readonly);
    let a = act;
    if (!a) {
      const gfn = this.readEntry(rt, p.u).frame;
      const mfn = this.env.gfnToMfn(domid, gfn);
      if (mfn === undefined) {
        this.reduceStatus(rt, p.u, { hostR: 0, hostW: 0, devR: 0, devW: 0 });
        fail(GNTST.bad_page, `d${domid} ref ${p.u}: frame 0x${gfn.toString(16)} is not d${domid}'s`);
      }
      a = { domid: ld, mfn: mfn!, hostR: 0, hostW: 0, devR: 0, devW: 0 };
      rt.active.set(p.u, a);
    }
    const held = a;
    held.devR += inc.devR;
    held.devW += inc.devW;
    return {
      mfn: held.mfn,
      release: () => {
        held.devR -= inc.devR;
        held.devW -= inc.devW;
        this.reduceStatus(rt, p.u, held);
        if (!pinned(held)) rt.active.delete(p.u);
      },
    };
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
