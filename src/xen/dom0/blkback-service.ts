/**
 * Block devices of a domain, as libxl and the blkback driver set them up together: for each
 * `disk = [...]` entry the toolstack writes the vbd front and back directories; blkback (this
 * module's watch) goes to InitWait, and when the front end says Initialised (ring-ref and
 * event-channel published) maps the ring, binds the front end's port and goes Connected. The
 * front end's notifications on that port make blkback serve the ring (as dom0: backends.ts).
 */
import * as path from 'path';
import { VDISK, XenbusState } from '../abi';
import type { DiskSpec } from '../config';
import type { Domain } from '../domain';
import type { Hypervisor } from '../hypervisor';
import { backendGrantTables } from '../grant/xen-env';
import { Blkback, FileDisk, SECTOR_SIZE } from './blkback';
import { DiskJournal } from './file-disk';
import { connect, connectionKey, connectionsOf, disconnect } from './backends';
import { watchFrontend } from './backend-watch';
import { registerSnapshotService } from '../snapshot-services';
import { XsClient, addDevice, onDomainGone, switchState, xenstoreOf } from './xenstore';

/** Linux's xen-blkfront device numbers: xvdX is major 202, 16 minors per disk; hdX 3/22, sdX 8. */
export function vdevNumber(vdev: string): number | undefined {
  const m = /^(xvd|hd|sd)([a-z]+)(\d*)$/.exec(vdev);
  if (!m) return undefined;
  let disk = 0;
  for (const ch of m[2]) disk = disk * 26 + (ch.charCodeAt(0) - 96);
  disk -= 1;
  const part = m[3] ? Number(m[3]) : 0;
  if (m[1] === 'xvd') return disk < 16 && part < 16 ? (202 << 8) | (disk << 4) | part : (1 << 28) | (disk << 8) | part;
  if (m[1] === 'sd') return disk < 16 && part < 16 ? (8 << 8) | (disk << 4) | part : undefined;
  return disk < 2 && part < 64 ? (3 << 8) | (disk << 6) | part : disk < 4 && part < 64 ? (22 << 8) | ((disk - 2) << 6) | part : undefined;
}

/** Running block back ends by "domid/devid", for the debugger and tests. */
export function blkbacksOf(hv: Hypervisor): Map<string, Blkback> {
  const out = new Map<string, Blkback>();
  for (const c of connectionsOf(hv).values()) if (c.kind === 'vbd') out.set(`${c.feDomid}/${c.devid}`, c.device as Blkback);
  return out;
}

/**
 * A hypervisor's image files: every FileDisk opened (one per attached disk) and, once a snapshot
 * has been taken, one DiskJournal per file.
 */
interface Disks {
  opened: FileDisk[];
  journals?: Map<string, DiskJournal>;
}
const disks = new WeakMap<Hypervisor, Disks>();

function disksOf(hv: Hypervisor): Disks {
  let e = disks.get(hv);
  if (!e) disks.set(hv, (e = { opened: [] }));
  return e;
}

// The files follow the machine: a snapshot keeps each file's journal and which disks were open;
// a restore writes the snapshot's disk back (file-disk.ts) and reopens or closes the files.
registerSnapshotService({
  name: 'blk-disks',
  save: (hv) => {
    const e = disksOf(hv);
    e.journals ??= new Map();
    return { opened: [...e.opened], open: e.opened.filter((f) => f.isOpen), written: new Map([...e.journals].map(([k, j]) => [k, j.save()])) };
  },
  restore: (hv, s) => {
    const e = disks.get(hv);
    if (!e) return;
    const saved = s as { opened: FileDisk[]; open: FileDisk[]; written: Map<string, ReadonlyMap<number, Uint8Array>> } | undefined;
    for (const [k, j] of e.journals ?? []) j.restore(saved?.written.get(k));
    // disks opened after the snapshot close and are forgotten (replays open their own)
    for (const f of e.opened) if (!saved?.open.includes(f)) f.close();
    for (const f of saved?.open ?? []) f.reopen();
    e.opened = [...(saved?.opened ?? [])];
  },
});

function openDisk(hv: Hypervisor, target: string, readonly: boolean): FileDisk {
  const e = disksOf(hv);
  const file = path.resolve(target);
  const journal = (): DiskJournal | undefined => {
    if (!e.journals) return undefined;
    let j = e.journals.get(file);
    if (!j) e.journals.set(file, (j = new DiskJournal(file)));
    return j;
  };
  const f = new FileDisk(file, readonly, journal);
  e.opened.push(f);
  return f;
}

export function attachDisks(hv: Hypervisor, d: Domain): void {
  for (const disk of d.config?.disks ?? []) attachDisk(hv, d, disk);
}

function attachDisk(hv: Hypervisor, d: Domain, disk: DiskSpec): void {
  const devid = vdevNumber(disk.vdev);
  if (devid === undefined || !disk.target || disk.devtype !== 'disk') return;
  const file = openDisk(hv, disk.target, disk.access === 'ro');
  const xs = new XsClient(xenstoreOf(hv), 0);
  const { fe, be } = addDevice(xs, {
    type: 'vbd',
    feDomid: d.id,
    beDomid: 0,
    devid,
    backend: {
      params: disk.target,
      type: 'file',
      mode: disk.access === 'ro' ? 'r' : 'w',
      dev: disk.vdev,
      'sector-size': String(SECTOR_SIZE),
      sectors: String(file.sectors),
      info: String(disk.access === 'ro' ? VDISK.READONLY : 0),
      'feature-flush-cache': '1',
      'feature-barrier': '1',
    },
    frontend: { 'virtual-device': String(devid), 'device-type': 'disk' },
  });
  switchState(xs, be, XenbusState.InitWait);
  const key = connectionKey('vbd', d.id, devid);
  const unwatch = watchFrontend(hv, xs, { fe, be, key }, () => {
    const ringRef = Number(xs.tryRead(`${fe}/ring-ref`));
    const port = Number(xs.tryRead(`${fe}/event-channel`));
    const ch = d.evtchns[port];
    if (!Number.isInteger(ringRef) || !ch || ch.state !== 'unbound' || ch.remoteDom !== 0) return 'bad ring-ref or event-channel';
    return connect(hv, d, { kind: 'vbd', devid, fePort: port }, (notify) => {
      const b = new Blkback({ beDomid: 0, feDomid: d.id, ringRef, disk: file, grants: backendGrantTables(hv), frame: (mfn) => hv.machine.writable(mfn), notify });
      return { device: b, serve: () => b.process(), connect: () => (b.connect() === 0 ? undefined : b.broken ?? 'cannot map the ring') };
    });
  });
  onDomainGone(hv, d.id, () => {
    unwatch();
    disconnect(hv, key);
    file.close();
    xs.rm(`/local/domain/0/backend/vbd/${d.id}`);
  });
}
