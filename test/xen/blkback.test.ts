// blkback serving a front end's blkif ring through grant tables, from a raw image file.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BLKIF_OP, BLKIF_RSP, GTF, IO_CONST, IO_LAYOUTS } from '../../src/xen/abi';
import { GrantTables } from '../../src/xen/grant';
import { Blkback, BlkDisk, FileDisk, MemDisk, SECTOR_SIZE } from '../../src/xen/dom0/blkback';
import { FakeMachine } from './grant-helpers';

const FE = 1;
const BE = 0;
const RING = IO_LAYOUTS.blkif_sring.fields;
const REQ = IO_LAYOUTS.blkif_request.fields;
const RSP = IO_LAYOUTS.blkif_response.fields;
const ENTRY = IO_CONST.blkif_sring_entry_size;
const N = IO_CONST.BLKIF_RING_SIZE;

/** The guest's blkfront: a granted ring page and granted data pages. */
function frontEnd(disk: BlkDisk) {
  const m = new FakeMachine();
  m.addDomain(BE, 2);
  const pages = m.addDomain(FE, 16);
  m.addDomain(2, 2);
  const g = new GrantTables(m);
  g.init(BE);
  g.init(FE);
  g.init(2);
  const ft = g.table(FE)!;
  const ringPage = pages[0];
  g.writeEntry(ft, 1, { flags: GTF.permit_access, domid: BE, frame: ringPage });
  // data page i (1..15) is granted as ref 10+i
  for (let i = 1; i < 16; i++) g.writeEntry(ft, 10 + i, { flags: GTF.permit_access, domid: BE, frame: pages[i] });
  let notified = 0;
  const be = new Blkback({ beDomid: BE, feDomid: FE, ringRef: 1, disk, grants: g, frame: (mfn) => m.frame(mfn), notify: () => notified++ });
  const ring = () => new DataView(m.frame(ringPage).buffer);
  let prod = 0;
  let rspCons = 0;
  const push = (op: number, id: number, sector: number, segs: { ref: number; first: number; last: number }[]) => {
    const at = RING.ring.offset + (prod % N) * ENTRY;
    const dv = ring();
    dv.setUint8(at + REQ.operation.offset, op);
    dv.setUint8(at + REQ.nr_segments.offset, segs.length);
    dv.setUint32(at + REQ.id.offset, id, true);
    dv.setUint32(at + REQ.sector_number.offset, sector, true);
    segs.forEach((s, i) => {
      const so = at + REQ.seg.offset + i * 8;
      dv.setUint32(so, s.ref, true);
      dv.setUint8(so + 4, s.first);
      dv.setUint8(so + 5, s.last);
    });
    prod++;
    dv.setUint32(RING.req_prod.offset, prod, true);
  };
  const responses = () => {
    const dv = ring();
    const out: { id: number; op: number; status: number }[] = [];
    const rp = dv.getUint32(RING.rsp_prod.offset, true);
    for (; rspCons !== rp; rspCons++) {
      const at = RING.ring.offset + (rspCons % N) * ENTRY;
      out.push({ id: dv.getUint32(at + RSP.id.offset, true), op: dv.getUint8(at + RSP.operation.offset), status: dv.getInt16(at + RSP.status.offset, true) });
    }
    return out;
  };
  const data = (i: number) => m.frame(pages[i]);
  return { m, g, ft, be, push, responses, data, pages, notified: () => notified, ring };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-blk-'));
let images = 0;
function image(sectors: number, fill = 0): string {
  const f = path.join(tmp, `disk-${images++}.img`);
  fs.writeFileSync(f, Buffer.alloc(sectors * SECTOR_SIZE, fill));
  return f;
}

describe('blkback', () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes sectors from granted pages to the image file and reads them back into other pages', () => {
    const file = image(64);
    const disk = new FileDisk(file, false);
    const f = frontEnd(disk);
    assert.strictEqual(f.be.connect(), 0);
    f.data(1).fill(0x11, 0, 4096);
    f.data(2).fill(0x22, 0, 4096);
    // 8 sectors of page 1 then sectors 2..3 of page 2, starting at sector 4
    f.push(BLKIF_OP.WRITE, 7, 4, [{ ref: 11, first: 0, last: 7 }, { ref: 12, first: 2, last: 3 }]);
    assert.strictEqual(f.be.process(), 1);
    assert.deepStrictEqual(f.responses(), [{ id: 7, op: BLKIF_OP.WRITE, status: BLKIF_RSP.OKAY }]);
    const onDisk = fs.readFileSync(file);
    assert.ok(onDisk.subarray(4 * 512, 12 * 512).every((b) => b === 0x11));
    assert.ok(onDisk.subarray(12 * 512, 14 * 512).every((b) => b === 0x22));
    assert.ok(onDisk.subarray(14 * 512, 15 * 512).every((b) => b === 0));
    f.push(BLKIF_OP.READ, 8, 11, [{ ref: 13, first: 1, last: 3 }]);
    f.be.process();
    assert.deepStrictEqual(f.responses(), [{ id: 8, op: BLKIF_OP.READ, status: BLKIF_RSP.OKAY }]);
    assert.ok(f.data(3).subarray(512, 1024).every((b) => b === 0x11));
    assert.ok(f.data(3).subarray(1024, 2048).every((b) => b === 0x22));
    assert.ok(f.data(3).subarray(0, 512).every((b) => b === 0));
    assert.strictEqual(f.notified(), 2);
    // grants are released after each request: the front end may revoke them
    assert.strictEqual(f.g.readEntry(f.ft, 11).flags, GTF.permit_access);
    assert.strictEqual(f.m.heldRefs(), 1, 'only the ring stays mapped');
    disk.close();
  });

  it('an acknowledged write is in the file at once; flush and barrier fsync', () => {
    const disk = new MemDisk(32);
    const f = frontEnd(disk);
    f.be.connect();
    f.data(1).fill(0xaa);
    f.push(BLKIF_OP.WRITE, 1, 0, [{ ref: 11, first: 0, last: 0 }]);
    f.push(BLKIF_OP.FLUSH_DISKCACHE, 2, 0, []);
    f.push(BLKIF_OP.WRITE_BARRIER, 3, 1, [{ ref: 11, first: 0, last: 0 }]);
    f.be.process();
    assert.deepStrictEqual(f.responses().map((r) => r.status), [0, 0, 0]);
    assert.strictEqual(disk.flushes, 3, 'flush once, barrier before and after');
    assert.ok(disk.bytes.subarray(0, 1024).every((b) => b === 0xaa));

    const file = image(8);
    const fd = new FileDisk(file, false);
    const g = frontEnd(fd);
    g.be.connect();
    for (let i = 0; i < 8; i++) {
      g.data(1).fill(i + 1, 0, 512);
      g.push(BLKIF_OP.WRITE, 100 + i, i, [{ ref: 11, first: 0, last: 0 }]);
      g.be.process();
      assert.strictEqual(g.responses()[0].status, BLKIF_RSP.OKAY);
      // another reader of the file (as after a kill) sees every acknowledged sector
      const now = fs.readFileSync(file);
      for (let k = 0; k <= i; k++) assert.strictEqual(now[k * 512 + 100], k + 1);
    }
    fd.close();
  });

  it('refuses bad requests with BLKIF_RSP_ERROR / EOPNOTSUPP and goes on serving', () => {
    const f = frontEnd(new MemDisk(16));
    f.be.connect();
    f.g.writeEntry(f.ft, 30, { flags: GTF.permit_access, domid: 2, frame: f.pages[5] });
    f.g.writeEntry(f.ft, 31, { flags: GTF.permit_access | GTF.readonly, domid: BE, frame: f.pages[6] });
    const bad: [string, number, number, { ref: number; first: number; last: number }[], number][] = [
      ['first_sect after last_sect', BLKIF_OP.READ, 0, [{ ref: 11, first: 3, last: 2 }], BLKIF_RSP.ERROR],
      ['last_sect past the page', BLKIF_OP.READ, 0, [{ ref: 11, first: 0, last: 8 }], BLKIF_RSP.ERROR],
      ['beyond the disk', BLKIF_OP.WRITE, 15, [{ ref: 11, first: 0, last: 1 }], BLKIF_RSP.ERROR],
      ['no segments', BLKIF_OP.WRITE, 0, [], BLKIF_RSP.ERROR],
      ['a grant meant for another domain', BLKIF_OP.WRITE, 0, [{ ref: 30, first: 0, last: 0 }], BLKIF_RSP.ERROR],
      ['a read into a read-only grant', BLKIF_OP.READ, 0, [{ ref: 31, first: 0, last: 0 }], BLKIF_RSP.ERROR],
      ['a reference never granted', BLKIF_OP.READ, 0, [{ ref: 99, first: 0, last: 0 }], BLKIF_RSP.ERROR],
      ['discard, not offered', BLKIF_OP.DISCARD, 0, [], BLKIF_RSP.EOPNOTSUPP],
    ];
    bad.forEach(([, op, sector, segs], i) => f.push(op, i, sector, segs));
    f.push(BLKIF_OP.READ, 50, 0, [{ ref: 11, first: 0, last: 0 }]);
    f.be.process();
    const r = f.responses();
    assert.deepStrictEqual(r.slice(0, bad.length).map((x) => x.status), bad.map((b) => b[4]), bad.map((b) => b[0]).join(', '));
    assert.strictEqual(r[bad.length].status, BLKIF_RSP.OKAY);
    assert.strictEqual(f.m.heldRefs(), 1);
    const ro = frontEnd(new MemDisk(16, true));
    ro.be.connect();
    ro.push(BLKIF_OP.WRITE, 1, 0, [{ ref: 11, first: 0, last: 0 }]);
    ro.be.process();
    assert.strictEqual(ro.responses()[0].status, BLKIF_RSP.ERROR);
  });

  it('a forged req_prod stops only this device; a flood is served one ring at a time', () => {
    const f = frontEnd(new MemDisk(16));
    f.be.connect();
    f.ring().setUint32(RING.req_prod.offset, 0x10000, true);
    assert.strictEqual(f.be.process(), 0);
    assert.ok(f.be.broken);
    const g = frontEnd(new MemDisk(16));
    g.be.connect();
    for (let i = 0; i < N; i++) g.push(BLKIF_OP.READ, i, 0, [{ ref: 11, first: 0, last: 0 }]);
    assert.strictEqual(g.be.process(), N);
    assert.strictEqual(g.responses().length, N);
    // the ring wraps: another full batch
    for (let i = 0; i < N; i++) g.push(BLKIF_OP.READ, N + i, 0, [{ ref: 11, first: 0, last: 0 }]);
    g.be.process();
    assert.deepStrictEqual(g.responses().map((x) => x.id), Array.from({ length: N }, (_, i) => N + i));
  });

  it('connect fails cleanly on a ring reference not granted to dom0', () => {
    const f = frontEnd(new MemDisk(4));
    f.g.writeEntry(f.ft, 1, { flags: GTF.invalid, domid: 0, frame: 0 });
    assert.notStrictEqual(f.be.connect(), 0);
    assert.strictEqual(f.be.process(), 0);
  });
});
