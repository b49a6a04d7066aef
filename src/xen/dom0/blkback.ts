/**
 * blkback: the block back end in dom0 (drivers/block/xen-blkback in spirit). It maps the front
 * end's shared ring (a blkif_sring in the page the front end granted as ring-ref), takes
 * blkif_request entries (read, write, write-barrier, flush-diskcache; up to 11 segments, each a
 * grant reference to a data page and a sector range within it), moves the data between the
 * granted pages and the disk, and answers each request with a blkif_response.
 *
 * Durability: a write is on the file (written through to the operating system) before its
 * BLKIF_RSP_OKAY is pushed, and a barrier or flush fsyncs first; so an acknowledged sector
 * survives the simulator being killed right after (file-disk.ts).
 *
 * Its connection (ring mapping, private indices, statistics) is plain data: saveState and
 * restoreState carry it through a snapshot.
 *
 * The front end is not trusted: indices that claim more requests than the ring holds stop the
 * device (as blkback's "bogus ring requests"), bad segments or sectors answer BLKIF_RSP_ERROR,
 * unknown operations BLKIF_RSP_EOPNOTSUPP, and each call serves at most one ring's worth.
 */
import { BLKIF_OP, BLKIF_RSP, GNTMAP, GNTST, IO_CONST, IO_LAYOUTS } from '../abi';
import type { GrantTables } from '../grant';

import { SECTOR_SIZE } from './file-disk';

export { FileDisk, SECTOR_SIZE } from './file-disk';
const SECTORS_PER_PAGE = 4096 / SECTOR_SIZE;
const RING_SIZE = IO_CONST.BLKIF_RING_SIZE;
const RING = IO_LAYOUTS.blkif_sring.fields;
const REQ = IO_LAYOUTS.blkif_request.fields;
const SEG = IO_LAYOUTS.blkif_request_segment;
const RSP = IO_LAYOUTS.blkif_response.fields;
const ENTRY = IO_CONST.blkif_sring_entry_size;

/** What blkback serves: a disk of 512-byte sectors. */
export interface BlkDisk {
  readonly sectors: number;
  readonly readonly: boolean;
  read(sector: number, count: number): Uint8Array;
  write(sector: number, data: Uint8Array): void;
  /** make every completed write durable (fsync) */
  flush(): void;
}

/** A disk in memory (tests, scratch devices). */
export class MemDisk implements BlkDisk {
  readonly bytes: Uint8Array;
  flushes = 0;
  constructor(
    readonly sectors: number,
    readonly readonly = false,
  ) {
    this.bytes = new Uint8Array(sectors * SECTOR_SIZE);
  }
  read(sector: number, count: number): Uint8Array {
    return this.bytes.slice(sector * SECTOR_SIZE, (sector + count) * SECTOR_SIZE);
  }
  write(sector: number, data: Uint8Array): void {
    this.bytes.set(data, sector * SECTOR_SIZE);
  }
  flush(): void {
    this.flushes++;
  }
}

export interface BlkbackOptions {
  /** the back end's domain (dom0) and the front end's */
  beDomid: number;
  feDomid: number;
  /** grant reference of the shared ring page (front end's ring-ref) */
  ringRef: number;
  disk: BlkDisk;
  grants: GrantTables;
  /** machine frame bytes */
  frame(mfn: number): Uint8Array;
  /** raise the front end's event channel */
  notify(): void;
}

export interface BlkStats {
  requests: number;
  reads: number;
  writes: number;
  flushes: number;
  errors: number;
  bytes: number;
}

/** A Blkback's connection state, for a snapshot. */
export interface BlkbackState {
  ringMfn: number;
  ringHandle: number;
  reqCons: number;
  rspProdPvt: number;
  broken?: string;
  stats: BlkStats;
}

export class Blkback {
  private ringMfn = -1;
  private ringHandle = -1;
  private reqCons = 0;
  private rspProdPvt = 0;
  /** why the device stopped, when it did */
  broken?: string;
  readonly stats: BlkStats = { requests: 0, reads: 0, writes: 0, flushes: 0, errors: 0, bytes: 0 };

  constructor(private readonly o: BlkbackOptions) {}

  /** Map the front end's ring (xen_blkif_map). Returns a GNTST_* status. */
  connect(): number {
    const r = this.o.grants.map(this.o.beDomid, { hostAddr: 0, flags: GNTMAP.device_map, ref: this.o.ringRef, dom: this.o.feDomid });
    if (r.status !== GNTST.okay) {
      this.broken = `cannot map ring-ref ${this.o.ringRef}: ${this.o.grants.lastWhy}`;
      return r.status;
    }
    this.ringMfn = r.devBusAddr / 4096;
    this.ringHandle = r.handle;
    // BACK_RING_ATTACH: requests queued before we connected are still to serve
    this.rspProdPvt = this.ring().getUint32(RING.rsp_prod.offset, true);
    this.reqCons = this.rspProdPvt;
    return GNTST.okay;
  }

  saveState(): BlkbackState {
    return { ringMfn: this.ringMfn, ringHandle: this.ringHandle, reqCons: this.reqCons, rspProdPvt: this.rspProdPvt, broken: this.broken, stats: { ...this.stats } };
  }

  restoreState(s: BlkbackState): void {
    ({ ringMfn: this.ringMfn, ringHandle: this.ringHandle, reqCons: this.reqCons, rspProdPvt: this.rspProdPvt, broken: this.broken } = s);
    Object.assign(this.stats, s.stats);
  }

  /** Whether the front end has queued requests not yet served (or a ring index to refuse). */
  hasWork(): boolean {
    if (this.broken || this.ringHandle < 0) return false;
    return this.ring().getUint32(RING.req_prod.offset, true) !== this.reqCons;
  }

  disconnect(): void {
    if (this.ringHandle >= 0) this.o.grants.unmap(this.o.beDomid, { hostAddr: 0, devBusAddr: this.ringMfn * 4096, handle: this.ringHandle });
    this.ringHandle = -1;
  }

  private ring(): DataView {
    const f = this.o.frame(this.ringMfn);
    return new DataView(f.buffer, f.byteOffset, 4096);
  }

  /** Serve what the front end queued (at most one ring's worth). Returns how many were served. */
  process(): number {
    if (this.broken || this.ringHandle < 0) return 0;
    const dv = this.ring();
    const prod = dv.getUint32(RING.req_prod.offset, true);
    if (((prod - this.reqCons) >>> 0) > RING_SIZE) {
      this.broken = `front end d${this.o.feDomid} claims ${(prod - this.reqCons) >>> 0} requests in a ${RING_SIZE}-slot ring`;
      return 0;
    }
    let served = 0;
    while (this.reqCons !== prod && served < RING_SIZE) {
      const at = RING.ring.offset + (this.reqCons % RING_SIZE) * ENTRY;
      // copy the request out first: the front end may change the shared slot meanwhile
      const req = this.o.frame(this.ringMfn).slice(at, at + ENTRY);
      this.reqCons = (this.reqCons + 1) >>> 0;
      const status = this.serve(req);
      this.respond(req, status);
      served++;
    }
    if (served) {
      dv.setUint32(RING.rsp_prod.offset, this.rspProdPvt, true);
      dv.setUint32(RING.req_event.offset, (this.reqCons + 1) >>> 0, true);
      this.o.notify();
    }
    return served;
  }

  private respond(req: Uint8Array, status: number): void {
    const at = RING.ring.offset + (this.rspProdPvt % RING_SIZE) * ENTRY;
    const slot = new DataView(this.o.frame(this.ringMfn).buffer, this.o.frame(this.ringMfn).byteOffset + at, ENTRY);
    const rq = new DataView(req.buffer, req.byteOffset, req.length);
    const idLo = rq.getUint32(REQ.id.offset, true);
    const idHi = rq.getUint32(REQ.id.offset + 4, true);
    const op = rq.getUint8(REQ.operation.offset);
    slot.setUint32(RSP.id.offset, idLo, true);
    slot.setUint32(RSP.id.offset + 4, idHi, true);
    slot.setUint8(RSP.operation.offset, op);
    slot.setInt16(RSP.status.offset, status, true);
    this.rspProdPvt = (this.rspProdPvt + 1) >>> 0;
  }

  private serve(req: Uint8Array): number {
    this.stats.requests++;
    const rq = new DataView(req.buffer, req.byteOffset, req.length);
    const op = rq.getUint8(REQ.operation.offset);
    const disk = this.o.disk;
    switch (op) {
      case BLKIF_OP.READ:
      case BLKIF_OP.WRITE:
      case BLKIF_OP.WRITE_BARRIER: {
        const write = op !== BLKIF_OP.READ;
        if (write && disk.readonly) return this.error();
        // a barrier orders: everything acknowledged before it is durable before it runs
        if (op === BLKIF_OP.WRITE_BARRIER) this.flush();
        const st = this.transfer(rq, write);
        if (st !== BLKIF_RSP.OKAY) return st;
        if (op === BLKIF_OP.WRITE_BARRIER) this.flush();
        return BLKIF_RSP.OKAY;
      }
      case BLKIF_OP.FLUSH_DISKCACHE:
        this.flush();
        return BLKIF_RSP.OKAY;
      default:
        this.stats.errors++;
        return BLKIF_RSP.EOPNOTSUPP;
    }
  }

  private flush(): void {
    this.o.disk.flush();
    this.stats.flushes++;
  }

  private error(): number {
    this.stats.errors++;
    return BLKIF_RSP.ERROR;
  }

  /** Check every segment, then move the data segment by segment through mapped grants. */
  private transfer(rq: DataView, write: boolean): number {
    const n = rq.getUint8(REQ.nr_segments.offset);
    if (n < 1 || n > IO_CONST.BLKIF_MAX_SEGMENTS_PER_REQUEST) return this.error();
    let sector = rq.getUint32(REQ.sector_number.offset, true) + rq.getUint32(REQ.sector_number.offset + 4, true) * 0x1_0000_0000;
    const segs: { gref: number; first: number; last: number }[] = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      const at = REQ.seg.offset + i * SEG.size;
      const s = { gref: rq.getUint32(at + SEG.fields.gref.offset, true), first: rq.getUint8(at + SEG.fields.first_sect.offset), last: rq.getUint8(at + SEG.fields.last_sect.offset) };
      if (s.first > s.last || s.last >= SECTORS_PER_PAGE) return this.error();
      total += s.last - s.first + 1;
      segs.push(s);
    }
    if (sector + total > this.o.disk.sectors) return this.error();
    // A read fills the front end's page: its grant must be writable; a write only reads it.
    const flags = GNTMAP.device_map | (write ? GNTMAP.readonly : 0);
    const mapped: { handle: number; mfn: number }[] = [];
    try {
      for (const s of segs) {
        const r = this.o.grants.map(this.o.beDomid, { hostAddr: 0, flags, ref: s.gref, dom: this.o.feDomid });
        if (r.status !== GNTST.okay) return this.error();
        mapped.push({ handle: r.handle, mfn: r.devBusAddr / 4096 });
      }
      segs.forEach((s, i) => {
        const count = s.last - s.first + 1;
        const page = this.o.frame(mapped[i].mfn);
        const off = s.first * SECTOR_SIZE;
        if (write) this.o.disk.write(sector, page.slice(off, off + count * SECTOR_SIZE));
        else page.set(this.o.disk.read(sector, count), off);
        sector += count;
        this.stats.bytes += count * SECTOR_SIZE;
      });
      if (write) this.stats.writes++;
      else this.stats.reads++;
      return BLKIF_RSP.OKAY;
    } finally {
      for (const m of mapped) this.o.grants.unmap(this.o.beDomid, { hostAddr: 0, devBusAddr: m.mfn * 4096, handle: m.handle });
    }
  }
}
