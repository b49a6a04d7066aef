// Grant tables v2 as xen/common/grant_table.c behaves: set_version and its conversions,
// status frames, v2 entries (full page, sub-page, transitive) for map and copy, every refusal.
import * as assert from 'assert';
import { DOMID, GNTCOPY, GNTMAP, GNTST, GTF, XEN_CONST } from '../../src/xen/abi';
import { ENTRIES_PER_FRAME_V2, type GrantEntry, GrantTables, STATUS_PER_FRAME, grantToStatusFrames } from '../../src/xen/grant';
import { FakeMachine } from './grant-helpers';
import { evaluate } from './abi-oracle';

const FRONT = 1; // the granting domU
const BACK = 0; // dom0, mapping and copying
const OTHER = 2;
const MAP_RW = GNTMAP.host_map;
const MAP_RO = GNTMAP.host_map | GNTMAP.readonly;
const RW = GTF.reading | GTF.writing;

function setup(limits = {}) {
  const m = new FakeMachine();
  const pages = { [BACK]: m.addDomain(BACK, 4), [FRONT]: m.addDomain(FRONT, 4), [OTHER]: m.addDomain(OTHER, 4) };
  const g = new GrantTables(m);
  for (const d of [BACK, FRONT, OTHER]) g.init(d, limits);
  const t = (d: number) => g.table(d)!;
  const grant = (d: number, ref: number, e: GrantEntry) => g.writeEntry(t(d), ref, e);
  return { m, g, pages, t, grant };
}

/** A v2 front: set_version(2) done. */
function v2(limits = {}) {
  const s = setup(limits);
  assert.deepStrictEqual(s.g.setVersion(FRONT, 2), { version: 2 });
  return s;
}

function copyOp(src: { ref: number; dom: number; off: number }, dstGmfn: number, dstOff: number, len: number) {
  return {
    source: { u: src.ref, domid: src.dom, offset: src.off },
    dest: { u: dstGmfn, domid: DOMID.SELF, offset: dstOff },
    len,
    flags: GNTCOPY.source_gref,
  };
}

describe('grant tables v2: sizes from the headers', () => {
  it('entries and status words per frame are what gcc -m32 makes of grant_table.h', function () {
    this.timeout(30_000);
    const [entries, statuses, reserved] = evaluate(['4096 / sizeof(grant_entry_v2_t)', '4096 / sizeof(grant_status_t)', 'GNTTAB_NR_RESERVED_ENTRIES']);
    assert.deepStrictEqual([ENTRIES_PER_FRAME_V2, STATUS_PER_FRAME, XEN_CONST.GNTTAB_NR_RESERVED_ENTRIES], [entries, statuses, reserved]);
  });
});

describe('grant tables v2: set_version and get_version', () => {
  it('a table starts at v1; v2 adds status frames and halves the entries per frame', () => {
    const { g, m, t } = setup();
    assert.strictEqual(t(FRONT).version, 1);
    assert.strictEqual(t(FRONT).nrEntries, 512);
    assert.deepStrictEqual(g.setVersion(FRONT, 2), { version: 2 });
    assert.strictEqual(t(FRONT).version, 2);
    assert.strictEqual(t(FRONT).nrEntries, ENTRIES_PER_FRAME_V2);
    assert.strictEqual(ENTRIES_PER_FRAME_V2, 256);
    assert.strictEqual(STATUS_PER_FRAME, 2048);
    assert.strictEqual(t(FRONT).statusFrames.length, 1);
    assert.strictEqual(m.owner.get(t(FRONT).statusFrames[0]), FRONT);
    // setting the version in force changes nothing
    assert.deepStrictEqual(g.setVersion(FRONT, 2), { version: 2 });
    assert.strictEqual(t(FRONT).statusFrames.length, 1);
  });

  it('refuses versions other than 1 and 2 (EINVAL) and v2 past max_grant_version (ENOSYS)', () => {
    const { g } = setup();
    for (const v of [0, 3, 0xffffffff]) assert.deepStrictEqual([g.setVersion(FRONT, v).errno, g.setVersion(FRONT, v).version], ['EINVAL', 1]);
    const limited = setup({ maxGrantVersion: 1 });
    assert.strictEqual(limited.g.setVersion(FRONT, 2).errno, 'ENOSYS');
    assert.strictEqual(limited.g.setVersion(FRONT, 1).errno, undefined);
  });

  it('refuses to switch (EBUSY) while a grant past the reserved ones is mapped, in either direction', () => {
    for (const from of [1, 2] as const) {
      const s = from === 2 ? v2() : setup();
      s.grant(FRONT, 8, { flags: GTF.permit_access, domid: BACK, frame: s.pages[FRONT][0] });
      const r = s.g.map(BACK, { hostAddr: 0x400000, flags: MAP_RW, ref: 8, dom: FRONT });
      assert.strictEqual(r.status, GNTST.okay, s.g.lastWhy);
      const to = from === 1 ? 2 : 1;
      assert.deepStrictEqual(s.g.setVersion(FRONT, to), { errno: 'EBUSY', why: s.g.lastWhy, version: from });
      assert.strictEqual(s.g.unmap(BACK, { hostAddr: 0x400000, devBusAddr: 0, handle: r.handle }), GNTST.okay);
      assert.deepStrictEqual(s.g.setVersion(FRONT, to), { version: to });
    }
  });

  it('carries the reserved entries over (status bits move to the status frame and back) and wipes the rest', () => {
    const { g, t, grant, pages } = setup();
    const console = XEN_CONST.GNTTAB_RESERVED_CONSOLE;
    grant(FRONT, console, { flags: GTF.permit_access, domid: BACK, frame: pages[FRONT][1] });
    grant(FRONT, 7, { flags: GTF.permit_access | GTF.readonly, domid: OTHER, frame: pages[FRONT][2] });
    grant(FRONT, 9, { flags: GTF.permit_access, domid: BACK, frame: pages[FRONT][3] });
    // the console grant stays mapped across the switch, as xenconsoled keeps it
    const r = g.map(BACK, { hostAddr: 0x400000, flags: MAP_RW, ref: console, dom: FRONT });
    assert.strictEqual(r.status, GNTST.okay, g.lastWhy);
    assert.deepStrictEqual(g.setVersion(FRONT, 2), { version: 2 });
    const e0 = g.readEntry(t(FRONT), console);
    assert.deepStrictEqual([e0.flags, e0.domid, e0.frame], [GTF.permit_access, BACK, pages[FRONT][1]]);
    assert.strictEqual(g.status(t(FRONT), console), RW);
    const e7 = g.readEntry(t(FRONT), 7);
    assert.deepStrictEqual([e7.flags, e7.domid, e7.frame], [GTF.permit_access | GTF.readonly, OTHER, pages[FRONT][2]]);
    assert.strictEqual(g.status(t(FRONT), 7), 0);
    assert.strictEqual(g.readEntry(t(FRONT), 9).flags, GTF.invalid);
    assert.strictEqual(g.readEntry(t(FRONT), 9).frame, 0);
    // back to v1: the status bits return into the flags, the status frame goes
    const statusMfn = t(FRONT).statusFrames[0];
    assert.deepStrictEqual(g.setVersion(FRONT, 1), { version: 1 });
    assert.deepStrictEqual(g.readEntry(t(FRONT), console), { flags: GTF.permit_access | RW, domid: BACK, frame: pages[FRONT][1] });
    assert.deepStrictEqual(g.readEntry(t(FRONT), 7), { flags: GTF.permit_access | GTF.readonly, domid: OTHER, frame: pages[FRONT][2] });
    assert.strictEqual(t(FRONT).statusFrames.length, 0);
    assert.ok(!g.table(FRONT)!.frames.includes(statusMfn));
    // the mapping made under v1, kept through v2, unmaps under v1 and clears the flags
    assert.strictEqual(g.unmap(BACK, { hostAddr: 0x400000, devBusAddr: 0, handle: r.handle }), GNTST.okay);
    assert.strictEqual(g.readEntry(t(FRONT), console).flags, GTF.permit_access);
  });

  it('refuses v2 -> v1 with a reserved entry v1 cannot hold (ERANGE) or a status frame still mapped (EBUSY)', () => {
    const s = v2();
    s.grant(FRONT, 1, { flags: GTF.transitive, domid: BACK, transDomid: OTHER, transGref: 9, frame: 0 });
    assert.strictEqual(s.g.setVersion(FRONT, 1).errno, 'ERANGE');
    s.grant(FRONT, 1, { flags: GTF.permit_access, domid: BACK, frame: 2 ** 32 + 5 });
    assert.strictEqual(s.g.setVersion(FRONT, 1).errno, 'ERANGE');
    s.grant(FRONT, 1, { flags: GTF.invalid, domid: 0, frame: 0 });
    s.m.guestMapped.add(s.t(FRONT).statusFrames[0]);
    assert.deepStrictEqual([s.g.setVersion(FRONT, 1).errno, s.t(FRONT).version], ['EBUSY', 2]);
    s.m.guestMapped.clear();
    assert.deepStrictEqual(s.g.setVersion(FRONT, 1), { version: 1 });
  });
});

describe('grant tables v2: setup_table, query_size, get_status_frames, frame mapping', () => {
  it('setup_table grows the status frames with the shared ones (one per 8 v2 frames)', () => {
    const { g, t } = v2();
    const r = g.setupTable(FRONT, DOMID.SELF, 9, false);
    assert.strictEqual(r.status, GNTST.okay);
    assert.strictEqual(r.frames.length, 9);
    assert.strictEqual(t(FRONT).statusFrames.length, grantToStatusFrames(9));
    assert.strictEqual(grantToStatusFrames(9), 2);
    assert.strictEqual(g.querySize(FRONT, DOMID.SELF, false).nrFrames, 9);
    assert.strictEqual(t(FRONT).nrEntries, 9 * 256);
    // a reference in v1's range but past v2's is refused
    const s = v2();
    assert.strictEqual(s.g.map(BACK, { hostAddr: 0x400000, flags: MAP_RW, ref: 256, dom: FRONT }).status, GNTST.bad_gntref);
  });

  it('get_status_frames returns the status frames; refuses more than exist, and all of them in v1', () => {
    const { g, t } = v2();
    g.setupTable(FRONT, DOMID.SELF, 16, false);
    assert.deepStrictEqual(g.getStatusFrames(FRONT, DOMID.SELF, 2, false), { status: GNTST.okay, frames: t(FRONT).statusFrames });
    assert.strictEqual(g.getStatusFrames(FRONT, DOMID.SELF, 3, false).status, GNTST.general_error);
    assert.strictEqual(g.getStatusFrames(FRONT, 77, 1, false).status, GNTST.bad_domain);
    assert.strictEqual(g.getStatusFrames(FRONT, OTHER, 0, false).status, GNTST.permission_denied);
    assert.strictEqual(g.getStatusFrames(BACK, FRONT, 1, true).status, GNTST.okay);
    assert.strictEqual(g.getStatusFrames(OTHER, DOMID.SELF, 1, false).status, GNTST.general_error);
    assert.deepStrictEqual(g.getStatusFrames(OTHER, DOMID.SELF, 0, false), { status: GNTST.okay, frames: [] });
  });

  it('mapFrame (add_to_physmap) names status frames with XENMAPIDX_grant_table_status only in v2, growing the table', () => {
    const { g, t } = setup({ maxGrantFrames: 16 });
    const S = XEN_CONST.XENMAPIDX_grant_table_status;
    assert.strictEqual(S, 0x80000000);
    assert.strictEqual(g.mapFrame(FRONT, S), undefined);
    assert.strictEqual(g.mapFrame(FRONT, 2), t(FRONT).frames[2]);
    assert.strictEqual(t(FRONT).frames.length, 3);
    assert.strictEqual(g.mapFrame(FRONT, 16), undefined);
    g.setVersion(FRONT, 2);
    assert.strictEqual(g.mapFrame(FRONT, S), t(FRONT).statusFrames[0]);
    // status frame 1 needs 16 shared frames: within the limit
    assert.strictEqual(g.mapFrame(FRONT, S + 1), t(FRONT).statusFrames[1]);
    assert.strictEqual(t(FRONT).frames.length, 16);
    assert.strictEqual(g.mapFrame(FRONT, S + 2), undefined);
  });
});

describe('grant tables v2: map_grant_ref on v2 entries', () => {
  it('pins set GTF_reading/GTF_writing in the status frame, never in the entry', () => {
    const { g, m, t, grant, pages } = v2();
    const page = pages[FRONT][0];
    grant(FRONT, 8, { flags: GTF.permit_access, domid: BACK, frame: page });
    const ro = g.map(BACK, { hostAddr: 0x400000, flags: MAP_RO, ref: 8, dom: FRONT });
    assert.strictEqual(ro.status, GNTST.okay, g.lastWhy);
    assert.strictEqual(g.status(t(FRONT), 8), GTF.reading);
    const rw = g.map(BACK, { hostAddr: 0x401000, flags: MAP_RW, ref: 8, dom: FRONT });
    assert.strictEqual(rw.devBusAddr, page * 4096);
    assert.strictEqual(g.status(t(FRONT), 8), RW);
    assert.strictEqual(g.readEntry(t(FRONT), 8).flags, GTF.permit_access);
    const sf = m.frame(t(FRONT).statusFrames[0]);
    assert.strictEqual(sf[16] | (sf[17] << 8), RW);
    assert.strictEqual(g.unmap(BACK, { hostAddr: 0x401000, devBusAddr: 0, handle: rw.handle }), GNTST.okay);
    assert.strictEqual(g.status(t(FRONT), 8), GTF.reading);
    assert.strictEqual(g.unmap(BACK, { hostAddr: 0x400000, devBusAddr: 0, handle: ro.handle }), GNTST.okay);
    assert.strictEqual(g.status(t(FRONT), 8), 0);
    assert.strictEqual(m.heldRefs(), 0);
  });

  it('refuses sub-page and transitive grants, other domains, read-only entries mapped writable, frames past 32 bits', () => {
    const { g, t, grant, pages } = v2();
    const page = pages[FRONT][0];
    const cases: [string, GrantEntry, number, number][] = [
      ['sub-page', { flags: GTF.permit_access | GTF.sub_page, domid: BACK, frame: page, pageOff: 0, length: 4096 }, MAP_RO, GNTST.general_error],
      ['transitive', { flags: GTF.transitive, domid: BACK, frame: 0, transDomid: OTHER, transGref: 8 }, MAP_RO, GNTST.general_error],
      ['granted to another domain', { flags: GTF.permit_access, domid: OTHER, frame: page }, MAP_RO, GNTST.general_error],
      ['read-only mapped writable', { flags: GTF.permit_access | GTF.readonly, domid: BACK, frame: page }, MAP_RW, GNTST.general_error],
      ['a frame beyond 32 bits', { flags: GTF.permit_access, domid: BACK, frame: 2 ** 32 + page }, MAP_RO, GNTST.bad_page],
      ['not the granter\'s frame', { flags: GTF.permit_access, domid: BACK, frame: pages[OTHER][0] }, MAP_RO, GNTST.bad_page],
    ];
    for (const [what, e, flags, want] of cases) {
      grant(FRONT, 10, e);
      assert.strictEqual(g.map(BACK, { hostAddr: 0x400000, flags, ref: 10, dom: FRONT }).status, want, what);
      assert.strictEqual(g.status(t(FRONT), 10), 0, `${what}: status left clean`);
      assert.strictEqual(t(FRONT).active.size, 0, what);
    }
  });
});

describe('grant tables v2: copy through sub-page and transitive grants', () => {
  it('a sub-page grant allows copies only inside page_off..page_off+length', () => {
    const { g, m, t, grant, pages } = v2();
    const page = pages[FRONT][0];
    m.frame(page).set(Buffer.from('0123456789abcdef'), 100);
    grant(FRONT, 8, { flags: GTF.permit_access | GTF.sub_page | GTF.readonly, domid: BACK, frame: page, pageOff: 100, length: 16 });
    const dst = pages[BACK][0];
    assert.strictEqual(g.copy(BACK, copyOp({ ref: 8, dom: FRONT, off: 104 }, dst, 0, 12)), GNTST.okay, g.lastWhy);
    assert.strictEqual(Buffer.from(m.frame(dst).subarray(0, 12)).toString(), '456789abcdef');
    for (const [off, len] of [[99, 4], [104, 13], [0, 1], [116, 1]]) {
      assert.strictEqual(g.copy(BACK, copyOp({ ref: 8, dom: FRONT, off }, dst, 0, len)), GNTST.general_error, `${off}+${len}`);
    }
    assert.strictEqual(g.copy(BACK, copyOp({ ref: 8, dom: FRONT, off: 4000 }, dst, 0, 200)), GNTST.bad_copy_arg);
    // a read-only sub-page grant is no copy destination
    const into = { source: { u: dst, domid: DOMID.SELF, offset: 0 }, dest: { u: 8, domid: FRONT, offset: 100 }, len: 4, flags: GNTCOPY.dest_gref };
    assert.strictEqual(g.copy(BACK, into), GNTST.general_error);
    assert.strictEqual(g.status(t(FRONT), 8), 0);
    assert.strictEqual(t(FRONT).active.size, 0);
    assert.strictEqual(m.heldRefs(), 0);
  });

  it('a transitive grant lets a third domain copy the original grant, bounded by it', () => {
    const { g, m, t, grant, pages } = v2();
    g.setVersion(OTHER, 2);
    // FRONT grants a sub-page to OTHER; OTHER passes it on to BACK transitively
    const page = pages[FRONT][1];
    m.frame(page).set(Buffer.from('through two grants'), 200);
    grant(FRONT, 8, { flags: GTF.permit_access | GTF.sub_page, domid: OTHER, frame: page, pageOff: 200, length: 18 });
    grant(OTHER, 9, { flags: GTF.transitive, domid: BACK, frame: 0, transDomid: FRONT, transGref: 8 });
    const dst = pages[BACK][1];
    assert.strictEqual(g.copy(BACK, copyOp({ ref: 9, dom: OTHER, off: 200 }, dst, 0, 18)), GNTST.okay, g.lastWhy);
    assert.strictEqual(Buffer.from(m.frame(dst).subarray(0, 18)).toString(), 'through two grants');
    assert.strictEqual(g.copy(BACK, copyOp({ ref: 9, dom: OTHER, off: 199 }, dst, 0, 4)), GNTST.general_error);
    // writing through it reaches the original page
    m.frame(dst).set(Buffer.from('BACK'), 50);
    const into = { source: { u: dst, domid: DOMID.SELF, offset: 50 }, dest: { u: 9, domid: OTHER, offset: 210 }, len: 4, flags: GNTCOPY.dest_gref };
    assert.strictEqual(g.copy(BACK, into), GNTST.okay, g.lastWhy);
    assert.strictEqual(Buffer.from(m.frame(page).subarray(200, 218)).toString(), 'through twBACKants');
    for (const d of [FRONT, OTHER]) assert.strictEqual(t(d).active.size, 0);
    assert.strictEqual(g.status(t(FRONT), 8) | g.status(t(OTHER), 9), 0);
    assert.strictEqual(m.heldRefs(), 0);
  });

  it('refuses self-referential, chained, dangling and misdirected transitive grants, and transitive grants in v1', () => {
    const { g, m, t, grant, pages } = v2();
    g.setVersion(OTHER, 2);
    const dst = pages[BACK][0];
    grant(FRONT, 8, { flags: GTF.permit_access, domid: OTHER, frame: pages[FRONT][0] });
    grant(FRONT, 10, { flags: GTF.permit_access, domid: BACK, frame: pages[FRONT][0] }); // not for OTHER
    grant(FRONT, 11, { flags: GTF.transitive, domid: OTHER, frame: 0, transDomid: BACK, transGref: 8 });
    const cases: [string, GrantEntry, number][] = [
      ['self-referential', { flags: GTF.transitive, domid: BACK, frame: 0, transDomid: OTHER, transGref: 8 }, GNTST.general_error],
      ['a domain that does not exist', { flags: GTF.transitive, domid: BACK, frame: 0, transDomid: 99, transGref: 8 }, GNTST.general_error],
      ['a grant not made to the passing domain', { flags: GTF.transitive, domid: BACK, frame: 0, transDomid: FRONT, transGref: 10 }, GNTST.general_error],
      ['a transitive grant of a transitive grant', { flags: GTF.transitive, domid: BACK, frame: 0, transDomid: FRONT, transGref: 11 }, GNTST.general_error],
      ['a reference past the table', { flags: GTF.transitive, domid: BACK, frame: 0, transDomid: FRONT, transGref: 256 }, GNTST.bad_gntref],
      ['passed to someone else', { flags: GTF.transitive, domid: FRONT, frame: 0, transDomid: FRONT, transGref: 8 }, GNTST.general_error],
    ];
    for (const [what, e, want] of cases) {
      grant(OTHER, 9, e);
      assert.strictEqual(g.copy(BACK, copyOp({ ref: 9, dom: OTHER, off: 0 }, dst, 0, 8)), want, what);
      assert.strictEqual(g.status(t(OTHER), 9) | g.status(t(FRONT), 8), 0, `${what}: status left clean`);
      assert.strictEqual(t(OTHER).active.size + t(FRONT).active.size, 0, what);
    }
    assert.strictEqual(m.heldRefs(), 0);
    // in v1 the type is simply not a permit_access grant
    const s = setup();
    s.grant(OTHER, 9, { flags: GTF.transitive, domid: BACK, frame: 0 });
    assert.strictEqual(s.g.copy(BACK, copyOp({ ref: 9, dom: OTHER, off: 0 }, dst, 0, 8)), GNTST.general_error);
  });

  it('copying by frame number names DOMID_SELF only, as Xen requires', () => {
    const { g, pages } = v2();
    const op = { source: { u: pages[BACK][0], domid: BACK, offset: 0 }, dest: { u: pages[BACK][1], domid: DOMID.SELF, offset: 0 }, len: 4, flags: 0 };
    assert.strictEqual(g.copy(BACK, op), GNTST.permission_denied);
    assert.strictEqual(g.copy(BACK, { ...op, source: { ...op.source, domid: DOMID.SELF } }), GNTST.okay, g.lastWhy);
  });
});

describe('grant tables v2: snapshot', () => {
  it('saveState/restoreState keep the version, the status frames and active sub-page data', () => {
    const { g, m, t, grant, pages } = v2();
    grant(FRONT, 8, { flags: GTF.permit_access, domid: BACK, frame: pages[FRONT][0] });
    const r = g.map(BACK, { hostAddr: 0x400000, flags: MAP_RW, ref: 8, dom: FRONT });
    const saved = JSON.parse(JSON.stringify(g.saveState()));
    const before = { version: t(FRONT).version, status: [...t(FRONT).statusFrames], act: { ...t(FRONT).active.get(8)! } };
    assert.strictEqual(g.unmap(BACK, { hostAddr: 0x400000, devBusAddr: 0, handle: r.handle }), GNTST.okay);
    g.setVersion(FRONT, 1);
    const fresh = new GrantTables(m);
    fresh.restoreState(saved);
    const ft = fresh.table(FRONT)!;
    assert.deepStrictEqual({ version: ft.version, status: [...ft.statusFrames], act: ft.active.get(8) }, before);
    assert.strictEqual(ft.maxVersion, 2);
  });
});

describe('grant tables: swap_grant_ref', () => {
  it('swaps two entries (v2: with their status words); refuses busy entries (eagain) and bad references', () => {
    for (const version of [1, 2] as const) {
      const s = version === 2 ? v2() : setup();
      const { g, t, grant, pages } = s;
      grant(FRONT, 8, { flags: GTF.permit_access, domid: BACK, frame: pages[FRONT][0] });
      grant(FRONT, 9, { flags: GTF.permit_access | GTF.readonly, domid: OTHER, frame: pages[FRONT][1] });
      const before = [8, 9].map((r) => g.readEntry(t(FRONT), r));
      assert.strictEqual(g.swap(FRONT, 8, 9), GNTST.okay, g.lastWhy);
      assert.deepStrictEqual([9, 8].map((r) => g.readEntry(t(FRONT), r)), before);
      assert.strictEqual(g.swap(FRONT, 8, 8), GNTST.okay);
      assert.strictEqual(g.swap(FRONT, 8, t(FRONT).nrEntries), GNTST.bad_gntref);
      assert.strictEqual(g.swap(FRONT, t(FRONT).nrEntries, 8), GNTST.bad_gntref);
      // ref 9 now grants the page to BACK: mapped, it cannot move
      const m = g.map(BACK, { hostAddr: 0x400000, flags: MAP_RW, ref: 9, dom: FRONT });
      assert.strictEqual(m.status, GNTST.okay, g.lastWhy);
      assert.strictEqual(g.swap(FRONT, 8, 9), GNTST.eagain);
      assert.strictEqual(g.unmap(BACK, { hostAddr: 0x400000, devBusAddr: 0, handle: m.handle }), GNTST.okay);
      if (version === 2) {
        // a status word left behind moves with its entry
        const w = t(FRONT).statusWhere(9);
        s.m.frame(w.mfn)[w.offset] = GTF.reading;
        assert.strictEqual(g.swap(FRONT, 8, 9), GNTST.okay);
        assert.deepStrictEqual([g.status(t(FRONT), 8), g.status(t(FRONT), 9)], [GTF.reading, 0]);
      }
    }
  });
});
