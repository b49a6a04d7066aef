// Grant tables v1 as xen/common/grant_table.c behaves: every operation and every refusal.
import * as assert from 'assert';
import { DOMID, GNTCOPY, GNTMAP, GNTST, GTF } from '../../src/xen/abi';
import { ENTRIES_PER_FRAME_V1, GrantTables, MAPTRACK_PER_FRAME } from '../../src/xen/grant';
import { FakeMachine } from './grant-helpers';

const FRONT = 1; // the granting domU
const BACK = 0; // dom0, mapping
const OTHER = 2;

function setup(limits = {}) {
  const m = new FakeMachine();
  const pages = { [BACK]: m.addDomain(BACK, 4), [FRONT]: m.addDomain(FRONT, 4), [OTHER]: m.addDomain(OTHER, 4) };
  const g = new GrantTables(m);
  for (const d of [BACK, FRONT, OTHER]) g.init(d, limits);
  const ft = g.table(FRONT)!;
  const grant = (ref: number, domid: number, frame: number, flags: number = GTF.permit_access) => g.writeEntry(ft, ref, { flags, domid, frame });
  const flags = (ref: number) => g.readEntry(ft, ref).flags;
  return { m, g, pages, ft, grant, flags };
}

const MAP_RW = GNTMAP.host_map;
const MAP_RO = GNTMAP.host_map | GNTMAP.readonly;

describe('grant tables: setup_table and query_size', () => {
  it('a new table has one shared frame owned by its domain, 64 at most', () => {
    const { g, m } = setup();
    const q = g.querySize(FRONT, DOMID.SELF, false);
    assert.deepStrictEqual(q, { status: GNTST.okay, nrFrames: 1, maxNrFrames: 64 });
    assert.strictEqual(m.owner.get(g.table(FRONT)!.frames[0]), FRONT);
    assert.strictEqual(ENTRIES_PER_FRAME_V1, 512);
  });

  it('setup_table grows the table and returns the frames in order', () => {
    const { g, m } = setup();
    const r = g.setupTable(FRONT, DOMID.SELF, 4, false);
    assert.strictEqual(r.status, GNTST.okay);
    assert.strictEqual(r.frames.length, 4);
    assert.strictEqual(new Set(r.frames).size, 4);
    assert.ok(r.frames.every((f) => m.owner.get(f) === FRONT));
    assert.strictEqual(g.querySize(FRONT, FRONT, false).nrFrames, 4);
    assert.strictEqual(g.table(FRONT)!.nrEntries, 4 * 512);
    // asking for fewer frames neither shrinks nor changes them
    assert.deepStrictEqual(g.setupTable(FRONT, DOMID.SELF, 2, false).frames, r.frames.slice(0, 2));
  });

  it('refuses more frames than max_grant_frames, unknown domains and foreign tables', () => {
    const { g } = setup({ maxGrantFrames: 2 });
    assert.strictEqual(g.setupTable(FRONT, DOMID.SELF, 3, false).status, GNTST.general_error);
    assert.strictEqual(g.setupTable(FRONT, 77, 1, false).status, GNTST.bad_domain);
    assert.strictEqual(g.querySize(FRONT, 77, false).status, GNTST.bad_domain);
    assert.strictEqual(g.setupTable(FRONT, OTHER, 1, false).status, GNTST.permission_denied);
    assert.strictEqual(g.querySize(FRONT, OTHER, false).status, GNTST.permission_denied);
    // the privileged domain may look at anyone's
    assert.strictEqual(g.querySize(BACK, OTHER, true).status, GNTST.okay);
  });
});

describe('grant tables: map_grant_ref and unmap_grant_ref', () => {
  it('maps a grant, sets GTF_reading|GTF_writing while mapped and clears them on unmap', () => {
    const { g, m, pages, grant, flags } = setup();
    const page = pages[FRONT][0];
    grant(8, BACK, page);
    const r = g.map(BACK, { hostAddr: 0x400000, flags: MAP_RW, ref: 8, dom: FRONT });
    assert.strictEqual(r.status, GNTST.okay, g.lastWhy);
    assert.strictEqual(r.handle, 0);
    assert.strictEqual(r.devBusAddr, page * 4096);
    assert.strictEqual(flags(8), GTF.permit_access | GTF.reading | GTF.writing);
    assert.strictEqual(m.hostMaps.get(`${BACK}:${0x400000}`), page);
    assert.strictEqual(m.writableRefs.get(page), 1);
    assert.strictEqual(g.unmap(BACK, { hostAddr: 0x400000, devBusAddr: 0, handle: r.handle }), GNTST.okay);
    assert.strictEqual(flags(8), GTF.permit_access);
    assert.strictEqual(m.hostMaps.size, 0);
    assert.strictEqual(m.heldRefs(), 0);
    assert.strictEqual(g.table(BACK)!.mappings, 0);
  });

  it('a read-only map sets only GTF_reading; a writable one on top adds GTF_writing and removing it drops it', () => {
    const { g, pages, grant, flags } = setup();
    grant(3, BACK, pages[FRONT][1]);
    const ro = g.map(BACK, { hostAddr: 0x1000, flags: MAP_RO, ref: 3, dom: FRONT });
    assert.strictEqual(flags(3), GTF.permit_access | GTF.reading);
    const rw = g.map(BACK, { hostAddr: 0x2000, flags: MAP_RW, ref: 3, dom: FRONT });
    assert.strictEqual(rw.handle, 1);
    assert.strictEqual(flags(3), GTF.permit_access | GTF.reading | GTF.writing);
    g.unmap(BACK, { hostAddr: 0x2000, devBusAddr: 0, handle: rw.handle });
    assert.strictEqual(flags(3), GTF.permit_access | GTF.reading);
    g.unmap(BACK, { hostAddr: 0x1000, devBusAddr: 0, handle: ro.handle });
    assert.strictEqual(flags(3), GTF.permit_access);
  });

  it('device_map needs no host address and reports the bus address', () => {
    const { g, m, pages, grant } = setup();
    grant(5, BACK, pages[FRONT][2]);
    const r = g.map(BACK, { hostAddr: 0, flags: GNTMAP.device_map, ref: 5, dom: FRONT });
    assert.strictEqual(r.status, GNTST.okay);
    assert.strictEqual(r.devBusAddr, pages[FRONT][2] * 4096);
    assert.strictEqual(m.hostMaps.size, 0);
    assert.strictEqual(g.unmap(BACK, { hostAddr: 0, devBusAddr: 0x1000, handle: r.handle }), GNTST.bad_dev_addr);
    assert.strictEqual(g.unmap(BACK, { hostAddr: 0, devBusAddr: r.devBusAddr, handle: r.handle }), GNTST.okay);
  });

  describe('refusals (entry left as it was, no reference kept)', () => {
    const cases: [string, (s: ReturnType<typeof setup>) => { flags: number; ref: number; dom: number; by?: number }, number][] = [
      ['no host_map or device_map flag', (s) => (s.grant(1, BACK, s.pages[FRONT][0]), { flags: GNTMAP.readonly, ref: 1, dom: FRONT }), GNTST.bad_gntref],
      ['an unknown domain', () => ({ flags: MAP_RW, ref: 1, dom: 99 }), GNTST.bad_domain],
      ['a reference beyond the table', () => ({ flags: MAP_RW, ref: ENTRIES_PER_FRAME_V1, dom: FRONT }), GNTST.bad_gntref],
      ['a grant never made', () => ({ flags: MAP_RW, ref: 9, dom: FRONT }), GNTST.general_error],
      ['a grant meant for another domain', (s) => (s.grant(1, OTHER, s.pages[FRONT][0]), { flags: MAP_RW, ref: 1, dom: FRONT }), GNTST.general_error],
      ['a revoked grant', (s) => (s.grant(1, BACK, s.pages[FRONT][0], GTF.invalid), { flags: MAP_RW, ref: 1, dom: FRONT }), GNTST.general_error],
      ['a read-only grant mapped writable', (s) => (s.grant(1, BACK, s.pages[FRONT][0], GTF.permit_access | GTF.readonly), { flags: MAP_RW, ref: 1, dom: FRONT }), GNTST.general_error],
      ['a transfer grant', (s) => (s.grant(1, BACK, s.pages[FRONT][0], GTF.accept_transfer), { flags: MAP_RW, ref: 1, dom: FRONT }), GNTST.general_error],
      ['a frame the granter does not own', (s) => (s.grant(1, BACK, s.pages[OTHER][0]), { flags: MAP_RW, ref: 1, dom: FRONT }), GNTST.bad_page],
      ['a page-table frame mapped writable', (s) => (s.grant(1, BACK, s.pages[FRONT][3]), s.m.pageTables.add(s.pages[FRONT][3]), { flags: MAP_RW, ref: 1, dom: FRONT }), GNTST.general_error],
    ];
    for (const [what, prep, status] of cases) {
      it(`${what}: ${Object.entries(GNTST).find(([, v]) => v === status)![0]}`, () => {
        const s = setup();
        const op = prep(s);
        const before = s.g.readEntry(s.ft, Math.min(op.ref, 511));
        const r = s.g.map(op.by ?? BACK, { hostAddr: 0x5000, ...op });
        assert.strictEqual(r.status, status, s.g.lastWhy);
        assert.ok(s.g.lastWhy.length > 0);
        assert.deepStrictEqual(s.g.readEntry(s.ft, Math.min(op.ref, 511)), before);
        assert.strictEqual(s.m.heldRefs(), 0);
        assert.strictEqual(s.g.table(BACK)!.mappings, 0);
        assert.strictEqual(s.m.hostMaps.size, 0);
      });
    }

    it('a host address the mapping domain cannot use: the host mapping status, pin undone', () => {
      const s = setup();
      s.grant(1, BACK, s.pages[FRONT][0]);
      const r = s.g.map(BACK, { hostAddr: 0xf6000000, flags: MAP_RW, ref: 1, dom: FRONT });
      assert.strictEqual(r.status, GNTST.general_error);
      assert.strictEqual(s.flags(1), GTF.permit_access);
      assert.strictEqual(s.m.heldRefs(), 0);
    });
  });

  it('maptrack: a domain with no maptrack frames may map nothing; the limit is per handle', () => {
    const s = setup({ maxMaptrackFrames: 0 });
    s.grant(1, BACK, s.pages[FRONT][0]);
    assert.strictEqual(s.g.map(BACK, { hostAddr: 0, flags: GNTMAP.device_map, ref: 1, dom: FRONT }).status, GNTST.no_space);
    assert.strictEqual(s.flags(1), GTF.permit_access);

    const t = setup({ maxMaptrackFrames: 1 });
    t.grant(1, BACK, t.pages[FRONT][0]);
    const handles: number[] = [];
    for (let i = 0; i < MAPTRACK_PER_FRAME; i++) handles.push(t.g.map(BACK, { hostAddr: 0, flags: GNTMAP.device_map, ref: 1, dom: FRONT }).handle);
    assert.deepStrictEqual(handles, handles.map((_, i) => i));
    assert.strictEqual(t.g.map(BACK, { hostAddr: 0, flags: GNTMAP.device_map, ref: 1, dom: FRONT }).status, GNTST.no_space);
    // a freed handle is reused (lowest first)
    assert.strictEqual(t.g.unmap(BACK, { hostAddr: 0, devBusAddr: t.pages[FRONT][0] * 4096, handle: 7 }), GNTST.okay);
    assert.strictEqual(t.g.map(BACK, { hostAddr: 0, flags: GNTMAP.device_map, ref: 1, dom: FRONT }).handle, 7);
  });

  it('unmap refuses bad, freed and foreign handles', () => {
    const s = setup();
    s.grant(1, BACK, s.pages[FRONT][0]);
    const r = s.g.map(BACK, { hostAddr: 0x3000, flags: MAP_RW, ref: 1, dom: FRONT });
    assert.strictEqual(s.g.unmap(OTHER, { hostAddr: 0x3000, devBusAddr: 0, handle: r.handle }), GNTST.bad_handle);
    assert.strictEqual(s.g.unmap(BACK, { hostAddr: 0x3000, devBusAddr: 0, handle: 12345 }), GNTST.bad_handle);
    assert.strictEqual(s.g.unmap(BACK, { hostAddr: 0x4000, devBusAddr: 0, handle: r.handle }), GNTST.general_error);
    assert.strictEqual(s.g.unmap(BACK, { hostAddr: 0x3000, devBusAddr: 0, handle: r.handle }), GNTST.okay);
    assert.strictEqual(s.g.unmap(BACK, { hostAddr: 0x3000, devBusAddr: 0, handle: r.handle }), GNTST.bad_handle);
  });

  it('a grant keeps working only while mapped: after unmap and revoke it cannot be mapped again', () => {
    const s = setup();
    s.grant(1, BACK, s.pages[FRONT][0]);
    const r = s.g.map(BACK, { hostAddr: 0x3000, flags: MAP_RW, ref: 1, dom: FRONT });
    // the granter sees it in use (gnttab_end_foreign_access would refuse to revoke now)
    assert.ok(s.flags(1) & (GTF.reading | GTF.writing));
    s.g.unmap(BACK, { hostAddr: 0x3000, devBusAddr: 0, handle: r.handle });
    s.grant(1, 0, 0, GTF.invalid);
    assert.strictEqual(s.g.map(BACK, { hostAddr: 0x3000, flags: MAP_RW, ref: 1, dom: FRONT }).status, GNTST.general_error);
  });

  it('destroying the mapping domain releases its mappings in the granter', () => {
    const s = setup();
    s.grant(1, OTHER, s.pages[FRONT][0]);
    s.grant(2, OTHER, s.pages[FRONT][1], GTF.permit_access | GTF.readonly);
    s.g.map(OTHER, { hostAddr: 0x3000, flags: MAP_RW, ref: 1, dom: FRONT });
    s.g.map(OTHER, { hostAddr: 0, flags: GNTMAP.device_map | GNTMAP.readonly, ref: 2, dom: FRONT });
    s.g.destroy(OTHER);
    assert.strictEqual(s.flags(1), GTF.permit_access);
    assert.strictEqual(s.flags(2), GTF.permit_access | GTF.readonly);
    assert.strictEqual(s.m.heldRefs(), 0);
    assert.strictEqual(s.g.table(OTHER), undefined);
  });
});

describe('grant tables: copy', () => {
  function fill(s: ReturnType<typeof setup>, mfn: number, seed: number): void {
    const f = s.m.frame(mfn);
    for (let i = 0; i < 4096; i++) f[i] = (i * 7 + seed) & 0xff;
  }

  it('copies from a granted page into the caller\'s own frame and back', () => {
    const s = setup();
    const src = s.pages[FRONT][0];
    const dst = s.pages[BACK][0];
    fill(s, src, 3);
    s.grant(4, BACK, src);
    const st = s.g.copy(BACK, { source: { u: 4, domid: FRONT, offset: 100 }, dest: { u: dst, domid: DOMID.SELF, offset: 200 }, len: 512, flags: GNTCOPY.source_gref });
    assert.strictEqual(st, GNTST.okay, s.g.lastWhy);
    assert.deepStrictEqual(s.m.frame(dst).subarray(200, 712), s.m.frame(src).subarray(100, 612));
    assert.strictEqual(s.m.frame(dst)[199], 0);
    assert.strictEqual(s.flags(4), GTF.permit_access, 'no status bits left behind');
    // into the grant (writable)
    s.m.frame(dst).fill(0xab, 0, 16);
    assert.strictEqual(s.g.copy(BACK, { source: { u: dst, domid: DOMID.SELF, offset: 0 }, dest: { u: 4, domid: FRONT, offset: 4080 }, len: 16, flags: GNTCOPY.dest_gref }), GNTST.okay);
    assert.deepStrictEqual([...s.m.frame(src).subarray(4080)], new Array(16).fill(0xab));
  });

  it('grant to grant between two domUs through dom0', () => {
    const s = setup();
    const ot = s.g.table(OTHER)!;
    fill(s, s.pages[FRONT][0], 9);
    s.grant(1, BACK, s.pages[FRONT][0], GTF.permit_access | GTF.readonly);
    s.g.writeEntry(ot, 2, { flags: GTF.permit_access, domid: BACK, frame: s.pages[OTHER][0] });
    const st = s.g.copy(BACK, { source: { u: 1, domid: FRONT, offset: 0 }, dest: { u: 2, domid: OTHER, offset: 0 }, len: 4096, flags: GNTCOPY.source_gref | GNTCOPY.dest_gref });
    assert.strictEqual(st, GNTST.okay, s.g.lastWhy);
    assert.deepStrictEqual(s.m.frame(s.pages[OTHER][0]), s.m.frame(s.pages[FRONT][0]));
  });

  it('refusals', () => {
    const s = setup();
    s.grant(1, BACK, s.pages[FRONT][0], GTF.permit_access | GTF.readonly);
    s.grant(2, OTHER, s.pages[FRONT][1]);
    const own = s.pages[BACK][0];
    const c = (source: { u: number; domid: number; offset: number }, dest: { u: number; domid: number; offset: number }, flags: number, len = 8) => s.g.copy(BACK, { source, dest, len, flags });
    const self = { u: own, domid: DOMID.SELF, offset: 0 };
    assert.strictEqual(c({ u: 1, domid: FRONT, offset: 4090 }, self, GNTCOPY.source_gref), GNTST.bad_copy_arg);
    assert.strictEqual(c(self, { u: 1, domid: FRONT, offset: 0 }, GNTCOPY.dest_gref), GNTST.general_error, 'write into a read-only grant');
    assert.strictEqual(c({ u: 2, domid: FRONT, offset: 0 }, self, GNTCOPY.source_gref), GNTST.general_error, 'a grant for another domain');
    assert.strictEqual(c({ u: 600, domid: FRONT, offset: 0 }, self, GNTCOPY.source_gref), GNTST.bad_gntref);
    assert.strictEqual(c({ u: 1, domid: 55, offset: 0 }, self, GNTCOPY.source_gref), GNTST.bad_domain);
    assert.strictEqual(c({ u: s.pages[FRONT][0], domid: FRONT, offset: 0 }, self, 0), GNTST.permission_denied, 'by frame number from another domain');
    assert.strictEqual(c({ u: s.pages[FRONT][0], domid: DOMID.SELF, offset: 0 }, self, 0), GNTST.bad_page, 'a frame the caller does not own');
    assert.strictEqual(s.flags(1), GTF.permit_access | GTF.readonly);
    assert.strictEqual(s.flags(2), GTF.permit_access);
    assert.ok(s.g.table(FRONT)!.active.size === 0);
  });
});
